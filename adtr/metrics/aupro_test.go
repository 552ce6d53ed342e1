package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestLabelRegions(t *testing.T) {
	for _, tc := range []struct {
		name          string
		mask          []uint8
		width, height int
		labels        []int32
		sizes         []int
	}{
		{"empty", []uint8{0, 0, 0, 0}, 2, 2, []int32{0, 0, 0, 0}, nil},
		{
			"diagonal neighbours join (8-connectivity)",
			[]uint8{
				1, 0, 0,
				0, 1, 0,
				0, 0, 1,
			}, 3, 3,
			[]int32{
				1, 0, 0,
				0, 1, 0,
				0, 0, 1,
			}, []int{3},
		},
		{
			"separate regions, no wrap across rows",
			[]uint8{
				0, 0, 1,
				1, 0, 0,
				1, 0, 7,
			}, 3, 3,
			[]int32{
				0, 0, 1,
				2, 0, 0,
				2, 0, 3,
			}, []int{1, 2, 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels, sizes := labelRegions(tc.mask, tc.width, tc.height)
			if !slices.Equal(labels, tc.labels) || !slices.Equal(sizes, tc.sizes) {
				t.Errorf("labelRegions = %v %v, want %v %v", labels, sizes, tc.labels, tc.sizes)
			}
		})
	}
}

// proImage is a 4×2 image with two regions, A = {(0,0), (1,0)} (size 2) and B = {(3,1)} (size 1),
// and 5 normal pixels. Sweeping down: 0.9 covers half of A (PRO ¼); 0.8 is a normal pixel (FPR
// 0.2); 0.6 covers B (PRO ¾); 0.5 is normal (FPR 0.4); 0.4 completes A (PRO 1); the rest normal.
var (
	proMap  = []float32{0.9, 0.4, 0.8, 0.5, 0.3, 0.2, 0.1, 0.6}
	proMask = []uint8{1, 1, 0, 0, 0, 0, 0, 1}
)

func TestPROCurveHandComputed(t *testing.T) {
	fpr, pro, err := PROCurve([][]float32{proMap}, [][]uint8{proMask}, 4, 2, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	// (0.4, 0.75) lies past the limit: the curve ends on its interpolation at FPR 0.3.
	assertClose(t, "fpr", fpr, []float64{0, 0, 0.2, 0.2, 0.3}, 1e-12)
	assertClose(t, "pro", pro, []float64{0, 0.25, 0.25, 0.75, 0.75}, 1e-12)
}

func TestAUPROHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maps   [][]float32
		masks  [][]uint8
		w, h   int
		maxFPR float64
		want   float64
	}{
		// 0.2·0.25 + 0.1·0.75 = 0.125, normalised by 0.3.
		{"two regions at 0.3", [][]float32{proMap}, [][]uint8{proMask}, 4, 2, 0.3, 0.125 / 0.3},
		// 0.2·0.25 + 0.2·0.75 + 0.6·1.
		{"two regions, whole curve", [][]float32{proMap}, [][]uint8{proMask}, 4, 2, 1, 0.8},
		// A nil mask excludes its image; an all-zero mask adds normal pixels: the extra 0.95
		// pixel is a false positive before any region is found, the others fall below them all.
		{
			"nil and all-zero masks",
			[][]float32{proMap, {9, 9, 9, 9, 9, 9, 9, 9}, {0.95, 0, 0, 0, 0, 0, 0, 0}},
			[][]uint8{proMask, nil, make([]uint8, 8)}, 4, 2, 1,
			// Normal pixels now 5+8 = 13: FPR steps of 1/13 at 0.95 (PRO 0), 0.8 (PRO ¼),
			// 0.5 (PRO ¾), then the other 10 at PRO 1.
			(1.0/13)*0 + (1.0/13)*0.25 + (1.0/13)*0.75 + (10.0/13)*1,
		},
		// Regions {(0,0), (1,1)} (diagonal, one region under 8-connectivity) and {(3,0)}: only
		// (0,0) beats the normal pixels, covering half of the first region: PRO ¼ (⅓ with
		// 4-connectivity), constant until FPR 1.
		{
			"8-connectivity",
			[][]float32{{0.9, 0.5, 0.5, 0.1, 0.5, 0.1, 0.5, 0.5}},
			[][]uint8{{1, 0, 0, 1, 0, 1, 0, 0}}, 4, 2, 1, 0.25,
		},
		{"perfect", [][]float32{{1, 1, 0, 0}}, [][]uint8{{1, 1, 0, 0}}, 2, 2, 0.3, 1},
		{"inverted", [][]float32{{0, 0, 1, 1}}, [][]uint8{{1, 1, 0, 0}}, 2, 2, 0.3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AUPRO(tc.maps, tc.masks, tc.w, tc.h, tc.maxFPR)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("AUPRO = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAUPROErrors(t *testing.T) {
	one := [][]float32{{0.5, 0.1}}
	for _, tc := range []struct {
		name   string
		maps   [][]float32
		masks  [][]uint8
		w, h   int
		maxFPR float64
		want   string
	}{
		{"zero limit", one, [][]uint8{{1, 0}}, 2, 1, 0, "maxFPR"},
		{"limit above 1", one, [][]uint8{{1, 0}}, 2, 1, 1.5, "maxFPR"},
		{"NaN limit", one, [][]uint8{{1, 0}}, 2, 1, math.NaN(), "maxFPR"},
		{"bad size", one, [][]uint8{{1, 0}}, 0, 1, 0.3, "size"},
		{"map not width×height", one, [][]uint8{{1, 0}}, 1, 1, 0.3, "want 1"},
		{"no region", one, [][]uint8{{0, 0}}, 2, 1, 0.3, "anomalous"},
		{"no normal pixel", one, [][]uint8{{1, 1}}, 2, 1, 0.3, "normal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AUPRO(tc.maps, tc.masks, tc.w, tc.h, tc.maxFPR)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AUPRO error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// BenchmarkPixelMetrics measures pixel AUROC and AU-PRO on a category-sized input: 100 anomaly
// maps of 256×256 with square defects in every other image.
func BenchmarkPixelMetrics(b *testing.B) {
	const n, side = 100, 256
	rng := rand.New(rand.NewPCG(1, 2))
	maps, masks := make([][]float32, n), make([][]uint8, n)
	for i := range n {
		maps[i], masks[i] = make([]float32, side*side), make([]uint8, side*side)
		x0, y0 := rng.IntN(side-40), rng.IntN(side-40)
		for p := range maps[i] {
			x, y := p%side, p/side
			if i%2 == 1 && x >= x0 && x < x0+40 && y >= y0 && y < y0+40 {
				masks[i][p] = 1
				maps[i][p] = 0.5
			}
			maps[i][p] += rng.Float32()
		}
	}
	for b.Loop() {
		if _, err := PixelAUROC(maps, masks); err != nil {
			b.Fatal(err)
		}
		if _, err := AUPRO(maps, masks, side, side, DefaultMaxFPR); err != nil {
			b.Fatal(err)
		}
	}
}
