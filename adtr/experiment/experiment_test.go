package experiment

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/datasets"
)

// smallConfig is a fast configuration: 64 px inputs through the tiny random EfficientNet, a 4×4
// grid and a one-layer transformer.
func smallConfig() *adtr.Config {
	cfg := adtr.DefaultConfig()
	cfg.Backbone = "efficientnet_tiny"
	cfg.InputSize = 64
	cfg.Taps = []int{4, 8, 16}
	cfg.Hidden, cfg.Heads, cfg.FFN = 32, 4, 64
	cfg.EncoderLayers, cfg.DecoderLayers = 1, 1
	cfg.TopK, cfg.ScoreWindow = 4, 8
	cfg.BatchSize, cfg.Epochs, cfg.LRStepEpoch = 4, 2, 0
	cfg.LearningRate = 1e-3
	return cfg
}

func smallSpec(t *testing.T) Spec {
	return Spec{
		Data:         Data{Source: SyntheticSource, Category: datasets.SyntheticCategories()[0], Synthetic: datasets.SyntheticOptions{Train: 12, Test: 8}},
		Config:       smallConfig(),
		Backbone:     BackboneOptions{Random: true, Seed: 3},
		Out:          outDir(t),
		FeatureCache: filepath.Join(t.TempDir(), "cache"),
		Overlays:     3,
	}
}

func TestRunWritesModelAndReports(t *testing.T) {
	spec := smallSpec(t)
	var log strings.Builder
	spec.Progress = &log
	out, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	r := out.Report
	if r.Epochs != 2 || r.TestImages != 8 || r.TestAnomalous != 4 || r.Category != spec.Data.Category {
		t.Errorf("report %+v: want 2 epochs, 8 test images (4 anomalous) of %s", r, spec.Data.Category)
	}
	for name, v := range map[string]evaluate.Number{"image AUROC": r.ImageAUROC, "pixel AUROC": r.PixelAUROC, "AU-PRO": r.AUPRO, "F1-max": r.F1Max} {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			t.Errorf("%s = %v, want a value in [0, 1]", name, v)
		}
	}
	if !strings.Contains(r.Backbone, "random init") || r.Pretrained {
		t.Errorf("random backbone not labelled: %q pretrained=%v", r.Backbone, r.Pretrained)
	}
	if !(r.Threshold > 0) || !strings.Contains(r.ThresholdRule, "held-back normal") {
		t.Errorf("threshold %v chosen by %q, want a positive one from held-back normals", r.Threshold, r.ThresholdRule)
	}
	for _, f := range []string{ModelFile, MetricsFile, "history.json", LossFigure, ROCFigure, HistogramFigure} {
		if st, err := os.Stat(filepath.Join(spec.Out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	overlays, _ := filepath.Glob(filepath.Join(spec.Out, OverlayDir, "*.png"))
	if len(overlays) != 3 {
		t.Errorf("%d overlays, want 3", len(overlays))
	}
	reports, err := evaluate.ReadJSON(filepath.Join(spec.Out, MetricsFile))
	if err != nil || len(reports) != 1 || reports[0].ImageAUROC != r.ImageAUROC {
		t.Errorf("metrics.json = %+v, %v; want the run's report", reports, err)
	}

	// The saved model reproduces the run's test scores.
	m, err := Open(spec.Out, BackboneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Info.Threshold != out.Model.Info.Threshold {
		t.Errorf("reopened threshold %v, want %v", m.Info.Threshold, out.Model.Info.Threshold)
	}
	scored, err := m.Score(context.Background(), out.Test.Images, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range scored.Scores {
		if math.Abs(s-out.Test.Scored.Scores[i]) > 1e-4*math.Max(1, math.Abs(s)) {
			t.Fatalf("reopened model scores image %d %v, the run scored %v", i, s, out.Test.Scored.Scores[i])
		}
	}

	// Running again with more epochs resumes from the checkpoint instead of starting over.
	spec.Config.Epochs = 3
	log.Reset()
	again, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.History) != 3 || again.History[0].Loss != out.History[0].Loss {
		t.Errorf("resumed history %+v does not extend %+v", again.History, out.History)
	}
	if !strings.Contains(log.String(), "from the feature cache") {
		t.Errorf("second run recomputed features:\n%s", log.String())
	}
}

// runErrorCase is a Spec change that must make Run fail with an error containing wantErr.
type runErrorCase struct {
	name    string
	mutate  func(*Spec)
	wantErr string
}

// checkRunErrors runs each case on smallSpec.
func checkRunErrors(t *testing.T, cases []runErrorCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			spec := smallSpec(t)
			tt.mutate(&spec)
			_, err := Run(context.Background(), spec)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	checkRunErrors(t, []runErrorCase{
		{"bad config", func(s *Spec) { s.Config.InputSize = 60 }, "divisible"},
		{"unknown synthetic category", func(s *Spec) { s.Data.Category = "nosuch" }, "nosuch"},
		{"not a category", func(s *Spec) { s.Data = Data{Source: t.TempDir()} }, "train/good"},
		{"no output", func(s *Spec) { s.Out = "" }, "output directory"},
		{"missing weights file", func(s *Spec) { s.Backbone = BackboneOptions{Weights: "/nonexistent/w.safetensors"} }, "/nonexistent/w.safetensors"},
	})
}

func TestOverlayOrder(t *testing.T) {
	scores := []float64{0.1, 0.9, 0.5, 0.3, 0.7}
	tests := []struct {
		n    int
		want []int
	}{
		{0, []int{1, 4, 2, 3, 0}},
		{2, []int{1, 0}},
		{3, []int{1, 0, 4}},
		{9, []int{1, 4, 2, 3, 0}},
	}
	for _, tt := range tests {
		got := OverlayOrder(scores, tt.n)
		if !slices.Equal(got, tt.want) {
			t.Errorf("OverlayOrder(n=%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

// outDir is the model directory of a test run: $GOADTR_TEST_OUT/<test name> when set (to look at
// the figures), else a temporary directory.
func outDir(t *testing.T) string {
	if dir := os.Getenv("GOADTR_TEST_OUT"); dir != "" {
		return filepath.Join(dir, t.Name())
	}
	return filepath.Join(t.TempDir(), "model")
}
