package plots

import (
	"image"
	"image/color"
	"testing"
)

func uniform(r image.Rectangle, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func TestOverlay(t *testing.T) {
	base := uniform(image.Rect(10, 20, 14, 24), color.RGBA{100, 200, 0, 255})
	for _, tc := range []struct {
		name  string
		heat  *image.RGBA
		alpha float64
		want  color.RGBA
	}{
		// 0.75·100 + 0.25·200 = 125; 0.75·200 + 0 = 150; 0 + 0.25·50 = 12.5 → 13.
		{"quarter", uniform(image.Rect(0, 0, 4, 4), color.RGBA{200, 0, 50, 255}), 0.25, color.RGBA{125, 150, 13, 255}},
		{"alpha below 0 keeps base", uniform(image.Rect(0, 0, 4, 4), color.RGBA{200, 0, 50, 255}), -1, color.RGBA{100, 200, 0, 255}},
		{"alpha above 1 is heat", uniform(image.Rect(0, 0, 4, 4), color.RGBA{200, 0, 50, 255}), 3, color.RGBA{200, 0, 50, 255}},
		{"smaller heat is resized", uniform(image.Rect(0, 0, 2, 2), color.RGBA{0, 0, 100, 255}), 0.5, color.RGBA{50, 100, 50, 255}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Overlay(base, tc.heat, tc.alpha)
			if out.Rect != image.Rect(0, 0, 4, 4) {
				t.Fatalf("bounds %v, want (0,0)-(4,4)", out.Rect)
			}
			for y := range 4 {
				for x := range 4 {
					if got := out.RGBAAt(x, y); got != tc.want {
						t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, tc.want)
					}
				}
			}
		})
	}
}
