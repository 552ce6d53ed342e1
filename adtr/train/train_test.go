package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/gomlx/core/tensors"
)

// tinyConfig trains in milliseconds per step: 8×8 input, stride 2 → 4×4 grid, width 16.
func tinyConfig() *adtr.Config {
	cfg := adtr.DefaultConfig()
	cfg.InputSize, cfg.GridStride = 8, 2
	cfg.Hidden, cfg.Heads, cfg.FFN = 16, 2, 32
	cfg.EncoderLayers, cfg.DecoderLayers = 1, 1
	cfg.TopK, cfg.ScoreWindow = 4, 2
	cfg.BatchSize = 4
	cfg.Epochs = 4
	cfg.LRStepEpoch = 3
	cfg.GradClip = 0.1
	cfg.LearningRate = 1e-3
	return cfg
}

// lowRankFeatures returns n feature maps [n, grid, grid, c] whose tokens are A·z with z ~ N(0, I_rank)
// and a fixed random A [c, rank]: "normal" features live in a rank-dimensional subspace.
func lowRankFeatures(seed uint64, n, grid, c, rank int) (*tensors.Tensor, [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	a := make([][]float64, c)
	for i := range a {
		a[i] = make([]float64, rank)
		for j := range a[i] {
			a[i][j] = rng.NormFloat64() / math.Sqrt(float64(rank))
		}
	}
	data := make([]float32, n*grid*grid*c)
	for tok := range n * grid * grid {
		z := make([]float64, rank)
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		for i := range c {
			v := 0.0
			for j := range rank {
				v += a[i][j] * z[j]
			}
			data[tok*c+i] = float32(v)
		}
	}
	return tensors.FromFlatDataAndDimensions(data, n, grid, grid, c), a
}

func losses(h []EpochRecord) []float64 {
	out := make([]float64, len(h))
	for i, r := range h {
		out[i] = r.Loss
	}
	return out
}

func TestResumeReproducesUninterruptedRun(t *testing.T) {
	features, _ := lowRankFeatures(1, 10, 4, 6, 2) // 10 images, batch 4: the last batch has 2
	data := Data{Features: features}
	ctx := context.Background()

	straight, err := Train(ctx, tinyConfig(), data, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	first := tinyConfig()
	first.Epochs = 2
	if _, err := Train(ctx, first, data, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	resumed, err := Train(ctx, tinyConfig(), data, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want, got := losses(straight.History), losses(resumed.History)
	if len(got) != 4 {
		t.Fatalf("resumed history has %d epochs, want 4", len(got))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Errorf("epoch %d: resumed loss %.8f, uninterrupted %.8f", i+1, got[i], want[i])
		}
	}
	if resumed.History[3].LearningRate != tinyConfig().LearningRate*0.1 {
		t.Errorf("epoch 4 learning rate %g, want the stepped %g", resumed.History[3].LearningRate, tinyConfig().LearningRate*0.1)
	}

	// The mismatch check: a different model config cannot resume.
	other := tinyConfig()
	other.Hidden = 32
	other.Epochs = 5
	if _, err := Train(ctx, other, data, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "different config") {
		t.Errorf("resuming with another config: err = %v, want a config mismatch", err)
	}
	// The map post-processing does not take part in training: changing it resumes (no new epoch).
	scoring := tinyConfig()
	scoring.ScoreRule, scoring.NormalMapCalibration, scoring.SmoothingSigma = adtr.ScoreMean, true, 4
	again, err := Train(ctx, scoring, data, Options{Dir: dir})
	if err != nil {
		t.Fatalf("resuming with other scoring settings: %v", err)
	}
	if len(again.History) != len(resumed.History) || again.History[3].Loss != resumed.History[3].Loss {
		t.Errorf("resuming a finished run with other scoring settings trained again: %+v", again.History)
	}
}

func TestCancelCheckpointsMidEpochAndResumesExactly(t *testing.T) {
	features, _ := lowRankFeatures(2, 10, 4, 6, 2)
	data := Data{Features: features}
	cfg := tinyConfig()
	cfg.Epochs = 2
	straight, err := Train(context.Background(), cfg, data, Options{})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Train finishes the step in flight (the first one), then stops.
	_, err = Train(ctx, cfg, data, Options{Dir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Train returned %v, want context.Canceled", err)
	}
	ckpt, err := LatestCheckpoint(dir)
	if err != nil || filepath.Base(ckpt) != "epoch-000000-step-000001" {
		t.Fatalf("checkpoint after cancellation = %q (%v), want epoch-000000-step-000001", ckpt, err)
	}
	fewer, _ := lowRankFeatures(2, 9, 4, 6, 2)
	if _, err := Train(context.Background(), cfg, Data{Features: fewer}, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "same 10 images, got 9") {
		t.Errorf("resuming mid-epoch on other data: err = %v, want a data mismatch", err)
	}
	resumed, err := Train(context.Background(), cfg, data, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range losses(straight.History) {
		if got := resumed.History[i].Loss; math.Abs(got-want) > 1e-5 {
			t.Errorf("epoch %d: resumed loss %.8f, uninterrupted %.8f", i+1, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Contains(strings.Join(names, " "), tempPrefix) || len(names) != 2 {
		t.Errorf("checkpoint directory holds %v, want exactly the latest checkpoint and %s", names, HistoryFile)
	}
}

// TestTrainingLearnsNormalFeatures is the behaviour test: trained on low-rank "normal" features,
// the loss drops, and the anomaly map of an input with off-subspace perturbations at a few grid
// positions is larger at those positions than anywhere else.
func TestTrainingLearnsNormalFeatures(t *testing.T) {
	const grid, c = 4, 16
	cfg := tinyConfig()
	cfg.InputSize, cfg.GridStride = grid, 1 // the anomaly map is the grid map
	cfg.ScoreWindow = 1
	cfg.Epochs, cfg.LRStepEpoch, cfg.BatchSize = 60, 0, 8
	cfg.LearningRate = 3e-3
	cfg.Dropout = 0
	const n = 64
	all, _ := lowRankFeatures(3, n+1, grid, c, 3) // the last image is the test image
	flat := tensors.MustCopyFlatData[float32](all)
	train := tensors.FromFlatDataAndDimensions(flat[:n*grid*grid*c], n, grid, grid, c)
	var progress bytes.Buffer
	res, err := Train(context.Background(), cfg, Data{Features: train}, Options{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.History[0].Loss, res.History[len(res.History)-1].Loss
	t.Logf("loss %.4f → %.4f", first, last)
	if last > first/4 {
		t.Errorf("loss only went from %.4f to %.4f", first, last)
	}
	if lines := strings.Count(progress.String(), "\n"); lines != cfg.Epochs || !strings.Contains(progress.String(), "img/s") {
		t.Errorf("progress wrote %d lines, want one per epoch with img/s:\n%s", lines, progress.String())
	}

	data := flat[n*grid*grid*c:]
	perturbed := map[int]bool{1: true, 10: true}
	rng := rand.New(rand.NewPCG(9, 9))
	for pos := range perturbed {
		for i := range c {
			data[pos*c+i] += float32(2 * rng.NormFloat64())
		}
	}
	det, err := res.Detector(backend.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	_, maps, scores, err := det.Detect(tensors.FromFlatDataAndDimensions(data, 1, grid, grid, c))
	if err != nil {
		t.Fatal(err)
	}
	m := tensors.MustCopyFlatData[float32](maps)
	minAnomalous, maxNormal := float32(math.Inf(1)), float32(0)
	for pos, v := range m {
		if perturbed[pos] {
			minAnomalous = min(minAnomalous, v)
		} else {
			maxNormal = max(maxNormal, v)
		}
	}
	t.Logf("anomaly map: perturbed positions ≥ %.3f, others ≤ %.3f", minAnomalous, maxNormal)
	if minAnomalous <= maxNormal {
		t.Errorf("anomaly map: perturbed positions ≥ %.3f do not exceed the others ≤ %.3f: %v", minAnomalous, maxNormal, m)
	}
	if s := tensors.MustCopyFlatData[float32](scores)[0]; s < minAnomalous {
		t.Errorf("image score %.3f below the perturbed positions' map values", s)
	}
}

func TestLoadDetectorMatchesTrainedModel(t *testing.T) {
	features, _ := lowRankFeatures(5, 6, 4, 6, 2)
	cfg := tinyConfig()
	cfg.Epochs = 1
	dir := t.TempDir()
	res, err := Train(context.Background(), cfg, Data{Features: features}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	trained, err := res.Detector(backend.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadDetector(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, wantMaps, wantScores, err := trained.Detect(features)
	if err != nil {
		t.Fatal(err)
	}
	_, gotMaps, gotScores, err := loaded.Detect(features)
	if err != nil {
		t.Fatal(err)
	}
	if d := gotMaps.Shape().Dimensions; len(d) != 3 || d[0] != 6 || d[1] != 8 || d[2] != 8 {
		t.Fatalf("maps shape %v, want [6 8 8]", d)
	}
	for name, pair := range map[string][2]*tensors.Tensor{"maps": {gotMaps, wantMaps}, "scores": {gotScores, wantScores}} {
		got, want := tensors.MustCopyFlatData[float32](pair[0]), tensors.MustCopyFlatData[float32](pair[1])
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s[%d]: loaded %g, trained %g", name, i, got[i], want[i])
			}
		}
	}
	if _, err := LoadDetector(t.TempDir()); err == nil {
		t.Error("LoadDetector on an empty directory succeeded")
	}
}

func TestTrainWithAnomalyLosses(t *testing.T) {
	features, _ := lowRankFeatures(6, 6, 4, 6, 2)
	masks := make([]float32, 6*4*4)
	for i := range masks {
		if i%7 == 0 {
			masks[i] = 1
		}
	}
	tests := []struct {
		name   string
		loss   Loss
		labels *tensors.Tensor
	}{
		{"pixel", PixelLoss, tensors.FromFlatDataAndDimensions(masks, 6, 4, 4)},
		{"image", ImageLoss, tensors.FromFlatDataAndDimensions([]float32{0, 1, 0, 0, 1, 0}, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Epochs = 2
			res, err := Train(context.Background(), cfg, Data{Features: features, Labels: tt.labels}, Options{Loss: tt.loss})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.History {
				if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
					t.Fatalf("epoch %d loss %g", r.Epoch, r.Loss)
				}
			}
		})
	}
	bad := Data{Features: features, Labels: tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2)}
	if _, err := Train(context.Background(), tinyConfig(), bad, Options{Loss: ImageLoss}); err == nil {
		t.Error("labels for 2 examples accepted with 6 feature maps")
	}
}

func TestCheckpointEveryAndKeep(t *testing.T) {
	features, _ := lowRankFeatures(7, 6, 4, 6, 2)
	cfg := tinyConfig()
	cfg.Epochs = 3
	dir := t.TempDir()
	if _, err := Train(context.Background(), cfg, Data{Features: features}, Options{Dir: dir, CheckpointEvery: 1, Keep: -1}); err != nil {
		t.Fatal(err)
	}
	names, err := listCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "epoch-000001,epoch-000002,epoch-000003" {
		t.Errorf("checkpoints %v, want one per epoch", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, HistoryFile))
	if err != nil || strings.Count(string(data), `"epoch"`) != 3 {
		t.Errorf("%s holds %q (%v), want 3 epochs", HistoryFile, data, err)
	}
}

// TestContinueWithAnomalyLoss follows the paper's recipe: L_norm first, then more epochs with L_px
// on other (labelled) data, resumed from the L_norm checkpoint.
func TestContinueWithAnomalyLoss(t *testing.T) {
	normal, _ := lowRankFeatures(9, 6, 4, 6, 2)
	cfg := tinyConfig()
	cfg.Epochs = 1
	dir := t.TempDir()
	if _, err := Train(context.Background(), cfg, Data{Features: normal}, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	withAnomalies, _ := lowRankFeatures(10, 8, 4, 6, 2)
	masks := make([]float32, 8*4*4)
	for i := range masks {
		masks[i] = float32(i % 5 / 4)
	}
	cfg.Epochs = 3
	res, err := Train(context.Background(), cfg, Data{Features: withAnomalies, Labels: tensors.FromFlatDataAndDimensions(masks, 8, 4, 4)},
		Options{Dir: dir, Loss: PixelLoss})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 3 {
		t.Errorf("history has %d epochs, want 1 (L_norm) + 2 (L_px)", len(res.History))
	}
}
