package backbone

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
)

// Extractor runs a backbone's feature graph for a fixed list of taps. The graph is compiled once per
// input shape and cached. Extract is safe for concurrent use.
type Extractor struct {
	backbone *Backbone
	taps     []int
	exec     *Exec
}

// NewExtractor prepares feature extraction with backbone b at the given taps (strictly increasing
// strides from b.TapStrides()) on backend.
func NewExtractor(backend compute.Backend, b *Backbone, taps []int) (*Extractor, error) {
	if err := b.CheckTaps(taps); err != nil {
		return nil, err
	}
	taps = slices.Clone(taps)
	exec, err := NewExec(backend, func(x *Node) []*Node { return b.Features(x, taps) })
	if err != nil {
		return nil, fmt.Errorf("backbone %s: %w", b.Name(), err)
	}
	return &Extractor{backbone: b, taps: taps, exec: exec.WithName("backbone_" + b.spec.Name)}, nil
}

// Taps returns the extractor's tap strides.
func (e *Extractor) Taps() []int { return slices.Clone(e.taps) }

// Backbone returns the extractor's backbone.
func (e *Extractor) Backbone() *Backbone { return e.backbone }

// Extract returns the NHWC feature maps, one per tap, of images: a [B, H, W, 3] float32 batch of
// ImageNet-normalised RGB images.
func (e *Extractor) Extract(images *tensors.Tensor) ([]*tensors.Tensor, error) {
	shape := images.Shape()
	if shape.DType != dtypes.Float32 || shape.Rank() != 4 || shape.Dimensions[3] != 3 {
		return nil, fmt.Errorf("backbone %s: images must be float32 [B, H, W, 3], got %s", e.backbone.Name(), shape)
	}
	out, err := e.exec.Exec(images)
	if err != nil {
		return nil, fmt.Errorf("backbone %s: extracting features of %s: %w", e.backbone.Name(), shape, err)
	}
	return out, nil
}
