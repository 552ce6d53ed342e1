package backbone

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
)

// Tolerance of the numerical comparisons against PyTorch: |got-want| <= atol + rtol·|want|.
const atol, rtol = 1e-4, 1e-4

// nchwToNHWC returns the NHWC copy of an NCHW float32 tensor.
func nchwToNHWC(t *testing.T, x *tensors.Tensor) *tensors.Tensor {
	t.Helper()
	d := x.Shape().Dimensions
	if len(d) != 4 {
		t.Fatalf("want an NCHW tensor, got %s", x.Shape())
	}
	n, c, h, w := d[0], d[1], d[2], d[3]
	src := tensors.MustCopyFlatData[float32](x)
	dst := make([]float32, len(src))
	for b := range n {
		for ch := range c {
			for y := range h {
				for xx := range w {
					dst[((b*h+y)*w+xx)*c+ch] = src[((b*c+ch)*h+y)*w+xx]
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(dst, n, h, w, c)
}

// compareTensor checks got against want elementwise with the package tolerance and logs the errors.
func compareTensor(t *testing.T, name string, got, want *tensors.Tensor) {
	t.Helper()
	if !got.Shape().Equal(want.Shape()) {
		t.Errorf("%s: shape %s, want %s", name, got.Shape(), want.Shape())
		return
	}
	g := tensors.MustCopyFlatData[float32](got)
	w := tensors.MustCopyFlatData[float32](want)
	var maxAbs, maxRel float64
	bad, firstBad := 0, -1
	for i := range g {
		diff := math.Abs(float64(g[i]) - float64(w[i]))
		maxAbs = max(maxAbs, diff)
		if w[i] != 0 {
			maxRel = max(maxRel, diff/math.Abs(float64(w[i])))
		}
		if !(diff <= atol+rtol*math.Abs(float64(w[i]))) {
			if firstBad < 0 {
				firstBad = i
			}
			bad++
		}
	}
	t.Logf("%s %v: max abs error %.3g, max relative error %.3g", name, want.Shape().Dimensions, maxAbs, maxRel)
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside |got-want| <= %g + %g|want|; first at %d: got %g, want %g",
			name, bad, len(g), atol, rtol, firstBad, g[firstBad], w[firstBad])
	}
}

// checkReference runs the backbone on the reference's input and compares every stored tap and pooled.
func checkReference(t *testing.T, b *Backbone, refPath string) {
	ref, err := ReadSafetensors(refPath)
	if err != nil {
		t.Fatal(err)
	}
	input := nchwToNHWC(t, ref["input"])
	var taps []int
	for _, s := range b.TapStrides() {
		if _, ok := ref[fmt.Sprintf("stride%d", s)]; ok {
			taps = append(taps, s)
		}
	}
	if len(taps) != 5 || ref["pooled"] == nil {
		t.Fatalf("%s: expected stride2..stride32 and pooled, found taps %v", refPath, taps)
	}
	be := backend.MustNew()
	e, err := NewExtractor(be, b, taps)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := e.Extract(input)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range taps {
		compareTensor(t, fmt.Sprintf("stride%d", s), feats[i], nchwToNHWC(t, ref[fmt.Sprintf("stride%d", s)]))
	}
	pooled, err := MustNewExec(be, b.Pooled).Exec1(input)
	if err != nil {
		t.Fatal(err)
	}
	compareTensor(t, "pooled", pooled, ref["pooled"])
}

func TestEfficientNetTinyMatchesPyTorch(t *testing.T) {
	b, err := Load("efficientnet_tiny", filepath.Join("testdata", "efficientnet_tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Pretrained() || b.Name() != "efficientnet_tiny" || len(b.WeightsSHA256()) != 64 {
		t.Errorf("Name %q, Pretrained %v, WeightsSHA256 %q", b.Name(), b.Pretrained(), b.WeightsSHA256())
	}
	checkReference(t, b, filepath.Join("testdata", "efficientnet_tiny_reference.safetensors"))
}

func TestMobileNetV2MatchesReference(t *testing.T) {
	dir := os.Getenv(WeightsDirEnv)
	if dir == "" {
		t.Skipf("%s is not set: skipping the mobilenetv2_100 pretrained-weights reference check", WeightsDirEnv)
	}
	b, err := Load("mobilenetv2_100", filepath.Join(dir, "mobilenetv2_100.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	checkReference(t, b, filepath.Join(dir, "mobilenetv2_100_reference.safetensors"))
}

func TestLoadReportsMissingAndMismatchedTensors(t *testing.T) {
	src := filepath.Join("testdata", "efficientnet_tiny.safetensors")
	raw, err := ReadSafetensors(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, edit, wantErr string
	}{
		{"missing", "blocks.3.1.se.conv_reduce.weight", `missing tensor "blocks.3.1.se.conv_reduce.weight"`},
		{"mismatched", "blocks.2.0.conv_dw.weight", `tensor "blocks.2.0.conv_dw.weight" is`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := make(map[string]*tensors.Tensor, len(raw))
			for k, v := range raw {
				edited[k] = v
			}
			if tc.name == "missing" {
				delete(edited, tc.edit)
			} else {
				edited[tc.edit] = tensors.FromFlatDataAndDimensions(make([]float32, 48*9), 48, 1, 9)
			}
			path := filepath.Join(dir, tc.name+".safetensors")
			if err := WriteSafetensors(path, edited, nil); err != nil {
				t.Fatal(err)
			}
			_, err := Load("efficientnet_tiny", path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
				t.Errorf("Load: error %v, want one containing %q and the file name", err, tc.wantErr)
			}
		})
	}
	// The extra tensor (a classifier) is ignored.
	withClassifier := make(map[string]*tensors.Tensor, len(raw)+1)
	for k, v := range raw {
		withClassifier[k] = v
	}
	withClassifier["classifier.bias"] = tensors.FromFlatDataAndDimensions(make([]float32, 1000), 1000)
	path := filepath.Join(dir, "extra.safetensors")
	if err := WriteSafetensors(path, withClassifier, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("efficientnet_tiny", path); err != nil {
		t.Errorf("Load with an extra classifier tensor: %v", err)
	}
	if _, err := Load("efficientnet_b9", src); err == nil {
		t.Error("Load of an unknown architecture: no error")
	}
}

// TestExtractBatch checks that a batch gives, image by image, the features of each image alone (the
// graph runs each image of a batch as its own chain), and that bad inputs are errors.
func TestExtractBatch(t *testing.T) {
	b, err := Load("efficientnet_tiny", filepath.Join("testdata", "efficientnet_tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewExtractor(backend.MustNew(), b, []int{4, 16})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	const n, size = 3, 48
	batch := randomTensor(rng, n, size, size, 3)
	all, err := e.Extract(batch)
	if err != nil {
		t.Fatal(err)
	}
	data := tensors.MustCopyFlatData[float32](batch)
	per := size * size * 3
	for i := range n {
		one, err := e.Extract(tensors.FromFlatDataAndDimensions(data[i*per:(i+1)*per], 1, size, size, 3))
		if err != nil {
			t.Fatal(err)
		}
		for j, f := range one {
			d := f.Shape().Dimensions
			got := tensors.MustCopyFlatData[float32](all[j])[i*f.Size() : (i+1)*f.Size()]
			compareTensor(t, fmt.Sprintf("image %d tap %d", i, e.Taps()[j]),
				tensors.FromFlatDataAndDimensions(got, d...), f)
		}
	}
	for _, bad := range []*tensors.Tensor{
		tensors.FromShape(shapes.Make(dtypes.Float32, 1, 32, 32, 4)),
		tensors.FromShape(shapes.Make(dtypes.Float64, 1, 32, 32, 3)),
		tensors.FromShape(shapes.Make(dtypes.Float32, 32, 32, 3)),
	} {
		if _, err := e.Extract(bad); err == nil {
			t.Errorf("Extract(%s): no error", bad.Shape())
		}
	}
}

func TestCustomSpec(t *testing.T) {
	spec, err := NewEfficientNetSpec(EfficientNetConfig{Name: "b0_w0.25_d0.5", Width: 0.25, Depth: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadSpec(spec, filepath.Join("testdata", "efficientnet_tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Name() != "b0_w0.25_d0.5" || !loaded.Pretrained() {
		t.Errorf("LoadSpec: Name %q, Pretrained %v", loaded.Name(), loaded.Pretrained())
	}
	wider, _ := NewEfficientNetSpec(EfficientNetConfig{Name: "b0_w0.5", Width: 0.5, Depth: 0.5})
	if _, err := LoadSpec(wider, filepath.Join("testdata", "efficientnet_tiny.safetensors")); err == nil ||
		!strings.Contains(err.Error(), `"conv_stem.weight"`) {
		t.Errorf("LoadSpec with the wrong width: error %v, want one naming conv_stem.weight", err)
	}
	random, err := RandomSpec(spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	if random.Name() != "b0_w0.25_d0.5 (random init)" || random.Pretrained() {
		t.Errorf("RandomSpec: Name %q, Pretrained %v", random.Name(), random.Pretrained())
	}
	// Same seed, same weights; another seed, other weights.
	again, _ := RandomSpec(spec, 3)
	other, _ := RandomSpec(spec, 4)
	w := func(b *Backbone) []float32 {
		return tensors.MustCopyFlatData[float32](b.params["blocks.3.1.conv_pw.w"])
	}
	if !slices.Equal(w(random), w(again)) || slices.Equal(w(random), w(other)) {
		t.Error("RandomSpec is not reproducible from its seed")
	}
}
