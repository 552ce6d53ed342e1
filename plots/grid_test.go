package plots

import (
	"image"
	"image/color"
	"testing"
)

func TestGridLayout(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	g := NewGrid(64, "image", "heatmap", "overlay")
	if err := g.AddRow("score 1.23 → anomalous", uniform(image.Rect(0, 0, 32, 32), red), nil, uniform(image.Rect(0, 0, 16, 8), red)); err != nil {
		t.Fatal(err)
	}
	if err := g.AddRow("score 0.40 → normal", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := g.AddRow("too short", nil); err == nil {
		t.Error("AddRow with 1 image for 3 columns: no error")
	}
	img := g.Image()
	// Margins of 8; text 26 high (13-pixel font doubled). Width 8 + 3·(64+8) = 224; height:
	// header 8+26+8 = 42, then per row caption 26 + 4 + cell 64 + 8 = 102.
	if w, h := img.Rect.Dx(), img.Rect.Dy(); w != 224 || h != 42+2*102 {
		t.Fatalf("grid is %d×%d, want 224×246", w, h)
	}
	// Row 0 cells start at y = 42 + 26 + 4 = 72; column 0 at x = 8, column 2 at x = 152.
	for _, tc := range []struct {
		name string
		x, y int
		want color.RGBA
	}{
		{"upscaled cell centre", 8 + 32, 72 + 32, red},
		{"n/a cell corner", 80 + 1, 72 + 1, color.RGBA{230, 230, 230, 255}},
		{"wide image centred: letterbox above", 152 + 32, 72 + 5, color.RGBA{255, 255, 255, 255}},
		{"wide image centred: image", 152 + 32, 72 + 32, red},
		{"gap between columns", 8 + 64 + 4, 72 + 32, color.RGBA{255, 255, 255, 255}},
	} {
		if got := img.RGBAAt(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: pixel (%d,%d) = %v, want %v", tc.name, tc.x, tc.y, got, tc.want)
		}
	}
	if n := darkPixels(img, image.Rect(0, 0, 224, 42)); n == 0 {
		t.Error("no column titles drawn in the header")
	}
	if n := darkPixels(img, image.Rect(0, 42, 224, 72)); n == 0 {
		t.Error("no caption drawn above row 0")
	}

	g.SetColorBar(Jet, 0, 1, "score")
	withBar := g.Image()
	if withBar.Rect.Dx() <= 224 || withBar.Rect.Dy() != 246 {
		t.Errorf("grid with colour bar is %v, want wider than 224 and 246 high", withBar.Rect)
	}
}

// darkPixels counts the pixels of r darker than mid-grey.
func darkPixels(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); int(c.R)+int(c.G)+int(c.B) < 3*128 {
				n++
			}
		}
	}
	return n
}

func TestColorBar(t *testing.T) {
	bar := ColorBar(Viridis, 0, 2, 300, "anomaly score")
	if bar.Rect.Dy() != 300 {
		t.Fatalf("height %d, want 300", bar.Rect.Dy())
	}
	// Layout: label row 8+26, ramp from y = 8+13+26+8 = 55 to 300-8-13 = 279, at x 8..32.
	if got := bar.RGBAAt(20, 55); got != Viridis.At(1) {
		t.Errorf("top of the ramp = %v, want the high colour %v", got, Viridis.At(1))
	}
	if got := bar.RGBAAt(20, 278); got != Viridis.At(0) {
		t.Errorf("bottom of the ramp = %v, want the low colour %v", got, Viridis.At(0))
	}
	if n := darkPixels(bar, image.Rect(40, 0, bar.Rect.Dx(), 300)); n == 0 {
		t.Error("no tick labels drawn")
	}
}
