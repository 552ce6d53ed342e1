package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestAUROCHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, 0.5},
		// Pairs (pos, neg): (0.9,0.5)=1 (0.9,0.1)=1 (0.5,0.5)=½ (0.5,0.1)=1 → 3.5/4.
		{"one tie", []float64{0.9, 0.5, 0.5, 0.1}, []bool{true, true, false, false}, 0.875},
		// Only (0.3, 0.2) of the 6 pairs is ordered correctly: 1/6, kept below 0.5.
		{"mostly inverted", []float64{0.1, 0.3, 0.2, 0.4, 0.5}, []bool{true, true, false, false, false}, 1.0 / 6},
		// Infinite scores are ordinary values: pos {+Inf, 1}, neg {1, -Inf} → (1+1+½+1)/4.
		{"infinities", []float64{math.Inf(1), 1, 1, math.Inf(-1)}, []bool{true, true, false, false}, 0.875},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AUROC(tc.scores, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AUROC = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestROCPoints(t *testing.T) {
	for _, tc := range []struct {
		name             string
		scores           []float64
		labels           []bool
		fpr, tpr, thresh []float64
	}{
		{
			name:   "tie is one point",
			scores: []float64{0.9, 0.5, 0.5, 0.1}, labels: []bool{true, true, false, false},
			fpr: []float64{0, 0, 0.5, 1}, tpr: []float64{0, 0.5, 1, 1},
			thresh: []float64{math.Inf(1), 0.9, 0.5, 0.1},
		},
		{
			name:   "straight runs collapse",
			scores: []float64{4, 3, 2, 1}, labels: []bool{true, true, false, false},
			fpr: []float64{0, 0, 1}, tpr: []float64{0, 1, 1},
			thresh: []float64{math.Inf(1), 3, 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fpr, tpr, thresh, err := ROC(tc.scores, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, "fpr", fpr, tc.fpr, 1e-12)
			assertClose(t, "tpr", tpr, tc.tpr, 1e-12)
			assertClose(t, "thresholds", thresh, tc.thresh, 0)
		})
	}
}

func TestAUROCErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   string
	}{
		{"empty", nil, nil, "anomalous"},
		{"no positives", []float64{1, 2}, []bool{false, false}, "anomalous"},
		{"no negatives", []float64{1, 2}, []bool{true, true}, "normal"},
		{"NaN", []float64{1, math.NaN()}, []bool{true, false}, "NaN"},
		{"length mismatch", []float64{1, 2}, []bool{true}, "labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AUROC(tc.scores, tc.labels)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AUROC error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPixelAUROC(t *testing.T) {
	maps := [][]float32{{0.9, 0.1, 0.5}, {0.0, 1.0, 0.2}, {0.3, 0.3, 0.3}}
	for _, tc := range []struct {
		name  string
		masks [][]uint8
		want  float64
	}{
		// Pooled: pos {0.9, 1.0}; neg {0.1, 0.5, 0.0, 0.2}: every pair ordered.
		{"pooled", [][]uint8{{1, 0, 0}, {0, 1, 0}, nil}, 1},
		// Image 2 now counts: pos {0.9, 0.3}; neg {0.1, 0.5, 0.3, 0.3}: 0.9 beats all 4;
		// 0.3 beats 0.1, ties two 0.3s, loses to 0.5 → (4 + 1 + 1) / 8.
		{"normal image with all-zero mask", [][]uint8{{1, 0, 0}, nil, {1, 0, 0}}, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PixelAUROC(maps, tc.masks)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("PixelAUROC = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPixelAUROCErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		maps  [][]float32
		masks [][]uint8
		want  string
	}{
		{"count mismatch", [][]float32{{1}}, nil, "masks"},
		{"size mismatch", [][]float32{{1, 2}}, [][]uint8{{1}}, "pixels"},
		{"NaN pixel", [][]float32{{1, float32(math.NaN())}}, [][]uint8{{1, 0}}, "NaN"},
		{"every mask nil", [][]float32{{1, 2}}, [][]uint8{nil}, "anomalous"},
		{"no anomalous pixel", [][]float32{{1, 2}}, [][]uint8{{0, 0}}, "anomalous"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PixelAUROC(tc.maps, tc.masks)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PixelAUROC error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// assertClose fails unless got and want have the same length and agree element-wise within tol.
func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] && !(math.Abs(got[i]-want[i]) <= tol) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}
