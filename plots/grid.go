package plots

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// Grid lays out rows of images under column titles, typically image | ground truth | heatmap |
// overlay, with a caption above each row (such as "score 1.23 → anomalous") and optionally the
// colour bar of the heatmaps on the right. Every image is scaled to fit a square cell, keeping
// its aspect ratio. Build it with NewGrid and AddRow, then render it with Image.
type Grid struct {
	cell    int
	columns []string
	rows    []gridRow
	bar     *gridBar
}

type gridRow struct {
	caption string
	cells   []image.Image
}

type gridBar struct {
	cm         Colormap
	vmin, vmax float64
	label      string
}

// NewGrid starts a grid of cellSize×cellSize cells (at least 32) under the given column titles.
func NewGrid(cellSize int, columns ...string) *Grid {
	return &Grid{cell: max(cellSize, 32), columns: columns}
}

// AddRow appends a row: its caption and one image per column (nil for an empty "n/a" cell).
func (g *Grid) AddRow(caption string, cells ...image.Image) error {
	if len(cells) != len(g.columns) {
		return fmt.Errorf("plots: grid row %q has %d images for %d columns", caption, len(cells), len(g.columns))
	}
	g.rows = append(g.rows, gridRow{caption: caption, cells: cells})
	return nil
}

// SetColorBar adds, right of the rows, the colour bar of heatmaps drawn with cm from vmin to
// vmax (see Heatmap), labelled label.
func (g *Grid) SetColorBar(cm Colormap, vmin, vmax float64, label string) {
	g.bar = &gridBar{cm: cm, vmin: vmin, vmax: vmax, label: label}
}

// Image renders the grid on a white background.
func (g *Grid) Image() *image.RGBA {
	const pad = 8
	_, th := textSize("0", textScale)
	header := pad + th + pad
	rowH := th + pad/2 + g.cell + pad
	width := pad + len(g.columns)*(g.cell+pad)
	height := header + len(g.rows)*rowH
	var bar *image.RGBA
	if g.bar != nil {
		bar = ColorBar(g.bar.cm, g.bar.vmin, g.bar.vmax, height-header, g.bar.label)
		width += bar.Rect.Dx() + pad
		height = max(height, header+bar.Rect.Dy())
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)

	cellX := func(col int) int { return pad + col*(g.cell+pad) }
	for col, title := range g.columns {
		scale := fitScale(title, g.cell)
		w, h := textSize(title, scale)
		drawText(img, cellX(col)+max(0, g.cell-w)/2, pad+(th-h)/2, title, color.Black, scale)
	}
	for r, row := range g.rows {
		y := header + r*rowH
		scale := fitScale(row.caption, width-2*pad)
		_, h := textSize(row.caption, scale)
		drawText(img, pad, y+(th-h)/2, row.caption, color.Black, scale)
		for col, cell := range row.cells {
			g.drawCell(img, image.Rect(cellX(col), y+th+pad/2, cellX(col)+g.cell, y+th+pad/2+g.cell), cell)
		}
	}
	if bar != nil {
		x := cellX(len(g.columns))
		draw.Draw(img, bar.Rect.Add(image.Pt(x, header)), bar, image.Point{}, draw.Src)
	}
	return img
}

// drawCell draws src scaled to fit r, centred, or an "n/a" placeholder when src is nil.
func (g *Grid) drawCell(dst *image.RGBA, r image.Rectangle, src image.Image) {
	if src == nil {
		draw.Draw(dst, r, image.NewUniform(color.Gray{Y: 230}), image.Point{}, draw.Src)
		w, h := textSize("n/a", textScale)
		drawText(dst, r.Min.X+(r.Dx()-w)/2, r.Min.Y+(r.Dy()-h)/2, "n/a", color.Gray{Y: 100}, textScale)
		return
	}
	sb := src.Bounds()
	w, h := r.Dx(), r.Dy()
	if sb.Dx()*h > sb.Dy()*w {
		h = max(1, sb.Dy()*w/sb.Dx())
	} else {
		w = max(1, sb.Dx()*h/sb.Dy())
	}
	at := image.Rect(0, 0, w, h).Add(r.Min).Add(image.Pt((r.Dx()-w)/2, (r.Dy()-h)/2))
	xdraw.BiLinear.Scale(dst, at, src, sb, xdraw.Src, nil)
}
