// Package train trains ADTR's reconstructor on cached features and runs the trained model:
// mini-batch AdamW with the step learning-rate schedule, gradient clipping, dropout and fixed seeds;
// atomic checkpoints with exact resumption; cancellation through a context; and a Detector that
// turns feature batches into anomaly maps and image scores.
//
// The backbone is not part of these graphs: callers run it once per image (package
// adtr/backbone), apply adtr.Neck, and cache f [N, H, W, C]. The training graph starts from f.
package train

import (
	"github.com/goadtr/goadtr/adtr"
	"github.com/gomlx/gomlx/core/graph"
)

// Loss is a training objective: the scalar loss of a batch of features f and reconstructions fhat
// ([B, H, W, C]). labels is the batch slice of Data.Labels, or nil when the data has none.
type Loss func(cfg *adtr.Config, f, fhat, labels *graph.Node) *graph.Node

// NormalLoss is L_norm (adtr.NormalLoss), for normal images only; it ignores labels.
func NormalLoss(_ *adtr.Config, f, fhat, _ *graph.Node) *graph.Node {
	return adtr.NormalLoss(f, fhat)
}

// PixelLoss is L_px (adtr.PixelLoss with cfg.Alpha); labels are grid masks [B, H, W] in {0, 1}
// (adtr.MaskToGrid).
func PixelLoss(cfg *adtr.Config, f, fhat, labels *graph.Node) *graph.Node {
	return adtr.PixelLoss(f, fhat, labels, cfg.Alpha)
}

// ImageLoss is L_img (adtr.ImageLoss with cfg.Alpha and cfg.TopK); labels are image labels [B] in {0, 1}.
func ImageLoss(cfg *adtr.Config, f, fhat, labels *graph.Node) *graph.Node {
	return adtr.ImageLoss(f, fhat, labels, cfg.Alpha, cfg.TopK)
}
