package backbone

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
)

func TestSpecChannelsAndParams(t *testing.T) {
	all := []int{2, 4, 8, 16, 32}
	for _, tc := range []struct {
		name       string
		channels   []int
		stem, head int
		repeats    []int
		// params is the published PyTorch parameter count (classifier included), 0 when not checked:
		// torchvision's efficientnet_b4 (the same network as timm's, "19.34 M") lists num_params
		// 19341616; timm/torchvision mobilenetv2_100: 3504872.
		params int
	}{
		{"efficientnet_b0", []int{16, 24, 40, 112, 320}, 32, 1280, []int{1, 2, 2, 3, 3, 4, 1}, 5288548},
		{"efficientnet_b4", []int{24, 32, 56, 160, 448}, 48, 1792, []int{2, 4, 4, 6, 6, 8, 2}, 19341616},
		{"tf_efficientnet_b4", []int{24, 32, 56, 160, 448}, 48, 1792, []int{2, 4, 4, 6, 6, 8, 2}, 19341616},
		{"efficientnet_b7", []int{32, 48, 80, 224, 640}, 64, 2560, []int{4, 7, 7, 10, 10, 13, 4}, 66347960},
		{"mobilenetv2_100", []int{16, 24, 32, 96, 320}, 32, 1280, []int{1, 2, 3, 4, 3, 3, 1}, 3504872},
		{"efficientnet_tiny", []int{8, 8, 16, 32, 80}, 8, 320, []int{1, 1, 1, 2, 2, 2, 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SpecByName(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Channels(all); !slices.Equal(got, tc.channels) {
				t.Errorf("Channels = %v, want %v", got, tc.channels)
			}
			var repeats []int
			for _, st := range s.Stages {
				repeats = append(repeats, len(st))
			}
			if s.Stem != tc.stem || s.Head != tc.head || !slices.Equal(repeats, tc.repeats) {
				t.Errorf("stem %d head %d repeats %v, want %d %d %v", s.Stem, s.Head, repeats, tc.stem, tc.head, tc.repeats)
			}
			if tc.params != 0 && s.ParamCount() != tc.params {
				t.Errorf("ParamCount = %d, want %d", s.ParamCount(), tc.params)
			}
		})
	}
}

func TestSpecVariants(t *testing.T) {
	tf, err := SpecByName("tf_efficientnet_b3")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := SpecByName("efficientnet_b3")
	if err != nil {
		t.Fatal(err)
	}
	if !tf.SamePadding || tf.BNEps != 1e-3 || pt.SamePadding || pt.BNEps != 1e-5 || pt.Act != SiLU {
		t.Errorf("tf: same %v eps %g; pt: same %v eps %g act %v", tf.SamePadding, tf.BNEps, pt.SamePadding, pt.BNEps, pt.Act)
	}
	mb, _ := SpecByName("mobilenetv2_100")
	if mb.Act != ReLU6 || mb.SamePadding {
		t.Errorf("mobilenetv2_100: act %v same %v", mb.Act, mb.SamePadding)
	}
	// SE reduce channels are a quarter of the block input channels, expansion 6.
	b4, _ := SpecByName("efficientnet_b4")
	for _, b := range b4.Blocks() {
		if b.Kind == InvertedResidual && (b.SE*4 != b.In || b.Mid != 6*b.In) {
			t.Errorf("%s: in %d mid %d se %d", b.Prefix(), b.In, b.Mid, b.SE)
		}
	}
	custom, err := NewEfficientNetSpec(EfficientNetConfig{Name: "w.5", Width: 0.5, Depth: 0.25})
	if err != nil || custom.Stem != 16 || len(custom.Stages[5]) != 1 {
		t.Errorf("custom: %v, stem %d, stage 5 blocks %d", err, custom.Stem, len(custom.Stages[5]))
	}
	if _, err := NewEfficientNetSpec(EfficientNetConfig{Width: -1}); err == nil {
		t.Error("negative width: no error")
	}
	for _, name := range []string{"efficientnet_b8", "resnet50", "tf_mobilenetv2_100", ""} {
		if _, err := SpecByName(name); err == nil {
			t.Errorf("SpecByName(%q): no error", name)
		}
	}
	for _, name := range Names() {
		if _, err := SpecByName(name); err != nil {
			t.Errorf("SpecByName(%q): %v", name, err)
		}
	}
}

func TestCheckTaps(t *testing.T) {
	s, _ := SpecByName("efficientnet_b0")
	for _, taps := range [][]int{{2, 4, 8, 16}, {32}, {4, 16}} {
		if err := s.CheckTaps(taps); err != nil {
			t.Errorf("CheckTaps(%v): %v", taps, err)
		}
	}
	for _, taps := range [][]int{nil, {3}, {64}, {8, 4}, {4, 4}, {1}} {
		if err := s.CheckTaps(taps); err == nil {
			t.Errorf("CheckTaps(%v): no error", taps)
		}
	}
	b, err := Random("efficientnet_b0", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewExtractor(backend.MustNew(), b, []int{4, 3}); err == nil {
		t.Error("NewExtractor with a bad tap: no error")
	}
	if _, err := Random("efficientnet_b10", 1); err == nil {
		t.Error("Random of an unknown name: no error")
	}
}

func TestSamePadding(t *testing.T) {
	for _, tc := range []struct{ in, k, s, lo, hi int }{
		{4, 3, 2, 0, 1}, {5, 3, 2, 1, 1}, {256, 3, 2, 0, 1}, {128, 5, 2, 1, 2}, {7, 5, 1, 2, 2}, {4, 3, 1, 1, 1}, {1, 3, 2, 1, 1},
	} {
		if lo, hi := SamePadding(tc.in, tc.k, tc.s); lo != tc.lo || hi != tc.hi {
			t.Errorf("SamePadding(%d, %d, %d) = %d, %d, want %d, %d", tc.in, tc.k, tc.s, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestSamePaddingConv checks a stride-2 3×3 depthwise convolution of a 4×4 ramp with TF SAME padding
// (no padding top/left, one row/column bottom/right) against values worked out by hand.
func TestSamePaddingConv(t *testing.T) {
	// x[i][j] = 4i + j + 1; all-ones kernel; output (y, x) sums rows 2y..2y+2, columns 2x..2x+2
	// of x padded with a zero row and column at the bottom/right:
	//   (0,0): rows 0-2, cols 0-2: (1+2+3)+(5+6+7)+(9+10+11) = 54
	//   (0,1): rows 0-2, cols 2-3: (3+4)+(7+8)+(11+12) = 45
	//   (1,0): rows 2-3, cols 0-2: (9+10+11)+(13+14+15) = 72
	//   (1,1): rows 2-3, cols 2-3: 11+12+15+16 = 54
	want := []float32{54, 45, 72, 54}
	lo, hi := SamePadding(4, 3, 2)
	win := window{kernel: 3, stride: 2, padH: [2]int{lo, hi}, padW: [2]int{lo, hi}}
	x := make([]float32, 16)
	for i := range x {
		x[i] = float32(i + 1)
	}
	ones := make([]float32, 9)
	for i := range ones {
		ones[i] = 1
	}
	got := MustExecOnce(backend.MustNew(), func(x *Node) *Node {
		g := x.Graph()
		return depthwise(x, Reshape(Const(g, ones), 9, 1), Const(g, []float32{0}), win, linear)
	}, tensors.FromFlatDataAndDimensions(x, 1, 4, 4, 1))
	if g := tensors.MustCopyFlatData[float32](got); !slices.Equal(g, want) || !slices.Equal(got.Shape().Dimensions, []int{1, 2, 2, 1}) {
		t.Errorf("SAME depthwise = %v %v, want %v [1 2 2 1]", got.Shape().Dimensions, g, want)
	}
}

// TestFeaturesStopAtDeepestTap builds Features for each single tap and checks that exactly the
// weights of the stem and the stages up to the tap enter the graph.
func TestFeaturesStopAtDeepestTap(t *testing.T) {
	b, err := Random("efficientnet_b0", 7)
	if err != nil {
		t.Fatal(err)
	}
	be := backend.MustNew()
	for _, tap := range b.TapStrides() {
		g := NewGraph(be, "features")
		x := Parameter(g, "x", shapes.Make(dtypes.Float32, 1, 64, 64, 3))
		out := b.Features(x, []int{tap})
		stage, _ := b.Spec().TapStage(tap)
		want := 2 // conv_stem.w/.b
		for name := range b.params {
			for s := 0; s <= stage; s++ {
				if strings.HasPrefix(name, fmt.Sprintf("blocks.%d.", s)) {
					want++
				}
			}
		}
		constants := 0
		for _, n := range g.Nodes() {
			if n.Type() == NodeTypeConstant && n.Rank() > 0 && n.DType() == dtypes.Float32 {
				constants++
			}
		}
		if constants != want {
			t.Errorf("tap %d: %d weight constants in the graph, want %d (stem + stages 0..%d)", tap, constants, want, stage)
		}
		if d := out[0].Shape().Dimensions; d[1] != 64/tap || d[3] != b.Channels([]int{tap})[0] {
			t.Errorf("tap %d: output %v", tap, d)
		}
		g.Finalize()
	}
}

func TestRandomB4FeatureShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the full B4 graph")
	}
	b, err := Random("efficientnet_b4", 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pretrained() || b.Name() != "efficientnet_b4 (random init)" || b.WeightsSHA256() != "" {
		t.Errorf("Name %q Pretrained %v SHA %q", b.Name(), b.Pretrained(), b.WeightsSHA256())
	}
	g := NewGraph(backend.MustNew(), "b4")
	defer g.Finalize()
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, 2, 256, 256, 3))
	want := [][]int{{2, 128, 128, 24}, {2, 64, 64, 32}, {2, 32, 32, 56}, {2, 16, 16, 160}, {2, 8, 8, 448}}
	for i, f := range b.Features(x, b.TapStrides()) {
		if !slices.Equal(f.Shape().Dimensions, want[i]) || f.DType() != dtypes.Float32 {
			t.Errorf("tap %d: %s, want %v", b.TapStrides()[i], f.Shape(), want[i])
		}
	}
	if p := b.Pooled(x); !slices.Equal(p.Shape().Dimensions, []int{2, 1792}) {
		t.Errorf("Pooled: %s", p.Shape())
	}
}
