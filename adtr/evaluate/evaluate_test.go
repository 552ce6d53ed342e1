package evaluate

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompute(t *testing.T) {
	// Three 2×2 images: a normal one with low values, an anomalous one whose bright pixel is the
	// masked one, and an anomalous one without a mask (image metrics only).
	s := &Scored{
		Scores: []float64{0.1, 0.9, 0.8},
		Maps:   [][]float32{{0.1, 0.1, 0.1, 0.2}, {0.1, 0.9, 0.1, 0.1}, {0.5, 0.5, 0.5, 0.5}},
		Size:   2,
	}
	labels := []bool{false, true, true}
	tests := []struct {
		name       string
		masks      [][]uint8
		wantPixels int
		wantPixel  float64 // NaN: no pixel metrics
	}{
		{"masks", [][]uint8{{0, 0, 0, 0}, {0, 1, 0, 0}, nil}, 2, 1},
		{"no anomalous mask", [][]uint8{{0, 0, 0, 0}, nil, nil}, 1, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compute(s, labels, tt.masks)
			if err != nil {
				t.Fatal(err)
			}
			if m.ImageAUROC != 1 || m.F1Max != 1 {
				t.Errorf("image AUROC %v, F1-max %v; want 1 and 1 (perfectly separated)", m.ImageAUROC, m.F1Max)
			}
			if m.PixelImages != tt.wantPixels {
				t.Errorf("PixelImages = %d, want %d", m.PixelImages, tt.wantPixels)
			}
			if math.IsNaN(tt.wantPixel) != math.IsNaN(m.PixelAUROC) || (!math.IsNaN(tt.wantPixel) && m.PixelAUROC != tt.wantPixel) {
				t.Errorf("pixel AUROC %v, want %v", m.PixelAUROC, tt.wantPixel)
			}
			if !math.IsNaN(tt.wantPixel) && m.AUPRO != 1 {
				t.Errorf("AU-PRO %v, want 1 (the anomalous pixel scores above every normal one)", m.AUPRO)
			}
		})
	}
	if _, err := Compute(s, labels[:2], make([][]uint8, 3)); err == nil {
		t.Error("mismatched label count accepted")
	}
	// An inverted detector gives an AUROC below 0.5, reported as such.
	inv := &Scored{Scores: []float64{0.9, 0.1}, Maps: [][]float32{{0}, {0}}, Size: 1}
	if m, err := Compute(inv, []bool{false, true}, [][]uint8{nil, nil}); err != nil || m.ImageAUROC != 0 {
		t.Errorf("inverted: AUROC %v, %v; want 0", m.ImageAUROC, err)
	}
}

func TestReportJSONAndTable(t *testing.T) {
	reports := []Report{
		{Category: "a", ImageAUROC: 0.9, PixelAUROC: 0.8, AUPRO: 0.7, F1Max: 0.6, Threshold: 1.5, Epochs: 3, Backbone: "b", ScoreRule: "max of the map", ThresholdRule: "rule"},
		{Category: "b", ImageAUROC: 0.7, PixelAUROC: Number(math.NaN()), AUPRO: Number(math.NaN()), F1Max: 0.5},
	}
	path := filepath.Join(t.TempDir(), "metrics.json")
	if err := WriteJSON(path, reports); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].ImageAUROC != 0.9 || !math.IsNaN(float64(back[1].PixelAUROC)) {
		t.Errorf("round trip gave %+v", back)
	}
	raw, _ := json.Marshal(reports[1])
	for _, field := range []string{`"pixel_auroc":null`, `"category":"b"`, `"image_auroc":0.7`, `"f1_max":0.5`, `"train_seconds":0`} {
		if !bytes.Contains(raw, []byte(field)) {
			t.Errorf("JSON %s lacks %s", raw, field)
		}
	}
	var out strings.Builder
	PrintTable(&out, reports)
	text := out.String()
	// The mean skips the missing pixel AUROC of b: mean image AUROC 80.0, pixel AUROC 80.0 (a only).
	for _, want := range []string{"90.0", "mean", "80.0", "-", "max of the map", "threshold: rule"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
}
