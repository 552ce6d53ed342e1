package plots

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// parseSVG fails the test unless svg is well-formed XML with an <svg> root.
func parseSVG(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
}

func TestFiguresSVG(t *testing.T) {
	fpr, tpr := []float64{0, 0, 0.5, 1}, []float64{0, 0.5, 1, 1}
	lossY := []float64{1.2, 0.5, 0.21, 0.09, 0.05}
	for _, tc := range []struct {
		name string
		svg  func() (string, error)
		want []string
	}{
		{
			"ROC",
			ROCPlot("Image ROC <bottle>", ROCSeries("bottle", fpr, tpr, 0.875), ROCSeries("cable", tpr, fpr, 0.125)).SVG,
			[]string{"Image ROC &lt;bottle&gt;", "False-positive rate", "True-positive rate", "bottle (AUROC 0.875)", "cable (AUROC 0.125)", "chance"},
		},
		{
			"PRO",
			PROPlot("PRO", []float64{0, 0.1, 0.3}, []float64{0, 0.6, 0.8}, 0.3, 0.61).SVG,
			[]string{"Per-region overlap", "FPR limit 0.3", "AU-PRO@0.3 0.610"},
		},
		{
			"loss, log y",
			LossPlot("Training", true, EpochSeries("train", lossY)).SVG,
			[]string{"Epoch", "Loss", "train", ">0.1<", ">1<"},
		},
		{
			"histogram",
			ScoreHistogram("Scores", []float64{0.2, 0.3, 0.35}, []float64{0.9, 1.4}, 0.5).SVG,
			[]string{"Anomaly score", "Images", "normal (n=3)", "anomalous (n=2)", "threshold 0.5"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := tc.svg()
			if err != nil {
				t.Fatal(err)
			}
			parseSVG(t, svg)
			for _, w := range tc.want {
				if !strings.Contains(svg, w) {
					t.Errorf("SVG lacks %q", w)
				}
			}
		})
	}
}

func TestLinePlotErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		plot *LinePlot
		want string
	}{
		{"no series", &LinePlot{}, "no series"},
		{"length mismatch", &LinePlot{Series: []Series{{Name: "s", X: []float64{1, 2}, Y: []float64{1}}}}, "2 x and 1 y"},
		{"NaN", &LinePlot{Series: []Series{{Name: "s", X: []float64{1}, Y: []float64{math.NaN()}}}}, "not finite"},
		{"log of zero", LossPlot("", true, EpochSeries("s", []float64{1, 0})), "not positive"},
		{"log range from zero", &LinePlot{Axes: Axes{LogY: true, YRange: Range{0, 1}}, Series: []Series{EpochSeries("s", []float64{1})}}, "not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.plot.SVG()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("SVG error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := ScoreHistogram("", nil, nil, 1).SVG(); err == nil {
		t.Error("empty histogram: no error")
	}
}

// TestLongSeriesDecimated checks that a curve with a point per pooled pixel stays a small SVG.
func TestLongSeriesDecimated(t *testing.T) {
	const n = 200000
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = float64(i) / (n - 1)
		y[i] = math.Sqrt(x[i])
	}
	svg, err := ROCPlot("", Series{Name: "pixels", X: x, Y: y}).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if len(svg) > 100_000 {
		t.Errorf("SVG of a %d-point curve is %d bytes", n, len(svg))
	}
	// A smooth curve across a ~460-pixel plot still needs hundreds of segments.
	if segments := strings.Count(svg, "L"); segments < 200 || segments > 5000 {
		t.Errorf("curve drawn with %d segments, want a few hundred", segments)
	}
}
