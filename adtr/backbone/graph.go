package backbone

import (
	"slices"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/support/exceptions"
)

// Features returns one NHWC feature map per requested tap (in the order of taps, which must be strictly
// increasing strides from TapStrides) for x, a [B, H, W, 3] float32 batch of ImageNet-normalised RGB
// images. Each map is the raw output of the last block at that stride (before any activation). Only
// the stages up to the deepest tap are built. The weights enter the graph as constants, so nothing
// is trainable and no gradient reaches them.
//
// It panics (the GoMLX graph-building convention) on invalid taps or input shape; validate user input
// with CheckTaps first.
func (b *Backbone) Features(x *Node, taps []int) []*Node {
	if err := b.spec.CheckTaps(taps); err != nil {
		panic(err)
	}
	stages := make([]int, len(taps))
	for i, t := range taps {
		stages[i], _ = b.spec.TapStage(t)
	}
	b.checkInput(x)
	w := b.constants(x.Graph())
	return perImage(x, func(x *Node) []*Node {
		var out []*Node
		b.run(x, w, stages[len(stages)-1], func(stage int, h *Node) {
			if slices.Contains(stages, stage) {
				out = append(out, h)
			}
		})
		return out
	})
}

// perImage applies fn to each image of the batch x separately and concatenates the results along
// the batch axis. Per-image intermediate tensors are small enough to stay in the CPU caches, and the
// independent chains let the Go backend run images in parallel.
func perImage(x *Node, fn func(x *Node) []*Node) []*Node {
	dims := x.Shape().Dimensions
	if dims[0] == 1 {
		return fn(x)
	}
	var parts [][]*Node
	for i := range dims[0] {
		image := GatherSlices(x, []int{0}, Const(x.Graph(), []int32{int32(i)}), []int{1}, true)
		parts = append(parts, fn(Reshape(image, 1, dims[1], dims[2], dims[3])))
	}
	out := make([]*Node, len(parts[0]))
	for j := range out {
		col := make([]*Node, len(parts))
		for i := range parts {
			col[i] = parts[i][j]
		}
		out[j] = Concatenate(col, 0)
	}
	return out
}

// Pooled returns the global image descriptor [B, Head]: the spatial mean of act(bn2(conv_head(·)))
// on the last stage's output (the input of the unused ImageNet classifier).
func (b *Backbone) Pooled(x *Node) *Node {
	b.checkInput(x)
	last := len(b.spec.Stages) - 1
	w := b.constants(x.Graph())
	return perImage(x, func(x *Node) []*Node {
		var top *Node
		b.run(x, w, last, func(stage int, h *Node) {
			if stage == last {
				top = h
			}
		})
		head := pointwise(top, w("conv_head.w"), w("conv_head.b"), b.spec.nonlinearity())
		return []*Node{spatialMean(head)}
	})[0]
}

// checkInput panics unless x is a float32 [B, H, W, 3] batch.
func (b *Backbone) checkInput(x *Node) {
	dims := x.Shape().Dimensions
	if x.DType() != dtypes.Float32 || len(dims) != 4 || dims[3] != 3 {
		exceptions.Panicf("backbone %s: input must be float32 [B, H, W, 3] (NHWC RGB), got %s", b.Name(), x.Shape())
	}
}

// run builds the stem and stages 0..lastStage, calling tap with each stage's output.
func (b *Backbone) run(x *Node, w weights, lastStage int, tap func(stage int, h *Node)) {
	s := b.spec
	act := s.nonlinearity()
	h := convIm2col(x, w("conv_stem.w"), w("conv_stem.b"), b.window(x, 3, 2), act)
	for stage := 0; stage <= lastStage; stage++ {
		for _, blk := range s.Stages[stage] {
			h = b.block(h, w, blk, act)
		}
		tap(stage, h)
	}
}

// block builds one DepthwiseSeparable or InvertedResidual block.
func (b *Backbone) block(x *Node, w weights, blk BlockSpec, act nonlinearity) *Node {
	p := blk.Prefix() + "."
	h := x
	if blk.Kind == InvertedResidual {
		h = pointwise(h, w(p+"conv_pw.w"), w(p+"conv_pw.b"), act)
	}
	h = depthwise(h, w(p+"conv_dw.w"), w(p+"conv_dw.b"), b.window(h, blk.Kernel, blk.Stride), act)
	if blk.SE > 0 {
		h = squeezeExcite(h, w(p+"se.conv_reduce.w"), w(p+"se.conv_reduce.b"),
			w(p+"se.conv_expand.w"), w(p+"se.conv_expand.b"), act)
	}
	proj := "conv_pwl"
	if blk.Kind == DepthwiseSeparable {
		proj = "conv_pw"
	}
	h = pointwise(h, w(p+proj+".w"), w(p+proj+".b"), linear)
	if blk.Residual {
		h = Add(h, x)
	}
	return h
}

// window returns the sliding window of a k×k, stride-s convolution over x [B, H, W, C] with the
// architecture's padding rule.
func (b *Backbone) window(x *Node, kernel, stride int) window {
	dims := x.Shape().Dimensions
	lo, hi := b.spec.padding(dims[1], kernel, stride)
	wlo, whi := b.spec.padding(dims[2], kernel, stride)
	return window{kernel: kernel, stride: stride, padH: [2]int{lo, hi}, padW: [2]int{wlo, whi}}
}

// weights returns a folded weight tensor, by name, as a constant of the graph being built.
type weights func(name string) *Node

// constants returns the weights of b for graph g, creating each constant once (all images of a batch
// share it).
func (b *Backbone) constants(g *Graph) weights {
	nodes := make(map[string]*Node)
	return func(name string) *Node {
		if n, ok := nodes[name]; ok {
			return n
		}
		t, ok := b.params[name]
		if !ok {
			exceptions.Panicf("backbone %s: internal error: no folded parameter %q", b.Name(), name)
		}
		n := ConstTensor(g, t)
		nodes[name] = n
		return n
	}
}
