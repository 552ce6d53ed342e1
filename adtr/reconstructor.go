package adtr

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Reconstruct maps features f [B, H, W, C] to their reconstruction f̂ of the same shape with the
// network selected by cfg.Reconstructor: the ADTR transformer (with the cfg.Query and cfg.Mixer
// ablations) or the CNN encoder–decoder. Weight matrices are initialised Xavier-uniform and biases
// zero (as UniAD); dropout is active only when scope.IsTraining(g). cfg must be valid.
func Reconstruct(scope *model.Scope, cfg *Config, f *Node) *Node {
	if f.Rank() != 4 {
		panic(fmt.Sprintf("adtr.Reconstruct: features %s, want [B,H,W,C]", f.Shape()))
	}
	scope = scope.WithInitializer(initializer.XavierUniformFn(scope))
	switch cfg.Reconstructor {
	case ReconstructorTransformer:
		return reconstructTransformer(scope, cfg, f)
	case ReconstructorCNN:
		return reconstructCNN(scope, cfg, f)
	default:
		panic(fmt.Sprintf("adtr.Reconstruct: unknown reconstructor %q", cfg.Reconstructor))
	}
}

// reconstructCNN is the "CNN reconstructor" ablation (spec §2): a convolutional encoder–decoder of
// width D = cfg.Hidden on the grid,
//
//	1×1 C→D · 3×3 stride 2 · 3×3 (encoder, at H/2) · 3×3 · ×2 nearest upsampling · 3×3 (decoder) · 1×1 D→C,
//
// ReLU after every 3×3 convolution. Each 3×3 convolution (zero padding 1) is an im2col — nine
// shifted copies concatenated on channels — followed by one matrix product, because the Go
// backend's generic convolution is much slower than its matmul.
func reconstructCNN(scope *model.Scope, cfg *Config, f *Node) *Node {
	c := f.Shape().Dim(3)
	x := layers.DenseWithBias(scope.In("input_projection"), f, cfg.Hidden)
	enc := scope.In("encoder")
	x = activation.Relu(downsample2(conv3x3(enc.In("conv_0"), x, cfg.Hidden)))
	x = activation.Relu(conv3x3(enc.In("conv_1"), x, cfg.Hidden))
	dec := scope.In("decoder")
	x = activation.Relu(conv3x3(dec.In("conv_0"), x, cfg.Hidden))
	x = activation.Relu(conv3x3(dec.In("conv_1"), upsample2(x), cfg.Hidden))
	return layers.DenseWithBias(scope.In("output_projection"), x, c)
}

// conv3x3 is a 3×3, stride-1, zero-padded convolution with bias: [B, H, W, Cin] → [B, H, W, out].
func conv3x3(scope *model.Scope, x *Node, out int) *Node {
	patches := make([]*Node, 0, 9)
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			patches = append(patches, shift(shift(x, 1, dy), 2, dx))
		}
	}
	return layers.DenseWithBias(scope, Concatenate(patches, -1), out)
}

// shift returns y with y[..., i, ...] = x[..., i+offset, ...] along axis, zero outside x.
func shift(x *Node, axis, offset int) *Node {
	if offset == 0 {
		return x
	}
	n := x.Shape().Dim(axis)
	zerosShape := x.Shape().Clone()
	zerosShape.Dimensions[axis] = abs(offset)
	zeros := Zeros(x.Graph(), zerosShape)
	specs := make([]SliceAxisSpec, x.Rank())
	for i := range specs {
		specs[i] = AxisRange()
	}
	if offset > 0 {
		specs[axis] = AxisRange(offset, n)
		return Concatenate([]*Node{Slice(x, specs...), zeros}, axis)
	}
	specs[axis] = AxisRange(0, n+offset)
	return Concatenate([]*Node{zeros, Slice(x, specs...)}, axis)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// downsample2 keeps the top-left position of every 2×2 block: [B, H, W, C] → [B, H/2, W/2, C]
// (a stride-2 convolution is a stride-1 one subsampled this way).
func downsample2(x *Node) *Node {
	b, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	x = Reshape(x, b, h/2, 2, w/2, 2, c)
	x = Slice(x, AxisRange(), AxisRange(), AxisElem(0), AxisRange(), AxisElem(0), AxisRange())
	return Reshape(x, b, h/2, w/2, c)
}

// upsample2 repeats every position into a 2×2 block: [B, H, W, C] → [B, 2H, 2W, C].
func upsample2(x *Node) *Node {
	b, h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	x = BroadcastToDims(Reshape(x, b, h, 1, w, 1, c), b, h, 2, w, 2, c)
	return Reshape(x, b, 2*h, 2*w, c)
}
