// Package nb holds what goadtr's GoNB notebooks share: the run setting (small CI run or report
// run, read from environment variables), the work directory where notebooks leave models for each
// other, must-style error handling for notebook cells, and the small analyses and figures that
// more than one notebook draws.
//
// Every GoNB cell is a fresh program: values do not survive from one cell to the next. A notebook
// therefore calls Load (or MustLoad) in every cell that needs the setting, and passes results
// between cells through files under the setting's directories.
//
// Environment variables:
//
//	GOADTR_NOTEBOOK_WORK    work directory (default <repo>/notebooks/.work; notebooks/run.sh sets it)
//	GOADTR_SMALL=1          the small CI setting: tiny images, few of them, 2 epochs
//	GOADTR_BACKBONE         report setting: backbone (default efficientnet_b4, the paper's)
//	GOADTR_EPOCHS           report setting: epochs (default 40, a reduced schedule; the paper: 500)
//	GOADTR_DATA             report setting: "synthetic" (default) or an MVTec-layout directory
//	GOADTR_CATEGORY         report setting: category (default "weave" for synthetic data)
//	GOADTR_SIZE             report setting: input size in pixels (default 256, the paper's)
//	GOADTR_SYNTHETIC_TRAIN  report setting: synthetic normal training images (default 60)
//	GOADTR_SYNTHETIC_TEST   report setting: synthetic test images (default 40, half defective)
//	GOADTR_WEIGHTS_DIR      where backbone weights are looked up (see adtr/backbone)
package nb

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/datasets"
)

// Environment variables read by Load.
const (
	EnvWork           = "GOADTR_NOTEBOOK_WORK"
	EnvSmall          = "GOADTR_SMALL"
	EnvBackbone       = "GOADTR_BACKBONE"
	EnvEpochs         = "GOADTR_EPOCHS"
	EnvData           = "GOADTR_DATA"
	EnvCategory       = "GOADTR_CATEGORY"
	EnvSize           = "GOADTR_SIZE"
	EnvSyntheticTrain = "GOADTR_SYNTHETIC_TRAIN"
	EnvSyntheticTest  = "GOADTR_SYNTHETIC_TEST"
	EnvWeightsDir     = "GOADTR_WEIGHTS_DIR"
)

// Names of the two settings.
const (
	Small  = "small"
	Report = "report"
)

// DefaultCategory is the synthetic category used when none is named.
const DefaultCategory = "weave"

// SmallFallbackBackbone is the tiny randomly initialised backbone of the small setting when no
// pretrained weights are available offline.
const SmallFallbackBackbone = "efficientnet_tiny"

// SmallPretrainedBackbone is the small setting's backbone when its weights are in
// $GOADTR_WEIGHTS_DIR.
const SmallPretrainedBackbone = "mobilenetv2_100"

// Overlays is the number of test images every training run draws into its model directory's
// overlays/ folder (the most and the least anomalous first).
const Overlays = 8

// Setting is the size of the runs a notebook makes and where it keeps them.
type Setting struct {
	// Name is Small or Report.
	Name string
	// Work is the work directory shared by the notebooks.
	Work string
	// Data selects the category (Source "synthetic" or a directory).
	Data experiment.Data
	// Backbone is the frozen backbone's name.
	Backbone string
	// RandomBackbone builds Backbone with random weights (the small setting's offline fallback).
	RandomBackbone bool
	// BackboneNote says where the backbone's weights come from.
	BackboneNote string
	// InputSize is the image side in pixels.
	InputSize int
	// Epochs, BatchSize, LearningRate and LRStepEpoch are the training schedule.
	Epochs, BatchSize int
	LearningRate      float64
	LRStepEpoch       int
	// Notes lists where the setting departs from the paper, for the printout.
	Notes []string
}

// Load reads the setting from the environment (see the package comment).
func Load() (*Setting, error) {
	s := &Setting{Work: WorkDir()}
	if v := os.Getenv(EnvSmall); v != "" && v != "0" {
		s.small()
		return s, nil
	}
	s.Name = Report
	s.Backbone = envOr(EnvBackbone, adtr.DefaultConfig().Backbone)
	s.BackboneNote = "ImageNet weights (from $" + EnvWeightsDir + ", the user cache, or downloaded from the Hugging Face hub)"
	var err error
	if s.InputSize, err = envInt(EnvSize, adtr.DefaultConfig().InputSize); err != nil {
		return nil, err
	}
	if s.Epochs, err = envInt(EnvEpochs, 40); err != nil {
		return nil, err
	}
	train, err := envInt(EnvSyntheticTrain, 60)
	if err != nil {
		return nil, err
	}
	test, err := envInt(EnvSyntheticTest, 40)
	if err != nil {
		return nil, err
	}
	s.Data = experiment.Data{Source: envOr(EnvData, experiment.SyntheticSource), Category: os.Getenv(EnvCategory),
		Synthetic: datasets.SyntheticOptions{Train: train, Test: test}}
	if s.Data.Source == experiment.SyntheticSource && s.Data.Category == "" {
		s.Data.Category = DefaultCategory
	}
	s.schedule()
	return s, nil
}

// MustLoad is Load for notebook cells: it panics when the environment is invalid.
func MustLoad() *Setting { return Must(Load()) }

// small sets the small CI setting: a pipeline check, not a measurement.
func (s *Setting) small() {
	s.Name = Small
	s.InputSize, s.Epochs, s.BatchSize, s.LearningRate, s.LRStepEpoch = 128, 2, 4, 5e-4, 0
	s.Data = experiment.Data{Source: experiment.SyntheticSource, Category: DefaultCategory,
		Synthetic: datasets.SyntheticOptions{Train: 12, Test: 8}}
	weights := filepath.Join(os.Getenv(EnvWeightsDir), SmallPretrainedBackbone+".safetensors")
	if _, err := os.Stat(weights); os.Getenv(EnvWeightsDir) != "" && err == nil {
		s.Backbone, s.BackboneNote = SmallPretrainedBackbone, "ImageNet weights from "+weights
	} else {
		s.Backbone, s.RandomBackbone = SmallFallbackBackbone, true
		s.BackboneNote = "RANDOM weights (no " + SmallPretrainedBackbone + ".safetensors in $" + EnvWeightsDir + "): numbers are meaningless"
	}
	s.Notes = append(s.Notes, "small CI setting ("+EnvSmall+"=1): checks that the notebook runs; its numbers say nothing about ADTR")
}

// schedule chooses the optimiser schedule from the number of epochs: the paper's (AdamW lr 1e-4,
// batch 16, ×0.1 at 80 % of the epochs) from 200 epochs on, otherwise the reduced schedule of
// `adtr train -quick` (lr 5e-4, batch 8, ×0.1 at 75 % of the epochs).
func (s *Setting) schedule() {
	def := adtr.DefaultConfig()
	if s.Epochs >= 200 {
		s.BatchSize, s.LearningRate, s.LRStepEpoch = def.BatchSize, def.LearningRate, s.Epochs*4/5
	} else {
		s.BatchSize, s.LearningRate, s.LRStepEpoch = 8, 5e-4, max(1, s.Epochs*3/4)
		s.Notes = append(s.Notes, fmt.Sprintf("reduced schedule: %d epochs at lr %g, batch %d (paper: %d epochs at lr %g, batch %d)",
			s.Epochs, s.LearningRate, s.BatchSize, def.Epochs, def.LearningRate, def.BatchSize))
	}
	if s.Backbone != def.Backbone {
		s.Notes = append(s.Notes, fmt.Sprintf("backbone %s instead of the paper's %s", s.Backbone, def.Backbone))
	}
	if s.InputSize != def.InputSize {
		s.Notes = append(s.Notes, fmt.Sprintf("input %d px instead of the paper's %d px", s.InputSize, def.InputSize))
	}
	if s.Data.Source == experiment.SyntheticSource {
		s.Notes = append(s.Notes, "embedded synthetic defect data, not MVTec AD: the paper's numbers are context, not a target")
	}
}

// UseData replaces the data selection: source is "synthetic" or an MVTec-layout directory (a
// category root, or a data-set root with category naming a sub-directory). An empty source keeps
// the setting's data.
func (s *Setting) UseData(source, category string) {
	if source == "" {
		return
	}
	s.Data.Source, s.Data.Category = source, category
	if source == experiment.SyntheticSource && category == "" {
		s.Data.Category = DefaultCategory
	}
}

// Config returns the paper's configuration (adtr.DefaultConfig) with the setting's backbone, input
// size and schedule.
func (s *Setting) Config() *adtr.Config {
	cfg := adtr.DefaultConfig()
	cfg.Backbone, cfg.InputSize = s.Backbone, s.InputSize
	cfg.Epochs, cfg.BatchSize, cfg.LearningRate, cfg.LRStepEpoch = s.Epochs, s.BatchSize, s.LearningRate, s.LRStepEpoch
	return cfg
}

// BackboneOptions returns how to load the backbone.
func (s *Setting) BackboneOptions() experiment.BackboneOptions {
	return experiment.BackboneOptions{Random: s.RandomBackbone, Seed: adtr.DefaultConfig().Seed}
}

// Tag names the setting in directory names, so that runs of different settings never share (or
// try to resume) each other's models.
func (s *Setting) Tag() string {
	data := s.Data.Name()
	if s.Data.Source != experiment.SyntheticSource {
		data = "dir-" + data
	} else {
		data = fmt.Sprintf("%s-%d-%d", data, s.Data.Synthetic.Train, s.Data.Synthetic.Test)
	}
	tag := fmt.Sprintf("%s_%s_%s_%dpx_%de", s.Name, s.Backbone, data, s.InputSize, s.Epochs)
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, tag)
}

// Dir returns <work>/<tag>/<name>: the directory of one model or analysis of this setting.
func (s *Setting) Dir(name string) string { return filepath.Join(s.Work, s.Tag(), name) }

// ModelDir is the directory of the ADTR model that notebook 01 trains and 03 reopens.
func (s *Setting) ModelDir() string { return s.Dir("adtr") }

// FeatureCache is the notebooks' feature cache (under the work directory, shared by settings:
// its keys include the backbone, input size and image content).
func (s *Setting) FeatureCache() string { return filepath.Join(s.Work, "features") }

// Spec returns the experiment that trains cfg on the setting's data into dir, seeded with cfg.Seed
// and reporting progress to progress (nil: silent).
func (s *Setting) Spec(cfg *adtr.Config, dir string, progress io.Writer) experiment.Spec {
	data := s.Data
	data.Seed = uint64(cfg.Seed)
	bb := s.BackboneOptions()
	bb.Seed = cfg.Seed
	return experiment.Spec{Data: data, Config: cfg, Backbone: bb, Out: dir, FeatureCache: s.FeatureCache(),
		Overlays: Overlays, Progress: progress}
}

// Print writes the setting as the first lines of a notebook's results, so that every report says
// what it is.
func (s *Setting) Print(w io.Writer) {
	fmt.Fprintf(w, "Setting: %s (%s)\n", s.Name, s.how())
	if s.Data.Source == experiment.SyntheticSource {
		fmt.Fprintf(w, "  data:     synthetic %q, %d normal training images (%.0f %% held back for the threshold), %d test images (half defective), %d px\n",
			s.Data.Category, s.Data.Synthetic.Train, 100*experiment.DefaultValFraction, s.Data.Synthetic.Test, s.InputSize)
	} else {
		fmt.Fprintf(w, "  data:     %s (category %q), images resized to %d px\n", s.Data.Source, s.Data.Category, s.InputSize)
	}
	fmt.Fprintf(w, "  backbone: %s, %s\n", s.Backbone, s.BackboneNote)
	fmt.Fprintf(w, "  schedule: %d epochs, batch %d, AdamW lr %g", s.Epochs, s.BatchSize, s.LearningRate)
	if s.LRStepEpoch > 0 {
		fmt.Fprintf(w, " (x0.1 from epoch %d)", s.LRStepEpoch)
	}
	fmt.Fprintf(w, ", seed %d\n", adtr.DefaultConfig().Seed)
	fmt.Fprintf(w, "  machine:  %d CPU cores, %s/%s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "  work dir: %s\n", filepath.Join(s.Work, s.Tag()))
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note:     %s\n", n)
	}
}

// String returns the printout of Print.
func (s *Setting) String() string {
	var b strings.Builder
	s.Print(&b)
	return b.String()
}

// how says which environment variables produced the setting.
func (s *Setting) how() string {
	if s.Name == Small {
		return EnvSmall + "=1"
	}
	var set []string
	for _, k := range []string{EnvBackbone, EnvEpochs, EnvData, EnvCategory, EnvSize, EnvSyntheticTrain, EnvSyntheticTest} {
		if v := os.Getenv(k); v != "" {
			set = append(set, k+"="+v)
		}
	}
	if len(set) == 0 {
		return "defaults"
	}
	return strings.Join(set, " ")
}

// WorkDir returns $GOADTR_NOTEBOOK_WORK, or <repo>/notebooks/.work where <repo> is the nearest
// directory above the current one holding go.mod (the current directory when there is none).
func WorkDir() string {
	if dir := os.Getenv(EnvWork); dir != "" {
		return dir
	}
	return filepath.Join(repoRoot(), "notebooks", ".work")
}

// repoRoot finds the enclosing module's root from the current directory, or from $GONB_DIR
// (a GoNB cell runs in a temporary directory; GONB_DIR is the notebook's directory).
func repoRoot() string {
	starts := []string{os.Getenv("GONB_DIR")}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, start := range starts {
		if start == "" {
			continue
		}
		for dir := start; ; dir = filepath.Dir(dir) {
			if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/goadtr/goadtr\n") {
				return dir
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// envOr returns the environment variable k, or def when it is empty.
func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// envInt returns the environment variable k as a positive integer, or def when it is empty.
func envInt(k string, def int) (int, error) {
	v := os.Getenv(k)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive integer", k, v)
	}
	return n, nil
}

// MustLoadWith is MustLoad with the data replaced by source and category (see UseData): the one
// variable a notebook changes to run on another data set.
func MustLoadWith(source, category string) *Setting {
	s := MustLoad()
	s.UseData(source, category)
	return s
}

// AblationDir is the model directory of one ablation variant (cfg after Variant.Apply).
func (s *Setting) AblationDir(cfg *adtr.Config) string {
	return s.Dir(filepath.Join("ablation", strings.ReplaceAll(experiment.Variant(cfg), "/", "_")))
}
