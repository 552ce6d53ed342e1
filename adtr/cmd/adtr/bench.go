package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backbone"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/adtr/features"
	"github.com/goadtr/goadtr/adtr/train"
	"github.com/gomlx/gomlx/ml/model"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := configFlags(fs)
	tokens := fs.Int("grid", 14, "train step: feature grid side (14 = 196 tokens, UniAD at 224 px)")
	channels := fs.Int("channels", 272, "train step: feature channels C (272 = EfficientNet-B4 strides 2-16)")
	steps := fs.Int("steps", 3, "train step: steps per timed epoch (two timed epochs after a warm-up epoch)")
	runs := fs.Int("runs", 20, "inference: timed single-image runs for the latency percentiles")
	weights := fs.String("weights", "", "backbone weights for the inference benchmark (default: random weights; speed does not depend on them)")
	if err := parse(fs, args, stderr, "bench [flags]\n\nMeasures the training step (cached features through the reconstructor, AdamW) and inference\n(image -> backbone -> reconstructor -> anomaly map and score): throughput, latency p50/p95\nand peak memory."); err != nil {
		return err
	}
	if !setFlags(fs)["batch"] {
		cfg.BatchSize = 8 // the reference point of the train step
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backend: %s; GOMAXPROCS %d; SIMD build: %v\n", b.Name(), runtime.GOMAXPROCS(0), backend.SIMDBuilt)

	// Train step on random cached features of the requested size.
	tc := *cfg
	tc.InputSize, tc.GridStride = *tokens*16, 16
	tc.Epochs, tc.LRStepEpoch = 3, 0
	if err := tc.Validate(); err != nil {
		return usageErrorf(fs, "%v", err)
	}
	n := tc.BatchSize * *steps
	rng := rand.New(rand.NewPCG(1, 2))
	flat := make([]float32, n**tokens**tokens**channels)
	for i := range flat {
		flat[i] = float32(rng.NormFloat64())
	}
	res, err := train.Train(ctx, &tc, train.Data{Features: tensors.FromFlatDataAndDimensions(flat, n, *tokens, *tokens, *channels)}, train.Options{Backend: b})
	if err != nil {
		return err
	}
	var timed float64
	for _, r := range res.History[1:] {
		timed += r.Seconds
	}
	stepS := timed / float64(len(res.History)-1) / float64(*steps)
	fmt.Fprintf(stdout, "train step: batch %d, %d tokens, %d channels, %s: %.3f s/step, %.1f images/s\n",
		tc.BatchSize, *tokens**tokens, *channels, trainVariant(&tc), stepS, float64(tc.BatchSize)/stepS)

	// Inference: image → features → detector.
	var bb *backbone.Backbone
	if *weights != "" {
		bb, err = backbone.Load(cfg.Backbone, *weights)
	} else {
		bb, err = backbone.Random(cfg.Backbone, 1)
	}
	if err != nil {
		return err
	}
	ext, err := features.New(b, cfg, bb)
	if err != nil {
		return err
	}
	// A detector with freshly initialised weights: speed does not depend on their values.
	det, err := train.NewDetector(b, cfg, model.NewStore())
	if err != nil {
		return err
	}
	size := cfg.InputSize
	image := func(batch int) *tensors.Tensor {
		px := make([]float32, batch*size*size*3)
		for i := range px {
			px[i] = float32(rng.NormFloat64())
		}
		return tensors.FromFlatDataAndDimensions(px, batch, size, size, 3)
	}
	infer := func(x *tensors.Tensor) error {
		f, err := ext.Extract(x)
		if err != nil {
			return err
		}
		_, _, scores, err := det.Detect(f)
		if err != nil {
			return err
		}
		_, err = tensors.CopyFlatData[float32](scores)
		return err
	}
	one := image(1)
	if err := infer(one); err != nil { // compile
		return err
	}
	lat := make([]float64, *runs)
	for i := range lat {
		start := time.Now()
		if err := infer(one); err != nil {
			return err
		}
		lat[i] = time.Since(start).Seconds()
	}
	slices.Sort(lat)
	batch := image(8)
	if err := infer(batch); err != nil {
		return err
	}
	start := time.Now()
	if err := infer(batch); err != nil {
		return err
	}
	thr := 8 / time.Since(start).Seconds()
	fmt.Fprintf(stdout, "inference: %s at %d px (%s): latency p50 %.0f ms, p95 %.0f ms per image; batch 8: %.1f images/s\n",
		bb.Name(), size, trainVariant(cfg), 1000*percentile(lat, 0.5), 1000*percentile(lat, 0.95), thr)
	fmt.Fprintf(stdout, "peak memory (max resident set): %s\n", peakMemory())
	return nil
}

// trainVariant names the reconstructor variant briefly.
func trainVariant(cfg *adtr.Config) string {
	return fmt.Sprintf("%s, %d+%d layers, width %d", experiment.Variant(cfg), cfg.EncoderLayers, cfg.DecoderLayers, cfg.Hidden)
}

// percentile returns the q-quantile of sorted values (nearest rank).
func percentile(sorted []float64, q float64) float64 {
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// peakMemory reports the process's peak resident memory (VmHWM on Linux; the Go runtime's
// obtained memory elsewhere).
func peakMemory() string {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "VmHWM:") {
				return strings.TrimSpace(strings.TrimPrefix(sc.Text(), "VmHWM:"))
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("%d MB obtained by the Go runtime", ms.Sys>>20)
}
