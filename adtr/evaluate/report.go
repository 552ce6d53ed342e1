package evaluate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"

	"github.com/goadtr/goadtr/internal/atomicfile"
)

// Number is a float64 that encodes NaN as JSON null (a metric that could not be computed).
type Number float64

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

// UnmarshalJSON implements json.Unmarshaler (null → NaN).
func (n *Number) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*n = Number(f)
	return nil
}

// Report is one category's row of metrics.json: the metrics and what produced them.
type Report struct {
	Category       string `json:"category"`
	ImageAUROC     Number `json:"image_auroc"`
	PixelAUROC     Number `json:"pixel_auroc"`
	AUPRO          Number `json:"aupro"`
	F1Max          Number `json:"f1_max"`
	Threshold      Number `json:"threshold"`
	ThresholdRule  string `json:"threshold_rule"`
	ScoreRule      string `json:"score_rule"`
	ScoreNormalise string `json:"score_normalisation"`
	Epochs         int    `json:"epochs"`
	Backbone       string `json:"backbone"`
	Pretrained     bool   `json:"backbone_pretrained"`
	Variant        string `json:"variant"`
	Seed           int64  `json:"seed"`
	TrainSeconds   Number `json:"train_seconds"`
	InputSize      int    `json:"input_size"`
	TestImages     int    `json:"test_images"`
	TestAnomalous  int    `json:"test_anomalous"`
	PixelImages    int    `json:"pixel_images"`
	Loss           string `json:"loss,omitempty"`
}

// ScoreNormalisation describes the normalised score goadtr shows users (metrics.NormalizedScore).
const ScoreNormalisation = "score / threshold: 1.0 is the decision boundary, >= 1 is anomalous"

// SetMetrics copies m into r.
func (r *Report) SetMetrics(m Metrics) {
	r.ImageAUROC, r.PixelAUROC, r.AUPRO, r.F1Max = Number(m.ImageAUROC), Number(m.PixelAUROC), Number(m.AUPRO), Number(m.F1Max)
	r.PixelImages = m.PixelImages
}

// WriteJSON writes reports to path as an indented JSON array, atomically.
func WriteJSON(path string, reports []Report) error {
	data, err := json.MarshalIndent(reports, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}

// ReadJSON reads a metrics.json written by WriteJSON.
func ReadJSON(path string) ([]Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reports []Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("metrics %s: %w", path, err)
	}
	return reports, nil
}

// PrintTable writes reports as an aligned table with a mean row over categories (unweighted, spec
// §5) when there are several, and names the score and threshold rules used.
func PrintTable(w io.Writer, reports []Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "category\timage AUROC\tpixel AUROC\tAU-PRO\tF1-max\tthreshold\tepochs\ttrain s\t")
	var sums [4]float64
	var counts [4]int
	for _, r := range reports {
		vals := []Number{r.ImageAUROC, r.PixelAUROC, r.AUPRO, r.F1Max}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.4g\t%d\t%.0f\t\n", r.Category, pct(vals[0]), pct(vals[1]), pct(vals[2]), pct(vals[3]), float64(r.Threshold), r.Epochs, float64(r.TrainSeconds))
		for i, v := range vals {
			if !math.IsNaN(float64(v)) {
				sums[i] += float64(v)
				counts[i]++
			}
		}
	}
	if len(reports) > 1 {
		var mean [4]Number
		for i := range mean {
			mean[i] = Number(math.NaN())
			if counts[i] > 0 {
				mean[i] = Number(sums[i] / float64(counts[i]))
			}
		}
		fmt.Fprintf(tw, "mean\t%s\t%s\t%s\t%s\t\t\t\t\n", pct(mean[0]), pct(mean[1]), pct(mean[2]), pct(mean[3]))
	}
	tw.Flush()
	if len(reports) > 0 {
		r := reports[0]
		fmt.Fprintf(w, "metrics in %%; backbone %s; variant %s; image score %s; threshold: %s\n", r.Backbone, r.Variant, r.ScoreRule, r.ThresholdRule)
	}
}

// pct formats a metric in percent with one decimal, "-" when it could not be computed.
func pct(v Number) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100*float64(v))
}

func nan() float64 { return math.NaN() }
