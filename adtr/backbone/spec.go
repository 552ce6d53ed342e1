// Package backbone implements the frozen CNN feature extractors of goadtr (timm's EfficientNet B0–B7,
// their tf_ variants and MobileNetV2 1.0) as GoMLX graphs over NHWC float32 images, with the
// convolutions rewritten into the forms the pure-Go backend runs fast (1×1 convolutions as matrix
// multiplications, k×k and depthwise convolutions as shifted copies).
package backbone

import (
	"fmt"
	"math"
	"strings"
)

// Activation is the nonlinearity used inside a network.
type Activation int

const (
	// SiLU is x·sigmoid(x) (a.k.a. swish), used by EfficientNet.
	SiLU Activation = iota
	// ReLU6 is min(max(x, 0), 6), used by MobileNetV2.
	ReLU6
)

// String returns the activation's name.
func (a Activation) String() string {
	switch a {
	case SiLU:
		return "silu"
	case ReLU6:
		return "relu6"
	default:
		return fmt.Sprintf("Activation(%d)", int(a))
	}
}

// BlockKind is the type of a network block.
type BlockKind int

const (
	// DepthwiseSeparable is timm's "ds" block: conv_dw+bn1+act, optional SE, conv_pw+bn2 (linear).
	DepthwiseSeparable BlockKind = iota
	// InvertedResidual is timm's "ir" (MBConv) block: conv_pw+bn1+act, conv_dw+bn2+act, optional SE,
	// conv_pwl+bn3 (linear).
	InvertedResidual
)

// BlockSpec describes one block of a network.
type BlockSpec struct {
	// Kind is the block type.
	Kind BlockKind
	// Stage and Index locate the block: its tensors are named "blocks.<Stage>.<Index>.*".
	Stage, Index int
	// In, Mid and Out are the input, expanded (depthwise) and output channel counts. For a
	// DepthwiseSeparable block Mid == In.
	In, Mid, Out int
	// Kernel is the depthwise kernel size, Stride its stride.
	Kernel, Stride int
	// SE is the squeeze-excitation reduced channel count; 0 means no SE.
	SE int
	// Residual is true when the block input is added to its output (stride 1 and In == Out).
	Residual bool
}

// Prefix returns the tensor-name prefix of the block, e.g. "blocks.3.2".
func (b BlockSpec) Prefix() string { return fmt.Sprintf("blocks.%d.%d", b.Stage, b.Index) }

// Spec is a complete architecture description, enough to list every tensor, build the graph and
// count parameters and FLOPs.
type Spec struct {
	// Name is the architecture name, e.g. "efficientnet_b4".
	Name string
	// Stem and Head are the stem and head (conv_head) channel counts.
	Stem, Head int
	// Stages holds the blocks of each stage.
	Stages [][]BlockSpec
	// Act is the activation of the stem, expansion, depthwise, SE-reduce and head convolutions.
	Act Activation
	// BNEps is the BatchNorm epsilon (1e-5 for timm's efficientnet_* and mobilenetv2, 1e-3 for tf_*).
	BNEps float64
	// SamePadding selects TensorFlow "SAME" padding (asymmetric, from input size, stride and kernel)
	// for every k×k convolution; otherwise the padding is the symmetric (k-1)/2.
	SamePadding bool
	// NumClasses is the size of the (unused) ImageNet classifier, counted by ParamCount.
	NumClasses int
}

// tapStrides are the strides of the available feature taps, in order.
var tapStrides = []int{2, 4, 8, 16, 32}

// TapStrides returns the strides of the available feature taps, in order: 2, 4, 8, 16, 32.
func (s Spec) TapStrides() []int { return append([]int(nil), tapStrides...) }

// EfficientNetConfig describes an EfficientNet variant built by compound scaling of B0's block recipe,
// following timm's rules.
type EfficientNetConfig struct {
	// Name labels the variant (e.g. "efficientnet_tiny").
	Name string
	// Width multiplies every channel count (channels are rounded to multiples of 8, at least 8 and at
	// least 90% of the scaled value). Default (0): 1.
	Width float64
	// Depth multiplies every stage's block count (rounded up). Default (0): 1.
	Depth float64
	// TF selects the tf_efficientnet variant: TensorFlow SAME padding and BatchNorm eps 1e-3 instead
	// of symmetric padding and eps 1e-5.
	TF bool
}

// efficientNetB0 is timm's EfficientNet arch_def: kind, repeats, kernel, stride, expansion, out channels.
// Every block has squeeze-excitation with ratio 0.25 of the block input channels.
var efficientNetB0 = []stageRecipe{
	{DepthwiseSeparable, 1, 3, 1, 1, 16},
	{InvertedResidual, 2, 3, 2, 6, 24},
	{InvertedResidual, 2, 5, 2, 6, 40},
	{InvertedResidual, 3, 3, 2, 6, 80},
	{InvertedResidual, 3, 5, 1, 6, 112},
	{InvertedResidual, 4, 5, 2, 6, 192},
	{InvertedResidual, 1, 3, 1, 6, 320},
}

// mobileNetV2 is timm's mobilenetv2_100 arch_def (no SE).
var mobileNetV2 = []stageRecipe{
	{DepthwiseSeparable, 1, 3, 1, 1, 16},
	{InvertedResidual, 2, 3, 2, 6, 24},
	{InvertedResidual, 3, 3, 2, 6, 32},
	{InvertedResidual, 4, 3, 2, 6, 64},
	{InvertedResidual, 3, 3, 1, 6, 96},
	{InvertedResidual, 3, 3, 2, 6, 160},
	{InvertedResidual, 1, 3, 1, 6, 320},
}

type stageRecipe struct {
	kind                           BlockKind
	repeats, kernel, stride, expan int
	out                            int
}

// efficientNetScales are the (width, depth) compound-scaling coefficients of B0..B7.
var efficientNetScales = [8][2]float64{
	{1.0, 1.0}, {1.0, 1.1}, {1.1, 1.2}, {1.2, 1.4}, {1.4, 1.8}, {1.6, 2.2}, {1.8, 2.6}, {2.0, 3.1},
}

// Names lists the architectures SpecByName knows.
func Names() []string {
	var names []string
	for _, prefix := range []string{"efficientnet_b", "tf_efficientnet_b"} {
		for i := range efficientNetScales {
			names = append(names, fmt.Sprintf("%s%d", prefix, i))
		}
	}
	return append(names, "efficientnet_tiny", "mobilenetv2_100")
}

// SpecByName returns the architecture of "efficientnet_b0".."efficientnet_b7",
// "tf_efficientnet_b0".."tf_efficientnet_b7", "mobilenetv2_100", or "efficientnet_tiny" (B0's recipe
// at width 0.25 and depth 0.5, the test fixture's network).
func SpecByName(name string) (Spec, error) {
	switch name {
	case "mobilenetv2_100":
		return newMobileNetV2Spec(), nil
	case "efficientnet_tiny":
		return NewEfficientNetSpec(EfficientNetConfig{Name: name, Width: 0.25, Depth: 0.5})
	}
	tf := strings.HasPrefix(name, "tf_")
	rest := strings.TrimPrefix(name, "tf_")
	if s, ok := strings.CutPrefix(rest, "efficientnet_b"); ok && len(s) == 1 && s[0] >= '0' && s[0] <= '7' {
		scale := efficientNetScales[s[0]-'0']
		return NewEfficientNetSpec(EfficientNetConfig{Name: name, Width: scale[0], Depth: scale[1], TF: tf})
	}
	return Spec{}, fmt.Errorf("backbone: unknown architecture %q (known: %s)", name, strings.Join(Names(), ", "))
}

// NewEfficientNetSpec builds an EfficientNet architecture from B0's recipe with timm's compound
// scaling: channels round_channels(c·width) with divisor 8, stage repeats ceil(n·depth), stem
// round_channels(32), head round_channels(1280), SE reduction round(mid·0.25/expansion).
func NewEfficientNetSpec(cfg EfficientNetConfig) (Spec, error) {
	width, depth := cfg.Width, cfg.Depth
	if width == 0 {
		width = 1
	}
	if depth == 0 {
		depth = 1
	}
	if width < 0 || depth < 0 || math.IsNaN(width) || math.IsNaN(depth) {
		return Spec{}, fmt.Errorf("backbone: efficientnet %q: width %g and depth %g must be positive", cfg.Name, width, depth)
	}
	name := cfg.Name
	if name == "" {
		name = fmt.Sprintf("efficientnet_w%g_d%g", width, depth)
	}
	round := func(c int) int { return makeDivisible(float64(c) * width) }
	spec := Spec{Name: name, Stem: round(32), Head: round(1280), Act: SiLU, BNEps: 1e-5, NumClasses: 1000}
	if cfg.TF {
		spec.BNEps, spec.SamePadding = 1e-3, true
	}
	spec.Stages = buildStages(efficientNetB0, spec.Stem, round, depth, 0.25)
	return spec, nil
}

func newMobileNetV2Spec() Spec {
	spec := Spec{Name: "mobilenetv2_100", Stem: 32, Head: 1280, Act: ReLU6, BNEps: 1e-5, NumClasses: 1000}
	spec.Stages = buildStages(mobileNetV2, spec.Stem, func(c int) int { return makeDivisible(float64(c)) }, 1, 0)
	return spec
}

// buildStages expands a recipe into blocks. seRatio 0 disables squeeze-excitation.
func buildStages(recipe []stageRecipe, stem int, roundChannels func(int) int, depth, seRatio float64) [][]BlockSpec {
	stages := make([][]BlockSpec, len(recipe))
	in := stem
	for s, r := range recipe {
		out := roundChannels(r.out)
		repeats := max(1, int(math.Ceil(float64(r.repeats)*depth)))
		for j := range repeats {
			b := BlockSpec{Kind: r.kind, Stage: s, Index: j, In: in, Out: out, Kernel: r.kernel, Stride: 1}
			if j == 0 {
				b.Stride = r.stride
			}
			b.Mid = in
			if r.kind == InvertedResidual {
				b.Mid = makeDivisible(float64(in * r.expan))
			}
			if seRatio > 0 {
				// timm: SqueezeExcite(mid, rd_ratio=se_ratio/exp_ratio), rd = round(mid*rd_ratio).
				b.SE = int(math.RoundToEven(float64(b.Mid) * (seRatio / float64(r.expan))))
			}
			b.Residual = b.Stride == 1 && b.In == b.Out
			stages[s] = append(stages[s], b)
			in = out
		}
	}
	return stages
}

// makeDivisible is timm's make_divisible(v, divisor=8, min_value=None, round_limit=0.9).
func makeDivisible(v float64) int {
	const divisor = 8
	n := max(divisor, int(v+divisor/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// Blocks returns all blocks in order.
func (s Spec) Blocks() []BlockSpec {
	var blocks []BlockSpec
	for _, st := range s.Stages {
		blocks = append(blocks, st...)
	}
	return blocks
}

// TapStage returns the index of the stage whose output is the feature tap at the given stride: the
// last stage whose cumulative stride (stem 2 × block strides) equals it.
func (s Spec) TapStage(stride int) (int, error) {
	found := -1
	cum := 2
	for i, st := range s.Stages {
		for _, b := range st {
			cum *= b.Stride
		}
		if cum == stride {
			found = i
		}
	}
	if found < 0 {
		return 0, fmt.Errorf("backbone: %s has no feature tap at stride %d (available: %v)", s.Name, stride, tapStrides)
	}
	return found, nil
}

// CheckTaps verifies that taps is a non-empty, strictly increasing list of available strides.
func (s Spec) CheckTaps(taps []int) error {
	if len(taps) == 0 {
		return fmt.Errorf("backbone: %s: no feature taps requested (available strides: %v)", s.Name, tapStrides)
	}
	for i, t := range taps {
		if i > 0 && t <= taps[i-1] {
			return fmt.Errorf("backbone: %s: taps %v must be strictly increasing strides", s.Name, taps)
		}
		if _, err := s.TapStage(t); err != nil {
			return err
		}
	}
	return nil
}

// Channels returns the channel count of each requested tap. It panics on an invalid tap (see CheckTaps).
func (s Spec) Channels(taps []int) []int {
	ch := make([]int, len(taps))
	for i, t := range taps {
		stage, err := s.TapStage(t)
		if err != nil {
			panic(err)
		}
		st := s.Stages[stage]
		ch[i] = st[len(st)-1].Out
	}
	return ch
}

// TensorSpec names one weight tensor and its PyTorch-layout shape.
type TensorSpec struct {
	// Name is the timm tensor name.
	Name string
	// Shape is the stored shape, e.g. [out, in/groups, kh, kw] for convolutions.
	Shape []int
}

// Tensors lists every tensor the network needs (classifier excluded), in network order.
func (s Spec) Tensors() []TensorSpec {
	var ts []TensorSpec
	conv := func(name string, out, in, k int) { ts = append(ts, TensorSpec{name + ".weight", []int{out, in, k, k}}) }
	bn := func(name string, c int) {
		for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			ts = append(ts, TensorSpec{name + "." + p, []int{c}})
		}
	}
	se := func(p string, b BlockSpec) {
		if b.SE == 0 {
			return
		}
		conv(p+".se.conv_reduce", b.SE, b.Mid, 1)
		ts = append(ts, TensorSpec{p + ".se.conv_reduce.bias", []int{b.SE}})
		conv(p+".se.conv_expand", b.Mid, b.SE, 1)
		ts = append(ts, TensorSpec{p + ".se.conv_expand.bias", []int{b.Mid}})
	}
	conv("conv_stem", s.Stem, 3, 3)
	bn("bn1", s.Stem)
	for _, b := range s.Blocks() {
		p := b.Prefix()
		switch b.Kind {
		case DepthwiseSeparable:
			conv(p+".conv_dw", b.Mid, 1, b.Kernel)
			bn(p+".bn1", b.Mid)
			se(p, b)
			conv(p+".conv_pw", b.Out, b.Mid, 1)
			bn(p+".bn2", b.Out)
		case InvertedResidual:
			conv(p+".conv_pw", b.Mid, b.In, 1)
			bn(p+".bn1", b.Mid)
			conv(p+".conv_dw", b.Mid, 1, b.Kernel)
			bn(p+".bn2", b.Mid)
			se(p, b)
			conv(p+".conv_pwl", b.Out, b.Mid, 1)
			bn(p+".bn3", b.Out)
		}
	}
	conv("conv_head", s.Head, s.Stages[len(s.Stages)-1][len(s.Stages[len(s.Stages)-1])-1].Out, 1)
	bn("bn2", s.Head)
	return ts
}

// ParamCount returns the number of trainable parameters as PyTorch counts them (BatchNorm running
// statistics excluded), including the NumClasses-way linear classifier on the head features.
func (s Spec) ParamCount() int {
	n := 0
	for _, t := range s.Tensors() {
		if strings.HasSuffix(t.Name, ".running_mean") || strings.HasSuffix(t.Name, ".running_var") {
			continue
		}
		size := 1
		for _, d := range t.Shape {
			size *= d
		}
		n += size
	}
	return n + s.Head*s.NumClasses + s.NumClasses
}

// convOut is the output size of a convolution along one axis with the spec's padding rule.
func (s Spec) convOut(in, kernel, stride int) int {
	lo, hi := s.padding(in, kernel, stride)
	return (in+lo+hi-kernel)/stride + 1
}

// padding returns the (low, high) zero padding of a k×k convolution along one axis.
func (s Spec) padding(in, kernel, stride int) (lo, hi int) {
	if s.SamePadding {
		return SamePadding(in, kernel, stride)
	}
	return (kernel - 1) / 2, (kernel - 1) / 2
}

// SamePadding returns TensorFlow's "SAME" padding (low, high) along one axis of size in for the given
// kernel and stride: the output has ceil(in/stride) elements and the extra padding element, if the
// total is odd, goes to the high side.
func SamePadding(in, kernel, stride int) (lo, hi int) {
	out := (in + stride - 1) / stride
	total := max((out-1)*stride+kernel-in, 0)
	return total / 2, total - total/2
}

// FeatureMACs returns the multiply-accumulate count of the convolutions (stem and blocks, SE
// included) that Features runs for one height×width image when its deepest tap is at stride deepestTap.
func (s Spec) FeatureMACs(height, width, deepestTap int) (int64, error) {
	last, err := s.TapStage(deepestTap)
	if err != nil {
		return 0, err
	}
	macs, _, _ := s.macs(height, width, last)
	return macs, nil
}

// PooledMACs returns the multiply-accumulate count of every convolution, head included, that Pooled
// runs for one height×width image.
func (s Spec) PooledMACs(height, width int) int64 {
	lastStage := s.Stages[len(s.Stages)-1]
	macs, h, w := s.macs(height, width, len(s.Stages)-1)
	return macs + int64(h*w)*int64(lastStage[len(lastStage)-1].Out*s.Head)
}

// macs counts stem and block MACs through stage last and returns the final spatial size.
func (s Spec) macs(height, width, last int) (macs int64, h, w int) {
	h, w = s.convOut(height, 3, 2), s.convOut(width, 3, 2)
	macs += int64(h*w) * int64(9*3*s.Stem)
	for _, st := range s.Stages[:last+1] {
		for _, b := range st {
			if b.Kind == InvertedResidual {
				macs += int64(h*w) * int64(b.In*b.Mid)
			}
			h, w = s.convOut(h, b.Kernel, b.Stride), s.convOut(w, b.Kernel, b.Stride)
			macs += int64(h*w) * int64(b.Kernel*b.Kernel*b.Mid)
			macs += int64(2 * b.Mid * b.SE)
			macs += int64(h*w) * int64(b.Mid*b.Out)
		}
	}
	return macs, h, w
}
