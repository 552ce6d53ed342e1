package nb

import (
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"os"
	"strings"

	"github.com/goadtr/goadtr/plots"
	"github.com/janpfeifer/gonb/gonbui"
)

// ShowSVG displays an SVG document in the cell's output; it panics when err is not nil (the
// figure could not be drawn).
func ShowSVG(svg string, err error) {
	plots.DisplaySVG(Must(svg, err))
	flush()
}

// flush waits until GoNB has received everything displayed so far: without it a cell program
// that exits right after displaying a large image can lose the output.
func flush() { gonbui.Sync() }

// ShowSVGFile displays the SVG file at path (a figure written by an earlier cell).
func ShowSVGFile(path string) {
	data, err := os.ReadFile(path)
	Check(err, "reading figure")
	plots.DisplaySVG(string(data))
	flush()
}

// ShowImage displays an image in the cell's output.
func ShowImage(img image.Image) {
	Check(plots.DisplayImage(img), "displaying an image")
	flush()
}

// ShowPNGFile displays the PNG file at path.
func ShowPNGFile(path string) {
	f, err := os.Open(path)
	Check(err, "reading image")
	defer f.Close()
	img, err := png.Decode(f)
	Check(err, "decoding %s", path)
	ShowImage(img)
}

// ShowTable displays a table as HTML in the notebook (and as aligned text elsewhere). caption may
// be empty.
func ShowTable(caption string, header []string, rows [][]string) {
	if !gonbui.IsNotebook {
		fmt.Println(textTable(header, rows))
		return
	}
	gonbui.DisplayHTML(HTMLTable(caption, header, rows))
	flush()
}

// HTMLTable renders a table with a caption; cells are escaped; numeric-looking cells right of the
// first column are right aligned.
func HTMLTable(caption string, header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;font-family:Helvetica,Arial,sans-serif;font-size:13px;margin:6px 0">`)
	if caption != "" {
		fmt.Fprintf(&b, `<caption style="caption-side:top;text-align:left;font-weight:bold;padding:4px 0">%s</caption>`, html.EscapeString(caption))
	}
	b.WriteString("<thead><tr>")
	for _, h := range header {
		fmt.Fprintf(&b, `<th style="border-bottom:2px solid #444;padding:3px 10px;text-align:left">%s</th>`, html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i, c := range r {
			align := "left"
			if i > 0 && numeric(c) {
				align = "right"
			}
			fmt.Fprintf(&b, `<td style="border-bottom:1px solid #ddd;padding:3px 10px;text-align:%s">%s</td>`, align, html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

// numeric reports whether a table cell reads as a number ("97.2", "-", "1.3 x", "12 / 20").
func numeric(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return true
	}
	return strings.ContainsAny(s[:1], "0123456789-+.")
}

// textTable renders a table as aligned text.
func textTable(header []string, rows [][]string) string {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], len([]rune(c)))
			}
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i < len(widths) {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Pct formats a fraction in percent with one decimal, "-" when it is NaN.
func Pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100*v)
}

// BarSeries is one kind of bar in every group of a BarChart, such as "defect pixels".
type BarSeries struct {
	Name   string
	Values []float64 // one per group
	Color  string    // CSS colour; empty takes a default
}

// BarChart draws grouped vertical bars as a self-contained SVG document: one group per label along
// x, one bar per series in each group, the value printed above each bar. refLine > 0 draws a
// dashed horizontal reference line at that value (refLabel names it in the legend).
func BarChart(title, ylabel string, groups []string, series []BarSeries, refLine float64, refLabel string) (string, error) {
	if len(groups) == 0 || len(series) == 0 {
		return "", fmt.Errorf("bar chart %q: no groups or no series", title)
	}
	top := refLine
	for _, s := range series {
		if len(s.Values) != len(groups) {
			return "", fmt.Errorf("bar chart %q: series %q has %d values for %d groups", title, s.Name, len(s.Values), len(groups))
		}
		for _, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return "", fmt.Errorf("bar chart %q: series %q has value %v (bars need finite values >= 0)", title, s.Name, v)
			}
			top = math.Max(top, v)
		}
	}
	if top == 0 {
		top = 1
	}
	colors := []string{"#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd"}
	const w, h, left, right, topM, bottom = 760.0, 400.0, 70.0, 20.0, 70.0, 60.0
	plotW, plotH := w-left-right, h-topM-bottom
	ymax := niceCeil(top * 1.12)
	y := func(v float64) float64 { return topM + plotH*(1-v/ymax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="13">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%.1f" y="24" text-anchor="middle" font-size="16" font-weight="bold">%s</text>`+"\n", left+plotW/2, html.EscapeString(title))
	// Legend in one row under the title, the reference line last.
	lx := left
	for i, s := range series {
		c := pick(s.Color, colors, i)
		fmt.Fprintf(&b, `<rect x="%.1f" y="40" width="14" height="12" fill="%s"/><text x="%.1f" y="50">%s</text>`+"\n", lx, c, lx+19, html.EscapeString(s.Name))
		lx += 19 + 7.2*float64(len(s.Name)) + 22
	}
	if refLine > 0 && refLabel != "" {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="46" x2="%.1f" y2="46" stroke="black" stroke-width="1.5" stroke-dasharray="7 4"/><text x="%.1f" y="50">%s</text>`+"\n", lx, lx+24, lx+30, html.EscapeString(refLabel))
	}
	// y ticks and grid.
	step := niceCeil(ymax / 5)
	for v := 0.0; v <= ymax+1e-9; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/><text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n",
			left, y(v), left+plotW, y(v), left-6, y(v), trimFloat(v))
	}
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle" font-size="14">%s</text>`+"\n", topM+plotH/2, html.EscapeString(ylabel))
	groupW := plotW / float64(len(groups))
	barW := groupW * 0.8 / float64(len(series))
	for g, label := range groups {
		x0 := left + float64(g)*groupW + groupW*0.1
		for i, s := range series {
			v := s.Values[g]
			x := x0 + float64(i)*barW
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y(v), barW-2, y(0)-y(v), pick(s.Color, colors, i))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11">%s</text>`+"\n", x+barW/2-1, y(v)-4, fmt.Sprintf("%.2f", v))
		}
		for k, line := range wrap(label, int(groupW/7)) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", left+float64(g)*groupW+groupW/2, y(0)+18+15*float64(k), html.EscapeString(line))
		}
	}
	if refLine > 0 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" stroke-width="1.5" stroke-dasharray="7 4"/>`+"\n", left, y(refLine), left+plotW, y(refLine))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#222"/>`+"\n", left, topM, plotW, plotH)
	b.WriteString("</svg>\n")
	return b.String(), nil
}

// pick returns c, or the i-th default colour when c is empty.
func pick(c string, defaults []string, i int) string {
	if c != "" {
		return c
	}
	return defaults[i%len(defaults)]
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// trimFloat formats a tick value without trailing zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// wrap splits s into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	width = max(width, 8)
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
