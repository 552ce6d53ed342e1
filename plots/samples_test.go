package plots

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSamples renders one of each figure into $PLOTS_SAMPLES_DIR for a person to look at
// (the SVGs can be rasterised with a headless browser). It is skipped when the variable is unset.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("PLOTS_SAMPLES_DIR")
	if dir == "" {
		t.Skip("PLOTS_SAMPLES_DIR not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	save := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	const side, mapSide = 256, 64
	rng := rand.New(rand.NewPCG(7, 11))

	// Three synthetic samples: a textured disc with 0, 1 and 2 elliptic defects; the anomaly
	// maps are a quarter of the resolution, as a model's would be.
	grid := NewGrid(side, "image", "ground truth", "anomaly map", "overlay")
	var maps [][]float32
	var masks [][]uint8
	var bases []*image.RGBA
	for s := range 3 {
		base := image.NewRGBA(image.Rect(0, 0, side, side))
		mask := make([]uint8, side*side)
		for y := range side {
			for x := range side {
				dx, dy := float64(x-side/2), float64(y-side/2)
				v := 60.0
				if dx*dx+dy*dy < 100*100 {
					v = 150 + 40*math.Sin(float64(x)/6)*math.Cos(float64(y)/9)
				}
				base.SetRGBA(x, y, color.RGBA{uint8(v), uint8(v * 0.9), uint8(v * 0.7), 255})
				for d := range s {
					cx, cy := 90.0+float64(70*d), 100.0+float64(50*d)
					if math.Pow((float64(x)-cx)/22, 2)+math.Pow((float64(y)-cy)/12, 2) <= 1 {
						mask[y*side+x] = 1
						base.SetRGBA(x, y, color.RGBA{90, 60, 40, 255})
					}
				}
			}
		}
		m := make([]float32, mapSide*mapSide)
		for i := range m {
			x, y := i%mapSide*side/mapSide, i/mapSide*side/mapSide
			m[i] = 0.3*rng.Float32() + 0.2
			if mask[y*side+x] != 0 {
				m[i] += 1.5
			}
		}
		maps, masks, bases = append(maps, m), append(masks, mask), append(bases, base)
	}
	vmin, vmax := ValueRange(maps...)
	for s := range 3 {
		heat := Heatmap(maps[s], mapSide, mapSide, vmin, vmax, Jet)
		overlay := Overlay(bases[s], heat, 0.45)
		DrawContours(overlay, masks[s], side, side, color.White)
		verdict := "normal"
		if s > 0 {
			verdict = "anomalous"
		}
		save("grid row", grid.AddRow(
			"score "+formatTick(float64(s)*0.8+0.4, 0.01)+" → "+verdict+" (shared scale)",
			bases[s], MaskImage(masks[s], side, side), heat, overlay))
	}
	grid.SetColorBar(Jet, vmin, vmax, "anomaly")
	save("grid.png", SavePNG(filepath.Join(dir, "grid.png"), grid.Image()))

	lo, hi := ValueRange(maps[2])
	single := NewGrid(side, "viridis")
	save("heatmap row", single.AddRow("per-image scale", Heatmap(maps[2], mapSide, mapSide, lo, hi, Viridis)))
	single.SetColorBar(Viridis, lo, hi, "score")
	save("heatmap.png", SavePNG(filepath.Join(dir, "heatmap.png"), single.Image()))

	curve := func(n int, f func(float64) float64) (xs, ys []float64) {
		for i := range n {
			x := float64(i) / float64(n-1)
			xs, ys = append(xs, x), append(ys, f(x))
		}
		return xs, ys
	}
	fa, ta := curve(200, func(x float64) float64 { return math.Pow(x, 0.1) })
	fb, tb := curve(200, func(x float64) float64 { return math.Pow(x, 0.5) })
	roc, err := ROCPlot("Image ROC, MVTec AD bottle", ROCSeries("ADTR", fa, ta, 1/1.1), ROCSeries("baseline", fb, tb, 1/1.5)).SVG()
	save("roc", err)
	save("roc.svg", SaveSVG(filepath.Join(dir, "roc.svg"), roc))

	fp, pp := curve(100, func(x float64) float64 { return 1 - math.Pow(1-x, 12) })
	for i := range fp {
		fp[i] *= 0.3
	}
	pro, err := PROPlot("PRO curve, bottle", fp, pp, 0.3, 0.912).SVG()
	save("pro", err)
	save("pro.svg", SaveSVG(filepath.Join(dir, "pro.svg"), pro))

	train, val := make([]float64, 200), make([]float64, 200)
	for i := range train {
		train[i] = 2*math.Exp(-float64(i)/30) + 0.02 + 0.01*rng.Float64()
		val[i] = 2.2*math.Exp(-float64(i)/35) + 0.04 + 0.02*rng.Float64()
	}
	loss, err := LossPlot("Training loss", true, EpochSeries("train", train), EpochSeries("validation", val)).SVG()
	save("loss", err)
	save("loss.svg", SaveSVG(filepath.Join(dir, "loss.svg"), loss))

	normal, anomalous := make([]float64, 120), make([]float64, 60)
	for i := range normal {
		normal[i] = 1 + 0.15*rng.NormFloat64()
	}
	for i := range anomalous {
		anomalous[i] = 1.8 + 0.4*rng.NormFloat64()
	}
	hist, err := ScoreHistogram("Image scores, bottle", normal, anomalous, 1.35).SVG()
	save("hist", err)
	save("hist.svg", SaveSVG(filepath.Join(dir, "hist.svg"), hist))
}
