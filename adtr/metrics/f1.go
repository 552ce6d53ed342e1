package metrics

import "fmt"

// F1Max returns the best F1 score over all thresholds (F1 = 2·precision·recall /
// (precision + recall)) and the highest threshold reaching it; a sample is predicted anomalous
// when its score is >= threshold. It fails on mismatched lengths, NaN scores or when no sample is
// anomalous; samples need not include normal ones.
func F1Max(scores []float64, labels []bool) (f1, threshold float64, err error) {
	pos, neg, err := splitScores(scores, labels)
	if err != nil {
		return 0, 0, err
	}
	if len(pos) == 0 {
		return 0, 0, fmt.Errorf("metrics: F1-max needs at least one anomalous sample, got none (%d normal)", len(neg))
	}
	nPos := float64(len(pos))
	sweep(pos, neg, func(t float64, tp float64, fp int) bool {
		// 2PR/(P+R) with P = tp/(tp+fp) and R = tp/nPos simplifies to 2tp/(tp+fp+nPos).
		if score := 2 * tp / (tp + float64(fp) + nPos); score > f1 {
			f1, threshold = score, t
		}
		return true
	})
	return f1, threshold, nil
}
