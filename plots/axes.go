package plots

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
)

// Range is a fixed axis range; a Range with Min >= Max (the zero value) fits the axis to the data.
type Range struct{ Min, Max float64 }

func (r Range) fixed() bool { return r.Min < r.Max }

// LegendPosition places the legend inside the plot area.
type LegendPosition int

const (
	// LegendTopRight is the default legend position.
	LegendTopRight LegendPosition = iota
	// LegendBottomRight suits curves rising to the top left, such as ROC curves.
	LegendBottomRight
	// LegendTopLeft suits curves falling to the bottom right.
	LegendTopLeft
	// LegendNone hides the legend.
	LegendNone
)

// VLine is a vertical line across the plot, such as a decision threshold or an FPR limit; it is
// drawn dashed and listed in the legend under Label.
type VLine struct {
	X     float64
	Label string
	Color string // CSS colour; empty means black
}

// Axes holds the options that line plots and histograms share.
type Axes struct {
	Title, XLabel, YLabel string
	// Width and Height are the figure size in pixels; 0 means 640×440.
	Width, Height int
	// XRange and YRange fix the axis ranges; by default they fit the data.
	XRange, YRange Range
	// LogY makes the y axis logarithmic (all y values must then be positive).
	LogY   bool
	Legend LegendPosition
	VLines []VLine
}

// palette holds the default series colours (matplotlib's "tab10"), used in order.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// legendEntry is one line of the legend: a line or a filled box swatch and its text.
type legendEntry struct {
	text, color string
	dashed, box bool
}

// clipIDs numbers clip paths so that several SVGs inlined in one page (a notebook) do not share
// an id.
var clipIDs atomic.Int64

// svgFrame is a figure being drawn: the plot area in pixels and the data ranges it shows.
type svgFrame struct {
	b                        strings.Builder
	left, top, right, bottom float64
	xlo, xhi, ylo, yhi       float64
	logY                     bool
	clip                     string
}

// x maps a data x to pixels.
func (f *svgFrame) x(v float64) float64 {
	return f.left + (v-f.xlo)/(f.xhi-f.xlo)*(f.right-f.left)
}

// y maps a data y to pixels (up is larger).
func (f *svgFrame) y(v float64) float64 {
	lo, hi := f.ylo, f.yhi
	if f.logY {
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	return f.bottom - (v-lo)/(hi-lo)*(f.bottom-f.top)
}

// begin starts a figure showing [xlo, xhi] × [ylo, yhi]: background, title, grid, ticks and
// axis labels. Contents drawn next are clipped to the plot area until end.
func (a *Axes) begin(xlo, xhi, ylo, yhi float64) *svgFrame {
	w, h := a.Width, a.Height
	if w <= 0 || h <= 0 {
		w, h = 640, 440
	}
	f := &svgFrame{left: 78, top: 44, right: float64(w) - 24, bottom: float64(h) - 58,
		xlo: xlo, xhi: xhi, ylo: ylo, yhi: yhi, logY: a.LogY,
		clip: fmt.Sprintf("goadtr-plot-%d", clipIDs.Add(1))}
	if a.Title == "" {
		f.top = 20
	}
	b := &f.b
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`+"\n", w, h, w, h)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	if a.Title != "" {
		fmt.Fprintf(b, `<text x="%.1f" y="28" text-anchor="middle" font-size="17" font-weight="bold">%s</text>`+"\n", (f.left+f.right)/2, escape(a.Title))
	}

	xticks, xstep := linearTicks(xlo, xhi, int((f.right-f.left)/80))
	var yticks []float64
	ystep := 0.0
	if a.LogY {
		yticks = logTicks(ylo, yhi)
	} else {
		yticks, ystep = linearTicks(ylo, yhi, int((f.bottom-f.top)/50))
	}
	b.WriteString(`<g stroke="#e3e3e3" stroke-width="1">` + "\n")
	for _, v := range xticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", f.x(v), f.top, f.x(v), f.bottom)
	}
	for _, v := range yticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", f.left, f.y(v), f.right, f.y(v))
	}
	b.WriteString("</g>\n<g fill=\"#222\">\n")
	for _, v := range xticks {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", f.x(v), f.bottom+18, formatTick(v, xstep))
	}
	for _, v := range yticks {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", f.left-7, f.y(v), formatTick(v, ystep))
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="15">%s</text>`+"\n", (f.left+f.right)/2, f.bottom+44, escape(a.XLabel))
	fmt.Fprintf(b, `<text transform="translate(22 %.1f) rotate(-90)" text-anchor="middle" font-size="15">%s</text>`+"\n", (f.top+f.bottom)/2, escape(a.YLabel))
	fmt.Fprintf(b, `<clipPath id="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/></clipPath>`+"\n", f.clip, f.left, f.top, f.right-f.left, f.bottom-f.top)
	fmt.Fprintf(b, `<g clip-path="url(#%s)">`+"\n", f.clip)
	return f
}

// end draws the vertical lines, the axes frame and the legend (entries, then one per vertical
// line) and returns the SVG document.
func (a *Axes) end(f *svgFrame, entries []legendEntry) string {
	b := &f.b
	for _, l := range a.VLines {
		c := cmp.Or(l.Color, "black")
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="7 4"/>`+"\n", f.x(l.X), f.top, f.x(l.X), f.bottom, escape(c))
		if l.Label != "" {
			entries = append(entries, legendEntry{text: l.Label, color: c, dashed: true})
		}
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#222"/>`+"\n", f.left, f.top, f.right-f.left, f.bottom-f.top)
	if a.Legend != LegendNone && len(entries) > 0 {
		f.legend(entries, a.Legend)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// legend draws a boxed legend in a corner of the plot area.
func (f *svgFrame) legend(entries []legendEntry, pos LegendPosition) {
	const rowH, swatch, inset = 20.0, 26.0, 10.0
	chars := 0
	for _, e := range entries {
		chars = max(chars, len([]rune(e.text)))
	}
	w := swatch + 22 + 7.8*float64(chars)
	h := rowH*float64(len(entries)) + 8
	x, y := f.right-inset-w, f.top+inset
	switch pos {
	case LegendBottomRight:
		y = f.bottom - inset - h
	case LegendTopLeft:
		x = f.left + inset
	}
	b := &f.b
	fmt.Fprintf(b, `<g><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" fill-opacity="0.9" stroke="#999"/>`+"\n", x, y, w, h)
	for i, e := range entries {
		cy := y + 4 + rowH*(float64(i)+0.5)
		if e.box {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="12" fill="%s" fill-opacity="0.55" stroke="%s"/>`+"\n", x+8, cy-6, swatch, escape(e.color), escape(e.color))
		} else {
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n", x+8, cy, x+8+swatch, cy, escape(e.color), dash(e.dashed))
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`+"\n", x+swatch+14, cy, escape(e.text))
	}
	b.WriteString("</g>\n")
}

// fitRange returns the range of an axis: fixed when set, otherwise [lo, hi] widened by 4 % on
// each side (in log space for a logarithmic axis), or around a single value.
func fitRange(fixed Range, lo, hi float64, log bool) (float64, float64) {
	if fixed.fixed() {
		return fixed.Min, fixed.Max
	}
	if log {
		l, h := fitRange(Range{}, math.Log10(lo), math.Log10(hi), false)
		return math.Pow(10, l), math.Pow(10, h)
	}
	if lo == hi {
		return lo - 0.5, hi + 0.5
	}
	m := 0.04 * (hi - lo)
	return lo - m, hi + m
}

// dash returns the stroke-dasharray attribute of a dashed line, or nothing.
func dash(dashed bool) string {
	if dashed {
		return ` stroke-dasharray="7 4"`
	}
	return ""
}

// escape escapes s for SVG text and attribute values.
func escape(s string) string { return svgEscaper.Replace(s) }

var svgEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
