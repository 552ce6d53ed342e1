package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/features"
	"github.com/goadtr/goadtr/adtr/train"
	"github.com/goadtr/goadtr/datasets"
)

// Anomaly modes: where the anomalies of anomaly-available training come from (Anomalies.Mode).
const (
	// AnomaliesNone is normal-only training (plain ADTR).
	AnomaliesNone = "none"
	// AnomaliesConfetti makes synthetic confetti anomalies from the normal training images.
	AnomaliesConfetti = "confetti"
	// AnomaliesLabelled moves some real test anomalies into training.
	AnomaliesLabelled = "labelled"
	// AnomaliesExternal uses a folder of unrelated images as image-level anomalies.
	AnomaliesExternal = "external"
)

// Anomaly losses (Anomalies.Loss).
const (
	// LossPixel is L_px (adtr.PixelLoss): needs pixel masks, reduced to the grid by adtr.MaskToGrid.
	LossPixel = "pixel"
	// LossImage is L_img (adtr.ImageLoss): needs image labels only.
	LossImage = "image"
)

// anomalyLosses are the training objectives of the anomaly losses.
var anomalyLosses = map[string]train.Loss{LossPixel: train.PixelLoss, LossImage: train.ImageLoss}

// Defaults of Anomalies.
const (
	// DefaultAnomalyEpochs is the paper's number of epochs with the anomaly loss after the
	// normal-only ones (spec §3).
	DefaultAnomalyEpochs = 300
	// DefaultAnomalyProbability is the default p: the fraction of anomalous images in the training
	// set of the anomaly epochs (the paper does not state it).
	DefaultAnomalyProbability = 0.5
	// DefaultLabelledFraction is the default fraction of each defect type's test anomalies moved
	// into training in the labelled mode (a few-shot setting; the paper uses no real anomalies).
	DefaultLabelledFraction = 0.1
)

// AnomaliesFile is written into the model directory before the anomaly epochs start: the
// AnomalyTraining of the checkpoint's later epochs. A resumed run checks that it has not changed.
const AnomaliesFile = "anomalies.json"

// Seed streams of the random choices (with Config.Seed), so that each is reproducible on its own.
const (
	confettiStream = 0xc0ffe771
	labelledStream = 0x1abe11ed
	externalStream = 0xe7e2a1
)

// Anomalies configures anomaly-available training, ADTR+ (spec §3): the model is first trained on
// the normal images with L_norm for Config.Epochs epochs, then training continues from that
// checkpoint for Epochs more epochs with L_px or L_img on a training set that also holds
// anomalies. The zero value is normal-only training (ADTR); zero fields take the defaults.
type Anomalies struct {
	// Mode says where the anomalies come from (default AnomaliesNone):
	//
	//   - "confetti": synthetic confetti anomalies made from the normal training images
	//     (datasets.Confetti, FCDD-style, with exact masks). Since features are computed once per
	//     image, the replacement is drawn once, not at every epoch: a seeded permutation of the N
	//     training images picks round(p·N) of them, and each is replaced by one confetti version
	//     of itself, generated once with a seeded generator. The anomaly epochs therefore train
	//     on N images of which a fraction p (rounded) is anomalous: the expected count of the rule
	//     "each image is replaced with probability p", without its variance. A confetti image
	//     whose mask is empty (no pixel changed) is labelled normal.
	//   - "labelled": real labelled anomalies. For each defect type with n ≥ 2 test anomalies,
	//     k = round(LabelledFraction·n) clamped to [1, n−1] of them, chosen by a seeded
	//     permutation, are moved into training (with their masks for L_px; image labels only for
	//     L_img), next to all normal training images. They are removed from every evaluation of
	//     the model (AnomalyTraining.Trained), so one anomaly of each type stays in the test set.
	//   - "external": images from the folder Dir (PNG or JPEG, searched recursively, resized to
	//     the input size) are image-level anomalies, e.g. CIFAR-100 for CIFAR-10. K =
	//     round(p/(1−p)·N) of them, chosen by a seeded permutation (all when fewer), are added to
	//     the N normal training images, so that a fraction p of the training set is anomalous.
	//     Only L_img applies.
	//
	// All choices are seeded with Config.Seed.
	Mode string `json:"mode"`
	// Loss is the loss of the anomaly epochs: LossPixel (L_px, the default) or LossImage (L_img,
	// the default and only choice for external anomalies). Normal images get all-zero grid
	// masks (L_px) or label 0 (L_img).
	Loss string `json:"loss"`
	// Epochs is the number of epochs with the anomaly loss after the Config.Epochs normal-only
	// ones. Default DefaultAnomalyEpochs (the paper's 300).
	Epochs int `json:"epochs"`
	// Probability is p, the fraction of anomalous images in the training set of the anomaly
	// epochs (confetti and external modes), in (0, 1). Default DefaultAnomalyProbability.
	Probability float64 `json:"probability"`
	// Dir is the folder of external images (external mode only).
	Dir string `json:"dir,omitempty"`
	// LabelledFraction is the fraction of each defect type's test anomalies moved into training
	// (labelled mode), in (0, 1). Default DefaultLabelledFraction.
	LabelledFraction float64 `json:"labelled_fraction"`
	// Confetti configures the confetti noise (zero values: datasets.Confetti's defaults).
	Confetti datasets.ConfettiOptions `json:"confetti"`
}

// enabled reports whether a is anomaly-available training.
func (a Anomalies) enabled() bool { return a.Mode != "" && a.Mode != AnomaliesNone }

// withDefaults resolves a's zero fields.
func (a Anomalies) withDefaults() Anomalies {
	if a.Mode == "" {
		a.Mode = AnomaliesNone
	}
	if a.Loss == "" {
		a.Loss = LossPixel
		if a.Mode == AnomaliesExternal {
			a.Loss = LossImage
		}
	}
	if a.Epochs == 0 {
		a.Epochs = DefaultAnomalyEpochs
	}
	if a.Probability == 0 {
		a.Probability = DefaultAnomalyProbability
	}
	if a.LabelledFraction == 0 {
		a.LabelledFraction = DefaultLabelledFraction
	}
	return a
}

// Validate reports settings that cannot work: an unknown mode or loss, external anomalies with
// the pixel loss or without a folder, a p or fraction outside (0, 1), negative epochs.
func (a Anomalies) Validate() error {
	a = a.withDefaults()
	var errs []error
	switch a.Mode {
	case AnomaliesNone:
		return nil
	case AnomaliesConfetti, AnomaliesLabelled, AnomaliesExternal:
	default:
		return fmt.Errorf("anomalies: unknown mode %q (want %s, %s, %s or %s)", a.Mode, AnomaliesNone, AnomaliesConfetti, AnomaliesLabelled, AnomaliesExternal)
	}
	switch a.Loss {
	case LossPixel:
		if a.Mode == AnomaliesExternal {
			errs = append(errs, errors.New("external anomalies have no pixel masks: use the image loss (L_img)"))
		}
	case LossImage:
	default:
		errs = append(errs, fmt.Errorf("unknown anomaly loss %q (want %s or %s)", a.Loss, LossPixel, LossImage))
	}
	if a.Epochs < 0 {
		errs = append(errs, fmt.Errorf("anomaly epochs must be positive, got %d", a.Epochs))
	}
	if !(a.Probability > 0 && a.Probability < 1) {
		errs = append(errs, fmt.Errorf("anomaly probability p = %g is not in (0, 1)", a.Probability))
	}
	if !(a.LabelledFraction > 0 && a.LabelledFraction < 1) {
		errs = append(errs, fmt.Errorf("labelled fraction %g is not in (0, 1)", a.LabelledFraction))
	}
	if a.Mode == AnomaliesExternal && a.Dir == "" {
		errs = append(errs, errors.New("external anomalies need a folder of images"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("anomalies %s: %w", a.Mode, err)
	}
	return nil
}

// AnomalyTraining records how a model was trained with anomalies: ModelInfo.Anomalies, and
// AnomaliesFile in the model directory.
type AnomalyTraining struct {
	// Anomalies are the settings, with the defaults resolved.
	Anomalies
	// NormalEpochs is the number of normal-only epochs (L_norm) before the anomaly epochs.
	NormalEpochs int `json:"normal_epochs"`
	// Recipe describes the training, e.g. "L_norm 20 epochs + L_px 10 epochs (confetti p=0.5: 24
	// of 48 training images replaced)": evaluate.Report.Loss.
	Recipe string `json:"recipe"`
	// Trained lists the test samples used for training (labelled mode) as "<defect>/<name>":
	// every evaluation of the model skips them.
	Trained []string `json:"trained_test_samples,omitempty"`
}

// evaluated returns the samples of test that the model was not trained on (all for a nil t).
func (t *AnomalyTraining) evaluated(test []datasets.Sample) []datasets.Sample {
	if t == nil || len(t.Trained) == 0 {
		return test
	}
	return slices.DeleteFunc(slices.Clone(test), func(s datasets.Sample) bool { return slices.Contains(t.Trained, sampleKey(s)) })
}

// sampleKey identifies a test sample independently of where the data set lies: "<defect>/<name>".
func sampleKey(s datasets.Sample) string { return s.Defect + "/" + s.Name }

// anomalyPlan is the anomaly-available training of one Run, fixed before any training.
type anomalyPlan struct {
	rec AnomalyTraining
	// labelled and external are the samples added to training.
	labelled, external []datasets.Sample
}

// plan validates a and draws the anomalies that do not depend on pixels (the labelled split, the
// external images) for category cat; nil for normal-only training.
func (a Anomalies) plan(cat *datasets.Category, cfg *adtr.Config) (*anomalyPlan, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if !a.enabled() {
		return nil, nil
	}
	a = a.withDefaults()
	seed := uint64(cfg.Seed)
	p := &anomalyPlan{rec: AnomalyTraining{Anomalies: a, NormalEpochs: cfg.Epochs}}
	n := len(cat.Train)
	var source string
	switch a.Mode {
	case AnomaliesConfetti:
		k := confettiCount(a.Probability, n)
		if k == 0 {
			return nil, fmt.Errorf("anomalies confetti: p=%g replaces none of the %d training images: raise p", a.Probability, n)
		}
		source = fmt.Sprintf("confetti p=%g: %d of %d training images replaced", a.Probability, k, n)
	case AnomaliesLabelled:
		p.labelled = splitLabelled(cat.Test, a.LabelledFraction, seed)
		if len(p.labelled) == 0 {
			return nil, fmt.Errorf("anomalies labelled: %s has no defect type with at least 2 test anomalies (one of each type stays in the evaluation)", cat.Name)
		}
		labels := "with masks"
		for _, s := range p.labelled {
			p.rec.Trained = append(p.rec.Trained, sampleKey(s))
			if a.Loss == LossPixel && !s.HasMask {
				return nil, fmt.Errorf("anomalies labelled: test anomaly %s has no mask, which the pixel loss needs: use the image loss", s.ImagePath)
			}
		}
		if a.Loss == LossImage {
			labels = "image labels only"
		}
		source = fmt.Sprintf("labelled: %d test anomalies (fraction %g per defect type) moved to training, %s", len(p.labelled), a.LabelledFraction, labels)
	case AnomaliesExternal:
		files, err := ImageFiles([]string{a.Dir})
		if err != nil {
			return nil, fmt.Errorf("anomalies external: %w", err)
		}
		k := min(int(math.Round(a.Probability/(1-a.Probability)*float64(n))), len(files))
		if k == 0 {
			return nil, fmt.Errorf("anomalies external: p=%g adds no image to the %d training images: raise p", a.Probability, n)
		}
		picked := rand.New(rand.NewPCG(seed, externalStream)).Perm(len(files))[:k]
		slices.Sort(picked)
		for _, i := range picked {
			name := strings.TrimSuffix(filepath.Base(files[i]), filepath.Ext(files[i]))
			p.external = append(p.external, datasets.Sample{Name: name, ImagePath: files[i], Anomalous: true, Defect: "external", Split: datasets.SplitTrain})
		}
		source = fmt.Sprintf("external p=%g: %d images from %s added to %d training images", a.Probability, k, a.Dir, n)
	}
	lossName := map[string]string{LossPixel: "L_px", LossImage: "L_img"}[a.Loss]
	p.rec.Recipe = fmt.Sprintf("L_norm %d epochs + %s %d epochs (%s)", cfg.Epochs, lossName, a.Epochs, source)
	return p, nil
}

// splitLabelled returns the test anomalies moved to training: for each defect type with n ≥ 2
// anomalies in test, k = round(fraction·n) clamped to [1, n−1] of them, chosen by a seeded
// permutation per type (types in order of appearance), in test's order.
func splitLabelled(test []datasets.Sample, fraction float64, seed uint64) []datasets.Sample {
	byDefect := map[string][]int{}
	var defects []string
	for i, s := range test {
		if !s.Anomalous {
			continue
		}
		if byDefect[s.Defect] == nil {
			defects = append(defects, s.Defect)
		}
		byDefect[s.Defect] = append(byDefect[s.Defect], i)
	}
	rng := rand.New(rand.NewPCG(seed, labelledStream))
	move := make([]bool, len(test))
	for _, d := range defects {
		idx := byDefect[d]
		n := len(idx)
		if n < 2 {
			continue
		}
		k := min(max(int(math.Round(fraction*float64(n))), 1), n-1)
		for _, j := range rng.Perm(n)[:k] {
			move[idx[j]] = true
		}
	}
	var trained []datasets.Sample
	for i, s := range test {
		if move[i] {
			trained = append(trained, s)
		}
	}
	return trained
}

// confettiCount is the number of the n training images replaced by confetti versions: round(p·n).
func confettiCount(p float64, n int) int { return int(math.Round(p * float64(n))) }

// confettiPool draws the confetti replacements of images: the indices of confettiCount images
// picked by a seeded permutation (ascending), and one confetti version of each with its mask,
// generated in that order by one seeded generator.
func confettiPool(images []*datasets.Image, p float64, seed uint64, opts datasets.ConfettiOptions) (replaced []int, anomalies []*datasets.Image, masks []*datasets.Mask) {
	replaced = rand.New(rand.NewPCG(seed, confettiStream)).Perm(len(images))[:confettiCount(p, len(images))]
	slices.Sort(replaced)
	rng := rand.New(rand.NewPCG(seed, confettiStream+1))
	for _, i := range replaced {
		img, mask := datasets.Confetti(images[i], rng, opts)
		anomalies = append(anomalies, img)
		masks = append(masks, mask)
	}
	return replaced, anomalies, masks
}

// gridMasks reduces masks (InputSize×InputSize) to grid labels [len(masks), grid, grid] float32
// with adtr.MaskToGrid and cfg.MaskFraction, through a compiled graph on b.
func gridMasks(b compute.Backend, cfg *adtr.Config, masks []*datasets.Mask) (*tensors.Tensor, error) {
	s, g := cfg.InputSize, cfg.Grid()
	flat := make([]float32, 0, len(masks)*s*s)
	for i, m := range masks {
		if m.W != s || m.H != s {
			return nil, fmt.Errorf("mask %d is %dx%d, want %dx%d", i, m.W, m.H, s, s)
		}
		for _, v := range m.Pix {
			flat = append(flat, float32(v))
		}
	}
	return CallOnce(b, func(m *Node) *Node { return adtr.MaskToGrid(m, g, g, cfg.MaskFraction) },
		tensors.FromFlatDataAndDimensions(flat, len(masks), s, s))
}

// anomalyEnv is what the anomaly epochs need from Run.
type anomalyEnv struct {
	backend  compute.Backend
	ext      *features.Extractor
	cacheDir string
	progress io.Writer
	out      string
}

// data assembles the training set of the anomaly epochs: the normal training images (their rows
// of normalF; all but the replaced ones in confetti mode), label 0 / all-zero grid, followed by
// the anomalies with their labels.
func (p *anomalyPlan) data(ctx context.Context, cfg *adtr.Config, env anomalyEnv, normal []*datasets.Image, normalF *tensors.Tensor) (train.Data, error) {
	keep := make([]int, len(normal))
	for i := range keep {
		keep[i] = i
	}
	var images []*datasets.Image
	var masks []*datasets.Mask
	switch p.rec.Mode {
	case AnomaliesConfetti:
		var replaced []int
		replaced, images, masks = confettiPool(normal, p.rec.Probability, uint64(cfg.Seed), p.rec.Confetti)
		keep = slices.DeleteFunc(keep, func(i int) bool { _, found := slices.BinarySearch(replaced, i); return found })
	default:
		var err error
		if images, masks, err = datasets.LoadAll(slices.Concat(p.labelled, p.external), cfg.InputSize, 0, nil); err != nil {
			return train.Data{}, fmt.Errorf("anomalies %s: %w", p.rec.Mode, err)
		}
	}
	anomalyF, err := env.ext.ExtractAll(ctx, images, features.Options{CacheDir: env.cacheDir, Progress: env.progress, Label: "anomaly features"})
	if err != nil {
		return train.Data{}, err
	}
	defer anomalyF.FinalizeAll()
	normalRows, anomalyRows := tensors.MustCopyFlatData[float32](normalF), tensors.MustCopyFlatData[float32](anomalyF)
	dims := normalF.Shape().Dimensions
	row := len(normalRows) / dims[0]
	f := make([]float32, 0, (len(keep)+len(images))*row)
	for _, i := range keep {
		f = append(f, normalRows[i*row:(i+1)*row]...)
	}
	f = append(f, anomalyRows...)
	data := train.Data{Features: tensors.FromFlatDataAndDimensions(f, append([]int{len(keep) + len(images)}, dims[1:]...)...)}

	var labels []float32
	if p.rec.Anomalies.Loss == LossPixel {
		grids, err := gridMasks(env.backend, cfg, masks)
		if err != nil {
			return train.Data{}, fmt.Errorf("anomalies %s: %w", p.rec.Mode, err)
		}
		g := cfg.Grid()
		labels = append(make([]float32, len(keep)*g*g), tensors.MustCopyFlatData[float32](grids)...)
		data.Labels = tensors.FromFlatDataAndDimensions(labels, len(keep)+len(images), g, g)
		labelled := 0
		for i := range images {
			if slices.Contains(labels[(len(keep)+i)*g*g:(len(keep)+i+1)*g*g], 1) {
				labelled++
			}
		}
		progressf(env.progress, "anomaly labels: %d of %d anomalous images have anomalous grid cells (mask fraction ≥ %g)", labelled, len(images), cfg.MaskFraction)
	} else {
		labels = make([]float32, len(keep), len(keep)+len(images))
		for i := range images {
			// Only a confetti image can have an empty mask (nothing changed): it is normal.
			var label float32 = 1
			if masks[i] != nil && masks[i].Area() == 0 && p.rec.Mode == AnomaliesConfetti {
				label = 0
			}
			labels = append(labels, label)
		}
		data.Labels = tensors.FromFlatDataAndDimensions(labels, len(labels))
	}
	progressf(env.progress, "anomaly epochs: %d normal and %d anomalous training images, %s loss", len(keep), len(images), p.rec.Anomalies.Loss)
	return data, nil
}

// progressf writes a progress line to w when not nil.
func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// train runs the recipe: cfg.Epochs epochs of L_norm on the normal features normalF, then
// p.rec.Epochs epochs of the anomaly loss, resuming from the same checkpoint directory opts.Dir.
// A checkpoint already past the normal epochs is resumed directly, provided AnomaliesFile records
// the same anomaly training.
func (p *anomalyPlan) train(ctx context.Context, cfg *adtr.Config, env anomalyEnv, normal []*datasets.Image, normalF *tensors.Tensor, opts train.Options) (*train.Result, error) {
	epoch, step, err := checkpointPosition(opts.Dir)
	if err != nil {
		return nil, err
	}
	recPath := filepath.Join(env.out, AnomaliesFile)
	switch {
	case epoch < cfg.Epochs:
		if _, err := train.Train(ctx, cfg, train.Data{Features: normalF}, opts); err != nil {
			return nil, err
		}
	case epoch > cfg.Epochs || step > 0:
		var saved AnomalyTraining
		data, err := os.ReadFile(recPath)
		if err == nil {
			err = json.Unmarshal(data, &saved)
		}
		if err == nil && !sameJSON(saved, p.rec) {
			err = fmt.Errorf("it records %q", saved.Recipe)
		}
		if err != nil {
			return nil, fmt.Errorf("the checkpoint in %s is past the %d normal-only epochs, but not trained with this anomaly training (%q): %s: %w; use another output directory", opts.Dir, cfg.Epochs, p.rec.Recipe, recPath, err)
		}
	}
	data, err := p.data(ctx, cfg, env, normal, normalF)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(recPath, p.rec); err != nil {
		return nil, err
	}
	plus := cfg.Clone()
	plus.Epochs += p.rec.Epochs
	opts.Loss = anomalyLosses[p.rec.Anomalies.Loss]
	if opts.Loss == nil {
		return nil, fmt.Errorf("anomalies: no training loss for %q", p.rec.Anomalies.Loss)
	}
	return train.Train(ctx, plus, data, opts)
}

// checkpointPosition returns the completed epochs and the steps of the epoch in progress of the
// latest checkpoint in dir (0, 0 when there is none).
func checkpointPosition(dir string) (epoch, step int, err error) {
	ckpt, err := train.LatestCheckpoint(dir)
	if err != nil || ckpt == "" {
		return 0, 0, err
	}
	data, err := os.ReadFile(filepath.Join(ckpt, train.StateFile))
	if err != nil {
		return 0, 0, fmt.Errorf("reading checkpoint state: %w", err)
	}
	var state train.State
	if err := json.Unmarshal(data, &state); err != nil {
		return 0, 0, fmt.Errorf("decoding %s: %w", filepath.Join(ckpt, train.StateFile), err)
	}
	return state.Epoch, state.Step, nil
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// ImageFiles expands paths into image files: files as given, folders searched recursively for PNG
// and JPEG files (in lexical order). A path that does not exist, or a folder without images, is an
// error.
func ImageFiles(paths []string) ([]string, error) {
	var out []string
	for _, a := range paths {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		n := len(out)
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".png", ".jpg", ".jpeg":
				if !d.IsDir() {
					out = append(out, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no PNG or JPEG images inside", a)
		}
	}
	return out, nil
}
