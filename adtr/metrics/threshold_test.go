package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestNormalThreshold(t *testing.T) {
	scores := []float64{5, 1, 4, 2, 3}
	for _, tc := range []struct {
		q, want float64
	}{
		{1, 5},
		{0, 1},
		{0.5, 3},
		{0.9, 4.6}, // position 0.9·4 = 3.6 between 4 and 5
		{DefaultNormalQuantile, 4.96},
	} {
		got, err := NormalThreshold(scores, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("NormalThreshold(q=%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if scores[0] != 5 {
		t.Errorf("NormalThreshold reordered its input: %v", scores)
	}
}

func TestNormalThresholdErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		q      float64
		want   string
	}{
		{"empty", nil, 0.99, "no normal"},
		{"NaN score", []float64{1, math.NaN()}, 0.99, "NaN"},
		{"quantile above 1", []float64{1}, 1.5, "quantile"},
		{"NaN quantile", []float64{1}, math.NaN(), "quantile"},
		{"not positive", []float64{-1, 0}, 1, "not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NormalThreshold(tc.scores, tc.q)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NormalThreshold error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNormalizedScore(t *testing.T) {
	for _, tc := range []struct {
		score, threshold, want float64
	}{
		{2, 2, 1},
		{3, 2, 1.5},
		{0, 2, 0},
		{1, 0, math.NaN()},
		{1, -1, math.NaN()},
	} {
		got := NormalizedScore(tc.score, tc.threshold)
		if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("NormalizedScore(%v, %v) = %v, want %v", tc.score, tc.threshold, got, tc.want)
		}
	}
}
