package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"text/tabwriter"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr/backbone"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/datasets"
)

func runFeatures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("features", flag.ContinueOnError)
	cfg := configFlags(fs)
	weights := fs.String("weights", "", "backbone weights (default: $GOADTR_WEIGHTS_DIR, the user cache, then a download)")
	random := fs.Bool("random-backbone", false, "use a randomly initialised backbone")
	if err := parse(fs, args, stderr, "features [flags] IMAGE|FOLDER...\n\nRuns the frozen backbone on images and prints, per tap, the feature map's shape, mean,\nstandard deviation and range."); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf(fs, "no images given")
	}
	paths, err := experiment.ImageFiles(fs.Args())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cfg.Target = "features"
	bb, err := experiment.LoadBackbone(cfg, experiment.BackboneOptions{Weights: *weights, Random: *random, Seed: cfg.Seed, Progress: stderr})
	if err != nil {
		return err
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	ext, err := backbone.NewExtractor(b, bb, cfg.Taps)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backbone %s, input %d px, taps %v\n", bb.Name(), cfg.InputSize, cfg.Taps)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "image\ttap\tshape\tmean\tstd\tmin\tmax")
	for _, p := range paths {
		img, err := datasets.LoadImage(datasets.Sample{ImagePath: p}, cfg.InputSize)
		if err != nil {
			return err
		}
		x, err := datasets.Batch([]*datasets.Image{img})
		if err != nil {
			return err
		}
		maps, err := ext.Extract(x)
		if err != nil {
			return err
		}
		for i, m := range maps {
			v := tensors.MustCopyFlatData[float32](m)
			mean, std, lo, hi := summary(v)
			fmt.Fprintf(tw, "%s\t%d\t%v\t%.4f\t%.4f\t%.3f\t%.3f\n", filepath.Base(p), cfg.Taps[i], m.Shape().Dimensions, mean, std, lo, hi)
		}
	}
	return tw.Flush()
}

// summary returns the mean, standard deviation, minimum and maximum of v.
func summary(v []float32) (mean, std, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		f := float64(x)
		mean += f
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	mean /= float64(len(v))
	for _, x := range v {
		d := float64(x) - mean
		std += d * d
	}
	return mean, math.Sqrt(std / float64(len(v))), lo, hi
}
