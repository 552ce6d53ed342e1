package plots

import (
	"cmp"
	"fmt"
	"math"
)

// Series is one named curve of a LinePlot.
type Series struct {
	Name   string // legend text; empty keeps the series out of the legend
	X, Y   []float64
	Color  string // CSS colour; empty takes the next palette colour
	Dashed bool
}

// LinePlot draws curves (ROC, PRO, losses) on shared axes as a self-contained SVG document.
type LinePlot struct {
	Axes
	Series []Series
}

// SVG renders the plot. It fails when there is no series, a series has no points, X and Y
// lengths differ, a value is not finite, or LogY is set with a non-positive y or y range.
func (p *LinePlot) SVG() (string, error) {
	if len(p.Series) == 0 {
		return "", fmt.Errorf("plots: line plot %q has no series", p.Title)
	}
	if p.LogY && p.YRange.fixed() && p.YRange.Min <= 0 {
		return "", fmt.Errorf("plots: line plot %q: y range %v is not positive on a log axis", p.Title, p.YRange)
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		if len(s.X) == 0 || len(s.X) != len(s.Y) {
			return "", fmt.Errorf("plots: line plot %q: series %q has %d x and %d y values", p.Title, s.Name, len(s.X), len(s.Y))
		}
		for i := range s.X {
			x, y := s.X[i], s.Y[i]
			if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
				return "", fmt.Errorf("plots: line plot %q: series %q point %d (%v, %v) is not finite", p.Title, s.Name, i, x, y)
			}
			if p.LogY && y <= 0 {
				return "", fmt.Errorf("plots: line plot %q: series %q point %d has y %v, not positive on a log axis", p.Title, s.Name, i, y)
			}
			xlo, xhi, ylo, yhi = min(xlo, x), max(xhi, x), min(ylo, y), max(yhi, y)
		}
	}
	for _, l := range p.VLines {
		xlo, xhi = min(xlo, l.X), max(xhi, l.X)
	}
	xlo, xhi = fitRange(p.XRange, xlo, xhi, false)
	ylo, yhi = fitRange(p.YRange, ylo, yhi, p.LogY)
	f := p.begin(xlo, xhi, ylo, yhi)
	var entries []legendEntry
	for i, s := range p.Series {
		c := cmp.Or(s.Color, palette[i%len(palette)])
		fmt.Fprintf(&f.b, `<path fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"%s d="%s"/>`+"\n", escape(c), dash(s.Dashed), f.path(s.X, s.Y))
		if s.Name != "" {
			entries = append(entries, legendEntry{text: s.Name, color: c, dashed: s.Dashed})
		}
	}
	return p.end(f, entries), nil
}

// path returns the SVG path data of a polyline, leaving out points less than half a pixel from
// the previous one drawn (a pooled pixel ROC curve can have millions) but always keeping the last.
func (f *svgFrame) path(xs, ys []float64) string {
	buf := make([]byte, 0, 16*len(xs))
	var lastX, lastY float64
	for i := range xs {
		px, py := f.x(xs[i]), f.y(ys[i])
		if i > 0 && i < len(xs)-1 && math.Abs(px-lastX) < 0.5 && math.Abs(py-lastY) < 0.5 {
			continue
		}
		op := "L"
		if i == 0 {
			op = "M"
		}
		buf = fmt.Appendf(buf, "%s%.1f %.1f", op, px, py)
		lastX, lastY = px, py
	}
	return string(buf)
}
