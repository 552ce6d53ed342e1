package adtr

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// run1 builds and runs fn on the inputs once and returns its output's flat float64 data.
func run1[F graph.ExecGraphFnOneOutput](t *testing.T, fn F, args ...any) ([]float64, []int) {
	t.Helper()
	out, err := graph.CallOnce(backend.MustNew(), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return flat64(t, out), out.Shape().Dimensions
}

// flat64 returns a float32 or float64 tensor's data as float64.
func flat64(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	var out []float64
	x.MustConstFlatData(func(flat any) {
		switch v := flat.(type) {
		case []float32:
			for _, f := range v {
				out = append(out, float64(f))
			}
		case []float64:
			out = append(out, v...)
		default:
			t.Fatalf("unexpected dtype %s", x.DType())
		}
	})
	return out
}

// randomTensor returns a float32 tensor with the given dimensions and N(0,1) entries from a fixed seed.
func randomTensor(seed uint64, dims ...int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// assertClose fails when got and want differ by more than tol (absolute) at any index.
func assertClose(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s[%d] = %g, want %g (tol %g); got %v", name, i, got[i], want[i], tol, got)
		}
	}
}
