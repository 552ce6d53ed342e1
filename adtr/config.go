// Package adtr implements the model math of ADTR ("Anomaly Detection TRansformer with feature
// reconstruction", You et al., ICONIP 2022): the neck that turns backbone taps into one feature
// grid f, the reconstructor f → f̂ (transformer with an auxiliary query embedding, and the
// ablation variants), the anomaly map and image score, and the training losses.
//
// Everything here is tensors in, tensors out: graph-building functions over *graph.Node with
// NHWC float layout. The backbone runs in its own graph (package adtr/backbone); training and
// inference graphs start from the neck output f ∈ R^{B×H×W×C}, which callers cache.
// The specification is /work/shared/spec/ADTR.md.
package adtr

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Allowed values of the Config switches.
const (
	// QueryLearned makes the decoder start from a learned, input-independent query q ∈ R^{K×D}.
	QueryLearned = "learned"
	// QueryNone makes the decoder start from the encoder output (ablation "without query").
	QueryNone = "none"

	// MixerAttention mixes tokens with multi-head attention.
	MixerAttention = "attention"
	// MixerMLP replaces every attention by a per-token MLP of the same width (ablation "without attention").
	MixerMLP = "mlp"

	// ReconstructorTransformer is the ADTR transformer encoder–decoder.
	ReconstructorTransformer = "transformer"
	// ReconstructorCNN is a convolutional encoder–decoder on f (ablation "CNN").
	ReconstructorCNN = "cnn"

	// TargetFeatures reconstructs backbone features (the paper).
	TargetFeatures = "features"
	// TargetPixels reconstructs normalised image patches (ablation "raw-pixel target"), see PixelPatches.
	TargetPixels = "pixels"

	// PositionLearned is a learned 2-D embedding: a row table H×D/2 and a column table W×D/2, concatenated.
	PositionLearned = "learned"
	// PositionSine is DETR's fixed normalised sine embedding (D/2 features per axis, temperature 10000).
	PositionSine = "sine"

	// ScoreMax is the maximum of the anomaly map.
	ScoreMax = "max"
	// ScorePooledMax is the maximum of the window×window, stride-1 average-pooled anomaly map.
	ScorePooledMax = "pooled_max"
	// ScoreMean is the mean of the anomaly map (one-class semantic data, e.g. CIFAR-10).
	ScoreMean = "mean"
)

// Config holds every hyperparameter of ADTR. It is stored as JSON with each checkpoint.
// DefaultConfig returns the paper's values; the comment on each field gives its default.
type Config struct {
	// InputSize is the side of the square network input in pixels. Default 256 (UniAD: 224).
	InputSize int `json:"input_size"`
	// GridStride is the stride of the feature grid in pixels: the grid is InputSize/GridStride on
	// each side (K = H·W tokens). Default 16 (16×16 tokens at 256 px).
	GridStride int `json:"grid_stride"`
	// Backbone names the frozen CNN. Default "efficientnet_b4".
	Backbone string `json:"backbone"`
	// Taps are the strides of the backbone stages whose last block output is used. Default
	// {2, 4, 8, 16, 32} (EfficientNet-B4: 24+32+56+160+448 = 720 channels; UniAD: {2, 4, 8, 16}).
	Taps []int `json:"taps"`

	// Reconstructor selects the reconstruction network: "transformer" (default) or "cnn".
	Reconstructor string `json:"reconstructor"`
	// Hidden is the transformer width D (the 1×1 in-projection maps C → D). Default 256.
	Hidden int `json:"hidden"`
	// EncoderLayers is the number of transformer encoder layers. Default 4.
	EncoderLayers int `json:"encoder_layers"`
	// DecoderLayers is the number of transformer decoder layers. Default 4.
	DecoderLayers int `json:"decoder_layers"`
	// Heads is the number of attention heads; it must divide Hidden. Default 8.
	Heads int `json:"heads"`
	// FFN is the hidden width of the feed-forward blocks (D → FFN → D, ReLU). Default 1024.
	FFN int `json:"ffn"`
	// Dropout is the dropout rate of the transformer (residual branches, FFN hidden layer and
	// attention weights), active only in training graphs. Default 0.1.
	Dropout float64 `json:"dropout"`
	// PreNorm places each LayerNorm before its sub-layer instead of after the residual add.
	// Default false (post-norm).
	PreNorm bool `json:"pre_norm"`
	// FinalNorm applies a LayerNorm to the decoder output. Default true.
	FinalNorm bool `json:"final_norm"`
	// LayerNormEpsilon is the epsilon of every LayerNorm. Default 1e-5 (PyTorch's).
	LayerNormEpsilon float64 `json:"layer_norm_epsilon"`
	// Position selects the positional embedding added to the queries and keys of every attention:
	// "learned" (default: row table H×D/2 and column table W×D/2, concatenated) or "sine".
	Position string `json:"position"`
	// Query selects the decoder input: "learned" (default: the auxiliary query embedding
	// q ∈ R^{K×D}, shared by all images) or "none" (the encoder output).
	Query string `json:"query"`
	// Mixer selects the token mixer: "attention" (default) or "mlp" (per-token MLPs of width D).
	Mixer string `json:"mixer"`
	// Target selects what is reconstructed: "features" (default) or "pixels" (the normalised image
	// cut into GridStride×GridStride patches flattened as channels; see PixelPatches).
	Target string `json:"target"`

	// SmoothingSigma is the standard deviation in pixels of the Gaussian applied to the anomaly map
	// at input resolution. Default 0 (no smoothing; the spec's option is 4).
	SmoothingSigma float64 `json:"smoothing_sigma"`
	// ScoreRule turns the anomaly map into an image score: "max", "pooled_max" (default) or "mean".
	ScoreRule string `json:"score_rule"`
	// ScoreWindow is the side of the average-pooling window of "pooled_max", in pixels. Default 16.
	ScoreWindow int `json:"score_window"`
	// NormalMapCalibration is a goadtr extension, not in the paper: the mean anomaly map of the
	// normal training images divides every anomaly map before scoring (a calibrated map is about 1
	// on normal regions, and the threshold and overlays are in those units). It removes the
	// position-dependent error that every image shares (for example at the backbone's zero-padded
	// borders), which otherwise dominates the image score when training is short. Default false.
	NormalMapCalibration bool `json:"normal_map_calibration"`

	// LearningRate is AdamW's base learning rate. Default 1e-4.
	LearningRate float64 `json:"learning_rate"`
	// WeightDecay is AdamW's decoupled weight decay. Default 1e-4.
	WeightDecay float64 `json:"weight_decay"`
	// Beta1 is AdamW's first-moment decay. Default 0.9.
	Beta1 float64 `json:"beta1"`
	// Beta2 is AdamW's second-moment decay. Default 0.999.
	Beta2 float64 `json:"beta2"`
	// AdamEpsilon is AdamW's denominator epsilon. Default 1e-8 (PyTorch's).
	AdamEpsilon float64 `json:"adam_epsilon"`
	// BatchSize is the number of images per training step. Default 16 (UniAD: 8).
	BatchSize int `json:"batch_size"`
	// Epochs is the number of training epochs. Default 500 (UniAD: 1000).
	Epochs int `json:"epochs"`
	// LRStepEpoch is the epoch from which the learning rate is multiplied by LRStepFactor
	// (0 = never). Default 400 (UniAD: 800).
	LRStepEpoch int `json:"lr_step_epoch"`
	// LRStepFactor multiplies the learning rate from LRStepEpoch on. Default 0.1.
	LRStepFactor float64 `json:"lr_step_factor"`
	// GradClip is the maximum global L2 norm of the gradients (0 = no clipping). Default 0
	// (UniAD: 0.1).
	GradClip float64 `json:"grad_clip"`
	// Seed seeds the weight initialisation, dropout and the shuffle order. Default 42.
	Seed int64 `json:"seed"`

	// Alpha weighs the push term of the anomaly-aware losses L_px and L_img. Default 0.003.
	Alpha float64 `json:"alpha"`
	// TopK is k of L_img: q is the mean of the k largest pseudo-Huber errors. Default 20.
	TopK int `json:"top_k"`
	// MaskFraction is the rule of MaskToGrid: a grid cell is anomalous when at least this fraction of
	// its pixels is anomalous. Default 0.5.
	MaskFraction float64 `json:"mask_fraction"`
}

// DefaultConfig returns the paper's configuration (spec §1–§4).
func DefaultConfig() *Config {
	return &Config{
		InputSize:        256,
		GridStride:       16,
		Backbone:         "efficientnet_b4",
		Taps:             []int{2, 4, 8, 16, 32},
		Reconstructor:    ReconstructorTransformer,
		Hidden:           256,
		EncoderLayers:    4,
		DecoderLayers:    4,
		Heads:            8,
		FFN:              1024,
		Dropout:          0.1,
		PreNorm:          false,
		FinalNorm:        true,
		LayerNormEpsilon: 1e-5,
		Position:         PositionLearned,
		Query:            QueryLearned,
		Mixer:            MixerAttention,
		Target:           TargetFeatures,
		SmoothingSigma:   0,
		ScoreRule:        ScorePooledMax,
		ScoreWindow:      16,
		LearningRate:     1e-4,
		WeightDecay:      1e-4,
		Beta1:            0.9,
		Beta2:            0.999,
		AdamEpsilon:      1e-8,
		BatchSize:        16,
		Epochs:           500,
		LRStepEpoch:      400,
		LRStepFactor:     0.1,
		GradClip:         0,
		Seed:             42,
		Alpha:            0.003,
		TopK:             20,
		MaskFraction:     0.5,
	}
}

// Grid returns the feature-grid size H = W = InputSize / GridStride.
func (c *Config) Grid() int { return c.InputSize / c.GridStride }

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	c2 := *c
	c2.Taps = slices.Clone(c.Taps)
	return &c2
}

// ParseConfig decodes a JSON configuration on top of DefaultConfig (missing fields keep their
// defaults) and validates it.
func ParseConfig(data []byte) (*Config, error) {
	cfg := DefaultConfig()
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("parsing ADTR config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate reports every inconsistency of the configuration, joined in one error.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	oneOf := func(field, value string, allowed ...string) {
		if !slices.Contains(allowed, value) {
			add("unknown %s %q (allowed: %s)", field, value, strings.Join(allowed, ", "))
		}
	}
	positive := func(field string, value int) bool {
		if value <= 0 {
			add("%s must be positive, got %d", field, value)
			return false
		}
		return true
	}

	if positive("input size", c.InputSize) && positive("grid stride", c.GridStride) && c.InputSize%c.GridStride != 0 {
		add("input size %d is not divisible by the grid stride %d", c.InputSize, c.GridStride)
	}
	if c.Backbone == "" {
		add("backbone name is empty")
	}
	if len(c.Taps) == 0 {
		add("no backbone taps")
	}
	for _, t := range c.Taps {
		if t <= 0 {
			add("backbone tap stride must be positive, got %d", t)
		}
	}
	oneOf("reconstructor", c.Reconstructor, ReconstructorTransformer, ReconstructorCNN)
	oneOf("query", c.Query, QueryLearned, QueryNone)
	oneOf("mixer", c.Mixer, MixerAttention, MixerMLP)
	oneOf("target", c.Target, TargetFeatures, TargetPixels)
	oneOf("position embedding", c.Position, PositionLearned, PositionSine)
	oneOf("score rule", c.ScoreRule, ScoreMax, ScorePooledMax, ScoreMean)
	if positive("hidden size", c.Hidden) && positive("number of heads", c.Heads) && c.Hidden%c.Heads != 0 {
		add("%d heads do not divide the hidden size %d", c.Heads, c.Hidden)
	}
	if c.Position == PositionLearned && c.Hidden%2 != 0 {
		add("the learned 2-D positional embedding needs an even hidden size, got %d", c.Hidden)
	}
	if c.Position == PositionSine && c.Hidden%4 != 0 {
		add("the sine positional embedding needs a hidden size divisible by 4, got %d", c.Hidden)
	}
	positive("encoder layers", c.EncoderLayers)
	positive("decoder layers", c.DecoderLayers)
	positive("feed-forward width", c.FFN)
	if c.Dropout < 0 || c.Dropout >= 1 {
		add("dropout %g is not in [0, 1)", c.Dropout)
	}
	if c.LayerNormEpsilon <= 0 {
		add("layer-norm epsilon must be positive, got %g", c.LayerNormEpsilon)
	}
	if c.Reconstructor == ReconstructorCNN && c.GridStride > 0 && c.Grid()%2 != 0 {
		add("the CNN reconstructor halves the grid: grid %d×%d is odd", c.Grid(), c.Grid())
	}
	if c.SmoothingSigma < 0 {
		add("smoothing sigma must be ≥ 0, got %g", c.SmoothingSigma)
	}
	if positive("score window", c.ScoreWindow) && c.ScoreWindow > c.InputSize {
		add("score window %d exceeds the input size %d", c.ScoreWindow, c.InputSize)
	}
	if c.LearningRate <= 0 {
		add("learning rate must be positive, got %g", c.LearningRate)
	}
	if c.WeightDecay < 0 {
		add("weight decay must be ≥ 0, got %g", c.WeightDecay)
	}
	if c.Beta1 < 0 || c.Beta1 >= 1 || c.Beta2 < 0 || c.Beta2 >= 1 {
		add("Adam betas (%g, %g) must be in [0, 1)", c.Beta1, c.Beta2)
	}
	if c.AdamEpsilon <= 0 {
		add("Adam epsilon must be positive, got %g", c.AdamEpsilon)
	}
	positive("batch size", c.BatchSize)
	positive("epochs", c.Epochs)
	if c.LRStepEpoch < 0 {
		add("learning-rate step epoch must be ≥ 0 (0 = never), got %d", c.LRStepEpoch)
	}
	if c.LRStepFactor <= 0 {
		add("learning-rate step factor must be positive, got %g", c.LRStepFactor)
	}
	if c.GradClip < 0 {
		add("gradient clip must be ≥ 0 (0 = off), got %g", c.GradClip)
	}
	if c.Alpha < 0 {
		add("alpha must be ≥ 0, got %g", c.Alpha)
	}
	if positive("top-k", c.TopK) && c.GridStride > 0 && c.InputSize%c.GridStride == 0 && c.TopK > c.Grid()*c.Grid() {
		add("top-k %d exceeds the %d grid positions", c.TopK, c.Grid()*c.Grid())
	}
	if c.MaskFraction <= 0 || c.MaskFraction > 1 {
		add("mask fraction %g is not in (0, 1]", c.MaskFraction)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid ADTR config: %w", errors.Join(errs...))
	}
	return nil
}
