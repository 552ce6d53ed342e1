package features

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backbone"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/goadtr/goadtr/datasets"
)

// randomImages returns n seeded random size×size images.
func randomImages(n, size int, seed uint64) []*datasets.Image {
	rng := rand.New(rand.NewPCG(seed, 1))
	images := make([]*datasets.Image, n)
	for i := range images {
		images[i] = datasets.NewImage(size, size)
		for j := range images[i].Pix {
			images[i].Pix[j] = rng.Float32()
		}
	}
	return images
}

// tinyConfig is a small configuration on the tiny EfficientNet (64 px input, 4×4 grid).
func tinyConfig() *adtr.Config {
	cfg := adtr.DefaultConfig()
	cfg.Backbone = "efficientnet_tiny"
	cfg.InputSize = 64
	cfg.Taps = []int{4, 8, 16}
	cfg.TopK = 4
	return cfg
}

func TestExtractAll(t *testing.T) {
	bb, err := backbone.Random("efficientnet_tiny", 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		target       string
		wantChannels int
	}{
		{"backbone features", adtr.TargetFeatures, 8 + 16 + 32},
		{"pixel patches", adtr.TargetPixels, 16 * 16 * 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Target = tt.target
			e, err := New(backend.MustNew(), cfg, bb)
			if err != nil {
				t.Fatal(err)
			}
			if e.Channels() != tt.wantChannels {
				t.Fatalf("Channels() = %d, want %d", e.Channels(), tt.wantChannels)
			}
			images := randomImages(5, 64, 7)
			cache := t.TempDir()
			var progress strings.Builder
			all, err := e.ExtractAll(context.Background(), images, Options{BatchSize: 2, CacheDir: cache, Progress: &progress})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := all.Shape().Dimensions, []int{5, 4, 4, tt.wantChannels}; !slices.Equal(got, want) {
				t.Fatalf("shape %v, want %v", got, want)
			}
			// Batching must not change an image's features: image 3 alone gives the same values.
			one, err := e.Extract(tensors.FromFlatDataAndDimensions(datasets.Normalize(images[3]), 1, 64, 64, 3))
			if err != nil {
				t.Fatal(err)
			}
			got, want := tensors.MustCopyFlatData[float32](all), tensors.MustCopyFlatData[float32](one)
			per := len(want)
			assertClose(t, got[3*per:4*per], want, 1e-5)

			// A second run reads every image from the cache and returns identical values.
			entries, _ := filepath.Glob(filepath.Join(cache, "*", "*.f32"))
			if len(entries) != 5 {
				t.Fatalf("%d cache entries, want 5", len(entries))
			}
			progress.Reset()
			again, err := e.ExtractAll(context.Background(), images, Options{CacheDir: cache, Progress: &progress})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(progress.String(), "5 of 5 images from the feature cache") {
				t.Errorf("second run did not use the cache: %q", progress.String())
			}
			assertClose(t, tensors.MustCopyFlatData[float32](again), got, 0)

			// A damaged entry is an error naming the file, never silently wrong features.
			if err := os.WriteFile(entries[0], []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := e.ExtractAll(context.Background(), images, Options{CacheDir: cache}); err == nil || !strings.Contains(err.Error(), entries[0]) {
				t.Errorf("corrupt cache entry: err = %v, want one naming %s", err, entries[0])
			}
		})
	}
}

func TestExtractAllErrors(t *testing.T) {
	bb, err := backbone.Random("efficientnet_tiny", 1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(backend.MustNew(), tinyConfig(), bb)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		images  []*datasets.Image
		wantErr string
	}{
		{"no images", context.Background(), nil, "no images"},
		{"wrong size", context.Background(), randomImages(1, 32, 1), "32x32, want 64x64"},
		{"cancelled", ctx, randomImages(1, 64, 1), "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.ExtractAll(tt.ctx, tt.images, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	cfg := tinyConfig()
	cfg.Taps = []int{3}
	if _, err := New(backend.MustNew(), cfg, bb); err == nil {
		t.Error("New accepted tap 3")
	}
	if _, err := New(backend.MustNew(), tinyConfig(), nil); err == nil {
		t.Error("New accepted a nil backbone for the feature target")
	}
}

func assertClose(t *testing.T, got, want []float32, tol float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("length %d, want %d", len(got), len(want))
	}
	for i := range got {
		if d := got[i] - want[i]; d > tol || d < -tol {
			t.Fatalf("value %d = %g, want %g (tolerance %g)", i, got[i], want[i], tol)
		}
	}
}
