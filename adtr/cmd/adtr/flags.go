package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/datasets"
)

// intList is a flag.Value for comma-separated integers such as "2,4,8,16".
type intList struct{ values *[]int }

func (l intList) String() string {
	if l.values == nil {
		return ""
	}
	parts := make([]string, len(*l.values))
	for i, v := range *l.values {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (l intList) Set(s string) error {
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("%q is not a comma-separated list of integers", s)
		}
		out = append(out, v)
	}
	*l.values = out
	return nil
}

// configFlags binds the model and training hyperparameters to flags, with the paper's defaults.
func configFlags(fs *flag.FlagSet) *adtr.Config {
	cfg := adtr.DefaultConfig()
	fs.StringVar(&cfg.Backbone, "backbone", cfg.Backbone, "frozen backbone: efficientnet_b0..b7, tf_efficientnet_b0..b7, mobilenetv2_100")
	fs.Var(intList{&cfg.Taps}, "taps", "backbone stage strides whose features are used (UniAD: 2,4,8,16)")
	fs.IntVar(&cfg.InputSize, "size", cfg.InputSize, "input image side in pixels (a multiple of 32)")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs; with -anomalies, the normal-only ones before -anomaly-epochs (paper: 500)")
	fs.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "images per training step")
	fs.Float64Var(&cfg.LearningRate, "lr", cfg.LearningRate, "AdamW learning rate")
	fs.IntVar(&cfg.LRStepEpoch, "lr-step", cfg.LRStepEpoch, "epoch from which the learning rate is multiplied by 0.1 (0: never)")
	fs.Float64Var(&cfg.GradClip, "clip", cfg.GradClip, "global-norm gradient clipping (0: off; UniAD 0.1)")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of initialisation, dropout, shuffling, the validation split and synthetic data")
	fs.StringVar(&cfg.Query, "query", cfg.Query, "decoder input: learned (the auxiliary query embedding) or none (ablation)")
	fs.StringVar(&cfg.Mixer, "mixer", cfg.Mixer, "token mixer: attention or mlp (ablation)")
	fs.StringVar(&cfg.Reconstructor, "reconstructor", cfg.Reconstructor, "reconstructor: transformer or cnn (ablation)")
	fs.StringVar(&cfg.Target, "target", cfg.Target, "reconstruction target: features or pixels (ablation)")
	fs.StringVar(&cfg.ScoreRule, "score", cfg.ScoreRule, "image score: pooled_max, max or mean (one-class semantic data)")
	fs.BoolVar(&cfg.NormalMapCalibration, "calibrate", cfg.NormalMapCalibration, "divide anomaly maps by the mean map of the normal training images before scoring (goadtr extension, not in the paper; removes the error all images share, e.g. at borders)")
	fs.Float64Var(&cfg.SmoothingSigma, "sigma", cfg.SmoothingSigma, "Gaussian smoothing of the anomaly map in pixels (0: none; option 4)")
	return cfg
}

// quickPreset is the reduced schedule of the README's main command: a demo that trains and
// evaluates each synthetic category in a few minutes on 2 CPU cores (224 px, 40 synthetic training
// images, 12 epochs at lr 1e-3, batch 8, normal-map calibration of the scores). Flags given
// explicitly win. Without -quick the defaults are the paper's (256 px, 500 epochs at 1e-4).
func quickPreset(cfg *adtr.Config, a *experiment.Anomalies, synthetic *datasets.SyntheticOptions, set map[string]bool) {
	defaults := []struct {
		flag  string
		apply func()
	}{
		{"size", func() { cfg.InputSize = 224 }},
		{"epochs", func() { cfg.Epochs = 12 }},
		{"lr", func() { cfg.LearningRate = 1e-3 }},
		{"lr-step", func() { cfg.LRStepEpoch = 0 }},
		{"batch", func() { cfg.BatchSize = 8 }},
		{"calibrate", func() { cfg.NormalMapCalibration = true }},
		{"synthetic-train", func() { synthetic.Train = 40 }},
		{"anomaly-epochs", func() { a.Epochs = 6 }},
	}
	for _, d := range defaults {
		if !set[d.flag] {
			d.apply()
		}
	}
}

// dataFlags binds the data selection to flags.
func dataFlags(fs *flag.FlagSet) *experiment.Data {
	d := &experiment.Data{}
	fs.StringVar(&d.Source, "data", experiment.SyntheticSource, `"synthetic" (embedded data) or a directory: an MVTec-layout category root or a data-set root holding categories`)
	fs.StringVar(&d.Category, "category", "", `category: a synthetic one (weave, stone, pill...), a sub-directory of -data, or "all"`)
	fs.Float64Var(&d.ValFraction, "val", experiment.DefaultValFraction, "fraction of train/good held back to choose the decision threshold (negative: none)")
	fs.BoolVar(&d.Lenient, "lenient", false, "skip unreadable or stray files with a warning instead of failing")
	return d
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// anomalyFlags binds the anomaly-available training (ADTR+) options to flags, with the paper's
// defaults.
func anomalyFlags(fs *flag.FlagSet) *experiment.Anomalies {
	a := &experiment.Anomalies{}
	fs.StringVar(&a.Mode, "anomalies", experiment.AnomaliesNone, "ADTR+: after the -epochs normal-only epochs, train -anomaly-epochs more with anomalies: none, confetti (synthetic, made from the training images), labelled (a fraction of the test anomalies, removed from the evaluation) or external (images from -anomaly-dir)")
	fs.StringVar(&a.Loss, "anomaly-loss", "", "ADTR+ loss: pixel (L_px, needs masks) or image (L_img) (default pixel; image for external)")
	fs.IntVar(&a.Epochs, "anomaly-epochs", experiment.DefaultAnomalyEpochs, "ADTR+: epochs with the anomaly loss after the normal-only ones (paper: 300; -quick: 24)")
	fs.Float64Var(&a.Probability, "anomaly-p", experiment.DefaultAnomalyProbability, "ADTR+ confetti and external: fraction p of anomalous images in training (confetti: round(p*N) of the N training images replaced; external: round(p/(1-p)*N) images added)")
	fs.StringVar(&a.Dir, "anomaly-dir", "", "ADTR+ external: folder of unrelated images (PNG/JPEG, searched recursively), used as image-level anomalies")
	fs.Float64Var(&a.LabelledFraction, "labelled-fraction", experiment.DefaultLabelledFraction, "ADTR+ labelled: fraction of each defect type's test anomalies moved to training (at least 1, and 1 of each type stays in the evaluation)")
	return a
}

// anomalyFlagModes lists the anomaly flags and the -anomalies modes that use them.
var anomalyFlagModes = []struct {
	flag  string
	modes []string
}{
	{"anomaly-loss", []string{experiment.AnomaliesConfetti, experiment.AnomaliesLabelled, experiment.AnomaliesExternal}},
	{"anomaly-epochs", []string{experiment.AnomaliesConfetti, experiment.AnomaliesLabelled, experiment.AnomaliesExternal}},
	{"anomaly-p", []string{experiment.AnomaliesConfetti, experiment.AnomaliesExternal}},
	{"anomaly-dir", []string{experiment.AnomaliesExternal}},
	{"labelled-fraction", []string{experiment.AnomaliesLabelled}},
}

// checkAnomalyFlags rejects anomaly flags that the chosen -anomalies mode does not use, then
// settings that cannot work (experiment.Anomalies.Validate).
func checkAnomalyFlags(a *experiment.Anomalies, set map[string]bool) error {
	for _, f := range anomalyFlagModes {
		if set[f.flag] && !slices.Contains(f.modes, a.Mode) {
			return fmt.Errorf("-%s does not apply to -anomalies %s (only to %v)", f.flag, a.Mode, f.modes)
		}
	}
	return a.Validate()
}
