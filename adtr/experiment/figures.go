package experiment

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/goadtr/goadtr/adtr/metrics"
	"github.com/goadtr/goadtr/datasets"
	"github.com/goadtr/goadtr/plots"
)

// Figure files written by WriteFigures into a model directory.
const (
	LossFigure      = "loss.svg"
	ROCFigure       = "roc.svg"
	HistogramFigure = "scores.svg"
	OverlayDir      = "overlays"
)

// OverlayAlpha is the opacity of the heatmap drawn over the image in overlays.
const OverlayAlpha = 0.5

// WriteFigures writes the loss curve, the image ROC curve, the score histogram with the threshold,
// and overlay grids of n test images (0: all; negative: none) into dir.
func WriteFigures(dir string, o *Outcome, n int) error {
	var svgs []struct{ name, svg string }
	add := func(name string, svg string, err error) error {
		if err != nil {
			return fmt.Errorf("figure %s: %w", name, err)
		}
		svgs = append(svgs, struct{ name, svg string }{name, svg})
		return nil
	}
	losses := make([]float64, len(o.History))
	for i, r := range o.History {
		losses[i] = r.Loss
	}
	if len(losses) > 0 {
		svg, err := plots.LossPlot("Training loss ("+o.Report.Category+")", true, plots.EpochSeries("train", losses)).SVG()
		if err := add(LossFigure, svg, err); err != nil {
			return err
		}
	}
	t := o.Test
	fpr, tpr, _, err := metrics.ROC(t.Scored.Scores, t.Labels)
	if err == nil {
		svg, err := plots.ROCPlot("Image ROC ("+o.Report.Category+")", plots.ROCSeries("ADTR", fpr, tpr, float64(o.Report.ImageAUROC))).SVG()
		if err := add(ROCFigure, svg, err); err != nil {
			return err
		}
	}
	var normal, anomalous []float64
	for i, s := range t.Scored.Scores {
		if t.Labels[i] {
			anomalous = append(anomalous, s)
		} else {
			normal = append(normal, s)
		}
	}
	svg, err := plots.ScoreHistogram("Image scores ("+o.Report.Category+")", normal, anomalous, o.Model.Info.Threshold).SVG()
	if err := add(HistogramFigure, svg, err); err != nil {
		return err
	}
	for _, f := range svgs {
		if err := plots.SaveSVG(filepath.Join(dir, f.name), f.svg); err != nil {
			return err
		}
	}
	if n < 0 {
		return nil
	}
	return WriteOverlays(filepath.Join(dir, OverlayDir), o.Model.Info.Threshold, t, OverlayOrder(t.Scored.Scores, n))
}

// OverlayOrder returns n test indices to draw: alternately the most and the least anomalous
// remaining image, so a short gallery shows both ends; n = 0 means all, by decreasing score.
func OverlayOrder(scores []float64, n int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	if n <= 0 || n >= len(idx) {
		return idx
	}
	out := make([]int, 0, n)
	for lo, hi := 0, len(idx)-1; len(out) < n; lo, hi = lo+1, hi-1 {
		out = append(out, idx[lo])
		if len(out) < n && hi > lo {
			out = append(out, idx[hi])
		}
	}
	return out
}

// WriteOverlays replaces the PNGs in dir by one per listed test image: image | ground truth | heatmap |
// overlay with the ground-truth contour, captioned with the normalised score and the decision.
// All heatmaps share one colour scale, from 0 to the largest map value of the test set, so their
// colours compare across images (the colour bar says so).
func WriteOverlays(dir string, threshold float64, t *TestSet, which []int) error {
	vmin, vmax := 0.0, 0.0
	for _, m := range t.Scored.Maps {
		_, hi := plots.ValueRange(m)
		vmax = math.Max(vmax, hi)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "*.png")) // overlays of an earlier run
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	size := t.Scored.Size
	for rank, i := range which {
		g := Gallery(vmin, vmax)
		if err := g.AddRow(Caption(t.Samples[i], t.Scored.Scores[i], threshold), GalleryRow(t.Images[i], t.Masks[i], t.Scored.Maps[i], size, vmin, vmax)...); err != nil {
			return err
		}
		name := fmt.Sprintf("%03d_%s_%s.png", rank+1, sampleKind(t.Samples[i]), t.Samples[i].Name)
		if err := plots.SavePNG(filepath.Join(dir, name), g.Image()); err != nil {
			return err
		}
	}
	return nil
}

// Gallery returns an empty four-column grid (image | ground truth | anomaly map | overlay) with the
// shared colour bar from vmin to vmax.
func Gallery(vmin, vmax float64) *plots.Grid {
	g := plots.NewGrid(256, "image", "ground truth", "anomaly map", "overlay")
	g.SetColorBar(plots.Jet, vmin, vmax, "anomaly (shared scale)")
	return g
}

// GalleryRow renders the four cells of one gallery row: the image, its mask (nil: none), the anomaly
// map on the scale [vmin, vmax] and the overlay with the mask contour.
func GalleryRow(img *datasets.Image, mask *datasets.Mask, amap []float32, size int, vmin, vmax float64) []image.Image {
	rgb := img.ToRGBA()
	heat := plots.Heatmap(amap, size, size, vmin, vmax, plots.Jet)
	over := plots.Overlay(rgb, heat, OverlayAlpha)
	var gt image.Image
	if mask != nil {
		plots.DrawContours(over, mask.Pix, mask.W, mask.H, color.RGBA{255, 255, 255, 255})
		gt = mask.ToGray()
	}
	return []image.Image{rgb, gt, heat, over}
}

// Caption describes one test image's result: its name and truth, the normalised score and the
// decision.
func Caption(s datasets.Sample, score, threshold float64) string {
	decision := "normal"
	if score >= threshold {
		decision = "ANOMALOUS"
	}
	return fmt.Sprintf("%s (%s): score %.2f x threshold -> %s", s.Name, sampleKind(s), metrics.NormalizedScore(score, threshold), decision)
}

// sampleKind is the sample's ground truth: "good" or its defect type.
func sampleKind(s datasets.Sample) string {
	if !s.Anomalous {
		return "good"
	}
	if s.Defect == "" {
		return "anomalous"
	}
	return s.Defect
}
