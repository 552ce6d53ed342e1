package nb

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/adtr/metrics"
	"github.com/goadtr/goadtr/adtr/train"
	"github.com/goadtr/goadtr/plots"
)

// Files that WriteRunFigures adds to a model directory, next to experiment.WriteFigures' ones.
const (
	PROFigure    = "pro.svg"
	BestGallery  = "gallery_best.png"
	WorstGallery = "gallery_worst.png"
)

// GalleryRows is the number of images of each kind in the best and worst galleries.
const GalleryRows = 3

// BestWorst picks the gallery images of a scored test set. best: the highest-scoring defective
// images, then the lowest-scoring normal one (the detector at its most confident and right).
// worst: the lowest-scoring defective images (misses), then the highest-scoring normal ones (false
// alarms).
func BestWorst(t *experiment.TestSet, n int) (best, worst []int) {
	var defective, normal []int
	for _, i := range Ranked(t.Scored.Scores) {
		if t.Labels[i] {
			defective = append(defective, i)
		} else {
			normal = append(normal, i)
		}
	}
	take := func(s []int, k int, fromEnd bool) []int {
		k = min(k, len(s))
		if fromEnd {
			out := make([]int, 0, k)
			for j := len(s) - 1; j >= len(s)-k; j-- {
				out = append(out, s[j])
			}
			return out
		}
		return s[:k]
	}
	best = append(take(defective, n, false), take(normal, 1, true)...)
	worst = append(take(defective, n, true), take(normal, n-1, false)...)
	return best, worst
}

// WriteRunFigures adds to a model directory what notebook 01 shows beyond experiment.Run's
// figures: the PRO curve and the best and worst galleries (one shared colour scale for both).
func WriteRunFigures(dir string, o *experiment.Outcome) error {
	t := o.Test
	masks := make([][]uint8, len(t.Masks))
	for i, m := range t.Masks {
		if m != nil {
			masks[i] = m.Pix
		}
	}
	fpr, pro, err := metrics.PROCurve(t.Scored.Maps, masks, t.Scored.Size, t.Scored.Size, metrics.DefaultMaxFPR)
	if err != nil {
		return fmt.Errorf("PRO curve: %w", err)
	}
	fpr, pro, _ = thin(fpr, pro, 400)
	svg, err := plots.PROPlot("Per-region overlap ("+o.Report.Category+")", fpr, pro, metrics.DefaultMaxFPR, float64(o.Report.AUPRO)).SVG()
	if err != nil {
		return err
	}
	if err := plots.SaveSVG(filepath.Join(dir, PROFigure), svg); err != nil {
		return err
	}
	vmin, vmax := SharedScale(t)
	best, worst := BestWorst(t, GalleryRows)
	for name, which := range map[string][]int{BestGallery: best, WorstGallery: worst} {
		img, err := Gallery(t, which, o.Model.Info.Threshold, vmin, vmax)
		if err != nil {
			return err
		}
		if err := plots.SavePNG(filepath.Join(dir, name), img); err != nil {
			return err
		}
	}
	return nil
}

// ReadHistory reads the per-epoch training record of a model directory.
func ReadHistory(dir string) ([]train.EpochRecord, error) {
	var h []train.EpochRecord
	err := LoadJSON(filepath.Join(dir, "history.json"), &h)
	return h, err
}

// TrainSeconds is the training wall time summed over the epochs of a history.
func TrainSeconds(h []train.EpochRecord) float64 {
	s := 0.0
	for _, r := range h {
		s += r.Seconds
	}
	return s
}

// CopyModel copies the trained checkpoint of model directory src into dst (created), so that an
// experiment.Run into dst with the same configuration resumes from it instead of training again.
// It does nothing when src has no checkpoint or dst already has one.
func CopyModel(src, dst string) (bool, error) {
	from, to := filepath.Join(src, experiment.CheckpointDir), filepath.Join(dst, experiment.CheckpointDir)
	if _, err := os.Stat(filepath.Join(src, experiment.ModelFile)); err != nil {
		return false, nil
	}
	if _, err := os.Stat(to); err == nil {
		return false, nil
	}
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return false, fmt.Errorf("copying the model %s to %s: %w", src, dst, err)
	}
	return true, nil
}

// TrainingNote says where an outcome's epochs were trained: all in this run, or (when the model
// directory already held a checkpoint) partly or wholly in an earlier run that this one resumed.
func TrainingNote(o *experiment.Outcome) string {
	total := TrainSeconds(o.History)
	now := o.Model.Info.TrainSeconds
	if now >= 0.5*total {
		return fmt.Sprintf("trained %d epochs in this run (%.0f s)", len(o.History), total)
	}
	return fmt.Sprintf("%d epochs, %.0f s of training in all: the model directory already held a checkpoint, which this run resumed (%.0f s of training now); the metrics are recomputed",
		len(o.History), total, now)
}
