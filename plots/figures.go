package plots

import (
	"fmt"
	"math"
)

// ROCSeries names a ROC curve for ROCPlot's legend: "name (AUROC 0.953)".
func ROCSeries(name string, fpr, tpr []float64, auroc float64) Series {
	return Series{Name: fmt.Sprintf("%s (AUROC %.3f)", name, auroc), X: fpr, Y: tpr}
}

// ROCPlot sets up a square plot of ROC curves (see ROCSeries) over [0, 1]², with the chance
// diagonal dashed in grey and the legend at the bottom right.
func ROCPlot(title string, curves ...Series) *LinePlot {
	chance := Series{Name: "chance (AUROC 0.500)", X: []float64{0, 1}, Y: []float64{0, 1}, Color: "#999999", Dashed: true}
	return &LinePlot{
		Axes: Axes{
			Title: title, XLabel: "False-positive rate", YLabel: "True-positive rate",
			Width: 560, Height: 540, XRange: Range{0, 1.001}, YRange: Range{0, 1.001},
			Legend: LegendBottomRight,
		},
		Series: append(curves, chance),
	}
}

// PROPlot sets up the plot of a per-region-overlap curve (FPR, PRO) with its AU-PRO in the
// legend and the integration limit maxFPR marked by a vertical line. The x axis spans [0, 1]
// for a full curve, or a little beyond maxFPR for a curve that stops there.
func PROPlot(title string, fpr, pro []float64, maxFPR, aupro float64) *LinePlot {
	xmax := maxFPR * 1.2
	if len(fpr) > 0 && fpr[len(fpr)-1] > maxFPR {
		xmax = fpr[len(fpr)-1]
	}
	return &LinePlot{
		Axes: Axes{
			Title: title, XLabel: "False-positive rate (normal pixels)", YLabel: "Per-region overlap",
			XRange: Range{0, math.Min(1, xmax)}, YRange: Range{0, 1.001}, Legend: LegendBottomRight,
			VLines: []VLine{{X: maxFPR, Label: fmt.Sprintf("FPR limit %g", maxFPR), Color: "#d62728"}},
		},
		Series: []Series{{Name: fmt.Sprintf("PRO (AU-PRO@%g %.3f)", maxFPR, aupro), X: fpr, Y: pro, Color: "#1f77b4"}},
	}
}

// LossPlot sets up the plot of training curves, loss against epoch, one series per loss (for
// example training and validation); logY makes the loss axis logarithmic.
func LossPlot(title string, logY bool, losses ...Series) *LinePlot {
	return &LinePlot{
		Axes:   Axes{Title: title, XLabel: "Epoch", YLabel: "Loss", LogY: logY},
		Series: losses,
	}
}

// EpochSeries makes a loss series from per-epoch values, epochs numbered from 1.
func EpochSeries(name string, losses []float64) Series {
	epochs := make([]float64, len(losses))
	for i := range epochs {
		epochs[i] = float64(i + 1)
	}
	return Series{Name: name, X: epochs, Y: losses}
}

// ScoreHistogram sets up the histogram of image anomaly scores, normal images in blue and
// anomalous ones in red, with the decision threshold as a vertical line (none when threshold is
// NaN).
func ScoreHistogram(title string, normal, anomalous []float64, threshold float64) *Histogram {
	h := &Histogram{
		Axes: Axes{Title: title, XLabel: "Anomaly score", YLabel: "Images"},
		Groups: []HistogramGroup{
			{Name: "normal", Values: normal, Color: "#1f77b4"},
			{Name: "anomalous", Values: anomalous, Color: "#d62728"},
		},
	}
	if !math.IsNaN(threshold) {
		h.VLines = []VLine{{X: threshold, Label: fmt.Sprintf("threshold %.3g", threshold)}}
	}
	return h
}
