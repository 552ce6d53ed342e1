package metrics

import "math"

// ROC returns the receiver operating characteristic of scores against labels (true = anomalous):
// one point per distinct score, from the highest threshold down, starting at (0, 0) with
// threshold +Inf and ending at (1, 1). Points in the middle of horizontal or vertical runs are
// omitted (the curve and its area are unchanged).
// A sample is predicted anomalous when its score is >= the threshold. It fails on mismatched
// lengths, NaN scores, or when either class is missing.
func ROC(scores []float64, labels []bool) (fpr, tpr, thresholds []float64, err error) {
	pos, neg, err := splitScores(scores, labels)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := requireBoth("ROC", len(pos), len(neg)); err != nil {
		return nil, nil, nil, err
	}
	c := rocCurve(pos, neg)
	return c.x, c.y, c.thr, nil
}

// AUROC returns the area under the ROC curve (trapezoid rule over the tie-collapsed curve), equal
// to the probability that a random anomalous sample scores above a random normal one, ties
// counting one half. A value below 0.5 is returned as is, never flipped. It fails on mismatched
// lengths, NaN scores, or when either class is missing.
func AUROC(scores []float64, labels []bool) (float64, error) {
	fpr, tpr, _, err := ROC(scores, labels)
	if err != nil {
		return 0, err
	}
	return trapezoid(fpr, tpr), nil
}

// PixelAUROC returns the AUROC over all pixels of all images pooled together (not a mean of
// per-image values). maps[i] is the anomaly map of image i and masks[i] its ground truth of the
// same length (non-zero = anomalous pixel). Normal images must be given an all-zero mask: a nil
// mask means "ground truth unavailable" and the image is skipped. It fails on mismatched
// lengths, NaN pixels, or when the used pixels lack either class.
func PixelAUROC(maps [][]float32, masks [][]uint8) (float64, error) {
	pos, neg, err := poolPixels(maps, masks, 0, nil)
	if err != nil {
		return 0, err
	}
	if err := requireBoth("pixel AUROC", len(pos), len(neg)); err != nil {
		return 0, err
	}
	c := rocCurve(pos, neg)
	return trapezoid(c.x, c.y), nil
}

// rocCurve sweeps unit-weight positives and negatives (both non-empty) into a ROC curve.
func rocCurve[T float](pos []positive[T], neg []T) curve {
	nPos, nNeg := float64(len(pos)), float64(len(neg))
	var c curve
	c.add(0, 0, math.Inf(1))
	sweep(pos, neg, func(t T, tp float64, fp int) bool {
		c.add(float64(fp)/nNeg, tp/nPos, float64(t))
		return true
	})
	return c
}
