package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// fixtures mirrors testdata/fixtures.json, written by testdata/make_fixtures.py from
// scikit-learn (AUROC, F1-max) and a brute-force AU-PRO reference.
type fixtures struct {
	Binary []struct {
		Name   string
		Scores []float64
		Labels []int
		AUROC  float64 `json:"auroc"`
		F1Max  float64 `json:"f1max"`
	}
	PRO []struct {
		Name          string
		Width, Height int
		Maps          [][]float32
		Masks         [][]uint8
		PixelAUROC    float64 `json:"pixel_auroc"`
		AUPRO         []struct {
			MaxFPR float64 `json:"max_fpr"`
			Value  float64
		}
	} `json:"pro"`
}

func loadFixtures(t *testing.T) fixtures {
	t.Helper()
	data, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("testdata/fixtures.json: %v", err)
	}
	if len(f.Binary) == 0 || len(f.PRO) == 0 {
		t.Fatal("testdata/fixtures.json holds no cases")
	}
	return f
}

func TestAgainstScikitLearn(t *testing.T) {
	for _, c := range loadFixtures(t).Binary {
		t.Run(c.Name, func(t *testing.T) {
			labels := make([]bool, len(c.Labels))
			for i, l := range c.Labels {
				labels[i] = l == 1
			}
			auroc, err := AUROC(c.Scores, labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(auroc-c.AUROC) > 1e-9 {
				t.Errorf("AUROC = %.12f, scikit-learn %.12f", auroc, c.AUROC)
			}
			f1, threshold, err := F1Max(c.Scores, labels)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(f1-c.F1Max) > 1e-9 {
				t.Errorf("F1Max = %.12f, scikit-learn %.12f", f1, c.F1Max)
			}
			// The returned threshold must reach the returned F1.
			tp, fp, nPos := 0.0, 0.0, 0.0
			for i, s := range c.Scores {
				if labels[i] {
					nPos++
				}
				if s >= threshold && labels[i] {
					tp++
				} else if s >= threshold {
					fp++
				}
			}
			if at := 2 * tp / (tp + fp + nPos); math.Abs(at-f1) > 1e-12 {
				t.Errorf("F1 at threshold %v is %v, F1Max said %v", threshold, at, f1)
			}
		})
	}
}

func TestPixelMetricsAgainstReference(t *testing.T) {
	for _, c := range loadFixtures(t).PRO {
		t.Run(c.Name, func(t *testing.T) {
			pixel, err := PixelAUROC(c.Maps, c.Masks)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(pixel-c.PixelAUROC) > 1e-6 {
				t.Errorf("PixelAUROC = %.9f, scikit-learn %.9f", pixel, c.PixelAUROC)
			}
			for _, ref := range c.AUPRO {
				got, err := AUPRO(c.Maps, c.Masks, c.Width, c.Height, ref.MaxFPR)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-ref.Value) > 1e-4 {
					t.Errorf("AUPRO(maxFPR %v) = %.9f, reference %.9f", ref.MaxFPR, got, ref.Value)
				}
			}
		})
	}
}
