package adtr

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
)

func TestAnomalyMapL2AndUpsampling(t *testing.T) {
	// Grid 2×1 (H=2, W=1), C=2: d = (3, 4) at the top cell (‖d‖ = 5), 0 at the bottom one.
	f := tensors.FromValue([][][][]float32{{{{3, 4}}, {{1, 1}}}})
	fhat := tensors.FromValue([][][][]float32{{{{0, 0}}, {{1, 1}}}})
	got, dims := run1(t, func(f, fhat *Node) *Node { return AnomalyMap(f, fhat, 3, 2, 0) }, f, fhat)
	if dims[1] != 3 || dims[2] != 2 {
		t.Fatalf("dims %v, want [1 3 2]", dims)
	}
	assertClose(t, "map", got, []float64{5, 5, 2.5, 2.5, 0, 0}, 1e-5)
}

func TestGaussianSmooth(t *testing.T) {
	const n, sigma = 9, 1.0
	w := func(k int) float64 { return math.Exp(-float64(k*k) / (2 * sigma * sigma)) }
	norm := 0.0
	for k := -4; k <= 4; k++ {
		norm += w(k)
	}
	tests := []struct {
		name       string
		deltaAt    int // row = column of the unit impulse
		probe      [2]int
		wantWeight float64
	}{
		// Interior impulse: the response is the outer product of the 1-D kernel.
		{"centre", 4, [2]int{4, 4}, (w(0) / norm) * (w(0) / norm)},
		{"off-centre", 4, [2]int{5, 3}, (w(1) / norm) * (w(1) / norm)},
		// Corner impulse with reflect boundaries: index −1 mirrors onto 0, so out(0) = w0 + w1.
		{"corner", 0, [2]int{0, 0}, ((w(0) + w(1)) / norm) * ((w(0) + w(1)) / norm)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]float64, n*n)
			data[tt.deltaAt*n+tt.deltaAt] = 1
			x := tensors.FromFlatDataAndDimensions(data, 1, n, n)
			got, _ := run1(t, func(x *Node) *Node { return GaussianSmooth(x, sigma) }, x)
			if v := got[tt.probe[0]*n+tt.probe[1]]; math.Abs(v-tt.wantWeight) > 1e-12 {
				t.Errorf("response at %v = %g, want %g", tt.probe, v, tt.wantWeight)
			}
			sum := 0.0
			for _, v := range got {
				sum += v
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("smoothing does not preserve mass: %g", sum)
			}
		})
	}
}

func TestImageScore(t *testing.T) {
	// 4×4 map: a single 8 at (0, 0) and 2s on the 2×2 block at rows 2–3, columns 2–3.
	m := tensors.FromValue([][][]float32{{
		{8, 0, 0, 0},
		{0, 0, 0, 0},
		{0, 0, 2, 2},
		{0, 0, 2, 2},
	}})
	tests := []struct {
		rule string
		want float64
	}{
		{ScoreMax, 8},
		{ScoreMean, 16.0 / 16},
		{ScorePooledMax, 2}, // window 2: the 2-block averages 2, the isolated 8 only 8/4.
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			got, dims := run1(t, func(x *Node) *Node { return ImageScore(x, tt.rule, 2) }, m)
			if len(dims) != 1 || dims[0] != 1 {
				t.Fatalf("dims %v, want [1]", dims)
			}
			assertClose(t, tt.rule, got, []float64{tt.want}, 1e-6)
		})
	}
}
