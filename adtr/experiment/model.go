package experiment

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backbone"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/features"
	"github.com/goadtr/goadtr/adtr/train"
	"github.com/goadtr/goadtr/datasets"
)

// Files of a model directory.
const (
	// ModelFile holds ModelInfo: configuration, backbone identity and decision threshold.
	ModelFile = "model.json"
	// CheckpointDir holds the GoMLX checkpoints of training.
	CheckpointDir = "checkpoint"
	// MetricsFile holds the evaluation reports (evaluate.WriteJSON).
	MetricsFile = "metrics.json"
)

// ModelInfo is what a trained model needs beyond its variables: stored as model.json.
type ModelInfo struct {
	// Config is the model configuration it was trained with.
	Config *adtr.Config `json:"config"`
	// Backbone is the backbone's display name ("... (random init)" when not pretrained).
	Backbone string `json:"backbone"`
	// BackbonePretrained is false for a randomly initialised backbone.
	BackbonePretrained bool `json:"backbone_pretrained"`
	// BackboneSeed is the seed of a randomly initialised backbone.
	BackboneSeed int64 `json:"backbone_seed,omitempty"`
	// WeightsSHA256 identifies the backbone weights file; a model refuses other weights.
	WeightsSHA256 string `json:"weights_sha256,omitempty"`
	// Category is the category it was trained on.
	Category string `json:"category"`
	// Data is the data selection it was trained on (evaluation reuses it by default).
	Data Data `json:"data"`
	// Threshold is the decision threshold on image scores: an image is anomalous when its score is
	// at least Threshold.
	Threshold float64 `json:"threshold"`
	// ThresholdRule says how Threshold was chosen.
	ThresholdRule string `json:"threshold_rule"`
	// Epochs is the number of epochs trained.
	Epochs int `json:"epochs"`
	// TrainSeconds is the wall time of all training epochs, resumed runs included (features
	// excluded).
	TrainSeconds float64 `json:"train_seconds"`
	// Anomalies records anomaly-available training (ADTR+); nil for normal-only training.
	Anomalies *AnomalyTraining `json:"anomalies,omitempty"`
}

// Model is a trained ADTR model ready to score images: the frozen feature extractor and the
// detector, with the stored threshold.
type Model struct {
	// Info is the content of model.json.
	Info ModelInfo
	// Features computes f for images.
	Features *features.Extractor
	// Detector computes anomaly maps and scores from f.
	Detector *train.Detector
	// calibration, when Config.NormalMapCalibration is set, subtracts the mean normal map.
	calibration *calibrator
}

// BackboneOptions select the frozen backbone's weights.
type BackboneOptions struct {
	// Weights is an explicit safetensors path; "" resolves by name ($GOADTR_WEIGHTS_DIR, the user
	// cache, then a download from the Hugging Face hub).
	Weights string
	// Random builds a randomly initialised backbone instead (a baseline; labelled in every output).
	Random bool
	// Seed seeds a random backbone.
	Seed int64
	// Progress receives download progress.
	Progress io.Writer
}

// LoadBackbone returns the frozen backbone cfg.Backbone, or nil when cfg reconstructs pixels.
func LoadBackbone(cfg *adtr.Config, opts BackboneOptions) (*backbone.Backbone, error) {
	if cfg.Target == adtr.TargetPixels {
		return nil, nil
	}
	if opts.Random {
		return backbone.Random(cfg.Backbone, opts.Seed)
	}
	path, err := backbone.ResolveWeights(cfg.Backbone, opts.Weights, opts.Progress)
	if err != nil {
		return nil, err
	}
	return backbone.Load(cfg.Backbone, path)
}

// Open loads the model in dir (model.json and the latest checkpoint). opts.Weights may name the
// backbone weights file; they must be the ones the model was trained with.
func Open(dir string, opts BackboneOptions) (*Model, error) {
	data, err := os.ReadFile(filepath.Join(dir, ModelFile))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w (train one with `adtr train -out %s`)", dir, err, dir)
	}
	var info ModelInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("model %s: %s: %w", dir, ModelFile, err)
	}
	if info.Config == nil {
		return nil, fmt.Errorf("model %s: %s has no config", dir, ModelFile)
	}
	if err := info.Config.Validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	opts.Random, opts.Seed = !info.BackbonePretrained, info.BackboneSeed
	bb, err := LoadBackbone(info.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if bb != nil && bb.WeightsSHA256() != info.WeightsSHA256 {
		return nil, fmt.Errorf("model %s: backbone weights have SHA-256 %s, but the model was trained with %s", dir, bb.WeightsSHA256(), info.WeightsSHA256)
	}
	det, err := train.LoadDetector(filepath.Join(dir, CheckpointDir))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	det.Config = info.Config // model.json decides the map post-processing (score rule, smoothing)
	return newModel(info, bb, det, dir)
}

// newModel assembles a Model from its parts.
func newModel(info ModelInfo, bb *backbone.Backbone, det *train.Detector, dir string) (*Model, error) {
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	ext, err := features.New(b, info.Config, bb)
	if err != nil {
		return nil, err
	}
	m := &Model{Info: info, Features: ext, Detector: det}
	if info.Config.NormalMapCalibration {
		if err := m.loadCalibration(b, dir); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Score computes the image scores and anomaly maps of images (InputSize×InputSize), through the
// feature cache in cacheDir when not empty.
func (m *Model) Score(ctx context.Context, images []*datasets.Image, cacheDir string, progress io.Writer) (*evaluate.Scored, error) {
	f, err := m.Features.ExtractAll(ctx, images, features.Options{CacheDir: cacheDir, Progress: progress, Label: "features"})
	if err != nil {
		return nil, err
	}
	defer f.FinalizeAll()
	return m.scoreFeatures(ctx, f)
}

// Anomalous applies the stored threshold to an image score.
func (m *Model) Anomalous(score float64) bool { return score >= m.Info.Threshold }

// saveInfo writes model.json atomically.
func saveInfo(dir string, info ModelInfo) error {
	return writeJSON(filepath.Join(dir, ModelFile), info)
}
