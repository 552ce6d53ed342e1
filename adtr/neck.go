package adtr

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
)

// Neck resizes every backbone tap (NHWC, [B, h_i, w_i, C_i]) bilinearly with aligned corners to the
// gridH×gridW feature grid and concatenates them along channels: f ∈ R^{B×gridH×gridW×ΣC_i}
// (spec §1). The result is what training and inference cache and start from.
//
// The resize is two matrix products with constant interpolation matrices (see Resize), not
// graph.Interpolate: that one gathers spans with GatherSlices (slow on the Go backend) and its
// bilinear gradient is documented as broken for axes of size ≤ 3; a matmul is exact, fast and
// differentiable.
func Neck(features []*Node, gridH, gridW int) *Node {
	if len(features) == 0 {
		panic("adtr.Neck: no features")
	}
	resized := make([]*Node, len(features))
	for i, x := range features {
		if x.Rank() != 4 {
			panic(fmt.Sprintf("adtr.Neck: feature %d has shape %s, want NHWC rank 4", i, x.Shape()))
		}
		resized[i] = Resize(x, gridH, gridW)
	}
	return Concatenate(resized, -1)
}

// Resize resizes axes 1 and 2 of x ([B, h, w] or [B, h, w, C]) bilinearly with aligned corners
// (PyTorch's align_corners=True: the corner pixels' centres map onto each other) to [B, H, W(, C)].
// It is the identity for axes that already have the target size.
func Resize(x *Node, height, width int) *Node {
	if x.Rank() != 3 && x.Rank() != 4 {
		panic(fmt.Sprintf("adtr.Resize: shape %s, want [B,h,w] or [B,h,w,C]", x.Shape()))
	}
	suffix := ""
	if x.Rank() == 4 {
		suffix = "c"
	}
	if h := x.Shape().Dim(1); h != height {
		x = Einsum("Hh,bhw"+suffix+"->bHw"+suffix, interpolationMatrix(x.Graph(), x, h, height), x)
	}
	if w := x.Shape().Dim(2); w != width {
		x = Einsum("Ww,bhw"+suffix+"->bhW"+suffix, interpolationMatrix(x.Graph(), x, w, width), x)
	}
	return x
}

// interpolationMatrix is the [out, in] matrix of 1-D linear interpolation with aligned corners,
// as a constant of like's dtype.
func interpolationMatrix(g *Graph, like *Node, in, out int) *Node {
	m := make([]float64, out*in)
	for i := range out {
		if in == 1 {
			m[i] = 1
			continue
		}
		pos := 0.0
		if out > 1 {
			pos = float64(i) * float64(in-1) / float64(out-1)
		}
		lo := min(int(pos), in-2)
		frac := pos - float64(lo)
		m[i*in+lo] += 1 - frac
		m[i*in+lo+1] += frac
	}
	return matrixConst(g, like, m, out, in)
}

// matrixConst returns a [rows, cols] constant holding data, converted to like's dtype.
func matrixConst(g *Graph, like *Node, data []float64, rows, cols int) *Node {
	return ConvertDType(Const(g, tensors.FromFlatDataAndDimensions(data, rows, cols)), like.DType())
}

// PixelPatches is the reconstruction target of Target "pixels": the normalised image
// [B, H_in, W_in, 3] cut into stride×stride patches, each flattened (row, column, RGB order) into
// the channels of one grid cell: [B, H_in/stride, W_in/stride, stride·stride·3] (768 channels for
// stride 16). The model then reconstructs pixels exactly as it reconstructs features; see
// PixelAnomalyMap for the comparison at pixel resolution.
func PixelPatches(img *Node, stride int) *Node {
	b, h, w, c := img.Shape().Dim(0), img.Shape().Dim(1), img.Shape().Dim(2), img.Shape().Dim(3)
	if h%stride != 0 || w%stride != 0 {
		panic(fmt.Sprintf("adtr.PixelPatches: image %dx%d is not divisible by the stride %d", h, w, stride))
	}
	x := Reshape(img, b, h/stride, stride, w/stride, stride, c)
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	return Reshape(x, b, h/stride, w/stride, stride*stride*c)
}

// UnpackPixelPatches inverts PixelPatches: [B, H, W, stride·stride·channels] → [B, H·stride, W·stride, channels].
func UnpackPixelPatches(patches *Node, stride, channels int) *Node {
	b, h, w := patches.Shape().Dim(0), patches.Shape().Dim(1), patches.Shape().Dim(2)
	if patches.Shape().Dim(3) != stride*stride*channels {
		panic(fmt.Sprintf("adtr.UnpackPixelPatches: %s does not hold %d×%d×%d patches", patches.Shape(), stride, stride, channels))
	}
	x := Reshape(patches, b, h, w, stride, stride, channels)
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	return Reshape(x, b, h*stride, w*stride, channels)
}
