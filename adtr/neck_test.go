package adtr

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
)

func TestResizeAlignCorners(t *testing.T) {
	x := tensors.FromValue([][][]float32{{{0, 1}, {2, 3}}})
	got, dims := run1(t, func(x *Node) *Node { return Resize(x, 3, 3) }, x)
	assertClose(t, "resize", got, []float64{0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}, 1e-6)
	if dims[1] != 3 || dims[2] != 3 {
		t.Errorf("dims %v", dims)
	}
	// Downsampling 5 → 3 with aligned corners samples positions 0, 2 and 4.
	row := tensors.FromValue([][][]float32{{{10, 11, 12, 13, 14}}})
	got, _ = run1(t, func(x *Node) *Node { return Resize(x, 1, 3) }, row)
	assertClose(t, "downsample", got, []float64{10, 12, 14}, 1e-6)
}

func TestNeckShapeAndChannelOrder(t *testing.T) {
	// Tap 1: 4×4 with 1 channel of 1s; tap 2: 1×1 with 2 channels (5, 7).
	a := tensors.FromFlatDataAndDimensions(make1s(16), 1, 4, 4, 1)
	b := tensors.FromValue([][][][]float32{{{{5, 7}}}})
	got, dims := run1(t, func(a, b *Node) *Node { return Neck([]*Node{a, b}, 2, 2) }, a, b)
	if want := []int{1, 2, 2, 3}; dims[0] != want[0] || dims[1] != want[1] || dims[2] != want[2] || dims[3] != want[3] {
		t.Fatalf("Neck dims %v, want %v", dims, want)
	}
	assertClose(t, "neck", got, []float64{1, 5, 7, 1, 5, 7, 1, 5, 7, 1, 5, 7}, 1e-6)
}

func make1s(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestPixelPatchesLayoutAndInverse(t *testing.T) {
	// A 4×4 RGB image whose value encodes (row, column, channel) = 100·r + 10·c + ch.
	data := make([]float32, 4*4*3)
	for r := range 4 {
		for c := range 4 {
			for ch := range 3 {
				data[(r*4+c)*3+ch] = float32(100*r + 10*c + ch)
			}
		}
	}
	img := tensors.FromFlatDataAndDimensions(data, 1, 4, 4, 3)
	got, dims := run1(t, func(x *Node) *Node { return PixelPatches(x, 2) }, img)
	if dims[1] != 2 || dims[2] != 2 || dims[3] != 12 {
		t.Fatalf("PixelPatches dims %v, want [1 2 2 12]", dims)
	}
	// Cell (1, 0) holds pixels rows 2–3, columns 0–1, in (row, column, channel) order.
	cell := got[(1*2+0)*12 : (1*2+0)*12+12]
	assertClose(t, "cell(1,0)", cell, []float64{200, 201, 202, 210, 211, 212, 300, 301, 302, 310, 311, 312}, 0)
	back, _ := run1(t, func(x *Node) *Node { return UnpackPixelPatches(PixelPatches(x, 2), 2, 3) }, img)
	want := make([]float64, len(data))
	for i, v := range data {
		want[i] = float64(v)
	}
	assertClose(t, "round trip", back, want, 0)
}

// TestResizeMatchesGraphInterpolate cross-checks Resize against GoMLX's own bilinear interpolation
// with aligned corners (which Resize replaces for speed and gradients).
func TestResizeMatchesGraphInterpolate(t *testing.T) {
	x := randomTensor(11, 2, 7, 5, 3)
	for _, size := range [][2]int{{4, 3}, {16, 16}, {7, 9}} {
		got, _ := run1(t, func(x *Node) *Node { return Resize(x, size[0], size[1]) }, x)
		want, _ := run1(t, func(x *Node) *Node {
			return Interpolate(x, -1, size[0], size[1], -1).Bilinear().HalfPixelCenters(false).AlignCorner(true).Done()
		}, x)
		assertClose(t, "resize vs Interpolate", got, want, 1e-5)
	}
}
