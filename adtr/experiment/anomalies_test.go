package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/features"
	"github.com/goadtr/goadtr/adtr/train"
	"github.com/goadtr/goadtr/datasets"
)

func TestAnomaliesValidate(t *testing.T) {
	tests := []struct {
		name    string
		a       Anomalies
		wantErr string // "" for none
	}{
		{"zero value is normal-only", Anomalies{}, ""},
		{"none ignores the rest", Anomalies{Mode: AnomaliesNone, Loss: "bogus"}, ""},
		{"confetti defaults", Anomalies{Mode: AnomaliesConfetti}, ""},
		{"labelled image loss", Anomalies{Mode: AnomaliesLabelled, Loss: LossImage}, ""},
		{"external defaults to the image loss", Anomalies{Mode: AnomaliesExternal, Dir: "x"}, ""},
		{"unknown mode", Anomalies{Mode: "cutpaste"}, `unknown mode "cutpaste"`},
		{"unknown loss", Anomalies{Mode: AnomaliesConfetti, Loss: "focal"}, `unknown anomaly loss "focal"`},
		{"external with the pixel loss", Anomalies{Mode: AnomaliesExternal, Dir: "x", Loss: LossPixel}, "no pixel masks"},
		{"external without a folder", Anomalies{Mode: AnomaliesExternal}, "need a folder"},
		{"p of 1", Anomalies{Mode: AnomaliesConfetti, Probability: 1}, "p = 1 is not in (0, 1)"},
		{"negative p", Anomalies{Mode: AnomaliesExternal, Dir: "x", Probability: -0.5}, "p = -0.5"},
		{"labelled fraction above 1", Anomalies{Mode: AnomaliesLabelled, LabelledFraction: 1.5}, "labelled fraction 1.5"},
		{"negative epochs", Anomalies{Mode: AnomaliesConfetti, Epochs: -1}, "epochs must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// labelledTest is a test split: 2 normal images, then 5 anomalies of type "a", 2 of "b", 1 of
// "c", interleaved.
func labelledTest() []datasets.Sample {
	var test []datasets.Sample
	add := func(defect string, i int) {
		test = append(test, datasets.Sample{Name: fmt.Sprintf("%03d", i), Defect: defect, Anomalous: defect != datasets.GoodDefect, Split: datasets.SplitTest})
	}
	for i, d := range []string{"good", "a", "b", "a", "c", "a", "good", "b", "a", "a"} {
		add(d, i)
	}
	return test
}

func TestSplitLabelled(t *testing.T) {
	tests := []struct {
		fraction float64
		want     map[string]int // moved per defect type
	}{
		{0.1, map[string]int{"a": 1, "b": 1}},  // round(0.5) = 1; b: round(0.2) = 0 → at least 1
		{0.5, map[string]int{"a": 3, "b": 1}},  // round(2.5) = 3; b: 1 of 2
		{0.95, map[string]int{"a": 4, "b": 1}}, // at most n−1: one of each type stays
	}
	test := labelledTest()
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.fraction), func(t *testing.T) {
			trained := splitLabelled(test, tt.fraction, 7)
			again := splitLabelled(test, tt.fraction, 7)
			// The model's record removes exactly the trained samples from any evaluation.
			rec := &AnomalyTraining{}
			for _, s := range trained {
				rec.Trained = append(rec.Trained, sampleKey(s))
			}
			kept := rec.evaluated(test)
			if !slices.EqualFunc(trained, again, func(a, b datasets.Sample) bool { return sampleKey(a) == sampleKey(b) }) {
				t.Errorf("not deterministic: %v then %v", trained, again)
			}
			moved := map[string]int{}
			for _, s := range trained {
				moved[s.Defect]++
				for _, k := range kept {
					if sampleKey(k) == sampleKey(s) {
						t.Errorf("%s is both trained on and evaluated", sampleKey(s))
					}
				}
			}
			if fmt.Sprint(moved) != fmt.Sprint(tt.want) {
				t.Errorf("moved %v, want %v", moved, tt.want)
			}
			if len(trained)+len(kept) != len(test) || len(test) != 10 {
				t.Errorf("%d trained + %d evaluated, want the %d test samples", len(trained), len(kept), len(test))
			}
		})
	}
	if trained := splitLabelled(test[:2], 0.5, 7); len(trained) != 0 {
		t.Errorf("moved %v out of a split without anomalies", trained)
	}
	var none *AnomalyTraining
	if got := none.evaluated(test); len(got) != len(test) {
		t.Errorf("a normal-only model evaluates %d of %d test images", len(got), len(test))
	}
}

func TestConfettiPoolIsDeterministic(t *testing.T) {
	cat, err := datasets.Synthetic("stone", datasets.SyntheticOptions{Size: 64, Train: 7, Test: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	images, _, err := datasets.LoadAll(cat.Train, 64, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	type pool struct {
		replaced []int
		images   []*datasets.Image
		masks    []*datasets.Mask
	}
	draw := func(p float64, seed uint64) pool {
		var out pool
		out.replaced, out.images, out.masks = confettiPool(images, p, seed, datasets.ConfettiOptions{})
		return out
	}
	same := func(a, b pool) bool {
		return slices.Equal(a.replaced, b.replaced) && slices.EqualFunc(a.images, b.images, func(x, y *datasets.Image) bool { return slices.Equal(x.Pix, y.Pix) }) &&
			slices.EqualFunc(a.masks, b.masks, func(x, y *datasets.Mask) bool { return slices.Equal(x.Pix, y.Pix) })
	}
	tests := []struct {
		p    float64
		want int // round(p·7)
	}{{0.5, 4}, {0.3, 2}, {0.05, 0}, {0.99, 7}}
	for _, tt := range tests {
		a, b := draw(tt.p, 3), draw(tt.p, 3)
		if len(a.replaced) != tt.want || len(a.images) != tt.want || !slices.IsSorted(a.replaced) {
			t.Errorf("p=%g: replaced %v, want %d sorted indices", tt.p, a.replaced, tt.want)
		}
		if !same(a, b) {
			t.Errorf("p=%g: two pools with seed 3 differ", tt.p)
		}
		for i, m := range a.masks {
			if m.Area() == 0 {
				t.Errorf("p=%g: confetti image %d changed no pixel", tt.p, i)
			}
		}
	}
	if same(draw(0.5, 3), draw(0.5, 4)) {
		t.Error("seeds 3 and 4 give the same pool")
	}
}

func TestGridMasksUseMaskToGrid(t *testing.T) {
	cfg := smallConfig() // 64 px on a 4×4 grid: 16×16-pixel cells
	mask := datasets.NewMask(64, 64)
	fill := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				mask.Pix[y*64+x] = 255
			}
		}
	}
	fill(16, 0, 16, 8)  // cell (0, 1): half anomalous → anomalous at fraction 0.5
	fill(48, 48, 16, 7) // cell (3, 3): 7/16 → normal at 0.5
	fill(0, 32, 1, 1)   // cell (2, 0): one pixel → normal at 0.5
	tests := []struct {
		fraction float64
		want     []float32
	}{
		{0.5, []float32{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{1.0 / 256, []float32{0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}},
	}
	for _, tt := range tests {
		cfg.MaskFraction = tt.fraction
		got, err := gridMasks(backend.MustNew(), cfg, []*datasets.Mask{datasets.NewMask(64, 64), mask})
		if err != nil {
			t.Fatal(err)
		}
		flat := tensors.MustCopyFlatData[float32](got)
		if dims := got.Shape().Dimensions; !slices.Equal(dims, []int{2, 4, 4}) || !slices.Equal(flat[:16], make([]float32, 16)) || !slices.Equal(flat[16:], tt.want) {
			t.Errorf("fraction %g: grid %v %v, want an empty grid then %v", tt.fraction, dims, flat, tt.want)
		}
	}
	if _, err := gridMasks(backend.MustNew(), cfg, []*datasets.Mask{datasets.NewMask(32, 32)}); err == nil || !strings.Contains(err.Error(), "32x32") {
		t.Errorf("a mask of the wrong size: err = %v", err)
	}
}

// externalDir writes the normal images of another synthetic category as PNG files and returns
// their folder.
func externalDir(t *testing.T) string {
	cat, err := datasets.Synthetic("pill", datasets.SyntheticOptions{Size: 64, Train: 8, Test: 1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "external")
	cat.Test = nil
	if err := datasets.WriteMVTec(cat, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunWithAnomalies(t *testing.T) {
	tests := []struct {
		name      string
		anomalies Anomalies
		wantLoss  []string // substrings of Report.Loss
		wantTrain int      // anomalous test images moved to training
	}{
		{"confetti pixel", Anomalies{Mode: AnomaliesConfetti, Epochs: 1}, []string{"L_norm 2 epochs + L_px 1 epochs", "confetti p=0.5: 5 of 10 training images replaced"}, 0},
		{"confetti image", Anomalies{Mode: AnomaliesConfetti, Loss: LossImage, Epochs: 1, Probability: 0.2}, []string{"L_img 1 epochs", "p=0.2: 2 of 10"}, 0},
		{"labelled pixel", Anomalies{Mode: AnomaliesLabelled, Epochs: 1}, []string{"L_px", "labelled: 4 test anomalies", "with masks"}, 4},
		{"labelled image", Anomalies{Mode: AnomaliesLabelled, Loss: LossImage, Epochs: 1, LabelledFraction: 0.6}, []string{"L_img", "labelled: 4 test anomalies (fraction 0.6", "image labels only"}, 4},
		{"external", Anomalies{Mode: AnomaliesExternal, Dir: externalDir(t), Epochs: 1, Probability: 0.25}, []string{"L_img", "external p=0.25: 3 images from"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := smallSpec(t)
			spec.Data.Synthetic.Test = 16 // 8 anomalies: 2 of each of the 4 defect types
			spec.Anomalies = tt.anomalies
			var log strings.Builder
			spec.Progress = &log
			out, err := Run(context.Background(), spec)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, log.String())
			}
			r := out.Report
			for _, want := range tt.wantLoss {
				if !strings.Contains(r.Loss, want) {
					t.Errorf("report loss %q lacks %q", r.Loss, want)
				}
			}
			if r.Epochs != 3 || len(out.History) != 3 {
				t.Errorf("%d epochs (%d in the history), want 2 normal-only + 1 with anomalies", r.Epochs, len(out.History))
			}
			if r.TestImages != 16-tt.wantTrain || r.TestAnomalous != 8-tt.wantTrain {
				t.Errorf("evaluated %d images (%d anomalous), want %d (%d)", r.TestImages, r.TestAnomalous, 16-tt.wantTrain, 8-tt.wantTrain)
			}
			reports, err := evaluate.ReadJSON(filepath.Join(spec.Out, MetricsFile))
			if err != nil || len(reports) != 1 || reports[0].Loss != r.Loss {
				t.Errorf("metrics.json = %+v, %v; want the loss %q", reports, err, r.Loss)
			}

			// No test sample trained on is evaluated, by the run or by the reopened model.
			m, err := Open(spec.Out, BackboneOptions{})
			if err != nil {
				t.Fatal(err)
			}
			trained := m.Info.Anomalies.Trained
			if len(trained) != tt.wantTrain {
				t.Errorf("model.json lists %d trained test samples %v, want %d", len(trained), trained, tt.wantTrain)
			}
			cat, err := m.Info.Data.Open(m.Info.Config.InputSize)
			if err != nil {
				t.Fatal(err)
			}
			reopened, err := m.Test(context.Background(), cat, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, set := range [][]datasets.Sample{out.Test.Samples, reopened.Samples} {
				if len(set) != 16-tt.wantTrain {
					t.Errorf("evaluation of %d images, want %d", len(set), 16-tt.wantTrain)
				}
				for _, s := range set {
					if slices.Contains(trained, sampleKey(s)) {
						t.Errorf("test sample %s was trained on and evaluated", sampleKey(s))
					}
				}
			}

			// Running again resumes past the normal epochs without training.
			again, err := Run(context.Background(), spec)
			if err != nil || len(again.History) != 3 || again.History[2] != out.History[2] {
				t.Errorf("rerun: %v, history %+v, want %+v", err, again.History, out.History)
			}
		})
	}
}

func TestRunAnomaliesErrors(t *testing.T) {
	checkRunErrors(t, []runErrorCase{
		{"invalid settings", func(s *Spec) { s.Anomalies = Anomalies{Mode: AnomaliesExternal, Dir: "x", Loss: LossPixel} }, "no pixel masks"},
		{"labelled with one anomaly per type", func(s *Spec) { s.Anomalies = Anomalies{Mode: AnomaliesLabelled} }, "no defect type with at least 2 test anomalies"},
		{"external folder missing", func(s *Spec) { s.Anomalies = Anomalies{Mode: AnomaliesExternal, Dir: "/nonexistent/external"} }, "/nonexistent/external"},
		{"external folder without images", func(s *Spec) { s.Anomalies = Anomalies{Mode: AnomaliesExternal, Dir: t.TempDir()} }, "no PNG or JPEG images"},
		{"external p too small", func(s *Spec) {
			s.Anomalies = Anomalies{Mode: AnomaliesExternal, Dir: externalDir(t), Probability: 0.01}
		}, "adds no image to the 10 training images"},
		{"confetti p too small", func(s *Spec) { s.Anomalies = Anomalies{Mode: AnomaliesConfetti, Probability: 0.01} }, "replaces none of the 10 training images"},
	})
}

// TestAnomaliesRefuseOtherCheckpoint: a checkpoint trained past the normal epochs without these
// anomalies is not taken for an ADTR+ model; a normal-only run records no anomaly training.
func TestAnomaliesRefuseOtherCheckpoint(t *testing.T) {
	spec := smallSpec(t)
	spec.Config.Epochs = 3
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ModelFile, MetricsFile} {
		data, err := os.ReadFile(filepath.Join(spec.Out, name))
		if err != nil || strings.Contains(string(data), `"anomalies"`) || strings.Contains(string(data), `"loss"`) {
			t.Errorf("normal-only %s records an anomaly training (%v):\n%s", name, err, data)
		}
	}
	spec.Config.Epochs = 2
	spec.Anomalies = Anomalies{Mode: AnomaliesConfetti, Epochs: 1}
	_, err := Run(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "past the 2 normal-only epochs") {
		t.Errorf("err = %v, want a refusal of the normal-only checkpoint", err)
	}
	if _, err := os.Stat(filepath.Join(spec.Out, AnomaliesFile)); err == nil {
		t.Errorf("%s written for a refused run", AnomaliesFile)
	}
}

// TestAnomalyData checks the training set of the anomaly epochs and its loss for each mode: the
// normal rows first with zero labels, then the anomalies; grid masks for L_px, image labels for
// L_img.
func TestAnomalyData(t *testing.T) {
	cfg := smallConfig()
	cat, err := (Data{Source: SyntheticSource, Category: "stone", Synthetic: datasets.SyntheticOptions{Train: 12, Test: 16}, Seed: 1}).Open(cfg.InputSize)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := LoadBackbone(cfg, BackboneOptions{Random: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := backend.MustNew()
	ext, err := features.New(b, cfg, bb)
	if err != nil {
		t.Fatal(err)
	}
	normal, _, err := datasets.LoadAll(cat.Train, cfg.InputSize, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	normalF, err := ext.ExtractAll(context.Background(), normal, features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		a                  Anomalies
		wantNormal, wantAn int // rows
		wantLoss           train.Loss
		wantPositive       bool // some label is 1
	}{
		{Anomalies{Mode: AnomaliesConfetti}, 5, 5, train.PixelLoss, true},
		{Anomalies{Mode: AnomaliesConfetti, Loss: LossImage, Probability: 0.3}, 7, 3, train.ImageLoss, true},
		// The stone defects drawn here are thin: none covers half of a 16×16-pixel cell.
		{Anomalies{Mode: AnomaliesLabelled}, 10, 4, train.PixelLoss, false},
		{Anomalies{Mode: AnomaliesLabelled, Loss: LossImage}, 10, 4, train.ImageLoss, true},
		{Anomalies{Mode: AnomaliesExternal, Dir: externalDir(t)}, 10, 8, train.ImageLoss, true}, // p/(1−p)·10 = 10, only 8 images
	}
	g := cfg.Grid()
	for _, tt := range tests {
		t.Run(tt.a.Mode+"_"+tt.a.withDefaults().Loss, func(t *testing.T) {
			p, err := tt.a.plan(cat, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.ValueOf(anomalyLosses[p.rec.Anomalies.Loss]).Pointer() != reflect.ValueOf(tt.wantLoss).Pointer() {
				t.Errorf("the anomaly epochs of %q do not train with the wanted loss", p.rec.Recipe)
			}
			data, err := p.data(context.Background(), cfg, anomalyEnv{backend: b, ext: ext}, normal, normalF)
			if err != nil {
				t.Fatal(err)
			}
			n := tt.wantNormal + tt.wantAn
			if dims := data.Features.Shape().Dimensions; dims[0] != n || !slices.Equal(dims[1:], normalF.Shape().Dimensions[1:]) {
				t.Errorf("features %v, want %d rows of %v", dims, n, normalF.Shape().Dimensions[1:])
			}
			labels := tensors.MustCopyFlatData[float32](data.Labels)
			per := 1
			if p.rec.Anomalies.Loss == LossPixel {
				per = g * g
				if dims := data.Labels.Shape().Dimensions; !slices.Equal(dims, []int{n, g, g}) {
					t.Fatalf("labels %v, want [%d %d %d] grid masks", dims, n, g, g)
				}
			} else if dims := data.Labels.Shape().Dimensions; !slices.Equal(dims, []int{n}) {
				t.Fatalf("labels %v, want [%d] image labels", dims, n)
			}
			if slices.Max(labels[:tt.wantNormal*per]) != 0 {
				t.Error("a normal image has an anomalous label")
			}
			if (slices.Max(labels[tt.wantNormal*per:]) == 1) != tt.wantPositive || slices.ContainsFunc(labels, func(v float32) bool { return v != 0 && v != 1 }) {
				t.Errorf("anomaly labels %v, want values in {0, 1}, some 1: %v", labels[tt.wantNormal*per:], tt.wantPositive)
			}
		})
	}
}
