package train

import (
	"math"
	"testing"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestDetectorPixelTarget checks the Target "pixels" path: the map compares the unpacked patches
// per pixel (L2 over RGB) at input resolution, and the "max" score is the map's maximum.
func TestDetectorPixelTarget(t *testing.T) {
	cfg := tinyConfig()
	cfg.Target = adtr.TargetPixels
	cfg.ScoreRule = adtr.ScoreMax
	const stride, grid, c = 2, 4, 2 * 2 * 3
	features, _ := lowRankFeatures(8, 2, grid, c, 3)
	det, err := NewDetector(backend.MustNew(), cfg, model.NewStore())
	if err != nil {
		t.Fatal(err)
	}
	fhat, maps, scores, err := det.Detect(features)
	if err != nil {
		t.Fatal(err)
	}
	if d := maps.Shape().Dimensions; d[1] != cfg.InputSize || d[2] != cfg.InputSize {
		t.Fatalf("map shape %v, want [2 8 8]", d)
	}
	f, fh := tensors.MustCopyFlatData[float32](features), tensors.MustCopyFlatData[float32](fhat)
	m, s := tensors.MustCopyFlatData[float32](maps), tensors.MustCopyFlatData[float32](scores)
	side := grid * stride
	for b := range 2 {
		maxV := 0.0
		for r := range side {
			for col := range side {
				sum := 0.0
				for ch := range 3 {
					i := ((b*grid+r/stride)*grid+col/stride)*c + ((r%stride)*stride+col%stride)*3 + ch
					sum += float64((f[i] - fh[i]) * (f[i] - fh[i]))
				}
				want, got := math.Sqrt(sum), float64(m[(b*side+r)*side+col])
				if math.Abs(got-want) > 1e-4 {
					t.Fatalf("image %d pixel (%d,%d): map %g, want %g", b, r, col, got, want)
				}
				maxV = max(maxV, want)
			}
		}
		if math.Abs(float64(s[b])-maxV) > 1e-4 {
			t.Errorf("image %d score %g, want the map maximum %g", b, s[b], maxV)
		}
	}
}
