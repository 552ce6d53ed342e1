package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// float is the set of score types the sweep accepts: float64 for image scores, float32 for
// anomaly maps (half the memory for millions of pixels).
type float interface{ ~float32 | ~float64 }

// positive is the score of an anomalous sample and the mass it adds to the true-positive total
// once the threshold reaches it: 1 for AUROC and F1, 1/(region size × number of regions) for PRO.
type positive[T float] struct {
	score  T
	weight float64
}

// sweep sorts pos and neg in place and visits every distinct score from the highest down, after
// adding all samples scoring at least that threshold: tp is the summed weight of those positives,
// fp the count of those negatives. visit returns false to stop early. Scores must not be NaN.
func sweep[T float](pos []positive[T], neg []T, visit func(threshold T, tp float64, fp int) bool) {
	slices.SortFunc(pos, func(a, b positive[T]) int { return cmp.Compare(a.score, b.score) })
	slices.Sort(neg)
	i, j := len(pos)-1, len(neg)-1
	tp, fp := 0.0, 0
	for i >= 0 || j >= 0 {
		var t T
		if j < 0 || (i >= 0 && pos[i].score >= neg[j]) {
			t = pos[i].score
		} else {
			t = neg[j]
		}
		for ; i >= 0 && pos[i].score == t; i-- {
			tp += pos[i].weight
		}
		for ; j >= 0 && neg[j] == t; j-- {
			fp++
		}
		if !visit(t, tp, fp) {
			return
		}
	}
}

// splitScores checks image-level inputs and splits them into unit-weight positives and negatives.
func splitScores(scores []float64, labels []bool) ([]positive[float64], []float64, error) {
	if len(scores) != len(labels) {
		return nil, nil, fmt.Errorf("metrics: %d scores but %d labels", len(scores), len(labels))
	}
	var pos []positive[float64]
	var neg []float64
	for i, s := range scores {
		if math.IsNaN(s) {
			return nil, nil, fmt.Errorf("metrics: score %d is NaN", i)
		}
		if labels[i] {
			pos = append(pos, positive[float64]{score: s, weight: 1})
		} else {
			neg = append(neg, s)
		}
	}
	return pos, neg, nil
}

// requireBoth returns an error naming what when either class is empty.
func requireBoth(what string, nPos, nNeg int) error {
	if nPos == 0 {
		return fmt.Errorf("metrics: %s needs at least one anomalous sample, got none (%d normal)", what, nNeg)
	}
	if nNeg == 0 {
		return fmt.Errorf("metrics: %s needs at least one normal sample, got none (%d anomalous)", what, nPos)
	}
	return nil
}
