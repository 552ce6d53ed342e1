package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/adtr/metrics"
	"github.com/goadtr/goadtr/datasets"
	"github.com/goadtr/goadtr/plots"
)

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("predict", flag.ContinueOnError)
	modelDir := fset.String("model", "", "model directory written by `adtr train` (required)")
	out := fset.String("out", "adtr-predictions", "directory for one overlay PNG per image (\"-\": none)")
	weights := fset.String("weights", "", "backbone weights file (must be the ones the model was trained with)")
	if err := parse(fset, args, stderr, "predict -model DIR [flags] IMAGE|FOLDER...\n\nScores each image (PNG or JPEG; folders are searched recursively): prints the score, the score\nnormalised by the model's threshold (1.0 = decision boundary) and the decision, and writes an\noverlay PNG per image."); err != nil {
		return err
	}
	if *modelDir == "" {
		return usageErrorf(fset, "-model is required")
	}
	if fset.NArg() == 0 {
		return usageErrorf(fset, "no images given")
	}
	m, err := experiment.Open(*modelDir, experiment.BackboneOptions{Weights: *weights, Progress: stderr})
	if err != nil {
		return err
	}
	paths, err := experiment.ImageFiles(fset.Args())
	if err != nil {
		return err
	}
	samples := make([]datasets.Sample, len(paths))
	for i, p := range paths {
		samples[i] = datasets.Sample{Name: strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)), ImagePath: p}
	}
	images, _, err := datasets.LoadAll(samples, m.Info.Config.InputSize, 0, nil)
	if err != nil {
		return err
	}
	scored, err := m.Score(ctx, images, "", nil)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "image\tscore\tscore/threshold\tdecision")
	// One colour scale for every overlay, tied to the model: 0 to twice the threshold.
	vmax := 2 * m.Info.Threshold
	for i, p := range paths {
		s := scored.Scores[i]
		decision := "normal"
		if m.Anomalous(s) {
			decision = "ANOMALOUS"
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.2f\t%s\n", p, s, metrics.NormalizedScore(s, m.Info.Threshold), decision)
		if *out == "-" {
			continue
		}
		g := plots.NewGrid(256, "image", "anomaly map", "overlay")
		g.SetColorBar(plots.Jet, 0, vmax, "anomaly (0 to 2x threshold)")
		cells := experiment.GalleryRow(images[i], nil, scored.Maps[i], scored.Size, 0, vmax)
		if err := g.AddRow(experiment.Caption(samples[i], s, m.Info.Threshold), cells[0], cells[2], cells[3]); err != nil {
			return err
		}
		if err := plots.SavePNG(filepath.Join(*out, fmt.Sprintf("%03d_%s.png", i+1, samples[i].Name)), g.Image()); err != nil {
			return err
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "threshold %.4g (%s); score rule: %s\n", m.Info.Threshold, m.Info.ThresholdRule, m.Info.Config.ScoreRule)
	if *out != "-" {
		fmt.Fprintf(stdout, "overlays: %s\n", *out)
	}
	return nil
}
