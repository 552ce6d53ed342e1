package plots

import (
	"image"
	"image/color"
	"testing"
)

func TestDrawContours(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	for _, tc := range []struct {
		name       string
		mask       []uint8
		w, h       int
		imgW, imgH int
		want       []image.Point // the pixels drawn, nothing else
	}{
		{
			// A 3×3 square (its centre stays inside) and a pixel on the image edge.
			name: "boundaries only",
			mask: []uint8{
				0, 0, 0, 0, 0, 0,
				0, 1, 1, 1, 0, 0,
				0, 1, 1, 1, 0, 0,
				0, 1, 1, 1, 0, 0,
				0, 0, 0, 0, 0, 1,
			},
			w: 6, h: 5, imgW: 6, imgH: 5,
			want: []image.Point{{1, 1}, {2, 1}, {3, 1}, {1, 2}, {3, 2}, {1, 3}, {2, 3}, {3, 3}, {5, 4}},
		},
		{
			// The top-left mask pixel covers the 2×2 top-left block of a doubled image.
			name: "stretched mask", mask: []uint8{1, 0, 0, 0}, w: 2, h: 2, imgW: 4, imgH: 4,
			want: []image.Point{{0, 0}, {1, 0}, {0, 1}, {1, 1}},
		},
		{
			// A 4×4 block in a 6×6 image keeps its inner 2×2 undrawn.
			name: "filled block", w: 3, h: 3, imgW: 6, imgH: 6,
			mask: []uint8{0, 0, 0, 0, 1, 1, 0, 1, 1},
			want: []image.Point{{2, 2}, {3, 2}, {4, 2}, {5, 2}, {2, 3}, {5, 3}, {2, 4}, {5, 4}, {2, 5}, {3, 5}, {4, 5}, {5, 5}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, tc.imgW, tc.imgH))
			DrawContours(img, tc.mask, tc.w, tc.h, red)
			want := map[image.Point]bool{}
			for _, p := range tc.want {
				want[p] = true
			}
			for y := range tc.imgH {
				for x := range tc.imgW {
					if drawn := img.RGBAAt(x, y) == red; drawn != want[image.Pt(x, y)] {
						t.Errorf("pixel (%d,%d): drawn %v, want %v", x, y, drawn, want[image.Pt(x, y)])
					}
				}
			}
		})
	}
}
