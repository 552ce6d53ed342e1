package plots

import (
	"image"
	"image/color"
)

// DrawContours draws, in colour c, the one-pixel outline of the anomalous regions of a row-major
// w×h mask (non-zero = anomalous) onto img. The mask is stretched over img's bounds (nearest
// pixel), so it may be drawn onto an enlarged image. A pixel is on the outline when it is inside
// a region and one of its four neighbours is outside it or outside the image: outlines are
// closed and lie inside the regions. It panics if len(mask) != w*h.
func DrawContours(img *image.RGBA, mask []uint8, w, h int, c color.Color) {
	if len(mask) != w*h {
		panic("plots: DrawContours: len(mask) != w*h")
	}
	b := img.Rect
	inside := func(x, y int) bool {
		if x < 0 || y < 0 || x >= b.Dx() || y >= b.Dy() {
			return false
		}
		return mask[(y*h/b.Dy())*w+x*w/b.Dx()] != 0
	}
	col := color.RGBAModel.Convert(c).(color.RGBA)
	for y := range b.Dy() {
		for x := range b.Dx() {
			if inside(x, y) && !(inside(x-1, y) && inside(x+1, y) && inside(x, y-1) && inside(x, y+1)) {
				img.SetRGBA(b.Min.X+x, b.Min.Y+y, col)
			}
		}
	}
}
