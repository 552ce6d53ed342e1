package experiment

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goadtr/goadtr/datasets"
)

// TestNormalMapCalibration checks that a calibrating model stores the mean normal map, that the
// calibrated maps of the training images average to 1 at every pixel (they are divided by their
// own mean), and that the reopened model reproduces the run's calibrated scores.
func TestNormalMapCalibration(t *testing.T) {
	spec := smallSpec(t)
	spec.Config.NormalMapCalibration = true
	out, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(spec.Out, NormalMapFile)); err != nil || st.Size() != 4*64*64 {
		t.Fatalf("normal map: %v, %v", st, err)
	}
	m, err := Open(spec.Out, BackboneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := spec.Data.Open(spec.Config.InputSize)
	if err != nil {
		t.Fatal(err)
	}
	images, _, err := datasets.LoadAll(cat.Train, spec.Config.InputSize, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	trained, err := m.Score(context.Background(), images, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, px := range []int{0, 64*32 + 32, 64*64 - 1} {
		sum := 0.0
		for _, mp := range trained.Maps {
			sum += float64(mp[px])
		}
		if mean := sum / float64(len(trained.Maps)); math.Abs(mean-1) > 1e-3 {
			t.Errorf("pixel %d: calibrated training maps average %v, want 1", px, mean)
		}
	}
	test, err := m.Test(context.Background(), cat, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range test.Scored.Scores {
		if math.Abs(s-out.Test.Scored.Scores[i]) > 1e-4*math.Max(1, math.Abs(s)) {
			t.Fatalf("reopened model scores test image %d %v, the run scored %v", i, s, out.Test.Scored.Scores[i])
		}
	}
	// A calibrating model without its normal map is an error, not silently uncalibrated scores.
	if err := os.Remove(filepath.Join(spec.Out, NormalMapFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(spec.Out, BackboneOptions{}); err == nil {
		t.Error("Open succeeded without the normal map")
	}
}
