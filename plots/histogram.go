package plots

import (
	"cmp"
	"fmt"
	"math"
)

// HistogramGroup is one named set of values of a Histogram, such as the scores of normal images.
type HistogramGroup struct {
	Name   string
	Values []float64
	Color  string // CSS colour; empty takes the next palette colour
}

// Histogram draws the distributions of several groups of values over shared bins, as
// translucent overlapping bars, in a self-contained SVG document. The y axis counts values.
type Histogram struct {
	Axes
	Groups []HistogramGroup
	// Bins is the number of equal-width bins over the x range; 0 means 30.
	Bins int
}

// SVG renders the histogram. It fails when no group has a value or a value is not finite.
func (h *Histogram) SVG() (string, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range h.Groups {
		for i, v := range g.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return "", fmt.Errorf("plots: histogram %q: group %q value %d is %v", h.Title, g.Name, i, v)
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return "", fmt.Errorf("plots: histogram %q has no values", h.Title)
	}
	for _, l := range h.VLines {
		lo, hi = min(lo, l.X), max(hi, l.X)
	}
	xlo, xhi := fitRange(h.XRange, lo, hi, false)
	bins := cmp.Or(h.Bins, 30)
	width := (xhi - xlo) / float64(bins)
	counts := make([][]int, len(h.Groups))
	most := 1
	for gi, g := range h.Groups {
		counts[gi] = make([]int, bins)
		for _, v := range g.Values {
			if b := int((v - xlo) / width); b >= 0 && b <= bins {
				counts[gi][min(b, bins-1)]++
			}
		}
		for _, c := range counts[gi] {
			most = max(most, c)
		}
	}
	// At least 0..5 so that small counts get whole-number ticks.
	ylo, yhi := 0.0, math.Max(math.Ceil(float64(most)*1.1), 5)
	if h.YRange.fixed() {
		ylo, yhi = h.YRange.Min, h.YRange.Max
	}
	axes := h.Axes
	axes.LogY = false // counts include zeros
	f := axes.begin(xlo, xhi, ylo, yhi)
	var entries []legendEntry
	for gi, g := range h.Groups {
		c := cmp.Or(g.Color, palette[gi%len(palette)])
		fmt.Fprintf(&f.b, `<g fill="%s" fill-opacity="0.45" stroke="%s" stroke-width="1">`+"\n", escape(c), escape(c))
		for b, n := range counts[gi] {
			if n == 0 {
				continue
			}
			x0, x1 := f.x(xlo+float64(b)*width), f.x(xlo+float64(b+1)*width)
			fmt.Fprintf(&f.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`+"\n", x0, f.y(float64(n)), x1-x0, f.y(ylo)-f.y(float64(n)))
		}
		f.b.WriteString("</g>\n")
		if g.Name != "" {
			entries = append(entries, legendEntry{text: fmt.Sprintf("%s (n=%d)", g.Name, len(g.Values)), color: c, box: true})
		}
	}
	return axes.end(f, entries), nil
}
