package plots

import (
	"image"
	"image/color"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// textScale enlarges the 7×13 bitmap font of raster figures so that labels stay readable next to
// 256-pixel images; text that would not fit is drawn at scale 1 instead.
const textScale = 2

// face is the bitmap font of raster figures; it covers printable ASCII only.
var face = basicfont.Face7x13

// asciiText replaces the non-ASCII symbols captions commonly use by ASCII look-alikes the
// bitmap font can draw; other non-ASCII runes are drawn as a replacement box.
var asciiText = strings.NewReplacer("→", "->", "≥", ">=", "≤", "<=", "×", "x", "−", "-", "–", "-", "…", "...", "µ", "u")

// textSize returns the width and height in pixels of s drawn by drawText at the given scale.
func textSize(s string, scale int) (w, h int) {
	return len([]rune(asciiText.Replace(s))) * face.Advance * scale, (face.Ascent + face.Descent) * scale
}

// textWidth returns the width in pixels of s drawn by drawText at textScale.
func textWidth(s string) int {
	w, _ := textSize(s, textScale)
	return w
}

// fitScale returns textScale, or 1 when s would be wider than width at textScale.
func fitScale(s string, width int) int {
	if w, _ := textSize(s, textScale); w > width {
		return 1
	}
	return textScale
}

// drawText draws s in colour c with its top-left corner at (x, y), enlarged scale times.
func drawText(dst *image.RGBA, x, y int, s string, c color.Color, scale int) {
	s = asciiText.Replace(s)
	w, h := textSize(s, 1)
	glyphs := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: glyphs, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	src := color.RGBAModel.Convert(c).(color.RGBA)
	for gy := range glyphs.Rect.Dy() {
		for gx := range glyphs.Rect.Dx() {
			if glyphs.AlphaAt(gx, gy).A < 128 {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					if p := image.Pt(x+gx*scale+dx, y+gy*scale+dy); p.In(dst.Rect) {
						dst.SetRGBA(p.X, p.Y, src)
					}
				}
			}
		}
	}
}
