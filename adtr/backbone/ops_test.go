package backbone

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
)

func randomTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	data := make([]float32, shapeSize(dims))
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// referenceConv is graph.Convolve (NHWC, kernel [k, k, Cin/groups, Cout]) plus bias.
func referenceConv(x, kernel, bias *Node, win window, groups int) *Node {
	y := Convolve(x, kernel).ChannelGroupCount(groups).StridePerAxis(win.stride, win.stride).
		PaddingPerDim([][2]int{win.padH, win.padW}).Done()
	return Add(y, Reshape(bias, 1, 1, 1, bias.Shape().Dimensions[0]))
}

func assertClose(t *testing.T, name string, got, want *tensors.Tensor) {
	t.Helper()
	if !got.Shape().Equal(want.Shape()) {
		t.Fatalf("%s: shape %s, want %s", name, got.Shape(), want.Shape())
	}
	g, w := tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](want)
	for i := range g {
		if d := math.Abs(float64(g[i] - w[i])); d > 1e-4+1e-4*math.Abs(float64(w[i])) {
			t.Fatalf("%s: element %d: got %g, want %g", name, i, g[i], w[i])
		}
	}
}

func TestDepthwiseMatchesConvolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	be := backend.MustNew()
	for _, tc := range []struct {
		h, w, c, k, s int
		same          bool
	}{
		{8, 8, 5, 3, 1, false}, {8, 8, 5, 3, 2, false}, {9, 7, 4, 5, 1, false}, {9, 7, 4, 5, 2, false},
		{8, 8, 3, 3, 2, true}, {9, 10, 3, 5, 2, true}, {7, 7, 2, 3, 1, true}, {2, 2, 3, 5, 2, true},
	} {
		name := fmt.Sprintf("%dx%dx%d_k%d_s%d_same%v", tc.h, tc.w, tc.c, tc.k, tc.s, tc.same)
		t.Run(name, func(t *testing.T) {
			spec := Spec{SamePadding: tc.same}
			lo, hi := spec.padding(tc.h, tc.k, tc.s)
			wlo, whi := spec.padding(tc.w, tc.k, tc.s)
			win := window{kernel: tc.k, stride: tc.s, padH: [2]int{lo, hi}, padW: [2]int{wlo, whi}}
			x := randomTensor(rng, 2, tc.h, tc.w, tc.c)
			w := randomTensor(rng, tc.k*tc.k, tc.c)
			b := randomTensor(rng, tc.c)
			got := MustExecOnce(be, func(x, w, b *Node) *Node { return depthwise(x, w, b, win, linear) }, x, w, b)
			want := MustExecOnce(be, func(x, w, b *Node) *Node {
				return referenceConv(x, Reshape(w, tc.k, tc.k, 1, tc.c), b, win, tc.c)
			}, x, w, b)
			assertClose(t, name, got, want)
		})
	}
}

func TestIm2colMatchesConvolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	be := backend.MustNew()
	for _, tc := range []struct{ h, w, cin, cout, k, s, pad int }{
		{16, 16, 3, 8, 3, 2, 1}, {15, 17, 3, 8, 3, 2, 1}, {8, 8, 4, 6, 3, 1, 1}, {9, 9, 2, 5, 5, 2, 2}, {6, 6, 3, 4, 1, 1, 0},
	} {
		name := fmt.Sprintf("%dx%dx%d_to_%d_k%d_s%d", tc.h, tc.w, tc.cin, tc.cout, tc.k, tc.s)
		t.Run(name, func(t *testing.T) {
			win := window{kernel: tc.k, stride: tc.s, padH: [2]int{tc.pad, tc.pad}, padW: [2]int{tc.pad, tc.pad}}
			x := randomTensor(rng, 2, tc.h, tc.w, tc.cin)
			w := randomTensor(rng, tc.k*tc.k*tc.cin, tc.cout)
			b := randomTensor(rng, tc.cout)
			got := MustExecOnce(be, func(x, w, b *Node) *Node { return convIm2col(x, w, b, win, linear) }, x, w, b)
			want := MustExecOnce(be, func(x, w, b *Node) *Node {
				return referenceConv(x, Reshape(w, tc.k, tc.k, tc.cin, tc.cout), b, win, 1)
			}, x, w, b)
			assertClose(t, name, got, want)
		})
	}
}

func TestActivations(t *testing.T) {
	be := backend.MustNew()
	x := tensors.FromValue([]float32{-8, -1, 0, 0.5, 3, 7})
	for _, tc := range []struct {
		act  nonlinearity
		want func(float64) float64
	}{
		{silu, func(v float64) float64 { return v / (1 + math.Exp(-v)) }},
		{relu6, func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }},
		{sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{linear, func(v float64) float64 { return v }},
	} {
		// Through activate, the fused pointwise epilogue and the decomposed pointwise (identity
		// weights, zero bias), and the decomposed SiLU.
		viaActivate := MustExecOnce(be, func(x *Node) *Node { return activate(x, tc.act) }, x)
		viaPointwise := MustExecOnce(be, func(x *Node) *Node {
			g := x.Graph()
			return Reshape(pointwise(Reshape(x, 1, 6, 1), Const(g, [][]float32{{1}}), Const(g, []float32{0}), tc.act), 6)
		}, x)
		viaDecomposed := MustExecOnce(be, func(x *Node) *Node {
			g := x.Graph()
			return Reshape(pointwiseDecomposed(Reshape(x, 1, 6, 1), Const(g, [][]float32{{1}}), Const(g, []float32{0}), tc.act), 6)
		}, x)
		paths := [][]float32{tensors.MustCopyFlatData[float32](viaActivate), tensors.MustCopyFlatData[float32](viaPointwise),
			tensors.MustCopyFlatData[float32](viaDecomposed)}
		if tc.act == silu {
			paths = append(paths, tensors.MustCopyFlatData[float32](MustExecOnce(be, siluDecomposed, x)))
		}
		in := tensors.MustCopyFlatData[float32](x)
		for i, got := range paths {
			for j, v := range in {
				if want := tc.want(float64(v)); math.Abs(float64(got[j])-want) > 1e-5 {
					t.Errorf("activation %d path %d at %g: got %g, want %g", tc.act, i, v, got[j], want)
				}
			}
		}
	}
}
