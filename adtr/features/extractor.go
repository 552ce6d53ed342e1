// Package features computes and caches ADTR's input f: the frozen backbone's taps resized to one
// grid and concatenated (adtr.Neck), or, for the raw-pixel ablation, the image cut into patches
// (adtr.PixelPatches). The backbone is frozen, so f is computed once per image and reused for every
// epoch, for evaluation and for prediction; a disk cache keeps it across runs.
package features

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backbone"
)

// Extractor computes f ∈ R^{B×H×W×C} for batches of ImageNet-normalised NHWC images. The graph is
// compiled once per batch shape and reused.
type Extractor struct {
	cfg      *adtr.Config
	backbone *backbone.Backbone // nil for the raw-pixel target
	channels int
	exec     *Exec
	key      string
}

// New prepares feature extraction for cfg on backend. bb is the frozen backbone named by
// cfg.Backbone; it is unused (and may be nil) when cfg.Target is adtr.TargetPixels.
func New(backend compute.Backend, cfg *adtr.Config, bb *backbone.Backbone) (*Extractor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	grid := cfg.Grid()
	e := &Extractor{cfg: cfg}
	var graphFn func(x *Node) *Node
	if cfg.Target == adtr.TargetPixels {
		e.channels = cfg.GridStride * cfg.GridStride * 3
		graphFn = func(x *Node) *Node { return adtr.PixelPatches(x, cfg.GridStride) }
	} else {
		if bb == nil {
			return nil, fmt.Errorf("features: target %q needs a backbone", cfg.Target)
		}
		if err := bb.CheckTaps(cfg.Taps); err != nil {
			return nil, fmt.Errorf("features: backbone %s: %w", bb.Name(), err)
		}
		e.backbone = bb
		for _, c := range bb.Channels(cfg.Taps) {
			e.channels += c
		}
		taps := slices.Clone(cfg.Taps)
		graphFn = func(x *Node) *Node { return adtr.Neck(bb.Features(x, taps), grid, grid) }
	}
	exec, err := NewExec(backend, graphFn)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	e.exec = exec.WithName("features")
	e.key = e.describe()
	return e, nil
}

// describe returns the identity of the features this extractor computes: everything that changes
// f for a given image.
func (e *Extractor) describe() string {
	parts := []string{"goadtr-features-v1", fmt.Sprintf("size=%d", e.cfg.InputSize), fmt.Sprintf("grid=%d", e.cfg.Grid()), "target=" + e.cfg.Target}
	if e.backbone != nil {
		parts = append(parts, "backbone="+e.backbone.Name(), "weights="+e.backbone.WeightsSHA256(), fmt.Sprintf("taps=%v", e.cfg.Taps))
	}
	return strings.Join(parts, ";")
}

// Channels returns C, the channel count of f.
func (e *Extractor) Channels() int { return e.channels }

// Grid returns the side of the feature grid (H = W).
func (e *Extractor) Grid() int { return e.cfg.Grid() }

// Describe returns a string naming everything f depends on (input size, grid, target, backbone,
// weights checksum, taps); the disk cache keys entries by it.
func (e *Extractor) Describe() string { return e.key }

// Extract computes f for a [B, InputSize, InputSize, 3] float32 batch of normalised images.
func (e *Extractor) Extract(images *tensors.Tensor) (*tensors.Tensor, error) {
	s := images.Shape()
	size := e.cfg.InputSize
	if s.DType != dtypes.Float32 || s.Rank() != 4 || s.Dim(1) != size || s.Dim(2) != size || s.Dim(3) != 3 {
		return nil, fmt.Errorf("features: images must be float32 [B, %d, %d, 3], got %s", size, size, s)
	}
	out, err := e.exec.Exec(images)
	if err != nil {
		return nil, fmt.Errorf("features: extracting %s: %w", s, err)
	}
	return out[0], nil
}

// imageKey is the cache key of one normalised image: a hash of the extractor's identity and the
// image's float32 values.
func (e *Extractor) imageKey(pix []float32) string {
	h := sha256.New()
	h.Write([]byte(e.key))
	h.Write(float32Bytes(pix))
	return hex.EncodeToString(h.Sum(nil))
}
