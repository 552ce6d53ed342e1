package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/experiment"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cfg := configFlags(fs)
	data := dataFlags(fs)
	anomalies := anomalyFlags(fs)
	out := fs.String("out", "adtr-out", "output directory: the model (checkpoint, model.json), metrics.json, figures and overlays; one sub-directory per category with -category all")
	weights := fs.String("weights", "", "backbone weights (timm-layout safetensors); default: $GOADTR_WEIGHTS_DIR, the user cache, then a download")
	random := fs.Bool("random-backbone", false, "use a randomly initialised backbone (a baseline; labelled in every output)")
	quick := fs.Bool("quick", false, "reduced demo schedule: 224 px, 40 synthetic training images, 12 epochs at lr 1e-3, batch 8, -calibrate (minutes per category on 2 cores instead of the paper's 500 epochs)")
	nTrain := fs.Int("synthetic-train", 60, "synthetic data: normal training images (before the validation split)")
	nTest := fs.Int("synthetic-test", 40, "synthetic data: test images, about half defective")
	every := fs.Int("checkpoint-every", 10, "save a checkpoint every N epochs (always at the end and on Ctrl-C)")
	overlays := fs.Int("overlays", 12, "test images drawn as overlays, most and least anomalous first (0: all, negative: none)")
	cache := fs.String("feature-cache", "", `feature cache directory (default: the user cache; "-": none)`)
	if err := parse(fs, args, stderr, "train [flags]\n\nTrains ADTR on the normal images of a category, chooses the decision threshold on held-back\nnormal images, evaluates on the test split and writes metrics.json, figures and overlays.\nAn existing checkpoint in -out is resumed; Ctrl-C saves one and exits.\n\nADTR+ (-anomalies): after the normal-only epochs, training continues with L_px or L_img on\nsynthetic (confetti), labelled or external anomalies; metrics.json records the recipe."); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf(fs, "unexpected arguments %q", fs.Args())
	}
	set := setFlags(fs)
	data.Synthetic.Train, data.Synthetic.Test = *nTrain, *nTest
	if *quick {
		quickPreset(cfg, anomalies, &data.Synthetic, set)
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf(fs, "%v", err)
	}
	if err := checkAnomalyFlags(anomalies, set); err != nil {
		return usageErrorf(fs, "%v", err)
	}
	data.Seed = uint64(cfg.Seed)
	categories := []string{data.Category}
	if data.Category == "all" || data.Category == "" {
		var err error
		if categories, err = experiment.Categories(data.Source); err != nil {
			return err
		}
	}
	var reports []evaluate.Report
	for _, category := range categories {
		d := *data
		d.Category = category
		dir := *out
		if len(categories) > 1 {
			dir = filepath.Join(*out, category)
		}
		fmt.Fprintf(stderr, "== %s: %s, backbone %s, %d epochs -> %s\n", d.Name(), experiment.Variant(cfg), cfg.Backbone, cfg.Epochs, dir)
		c := *cfg
		start := time.Now()
		o, err := experiment.Run(ctx, experiment.Spec{
			Data: d, Config: &c, Out: dir, FeatureCache: *cache, CheckpointEvery: *every, Overlays: *overlays, Anomalies: *anomalies,
			Backbone: experiment.BackboneOptions{Weights: *weights, Random: *random, Seed: cfg.Seed, Progress: stderr},
			Progress: stderr,
		})
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w; the checkpoint in %s is kept: run the same command again to resume", err, filepath.Join(dir, experiment.CheckpointDir))
		}
		if err != nil {
			return fmt.Errorf("category %s: %w", d.Name(), err)
		}
		fmt.Fprintf(stderr, "%s done in %.0f s: model and reports in %s\n", d.Name(), time.Since(start).Seconds(), dir)
		reports = append(reports, o.Report)
	}
	if len(categories) > 1 {
		if err := evaluate.WriteJSON(filepath.Join(*out, experiment.MetricsFile), reports); err != nil {
			return err
		}
	}
	evaluate.PrintTable(stdout, reports)
	for _, r := range reports {
		if r.Loss != "" {
			fmt.Fprintf(stdout, "training %s: %s\n", r.Category, r.Loss)
		}
	}
	fmt.Fprintf(stdout, "metrics: %s; overlays: %s\n", filepath.Join(*out, experiment.MetricsFile), overlayHint(*out, categories))
	return nil
}

// overlayHint names where the overlays are.
func overlayHint(out string, categories []string) string {
	if len(categories) > 1 {
		return filepath.Join(out, "<category>", experiment.OverlayDir)
	}
	return filepath.Join(out, experiment.OverlayDir)
}
