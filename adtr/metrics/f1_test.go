package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestF1MaxHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name          string
		scores        []float64
		labels        []bool
		f1, threshold float64
	}{
		// F1 = 2tp/(tp+fp+P): at 0.9 2/3, at 0.8 1/2, at 0.7 4/5, at 0.6 2/3.
		{"interleaved", []float64{0.9, 0.8, 0.7, 0.6}, []bool{true, false, true, false}, 0.8, 0.7},
		// The tie at 1 counts one positive and one negative together: 2/4, then 4/5 at 0.
		{"tie", []float64{1, 1, 0}, []bool{true, false, true}, 0.8, 0},
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1, 0.8},
		// Flagging everything (threshold 0.1) gives precision ½, recall 1: F1 ⅔; anything
		// stricter catches negatives first.
		{"inverted", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 2.0 / 3, 0.1},
		{"no negatives", []float64{0.3, 0.7}, []bool{true, true}, 1, 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f1, threshold, err := F1Max(tc.scores, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(f1-tc.f1) > 1e-12 || threshold != tc.threshold {
				t.Errorf("F1Max = %v at %v, want %v at %v", f1, threshold, tc.f1, tc.threshold)
			}
		})
	}
}

func TestF1MaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   string
	}{
		{"no positives", []float64{1}, []bool{false}, "anomalous"},
		{"NaN", []float64{math.NaN()}, []bool{true}, "NaN"},
		{"length mismatch", []float64{1}, nil, "labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := F1Max(tc.scores, tc.labels)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("F1Max error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
