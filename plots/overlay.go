package plots

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
)

// Overlay blends heat over base: every channel is (1-alpha)·base + alpha·heat, rounded, with
// alpha clamped to [0, 1]; the result is opaque, has base's size and starts at (0, 0). A heat
// image of another size (a low-resolution map) is first resized to base's size, bilinearly.
func Overlay(base, heat image.Image, alpha float64) *image.RGBA {
	alpha = math.Min(1, math.Max(0, alpha))
	b := base.Bounds()
	heat = resize(heat, b.Dx(), b.Dy())
	hb := heat.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	blend := func(x, y uint8) uint8 {
		return uint8(math.Round((1-alpha)*float64(x) + alpha*float64(y)))
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			p := color.RGBAModel.Convert(base.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			q := color.RGBAModel.Convert(heat.At(hb.Min.X+x, hb.Min.Y+y)).(color.RGBA)
			out.SetRGBA(x, y, color.RGBA{R: blend(p.R, q.R), G: blend(p.G, q.G), B: blend(p.B, q.B), A: 255})
		}
	}
	return out
}

// resize returns img scaled to exactly w×h (bilinear), or img itself when it already has that
// size.
func resize(img image.Image, w, h int) image.Image {
	if b := img.Bounds(); b.Dx() == w && b.Dy() == h {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(out, out.Rect, img, img.Bounds(), draw.Src, nil)
	return out
}
