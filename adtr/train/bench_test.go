package train

import (
	"testing"
	"time"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backend"
)

// benchConfig is UniAD's MVTec setting: 224 px → 14×14 = 196 tokens, 272 channels, the default
// transformer sizes, batch 8.
func benchConfig() *adtr.Config {
	cfg := adtr.DefaultConfig()
	cfg.InputSize = 224
	cfg.Taps = []int{2, 4, 8, 16}
	cfg.BatchSize = 8
	return cfg
}

// BenchmarkTrainStep measures one AdamW step (forward, backward, update) of the default
// transformer on a batch of 8 feature maps 14×14×272. Run with
// GOMLX_BACKEND=go go test -run - -bench TrainStep -benchtime 5x ./adtr/train/
func BenchmarkTrainStep(b *testing.B) {
	cfg := benchConfig()
	features, _ := lowRankFeatures(1, cfg.BatchSize, cfg.Grid(), 272, 8)
	r, err := newRun(cfg, Data{Features: features}, Options{}, backend.MustNew())
	if err != nil {
		b.Fatal(err)
	}
	batch := r.features.batch([]int{0, 1, 2, 3, 4, 5, 6, 7})
	if _, err := r.step.Call(batch); err != nil { // compile and initialise outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := r.step.Call(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/step")
}

// BenchmarkInference measures the Detector (reconstruction, anomaly map at 224×224, pooled-max
// score) per image, on batches of 8 feature maps 14×14×272.
func BenchmarkInference(b *testing.B) {
	cfg := benchConfig()
	features, _ := lowRankFeatures(1, cfg.BatchSize, cfg.Grid(), 272, 8)
	r, err := newRun(cfg, Data{Features: features}, Options{}, backend.MustNew())
	if err != nil {
		b.Fatal(err)
	}
	det, err := NewDetector(backend.MustNew(), cfg, r.store)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, _, err := det.Detect(features); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, _, _, err := det.Detect(features); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N*cfg.BatchSize), "s/image")
}
