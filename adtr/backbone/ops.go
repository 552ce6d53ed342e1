package backbone

import (
	"slices"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/support/exceptions"
)

// This file holds the convolution forms the pure-Go backend runs fast. Its generic ConvGeneral loops
// over single elements (0.3 GFLOP/s for depthwise) and its Slice copies element by element, while
// DotGeneral/FusedDense (SIMD, packed constant weights, ~60 GFLOP/s), the SIMD elementwise ops, Pad
// and Gather (block copies) are fast. So:
//   - a 1×1 convolution is a FusedDense over the channel axis (bias and activation fused);
//   - a k×k stride-s convolution reads its k² input windows as block copies (GatherSlices, which,
//     unlike Pad with negative amounts, does not first fill its output: ~10-15% less CPU for B4) of
//     the zero-padded input reshaped to [B, H/s, s, W/s, s·C], which turns every strided window into
//     rows of contiguous values;
//   - depthwise: the k² windows are multiplied by their per-channel weights and summed (measured
//     against a single grouped Convolve, a fused gather of all windows, and a 2k-copy row/column
//     factorisation: this simplest form was as fast or faster);
//   - dense k×k (the 3-channel stem): the k² windows are concatenated along channels (im2col) and
//     multiplied by the [k²·Cin, Cout] weights in one FusedDense.
// The graph (graph.go) also runs each image of a batch as its own chain, which keeps these
// memory-bound passes in cache.

// nonlinearity is applied by the graph helpers after a convolution and its bias.
type nonlinearity int

const (
	linear nonlinearity = iota
	silu
	relu6
	sigmoid
)

func (s Spec) nonlinearity() nonlinearity {
	if s.Act == ReLU6 {
		return relu6
	}
	return silu
}

// activate applies act to x.
func activate(x *Node, act nonlinearity) *Node {
	switch act {
	case linear:
		return x
	case silu:
		return fusedActivation(x, compute.ActivationSilu, func() *Node { return siluDecomposed(x) })
	case relu6:
		return ClipScalar(x, 0, 6)
	case sigmoid:
		return Sigmoid(x)
	}
	exceptions.Panicf("backbone: unknown nonlinearity %d", act)
	return nil
}

// siluDecomposed is x·sigmoid(x) from primitive ops, for backends without the fused activation.
func siluDecomposed(x *Node) *Node { return Mul(x, Sigmoid(x)) }

// fusedActivation uses the backend's fused activation when it has one.
func fusedActivation(x *Node, act compute.ActivationType, decomposed func() *Node) *Node {
	if be := x.Graph().Backend(); be != nil && be.Capabilities().Operations[compute.OpTypeFusedActivation] {
		return BackendFusedActivation(x, compute.ActivationConfig{Type: act})
	}
	return decomposed()
}

// pointwise is a 1×1 convolution of x [..., Cin] with weights w [Cin, Cout] and bias b [Cout],
// followed by act, as one fused matmul where the backend has it.
func pointwise(x, w, b *Node, act nonlinearity) *Node {
	if be := x.Graph().Backend(); be != nil && be.Capabilities().Operations[compute.OpTypeFusedDense] {
		cfg := compute.DenseConfig{WeightLayout: compute.DenseLayoutInputOutputs}
		switch act {
		case silu:
			cfg.Activation.Type = compute.ActivationSilu
		case relu6:
			cfg.Activation.Type = compute.ActivationRelu
		case sigmoid:
			cfg.Activation.Type = compute.ActivationSigmoid
		}
		y := BackendFusedDense(x, w, b, cfg)
		if act == relu6 {
			y = MinScalar(y, 6)
		}
		return y
	}
	return pointwiseDecomposed(x, w, b, act)
}

// pointwiseDecomposed is pointwise from primitive ops, for backends without FusedDense.
func pointwiseDecomposed(x, w, b *Node, act nonlinearity) *Node {
	y := Dot(x, w).General([]int{x.Rank() - 1}, nil, []int{0}, nil)
	return activate(Add(y, InsertAxes(b, slices.Repeat([]int{0}, x.Rank()-1)...)), act)
}

// window describes the k×k, stride-s sliding window of a convolution over an [B, H, W, C] input.
type window struct {
	kernel, stride int
	// padH and padW are the (low, high) zero padding of the height and width axes.
	padH, padW [2]int
}

// outSize returns the output height and width for an input of height h and width w.
func (win window) outSize(h, w int) (int, int) {
	return (h+win.padH[0]+win.padH[1]-win.kernel)/win.stride + 1,
		(w+win.padW[0]+win.padW[1]-win.kernel)/win.stride + 1
}

// phases zero-pads x [B, H, W, C] for the window and reshapes it to [B, qh, s, qw, s·C], where the
// padded row s·a+p is phases[:, a, p] and the padded column s·b+r is channels [r·C, (r+1)·C) of
// phases[:, :, :, b]. Every strided window of the convolution is then a contiguous block of it.
func (win window) phases(x *Node) (phases *Node, ho, wo int) {
	dims := x.Shape().Dimensions
	if len(dims) != 4 {
		exceptions.Panicf("backbone: window input must be [B, H, W, C], got %s", x.Shape())
	}
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	k, s := win.kernel, win.stride
	ho, wo = win.outSize(h, w)
	if ho < 1 || wo < 1 {
		exceptions.Panicf("backbone: %dx%d input too small for a %dx%d window with padding %v/%v", h, w, k, k, win.padH, win.padW)
	}
	// Rows s·(ho-1)+k-1 of the padded input are read: round the padded size up to a multiple of s.
	qh, qw := ho-1+(k+s-1)/s, wo-1+(k+s-1)/s
	padded := Pad(x, negativeZero(x),
		compute.PadAxis{},
		compute.PadAxis{Start: win.padH[0], End: s*qh - h - win.padH[0]},
		compute.PadAxis{Start: win.padW[0], End: s*qw - w - win.padW[0]})
	return Reshape(padded, b, qh, s, qw, s*c), ho, wo
}

// taps returns the k² input windows of x [B, H, W, C], each shaped [B, Ho, Wo, C], in (row, column)
// order: taps[i*k+j][b, y, x, c] = padded(x)[b, s·y+i, s·x+j, c]. Each is one GatherSlices of the
// phases tensor with a constant start.
func (win window) taps(x *Node) []*Node {
	phases, ho, wo := win.phases(x)
	dims := phases.Shape().Dimensions
	b, c, k, s := dims[0], x.Shape().Dimensions[3], win.kernel, win.stride
	out := make([]*Node, 0, k*k)
	for i := range k {
		for j := range k {
			start := Const(x.Graph(), []int32{int32(i / s), int32(i % s), int32(j / s), int32((j % s) * c)})
			t := GatherSlices(phases, []int{1, 2, 3, 4}, start, []int{ho, 1, wo, c}, true)
			out = append(out, Reshape(t, b, ho, wo, c))
		}
	}
	return out
}

// negativeZero returns the scalar -0.0 of x's dtype, the fill value of every Pad here. It is zero in
// every sum and product, but its bytes are not all zero, which sends the Go backend's Pad to its
// block-copy fill instead of its element-by-element zeroing (measured: ~10% less CPU for B4).
func negativeZero(x *Node) *Node {
	return Neg(ScalarZero(x.Graph(), x.DType()))
}

// depthwise is a depthwise k×k convolution of x [B, H, W, C] with weights w [k², C] (row-major taps),
// plus bias b [C], followed by act: the sum over the k² windows of window·weight.
func depthwise(x, w, b *Node, win window, act nonlinearity) *Node {
	c := x.Shape().Dimensions[3]
	var acc *Node
	for t, tap := range win.taps(x) {
		term := perChannel(Mul, tap, Reshape(Slice(w, AxisElem(t)), c))
		if acc == nil {
			acc = term
		} else {
			acc = Add(acc, term)
		}
	}
	return activate(perChannel(Add, acc, b), act)
}

// perChannel applies op (Mul or Add) to x [B, H, W, C] and the per-channel vector v: [C], or [B, C]
// for per-image values.
//
// The Go backend runs this as a row-broadcast SIMD kernel whose tail load, for a row length that is
// not a multiple of 16, reads a full 16-lane vector past the end of the row: at the end of a buffer
// that ends on a page boundary (e.g. [1, 128, 128, 24]) this faults (SIGSEGV, seen intermittently
// with B4's 24-channel stage). So for such C the rows are made r·C long (a multiple of 16) by viewing
// x as [B, H, W/r, r·C] and tiling v r times; if W is not a multiple of r, v is broadcast to x's shape
// from rank 1 (which the backend keeps as an elementwise op) when it is per-channel only.
func perChannel(op func(x, y *Node) *Node, x, v *Node) *Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	vb := 1
	if v.Rank() == 2 {
		vb = v.Shape().Dimensions[0]
	}
	v = Reshape(v, vb, 1, 1, c)
	if c%16 == 0 {
		return op(x, v)
	}
	r := 16 / gcd(c, 16)
	if w%r == 0 {
		tiled := make([]*Node, r)
		for i := range tiled {
			tiled[i] = v
		}
		return Reshape(op(Reshape(x, b, h, w/r, r*c), Concatenate(tiled, 3)), dims...)
	}
	if vb == 1 {
		return op(x, BroadcastPrefix(Reshape(v, c), b, h, w))
	}
	return op(x, v)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// convIm2col is a dense k×k convolution of x [B, H, W, Cin] with weights w [k²·Cin, Cout] (rows in
// (tap row, tap column, input channel) order) and bias b [Cout], followed by act: the k² windows are
// concatenated along channels and multiplied by w in one matmul.
func convIm2col(x, w, b *Node, win window, act nonlinearity) *Node {
	return pointwise(Concatenate(win.taps(x), -1), w, b, act)
}

// squeezeExcite gates the channels of x [B, H, W, C] by sigmoid(expand(act(reduce(mean_hw(x))))).
func squeezeExcite(x, wReduce, bReduce, wExpand, bExpand *Node, act nonlinearity) *Node {
	pooled := spatialMean(x)
	gate := pointwise(pointwise(pooled, wReduce, bReduce, act), wExpand, bExpand, sigmoid)
	return perChannel(Mul, x, gate)
}

// spatialMean returns the mean over height and width of x [B, H, W, C], shaped [B, C]. A single image
// is reduced as [H·W, C] over its leading axis, which the Go backend runs with its SIMD kernel (a
// reduction of the middle axes takes its generic path).
func spatialMean(x *Node) *Node {
	dims := x.Shape().Dimensions
	if dims[0] != 1 {
		return ReduceMean(x, 1, 2)
	}
	return Reshape(ReduceMean(Reshape(x, dims[1]*dims[2], dims[3]), 0), 1, dims[3])
}
