package backbone

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// convLayout is the layout fold writes a convolution's weights in.
type convLayout int

const (
	// layoutDense is [k²·Cin, Cout], rows in (tap row, tap column, input channel) order; for 1×1
	// convolutions simply [Cin, Cout].
	layoutDense convLayout = iota
	// layoutDepthwise is [k², C], rows in (tap row, tap column) order.
	layoutDepthwise
)

// fold merges every BatchNorm into its convolution and converts the weights to graph layouts:
// params["<conv>.w"] and params["<conv>.b"] for conv_stem, conv_head and each block's convolutions
// (named after the convolution, e.g. "blocks.1.0.conv_dw"), plus the SE convolutions' own weights and
// biases ("blocks.1.0.se.conv_reduce.w", ...). With scale = γ/√(var+eps): w' = w·scale per output
// channel, b' = β − mean·scale.
func fold(spec Spec, raw map[string]*tensors.Tensor) (map[string]*tensors.Tensor, error) {
	params := make(map[string]*tensors.Tensor)
	var err error
	add := func(conv, bn string, layout convLayout) {
		if err == nil {
			err = foldConv(params, raw, conv, bn, layout, spec.BNEps)
		}
	}
	addSE := func(name string) {
		if err == nil {
			err = foldConv(params, raw, name, "", layoutDense, 0)
		}
	}
	add("conv_stem", "bn1", layoutDense)
	for _, b := range spec.Blocks() {
		p := b.Prefix() + "."
		if b.Kind == InvertedResidual {
			add(p+"conv_pw", p+"bn1", layoutDense)
			add(p+"conv_dw", p+"bn2", layoutDepthwise)
			add(p+"conv_pwl", p+"bn3", layoutDense)
		} else {
			add(p+"conv_dw", p+"bn1", layoutDepthwise)
			add(p+"conv_pw", p+"bn2", layoutDense)
		}
		if b.SE > 0 {
			addSE(p + "se.conv_reduce")
			addSE(p + "se.conv_expand")
		}
	}
	add("conv_head", "bn2", layoutDense)
	if err != nil {
		return nil, err
	}
	return params, nil
}

// foldConv folds BatchNorm bn (none when bn == "": the convolution's own bias is used) into conv.
func foldConv(params, raw map[string]*tensors.Tensor, conv, bn string, layout convLayout, eps float64) error {
	wt := raw[conv+".weight"]
	if wt == nil {
		return fmt.Errorf("missing tensor %q", conv+".weight")
	}
	dims := wt.Shape().Dimensions
	out, in, kh, kw := dims[0], dims[1], dims[2], dims[3]
	w, err := tensors.CopyFlatData[float32](wt)
	if err != nil {
		return fmt.Errorf("tensor %q: %w", conv+".weight", err)
	}
	scale := make([]float64, out)
	shift := make([]float64, out)
	if bn == "" {
		bias, err := vector(raw, conv+".bias", out)
		if err != nil {
			return err
		}
		for o := range out {
			scale[o], shift[o] = 1, float64(bias[o])
		}
	} else {
		var v [4][]float32
		for i, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			if v[i], err = vector(raw, bn+"."+p, out); err != nil {
				return err
			}
		}
		for o := range out {
			scale[o] = float64(v[0][o]) / math.Sqrt(float64(v[3][o])+eps)
			shift[o] = float64(v[1][o]) - float64(v[2][o])*scale[o]
		}
	}
	taps := kh * kw
	folded := make([]float32, len(w))
	var shape []int
	for o := range out {
		for c := range in {
			for t := range taps {
				x := float32(float64(w[(o*in+c)*taps+t]) * scale[o])
				if layout == layoutDepthwise {
					folded[t*out+o] = x // in == 1
				} else {
					folded[(t*in+c)*out+o] = x
				}
			}
		}
	}
	if layout == layoutDepthwise {
		if in != 1 {
			return fmt.Errorf("tensor %q: depthwise weights must have 1 input channel per group, got %v", conv+".weight", dims)
		}
		shape = []int{taps, out}
	} else {
		shape = []int{taps * in, out}
	}
	b := make([]float32, out)
	for o := range out {
		b[o] = float32(shift[o])
	}
	params[conv+".w"] = tensors.FromFlatDataAndDimensions(folded, shape...)
	params[conv+".b"] = tensors.FromFlatDataAndDimensions(b, out)
	return nil
}

func vector(raw map[string]*tensors.Tensor, name string, size int) ([]float32, error) {
	t := raw[name]
	if t == nil {
		return nil, fmt.Errorf("missing tensor %q", name)
	}
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	if len(v) != size {
		return nil, fmt.Errorf("tensor %q has %d values, want %d", name, len(v), size)
	}
	return v, nil
}
