// Package evaluate scores a trained ADTR detector on a test set with the MVTec AD protocol of the
// spec (§5): image AUROC, pixel AUROC over all pixels of the category pooled at input resolution,
// AU-PRO up to 30 % false-positive rate, image F1-max; and chooses the decision threshold on
// held-back normal images, never on the test set.
package evaluate

import (
	"context"
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr/metrics"
	"github.com/goadtr/goadtr/adtr/train"
)

// Scored holds a detector's outputs for a set of images, in input order.
type Scored struct {
	// Scores are the image scores under the detector's Config.ScoreRule.
	Scores []float64
	// Maps are the anomaly maps at input resolution, Size×Size row-major each.
	Maps [][]float32
	// Size is the side of each map in pixels (the model's InputSize).
	Size int
}

// Score runs d over features [N, H, W, C] in batches of batch images (default 8) and returns the
// image scores and anomaly maps. It stops between batches when ctx is cancelled.
func Score(ctx context.Context, d *train.Detector, features *tensors.Tensor, batch int) (*Scored, error) {
	if features == nil || features.Rank() != 4 {
		return nil, errors.New("evaluate: features must be a [N, H, W, C] tensor")
	}
	if batch <= 0 {
		batch = 8
	}
	dims := features.Shape().Dimensions
	n, per := dims[0], dims[1]*dims[2]*dims[3]
	flat, err := tensors.CopyFlatData[float32](features)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	size := d.Config.InputSize
	out := &Scored{Size: size}
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		hi := min(lo+batch, n)
		f := tensors.FromFlatDataAndDimensions(flat[lo*per:hi*per], hi-lo, dims[1], dims[2], dims[3])
		fhat, maps, scores, err := d.Detect(f)
		if err != nil {
			return nil, err
		}
		m := tensors.MustCopyFlatData[float32](maps)
		for i, s := range tensors.MustCopyFlatData[float32](scores) {
			out.Scores = append(out.Scores, float64(s))
			out.Maps = append(out.Maps, m[i*size*size:(i+1)*size*size])
		}
		for _, t := range []*tensors.Tensor{f, fhat, maps, scores} {
			t.FinalizeAll()
		}
	}
	return out, nil
}

// Metrics are the test-set numbers of one category. Fields that could not be computed (for example
// pixel metrics when no test image has a mask) are NaN, encoded as null in JSON.
type Metrics struct {
	// ImageAUROC is the area under the ROC of the image scores (label: anomalous folder).
	ImageAUROC float64
	// PixelAUROC is the ROC area over all pixels of all test images with ground truth, pooled.
	PixelAUROC float64
	// AUPRO is the normalised area under the per-region-overlap curve up to 30 % FPR.
	AUPRO float64
	// F1Max is the best image-level F1 over all thresholds (an oracle number, as in the literature).
	F1Max float64
	// PixelImages is the number of test images whose masks entered the pixel metrics.
	PixelImages int
}

// Compute returns the metrics of s against image labels and masks (Size×Size, one per image; nil
// where no ground truth is available: such images count for the image metrics only). An AUROC
// below 0.5 is reported as it is, never flipped.
func Compute(s *Scored, labels []bool, masks [][]uint8) (Metrics, error) {
	if len(labels) != len(s.Scores) || len(masks) != len(s.Scores) {
		return Metrics{}, fmt.Errorf("evaluate: %d scores, %d labels, %d masks", len(s.Scores), len(labels), len(masks))
	}
	var m Metrics
	var err error
	if m.ImageAUROC, err = metrics.AUROC(s.Scores, labels); err != nil {
		return m, fmt.Errorf("image AUROC: %w", err)
	}
	if m.F1Max, _, err = metrics.F1Max(s.Scores, labels); err != nil {
		return m, fmt.Errorf("image F1-max: %w", err)
	}
	anomalousWithMask := false
	for i, mask := range masks {
		if mask == nil {
			continue
		}
		m.PixelImages++
		if labels[i] {
			anomalousWithMask = true
		}
	}
	m.PixelAUROC, m.AUPRO = nan(), nan()
	if !anomalousWithMask {
		return m, nil
	}
	if m.PixelAUROC, err = metrics.PixelAUROC(s.Maps, masks); err != nil {
		return m, fmt.Errorf("pixel AUROC: %w", err)
	}
	if m.AUPRO, err = metrics.AUPRO(s.Maps, masks, s.Size, s.Size, metrics.DefaultMaxFPR); err != nil {
		return m, fmt.Errorf("AU-PRO: %w", err)
	}
	return m, nil
}
