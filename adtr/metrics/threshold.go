package metrics

import (
	"fmt"
	"math"
	"slices"
)

// DefaultNormalQuantile is the quantile of held-back normal scores recommended for
// NormalThreshold: about 1 % of normal images are then flagged. With fewer than 100 normal images
// it interpolates between the two largest scores.
const DefaultNormalQuantile = 0.99

// NormalThreshold chooses a decision threshold from the scores of held-back normal images (never
// test images): their quantile q in [0, 1], with linear interpolation between order statistics
// (NumPy's default), so q = 1 is the maximum. An image is then called anomalous when its score is
// >= the threshold. It fails on an empty input, NaN scores, q outside [0, 1], or a threshold that
// is not positive (it could not normalise scores, see NormalizedScore).
func NormalThreshold(normalScores []float64, q float64) (float64, error) {
	if len(normalScores) == 0 {
		return 0, fmt.Errorf("metrics: normal threshold: no normal scores")
	}
	if !(q >= 0 && q <= 1) {
		return 0, fmt.Errorf("metrics: normal threshold: quantile %g is not in [0, 1]", q)
	}
	sorted := slices.Clone(normalScores)
	for i, s := range sorted {
		if math.IsNaN(s) {
			return 0, fmt.Errorf("metrics: normal threshold: score %d is NaN", i)
		}
	}
	slices.Sort(sorted)
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	t := sorted[lo]
	if frac := pos - float64(lo); frac > 0 {
		t += frac * (sorted[lo+1] - sorted[lo])
	}
	if !(t > 0) {
		return 0, fmt.Errorf("metrics: normal threshold: quantile %g of %d normal scores is %g, not positive", q, len(sorted), t)
	}
	return t, nil
}

// NormalizedScore is the score normalisation goadtr reports to users: score / threshold, with
// threshold from NormalThreshold. 1.0 is the decision boundary: values >= 1 are anomalous, and
// 2.0 means twice the threshold. It returns NaN when threshold is not positive.
func NormalizedScore(score, threshold float64) float64 {
	if !(threshold > 0) {
		return math.NaN()
	}
	return score / threshold
}
