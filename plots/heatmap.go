package plots

import (
	"image"
	"image/color"
	"math"
)

// Heatmap colours a row-major w×h map (values[y*w+x], row 0 at the top) with cm, linearly from
// vmin (colour 0) to vmax (colour 1); values outside are clamped and NaN is drawn like vmin.
// vmin and vmax are explicit so that a gallery can share one scale: use ValueRange over every
// map for a shared scale, or over one map for a per-image scale, and say which in the caption.
// If vmax <= vmin every value is drawn with the low colour. It panics if len(values) != w*h.
func Heatmap(values []float32, w, h int, vmin, vmax float64, cm Colormap) *image.RGBA {
	if len(values) != w*h {
		panic("plots: Heatmap: len(values) != w*h")
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	span := vmax - vmin
	for i, v := range values {
		t := 0.0
		if span > 0 {
			t = (float64(v) - vmin) / span
		}
		img.SetRGBA(i%w, i/w, cm.At(t))
	}
	return img
}

// ValueRange returns the smallest and largest finite value over all maps, for Heatmap's vmin and
// vmax; (0, 1) when there is none.
func ValueRange(maps ...[]float32) (vmin, vmax float64) {
	vmin, vmax = math.Inf(1), math.Inf(-1)
	for _, m := range maps {
		for _, v := range m {
			if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
				vmin, vmax = math.Min(vmin, f), math.Max(vmax, f)
			}
		}
	}
	if vmin > vmax {
		return 0, 1
	}
	return vmin, vmax
}

// MaskImage renders a row-major w×h ground-truth mask in black and white (non-zero = white).
// It panics if len(mask) != w*h.
func MaskImage(mask []uint8, w, h int) *image.Gray {
	if len(mask) != w*h {
		panic("plots: MaskImage: len(mask) != w*h")
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range mask {
		if v != 0 {
			img.SetGray(i%w, i/w, color.Gray{Y: 255})
		}
	}
	return img
}
