package metrics

import (
	"fmt"
	"math"
)

// DefaultMaxFPR is the false-positive-rate limit of the MVTec AD AU-PRO standard (30 %).
const DefaultMaxFPR = 0.3

// PROCurve returns the per-region-overlap curve of anomaly maps against ground-truth masks, as
// in the MVTec AD evaluation code: each mask is split into its 8-connected anomalous regions; at
// a threshold, PRO is the fraction of each region's pixels scoring >= the threshold, averaged over
// all regions of all images, and FPR is the fraction of all normal pixels of all images scoring
// >= the threshold. The curve starts at (0, 0), has one point per distinct pixel score (points in
// the middle of horizontal or vertical runs omitted) and stops at FPR = maxFPR, the last point
// being linearly interpolated there.
//
// Every map and non-nil mask holds width×height pixels in row-major order (non-zero mask pixel =
// anomalous). Normal images must be given an all-zero mask; a nil mask means "ground truth
// unavailable" and the image is skipped. maxFPR must be in (0, 1].
func PROCurve(maps [][]float32, masks [][]uint8, width, height int, maxFPR float64) (fpr, pro []float64, err error) {
	if width <= 0 || height <= 0 {
		return nil, nil, fmt.Errorf("metrics: PRO curve: invalid map size %d×%d", width, height)
	}
	if !(maxFPR > 0 && maxFPR <= 1) {
		return nil, nil, fmt.Errorf("metrics: PRO curve: maxFPR %g is not in (0, 1]", maxFPR)
	}
	regions := 0
	w := make([]float64, width*height) // reused: only the current image's weights are needed
	regionWeights := func(i int) []float64 {
		labels, sizes := labelRegions(masks[i], width, height)
		regions += len(sizes)
		for p, l := range labels {
			if l > 0 {
				w[p] = 1 / float64(sizes[l-1])
			}
		}
		return w
	}
	pos, neg, err := poolPixels(maps, masks, width*height, regionWeights)
	if err != nil {
		return nil, nil, err
	}
	if err := requireBoth("PRO curve", len(pos), len(neg)); err != nil {
		return nil, nil, err
	}
	nNeg, nRegions := float64(len(neg)), float64(regions)
	var c curve
	c.add(0, 0, math.Inf(1))
	sweep(pos, neg, func(t float32, tp float64, fp int) bool {
		x, y := float64(fp)/nNeg, tp/nRegions
		if x <= maxFPR {
			c.add(x, y, float64(t))
			return true
		}
		last := len(c.x) - 1
		if x0, y0 := c.x[last], c.y[last]; x0 < maxFPR {
			c.add(maxFPR, y0+(y-y0)*(maxFPR-x0)/(x-x0), float64(t))
		}
		return false
	})
	return c.x, c.y, nil
}

// AUPRO returns the area under the PRO curve (see PROCurve) for FPR in [0, maxFPR], by the
// trapezoid rule, divided by maxFPR so that a perfect localisation scores 1. The MVTec AD
// standard is maxFPR = DefaultMaxFPR (0.3).
func AUPRO(maps [][]float32, masks [][]uint8, width, height int, maxFPR float64) (float64, error) {
	fpr, pro, err := PROCurve(maps, masks, width, height, maxFPR)
	if err != nil {
		return 0, err
	}
	return trapezoid(fpr, pro) / maxFPR, nil
}
