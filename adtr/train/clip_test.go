package train

import (
	"math"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
)

func TestClipGlobalNorm(t *testing.T) {
	// Gradients (3, 4) and (12): global norm 13.
	tests := []struct {
		maxNorm float64
		scale   float64
	}{
		{0, 1},                   // off
		{100, 1},                 // below the limit: unchanged
		{6.5, 6.5 / (13 + 1e-6)}, // halved
	}
	for _, tt := range tests {
		out, err := CallOnceN(backend.MustNew(), func(a, b *Node) []*Node {
			return clipGlobalNorm([]*Node{a, b}, tt.maxNorm)
		}, tensors.FromValue([]float64{3, 4}), tensors.FromValue([]float64{12}))
		if err != nil {
			t.Fatal(err)
		}
		got := append(tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1])...)
		for i, want := range []float64{3, 4, 12} {
			if math.Abs(got[i]-want*tt.scale) > 1e-9 {
				t.Errorf("maxNorm %g: gradient %d = %g, want %g", tt.maxNorm, i, got[i], want*tt.scale)
			}
		}
	}
}
