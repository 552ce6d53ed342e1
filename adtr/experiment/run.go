package experiment

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/features"
	"github.com/goadtr/goadtr/adtr/metrics"
	"github.com/goadtr/goadtr/adtr/train"
	"github.com/goadtr/goadtr/datasets"
	"github.com/goadtr/goadtr/internal/atomicfile"
)

// Spec describes one experiment: train ADTR on a category's normal images, choose the threshold on
// held-back normals, evaluate on the test split and write the reports.
type Spec struct {
	// Data selects the category.
	Data Data
	// Config is the model and training configuration (adtr.DefaultConfig for the paper's).
	Config *adtr.Config
	// Backbone selects the backbone weights.
	Backbone BackboneOptions
	// Out is the model directory: checkpoint/, model.json, metrics.json, history.json, loss.svg,
	// overlays/. An existing checkpoint there is resumed.
	Out string
	// FeatureCache is the directory of the on-disk feature cache; "" means DefaultFeatureCache(),
	// "-" disables it.
	FeatureCache string
	// CheckpointEvery saves a checkpoint every this many epochs (0: at the end and on interruption).
	CheckpointEvery int
	// Overlays is the number of test images drawn as overlays (the most and least anomalous
	// first); 0 means all, negative none.
	Overlays int
	// Anomalies configures anomaly-available training (ADTR+); the zero value is normal-only.
	Anomalies Anomalies
	// Progress receives progress lines; nil is silent.
	Progress io.Writer
}

// Outcome is what Run produced.
type Outcome struct {
	// Report is the category's metrics.json row.
	Report evaluate.Report
	// History is the per-epoch training record.
	History []train.EpochRecord
	// Model is the trained model with its threshold.
	Model *Model
	// Test holds the test images, their masks (nil where none), labels and the model's outputs.
	Test *TestSet
}

// TestSet is a category's test split, loaded and scored.
type TestSet struct {
	Samples []datasets.Sample
	Images  []*datasets.Image
	Masks   []*datasets.Mask
	Labels  []bool
	Scored  *evaluate.Scored
}

// DefaultFeatureCache is the on-disk feature cache: <user cache dir>/goadtr/features.
func DefaultFeatureCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "goadtr", "features")
}

// FeatureCacheDir resolves a feature-cache setting: "" is DefaultFeatureCache(), "-" is none ("").
func FeatureCacheDir(setting string) string {
	switch setting {
	case "":
		return DefaultFeatureCache()
	case "-":
		return ""
	}
	return setting
}

// Run executes the experiment. When ctx is cancelled during training, the checkpoint is saved and
// the returned error satisfies errors.Is(err, context.Canceled); running the same Spec again resumes.
func Run(ctx context.Context, spec Spec) (*Outcome, error) {
	cfg := spec.Config
	if cfg == nil {
		cfg = adtr.DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if spec.Out == "" {
		return nil, fmt.Errorf("experiment: no output directory")
	}
	logf := func(format string, args ...any) {
		if spec.Progress != nil {
			fmt.Fprintf(spec.Progress, format+"\n", args...)
		}
	}
	cat, err := spec.Data.Open(cfg.InputSize)
	if err != nil {
		return nil, err
	}
	for _, w := range cat.Warnings {
		logf("warning: %s", w)
	}
	logf("data %s: %d train, %d held-back normal, %d test images", cat.Name, len(cat.Train), len(cat.Val), len(cat.Test))
	if len(cat.Train) == 0 || len(cat.Test) == 0 {
		return nil, fmt.Errorf("data %s: %w in train or test", cat.Name, errNoData)
	}
	plan, err := spec.Anomalies.plan(cat, cfg)
	if err != nil {
		return nil, err
	}
	bb, err := LoadBackbone(cfg, spec.Backbone)
	if err != nil {
		return nil, err
	}
	info := ModelInfo{Config: cfg, Category: cat.Name, Data: spec.Data, BackboneSeed: spec.Backbone.Seed}
	if bb != nil {
		info.Backbone, info.BackbonePretrained, info.WeightsSHA256 = bb.Name(), bb.Pretrained(), bb.WeightsSHA256()
	} else {
		info.Backbone, info.BackbonePretrained = "none (pixels)", true
	}
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	ext, err := features.New(b, cfg, bb)
	if err != nil {
		return nil, err
	}

	// Frozen features, computed once per image.
	extract := func(label string, samples []datasets.Sample) ([]*datasets.Image, []*datasets.Mask, *tensors.Tensor, error) {
		if len(samples) == 0 {
			return nil, nil, nil, nil
		}
		images, masks, err := datasets.LoadAll(samples, cfg.InputSize, 0, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		f, err := ext.ExtractAll(ctx, images, features.Options{CacheDir: FeatureCacheDir(spec.FeatureCache), Progress: spec.Progress, Label: label})
		return images, masks, f, err
	}
	trainImages, _, trainF, err := extract("train features", cat.Train)
	if err != nil {
		return nil, err
	}

	opts := train.Options{
		Dir: filepath.Join(spec.Out, CheckpointDir), CheckpointEvery: spec.CheckpointEvery,
		Progress: spec.Progress, Backend: b,
	}
	var res *train.Result
	if plan == nil {
		res, err = train.Train(ctx, cfg, train.Data{Features: trainF}, opts)
	} else {
		logf("anomaly training: %s", plan.rec.Recipe)
		info.Anomalies = &plan.rec
		env := anomalyEnv{backend: b, ext: ext, cacheDir: FeatureCacheDir(spec.FeatureCache), progress: spec.Progress, out: spec.Out}
		res, err = plan.train(ctx, cfg, env, trainImages, trainF, opts)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range res.History { // all epochs, including those of earlier, resumed runs
		info.TrainSeconds += r.Seconds
	}
	info.Epochs = len(res.History)
	det, err := res.Detector(b)
	if err != nil {
		return nil, err
	}
	m := &Model{Info: info, Features: ext, Detector: det}
	if cfg.NormalMapCalibration {
		if err := m.calibrate(ctx, b, trainF, spec.Out); err != nil {
			return nil, err
		}
	}

	// Threshold on held-back normal images (never the test set).
	thresholdSamples, rule := cat.Val, fmt.Sprintf("%.2f quantile of the scores of %d held-back normal images", metrics.DefaultNormalQuantile, len(cat.Val))
	thresholdF := trainF
	if len(cat.Val) == 0 {
		rule = fmt.Sprintf("%.2f quantile of the scores of the %d training images (no held-back normals: biased low)", metrics.DefaultNormalQuantile, len(cat.Train))
	} else if _, _, thresholdF, err = extract("held-back features", thresholdSamples); err != nil {
		return nil, err
	}
	valScored, err := m.scoreFeatures(ctx, thresholdF)
	if err != nil {
		return nil, err
	}
	if m.Info.Threshold, err = metrics.NormalThreshold(valScored.Scores, metrics.DefaultNormalQuantile); err != nil {
		return nil, err
	}
	m.Info.ThresholdRule = rule
	if err := saveInfo(spec.Out, m.Info); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(spec.Out, "history.json"), res.History); err != nil {
		return nil, err
	}

	test, err := m.Test(ctx, cat, FeatureCacheDir(spec.FeatureCache), spec.Progress)
	if err != nil {
		return nil, err
	}
	report, err := m.Report(test)
	if err != nil {
		return nil, err
	}
	if err := evaluate.WriteJSON(filepath.Join(spec.Out, MetricsFile), []evaluate.Report{report}); err != nil {
		return nil, err
	}
	out := &Outcome{Report: report, History: res.History, Model: m, Test: test}
	if err := WriteFigures(spec.Out, out, spec.Overlays); err != nil {
		return nil, err
	}
	return out, nil
}

// Test loads and scores the test split of cat, less the test samples the model was trained on
// (labelled anomalies, ModelInfo.Anomalies).
func (m *Model) Test(ctx context.Context, cat *datasets.Category, cacheDir string, progress io.Writer) (*TestSet, error) {
	samples := m.Info.Anomalies.evaluated(cat.Test)
	images, masks, err := datasets.LoadAll(samples, m.Info.Config.InputSize, 0, nil)
	if err != nil {
		return nil, err
	}
	scored, err := m.Score(ctx, images, cacheDir, progress)
	if err != nil {
		return nil, err
	}
	labels := make([]bool, len(samples))
	for i, s := range samples {
		labels[i] = s.Anomalous
	}
	return &TestSet{Samples: samples, Images: images, Masks: masks, Labels: labels, Scored: scored}, nil
}

// Report computes the metrics of a scored test set and labels them with the model's identity.
func (m *Model) Report(t *TestSet) (evaluate.Report, error) {
	maskPix := make([][]uint8, len(t.Masks))
	anomalous := 0
	for i, mk := range t.Masks {
		if mk != nil {
			maskPix[i] = mk.Pix
		}
		if t.Labels[i] {
			anomalous++
		}
	}
	mets, err := evaluate.Compute(t.Scored, t.Labels, maskPix)
	if err != nil {
		return evaluate.Report{}, fmt.Errorf("category %s: %w", m.Info.Category, err)
	}
	cfg := m.Info.Config
	r := evaluate.Report{
		Category: m.Info.Category, Threshold: evaluate.Number(m.Info.Threshold), ThresholdRule: m.Info.ThresholdRule,
		ScoreRule: scoreRuleName(cfg), ScoreNormalise: evaluate.ScoreNormalisation, Epochs: m.Info.Epochs,
		Backbone: m.Info.Backbone, Pretrained: m.Info.BackbonePretrained, Variant: Variant(cfg), Seed: cfg.Seed,
		TrainSeconds: evaluate.Number(m.Info.TrainSeconds), InputSize: cfg.InputSize,
		TestImages: len(t.Labels), TestAnomalous: anomalous,
	}
	if m.Info.Anomalies != nil {
		r.Loss = m.Info.Anomalies.Recipe
	}
	r.SetMetrics(mets)
	return r, nil
}

// Variant names the reconstructor variant of cfg in the ablation's terms, e.g.
// "transformer/attention/query=learned/features".
func Variant(cfg *adtr.Config) string {
	if cfg.Reconstructor == adtr.ReconstructorCNN {
		return "cnn/" + cfg.Target
	}
	return fmt.Sprintf("transformer/%s/query=%s/%s", cfg.Mixer, cfg.Query, cfg.Target)
}

// scoreRuleName spells out the image score rule, with its window and calibration.
func scoreRuleName(cfg *adtr.Config) string {
	rule := cfg.ScoreRule + " of the map"
	if cfg.ScoreRule == adtr.ScorePooledMax {
		rule = fmt.Sprintf("max of the %d×%d average-pooled map", cfg.ScoreWindow, cfg.ScoreWindow)
	}
	if cfg.NormalMapCalibration {
		rule += " divided by the mean normal map (-calibrate)"
	}
	return rule
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}
