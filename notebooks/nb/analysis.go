package nb

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/adtr/metrics"
	"github.com/goadtr/goadtr/internal/atomicfile"
)

// Evaluate reopens the model in dir (trained by an earlier notebook) and scores the test split of
// the data it was trained on, through the setting's feature cache.
func (s *Setting) Evaluate(ctx context.Context, dir string) (*experiment.Model, *experiment.TestSet, error) {
	m, err := experiment.Open(dir, experiment.BackboneOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("%w (run notebook 01 first, with the same setting)", err)
	}
	cat, err := m.Info.Data.Open(m.Info.Config.InputSize)
	if err != nil {
		return nil, nil, err
	}
	t, err := m.Test(ctx, cat, s.FeatureCache(), nil)
	if err != nil {
		return nil, nil, err
	}
	return m, t, nil
}

// Ranked returns the indices of scores from the highest score to the lowest (ties keep their
// order), as the galleries of adtr/experiment order them.
func Ranked(scores []float64) []int { return experiment.OverlayOrder(scores, 0) }

// Confusion counts the decisions at one threshold: an image is called anomalous when its score is
// at least the threshold.
type Confusion struct {
	// TP: anomalous and flagged; FN: anomalous and missed; FP: normal and flagged; TN: normal and
	// passed.
	TP, FN, FP, TN int
}

// Confuse returns the confusion counts of scores against labels (true = anomalous) at threshold.
func Confuse(scores []float64, labels []bool, threshold float64) Confusion {
	var c Confusion
	for i, s := range scores {
		flagged := s >= threshold
		switch {
		case labels[i] && flagged:
			c.TP++
		case labels[i]:
			c.FN++
		case flagged:
			c.FP++
		default:
			c.TN++
		}
	}
	return c
}

// Recall is the fraction of anomalous images flagged (NaN without anomalous images).
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// FalseAlarmRate is the fraction of normal images flagged (NaN without normal images).
func (c Confusion) FalseAlarmRate() float64 { return ratio(c.FP, c.FP+c.TN) }

// Precision is the fraction of flagged images that are anomalous (NaN when none is flagged).
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// Regions are mean anomaly-map values over three kinds of pixels of a test set: how large the
// reconstruction error is where nothing is wrong, and inside the defects.
type Regions struct {
	// NormalImages is the mean over all pixels of the normal test images.
	NormalImages float64 `json:"normal_images"`
	// NormalPixels is the mean over the pixels outside the defect masks of the defective images.
	NormalPixels float64 `json:"normal_pixels_of_defective"`
	// DefectPixels is the mean over the pixels inside the defect masks.
	DefectPixels float64 `json:"defect_pixels"`
}

// Contrast is DefectPixels / NormalImages: how many times larger the error is inside defects than
// on normal images (1: the map does not see the defects at all).
func (r Regions) Contrast() float64 { return r.DefectPixels / r.NormalImages }

// RegionMeans measures Regions on a scored test set; defective images without a mask are skipped.
func RegionMeans(t *experiment.TestSet) Regions {
	var sum [3]float64
	var n [3]int
	for i, m := range t.Scored.Maps {
		mask := t.Masks[i]
		for p, v := range m {
			k := 0
			switch {
			case !t.Labels[i]:
			case mask == nil:
				continue
			case mask.Pix[p] > 0:
				k = 2
			default:
				k = 1
			}
			sum[k] += float64(v)
			n[k]++
		}
	}
	mean := func(k int) float64 { return sum[k] / float64(max(n[k], 1)) }
	return Regions{NormalImages: mean(0), NormalPixels: mean(1), DefectPixels: mean(2)}
}

// PixelROC returns the pooled pixel ROC curve of a scored test set (every stride-th pixel of every
// image with ground truth, for speed), thinned to at most 400 points for plotting.
func PixelROC(t *experiment.TestSet, stride int) (fpr, tpr []float64, err error) {
	stride = max(stride, 1)
	var scores []float64
	var labels []bool
	for i, m := range t.Scored.Maps {
		mask := t.Masks[i]
		if mask == nil && t.Labels[i] {
			continue
		}
		for p := 0; p < len(m); p += stride {
			scores = append(scores, float64(m[p]))
			labels = append(labels, mask != nil && mask.Pix[p] > 0)
		}
	}
	fpr, tpr, _, err = metrics.ROC(scores, labels)
	if err != nil {
		return nil, nil, fmt.Errorf("pixel ROC: %w", err)
	}
	return thin(fpr, tpr, 400)
}

// thin keeps at most n points of a curve, always the first and the last.
func thin(x, y []float64, n int) ([]float64, []float64, error) {
	if len(x) <= n {
		return x, y, nil
	}
	var tx, ty []float64
	step := float64(len(x)-1) / float64(n-1)
	for i := range n {
		j := int(math.Round(float64(i) * step))
		tx, ty = append(tx, x[j]), append(ty, y[j])
	}
	return tx, ty, nil
}

// SharedScale returns the colour scale shared by all heatmaps of a test set: from the smallest to
// the largest anomaly-map value over every test image. (experiment.WriteOverlays starts its scale
// at 0 instead; the anomaly map of a feature reconstruction rarely comes near 0, so starting at the
// minimum uses the whole colour range.)
func SharedScale(t *experiment.TestSet) (vmin, vmax float64) {
	vmin, vmax = math.Inf(1), math.Inf(-1)
	for _, m := range t.Scored.Maps {
		for _, v := range m {
			if !math.IsNaN(float64(v)) {
				vmin, vmax = math.Min(vmin, float64(v)), math.Max(vmax, float64(v))
			}
		}
	}
	if vmin > vmax {
		return 0, 1
	}
	return vmin, vmax
}

// Gallery renders the listed test images as rows image | ground truth | anomaly map | overlay (the
// ground-truth contour in white), captioned with name, truth, normalised score and decision, all
// heatmaps on the one colour scale [vmin, vmax].
func Gallery(t *experiment.TestSet, which []int, threshold, vmin, vmax float64) (*image.RGBA, error) {
	g := experiment.Gallery(vmin, vmax)
	for _, i := range which {
		row := experiment.GalleryRow(t.Images[i], t.Masks[i], t.Scored.Maps[i], t.Scored.Size, vmin, vmax)
		if err := g.AddRow(experiment.Caption(t.Samples[i], t.Scored.Scores[i], threshold), row...); err != nil {
			return nil, err
		}
	}
	return g.Image(), nil
}

// ScoreTable is a test set's image scores with their truth, stored as JSON for later cells.
type ScoreTable struct {
	Names     []string  `json:"names"`
	Kinds     []string  `json:"kinds"` // "good" or the defect type
	Labels    []bool    `json:"labels"`
	Scores    []float64 `json:"scores"`
	Threshold float64   `json:"threshold"`
	Rule      string    `json:"threshold_rule"`
}

// Scores returns the score table of a scored test set with the model's threshold.
func Scores(m *experiment.Model, t *experiment.TestSet) ScoreTable {
	st := ScoreTable{Labels: t.Labels, Scores: t.Scored.Scores, Threshold: m.Info.Threshold, Rule: m.Info.ThresholdRule}
	for _, s := range t.Samples {
		st.Names, st.Kinds = append(st.Names, s.Name), append(st.Kinds, s.Defect)
	}
	return st
}

// Split returns the scores of the normal and of the anomalous images.
func (st ScoreTable) Split() (normal, anomalous []float64) {
	for i, s := range st.Scores {
		if st.Labels[i] {
			anomalous = append(anomalous, s)
		} else {
			normal = append(normal, s)
		}
	}
	return normal, anomalous
}

// Variant is one arm of the query-embedding ablation (spec §2).
type Variant struct {
	// Name is the ablation's name for it.
	Name string `json:"name"`
	// Short is a short name for legends and axis labels.
	Short string `json:"short"`
	// Paper is the paper's MVTec AD pixel AUROC for it, in %.
	Paper float64 `json:"paper_pixel_auroc"`
	// Apply switches a configuration to this variant.
	Apply func(*adtr.Config) `json:"-"`
}

// Variants returns the four reconstructors of the ablation, full ADTR first.
func Variants() []Variant {
	return []Variant{
		{Name: "ADTR (learned query)", Short: "ADTR", Paper: 97.2, Apply: func(*adtr.Config) {}},
		{Name: "no query (decoder starts from encoder output)", Short: "no query", Paper: 94.2, Apply: func(c *adtr.Config) { c.Query = adtr.QueryNone }},
		{Name: "MLP mixer (no attention)", Short: "MLP mixer", Paper: 94.8, Apply: func(c *adtr.Config) { c.Mixer = adtr.MixerMLP }},
		{Name: "CNN reconstructor", Short: "CNN", Paper: 94.4, Apply: func(c *adtr.Config) { c.Reconstructor = adtr.ReconstructorCNN }},
	}
}

// VariantResult is what the ablation keeps of one trained variant.
type VariantResult struct {
	Variant
	// Dir is the variant's model directory.
	Dir string `json:"dir"`
	// Report holds its test metrics.
	Report evaluate.Report `json:"report"`
	// Regions are its mean anomaly-map values on normal and defect pixels.
	Regions Regions `json:"regions"`
	// FPR and TPR are its (thinned) pooled pixel ROC curve.
	FPR []float64 `json:"fpr"`
	TPR []float64 `json:"tpr"`
}

// SaveJSON writes v to path as indented JSON (atomically), creating the directory.
func SaveJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}

// LoadJSON reads JSON written by SaveJSON into v.
func LoadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (run the cell that writes it first)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
