package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/experiment"
)

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	modelDir := fs.String("model", "", "model directory written by `adtr train` (required)")
	source := fs.String("data", "", "data: \"synthetic\" or a directory (default: the data the model was trained on)")
	category := fs.String("category", "", "category (default: the model's)")
	out := fs.String("out", "", "where metrics.json, figures and overlays go (default: the model directory)")
	weights := fs.String("weights", "", "backbone weights file (must be the ones the model was trained with)")
	overlays := fs.Int("overlays", 12, "test images drawn as overlays (0: all, negative: none)")
	cache := fs.String("feature-cache", "", `feature cache directory (default: the user cache; "-": none)`)
	if err := parse(fs, args, stderr, "eval -model DIR [flags]\n\nEvaluates a trained model on a category's test split: image AUROC, pixel AUROC, AU-PRO,\nF1-max, with the model's stored threshold; writes metrics.json, figures and overlays."); err != nil {
		return err
	}
	if *modelDir == "" {
		return usageErrorf(fs, "-model is required")
	}
	if fs.NArg() > 0 {
		return usageErrorf(fs, "unexpected arguments %q", fs.Args())
	}
	m, err := experiment.Open(*modelDir, experiment.BackboneOptions{Weights: *weights, Progress: stderr})
	if err != nil {
		return err
	}
	data := m.Info.Data
	if *source != "" {
		data.Source, data.Category = *source, *category
	} else if *category != "" {
		data.Category = *category
	}
	cat, err := data.Open(m.Info.Config.InputSize)
	if err != nil {
		return err
	}
	test, err := m.Test(ctx, cat, experiment.FeatureCacheDir(*cache), stderr)
	if err != nil {
		return err
	}
	report, err := m.Report(test)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = *modelDir
	}
	if err := evaluate.WriteJSON(filepath.Join(dir, experiment.MetricsFile), []evaluate.Report{report}); err != nil {
		return err
	}
	if err := experiment.WriteFigures(dir, &experiment.Outcome{Report: report, Model: m, Test: test}, *overlays); err != nil {
		return err
	}
	evaluate.PrintTable(stdout, []evaluate.Report{report})
	fmt.Fprintf(stdout, "metrics: %s; overlays: %s\n", filepath.Join(dir, experiment.MetricsFile), filepath.Join(dir, experiment.OverlayDir))
	return nil
}
