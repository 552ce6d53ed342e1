package plots

import (
	"image/color"
	"math"
	"testing"
)

func TestHeatmap(t *testing.T) {
	nan := float32(math.NaN())
	// 3×2, row-major: row 0 = vmin, middle, vmax; row 1 = below, above, NaN.
	values := []float32{2, 4, 6, -10, 10, nan}
	img := Heatmap(values, 3, 2, 2, 6, Viridis)
	if b := img.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
		t.Fatalf("bounds %v, want 3×2", b)
	}
	for _, tc := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, Viridis.At(0)}, {1, 0, Viridis.At(0.5)}, {2, 0, Viridis.At(1)},
		{0, 1, Viridis.At(0)}, {1, 1, Viridis.At(1)}, {2, 1, Viridis.At(0)},
	} {
		if got := img.RGBAAt(tc.x, tc.y); got != tc.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	flat := Heatmap([]float32{1, 5}, 2, 1, 3, 3, Jet)
	if flat.RGBAAt(0, 0) != Jet.At(0) || flat.RGBAAt(1, 0) != Jet.At(0) {
		t.Errorf("vmax == vmin: got %v %v, want the low colour", flat.RGBAAt(0, 0), flat.RGBAAt(1, 0))
	}
}

func TestValueRange(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name     string
		maps     [][]float32
		min, max float64
	}{
		{"shared over maps", [][]float32{{3, 1}, {7, float32(math.NaN()), inf}}, 1, 7},
		{"nothing finite", [][]float32{{inf}}, 0, 1},
		{"no map", nil, 0, 1},
	} {
		if lo, hi := ValueRange(tc.maps...); lo != tc.min || hi != tc.max {
			t.Errorf("%s: ValueRange = %v, %v; want %v, %v", tc.name, lo, hi, tc.min, tc.max)
		}
	}
}

func TestMaskImage(t *testing.T) {
	img := MaskImage([]uint8{0, 1, 9, 0}, 2, 2)
	for i, want := range []uint8{0, 255, 255, 0} {
		if got := img.GrayAt(i%2, i/2).Y; got != want {
			t.Errorf("pixel %d = %d, want %d", i, got, want)
		}
	}
}
