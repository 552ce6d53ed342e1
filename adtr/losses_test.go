package adtr

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
)

// Two images on a 1×2 grid with C = 2. Image 0: d = (1, 3) at u0 (φ = √5 − 1), 0 at u1.
// Image 1: d = (2, 0) at u0 (φ = √2 − 1) and (0, 4) at u1 (φ = √5 − 1).
var (
	lossF    = tensors.FromValue([][][][]float64{{{{1, 3}, {0, 0}}}, {{{2, 0}, {0, 4}}}})
	lossFhat = tensors.FromValue([][][][]float64{{{{0, 0}, {0, 0}}}, {{{0, 0}, {0, 0}}}})
	phi5     = math.Sqrt(5) - 1
	phi2     = math.Sqrt(2) - 1
)

func TestNormalLossAndPseudoHuber(t *testing.T) {
	got, _ := run1(t, NormalLoss, lossF, lossFhat)
	assertClose(t, "L_norm", got, []float64{(1 + 9 + 4 + 16) / 8.0}, 1e-12)
	got, _ = run1(t, PseudoHuber, lossF, lossFhat)
	assertClose(t, "φ", got, []float64{phi5, 0, phi2, phi5}, 1e-12)
}

func TestPixelLossValues(t *testing.T) {
	const alpha = 0.003
	push := func(s float64) float64 { return -alpha * math.Log(1-math.Exp(-s)) }
	tests := []struct {
		name string
		y    [][][]float64
		want float64
	}{
		// Image 0: u0 anomalous → pull 0, push on φ0/2. Image 1: no anomaly → pull only, push skipped.
		{"one anomalous image", [][][]float64{{{1, 0}}, {{0, 0}}}, (push(phi5/2) + (phi2+phi5)/2) / 2},
		// Image 1: u1 anomalous → pull φ(u0)/2, push on φ(u1)/2.
		{"both", [][][]float64{{{1, 0}}, {{0, 1}}}, (push(phi5/2) + phi2/2 + push(phi5/2)) / 2},
		{"no anomaly", [][][]float64{{{0, 0}}, {{0, 0}}}, (phi5/2 + (phi2+phi5)/2) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run1(t, func(f, fhat, y *Node) *Node { return PixelLoss(f, fhat, y, alpha) },
				lossF, lossFhat, tensors.FromValue(tt.y))
			assertClose(t, "L_px", got, []float64{tt.want}, 1e-12)
		})
	}
}

func TestImageLossValues(t *testing.T) {
	const alpha = 0.003
	push := func(q float64) float64 { return -alpha * math.Log(1-math.Exp(-q)) }
	tests := []struct {
		name string
		y    []float64
		k    int
		want float64
	}{
		{"normal images k=1", []float64{0, 0}, 1, (phi5 + phi5) / 2},
		{"normal images k=2", []float64{0, 0}, 2, (phi5/2 + (phi2+phi5)/2) / 2},
		{"anomalous image", []float64{1, 0}, 1, (push(phi5) + phi5) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run1(t, func(f, fhat, y *Node) *Node { return ImageLoss(f, fhat, y, alpha, tt.k) },
				lossF, lossFhat, tensors.FromValue(tt.y))
			assertClose(t, "L_img", got, []float64{tt.want}, 1e-12)
		})
	}
}

// lossGradient returns loss(f, fhat, y) and d loss / d fhat.
func lossGradient(t *testing.T, loss func(f, fhat, y *Node) *Node) func(f, fhat, y *tensors.Tensor) (float64, []float64) {
	exec := MustNewExec(backend.MustNew(), func(f, fhat, y *Node) (*Node, *Node) {
		l := loss(f, fhat, y)
		return l, Gradient(l, fhat)[0]
	})
	return func(f, fhat, y *tensors.Tensor) (float64, []float64) {
		out, err := exec.Call(f, fhat, y)
		if err != nil {
			t.Fatal(err)
		}
		return flat64(t, out[0])[0], flat64(t, out[1])
	}
}

func TestLossGradientsMatchFiniteDifferences(t *testing.T) {
	const b, h, w, c = 2, 3, 3, 4
	rng := rand.New(rand.NewPCG(7, 7))
	f := make([]float64, b*h*w*c)
	noise := make([]float64, len(f))
	for i := range f {
		f[i] = rng.NormFloat64()
		noise[i] = rng.NormFloat64()
	}
	mask := make([]float64, b*h*w)
	for i := range h * w { // image 0 has anomalous positions, image 1 none.
		if i%3 == 0 {
			mask[i] = 1
		}
	}
	pixelLoss := func(f, fhat, y *Node) *Node { return PixelLoss(f, fhat, y, 0.3) }
	imageLoss := func(f, fhat, y *Node) *Node { return ImageLoss(f, fhat, y, 0.3, 4) }
	tests := []struct {
		name  string
		loss  func(f, fhat, y *Node) *Node
		y     *tensors.Tensor
		scale float64 // f̂ = f + scale·noise; 0.05 makes the push arguments < 1e-2 (series branch)
	}{
		{"L_px", pixelLoss, tensors.FromFlatDataAndDimensions(mask, b, h, w), 1},
		{"L_px small errors", pixelLoss, tensors.FromFlatDataAndDimensions(mask, b, h, w), 0.05},
		{"L_img", imageLoss, tensors.FromValue([]float64{1, 0}), 1},
		{"L_img small errors", imageLoss, tensors.FromValue([]float64{1, 0}), 0.05},
		{"L_norm", func(f, fhat, _ *Node) *Node { return NormalLoss(f, fhat) }, tensors.FromValue([]float64{0, 0}), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fhat := make([]float64, len(f))
			for i := range f {
				fhat[i] = f[i] + tt.scale*noise[i]
			}
			eval := lossGradient(t, tt.loss)
			ft := tensors.FromFlatDataAndDimensions(f, b, h, w, c)
			_, grad := eval(ft, tensors.FromFlatDataAndDimensions(fhat, b, h, w, c), tt.y)
			const eps = 1e-6
			for i := range fhat {
				plus, minus := append([]float64(nil), fhat...), append([]float64(nil), fhat...)
				plus[i] += eps
				minus[i] -= eps
				lp, _ := eval(ft, tensors.FromFlatDataAndDimensions(plus, b, h, w, c), tt.y)
				lm, _ := eval(ft, tensors.FromFlatDataAndDimensions(minus, b, h, w, c), tt.y)
				numeric := (lp - lm) / (2 * eps)
				if math.Abs(numeric-grad[i]) > 1e-6*math.Max(1, math.Abs(numeric)) {
					t.Fatalf("d%s/dfhat[%d] = %g, finite differences %g", tt.name, i, grad[i], numeric)
				}
			}
		})
	}
}

func TestLossesFiniteAtZeroError(t *testing.T) {
	// f̂ = f: every φ is 0, so the push terms' arguments hit the MinPushError floor.
	f := tensors.FromFlatDataAndDimensions([]float64{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2)
	checks := []struct {
		name string
		loss func(f, fhat, y *Node) *Node
		y    *tensors.Tensor
	}{
		{"L_px", func(f, fhat, y *Node) *Node { return PixelLoss(f, fhat, y, 0.003) }, tensors.FromValue([][][]float64{{{1, 0}, {0, 1}}})},
		{"L_img", func(f, fhat, y *Node) *Node { return ImageLoss(f, fhat, y, 0.003, 2) }, tensors.FromValue([]float64{1})},
	}
	wantLoss := -0.003 * math.Log(1-math.Exp(-MinPushError))
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			loss, grad := lossGradient(t, tt.loss)(f, f, tt.y)
			if math.Abs(loss-wantLoss) > 1e-9 {
				t.Errorf("loss %g, want the floored push %g", loss, wantLoss)
			}
			for i, g := range grad {
				if math.IsNaN(g) || math.IsInf(g, 0) {
					t.Fatalf("gradient[%d] = %g", i, g)
				}
			}
		})
	}
}

func TestMaskToGrid(t *testing.T) {
	// A 4×4 mask on a 2×2 grid (2×2 pixels per cell): cells hold 0, 1, 2 and 4 anomalous pixels.
	mask := tensors.FromValue([][][]float32{{
		{0, 0, 255, 0},
		{0, 0, 0, 0},
		{1, 1, 9, 9},
		{0, 0, 9, 9},
	}})
	tests := []struct {
		fraction float64
		want     []float64
	}{
		{0.5, []float64{0, 0, 1, 1}},  // ≥ 2 of 4 pixels
		{0.25, []float64{0, 1, 1, 1}}, // any pixel
		{1, []float64{0, 0, 0, 1}},    // all pixels
	}
	for _, tt := range tests {
		got, dims := run1(t, func(m *Node) *Node { return MaskToGrid(m, 2, 2, tt.fraction) }, mask)
		if dims[1] != 2 || dims[2] != 2 {
			t.Fatalf("dims %v", dims)
		}
		assertClose(t, "grid", got, tt.want, 0)
	}
}

// TestMaskToGridRealisticSizes checks the rule "a cell is anomalous when at least minFraction of its
// pixels are" against a direct count, for ground-truth masks at the paper's and UniAD's input sizes
// (256 px on a 16×16 grid, 224 px on 14×14: 16×16-pixel cells) and a non-square grid.
func TestMaskToGridRealisticSizes(t *testing.T) {
	tests := []struct {
		size, gridH, gridW int
		fraction           float64
	}{
		{256, 16, 16, 0.5},
		{224, 14, 14, 0.5},
		{224, 14, 14, 0.3},
		{224, 7, 28, 0.5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dpx_%dx%d_%g", tt.size, tt.gridH, tt.gridW, tt.fraction), func(t *testing.T) {
			// Two masks of random rectangles (values 255), the second also with isolated pixels.
			const b = 2
			rng := rand.New(rand.NewPCG(uint64(tt.size), 3))
			mask := make([]float32, b*tt.size*tt.size)
			for img := range b {
				for range 6 {
					x0, y0 := rng.IntN(tt.size), rng.IntN(tt.size)
					w, h := 1+rng.IntN(60), 1+rng.IntN(60)
					for y := y0; y < min(y0+h, tt.size); y++ {
						for x := x0; x < min(x0+w, tt.size); x++ {
							mask[(img*tt.size+y)*tt.size+x] = 255
						}
					}
				}
				if img == 1 {
					for range 200 {
						mask[(img*tt.size+rng.IntN(tt.size))*tt.size+rng.IntN(tt.size)] = 1
					}
				}
			}
			ch, cw := tt.size/tt.gridH, tt.size/tt.gridW
			want := make([]float64, 0, b*tt.gridH*tt.gridW)
			anomalous := 0
			for img := range b {
				for gy := range tt.gridH {
					for gx := range tt.gridW {
						count := 0
						for y := gy * ch; y < (gy+1)*ch; y++ {
							for x := gx * cw; x < (gx+1)*cw; x++ {
								if mask[(img*tt.size+y)*tt.size+x] > 0 {
									count++
								}
							}
						}
						v := 0.0
						if float64(count) >= tt.fraction*float64(ch*cw) {
							v, anomalous = 1, anomalous+1
						}
						want = append(want, v)
					}
				}
			}
			if anomalous == 0 || anomalous == len(want) {
				t.Fatalf("degenerate test masks: %d of %d cells anomalous", anomalous, len(want))
			}
			got, dims := run1(t, func(m *Node) *Node { return MaskToGrid(m, tt.gridH, tt.gridW, tt.fraction) },
				tensors.FromFlatDataAndDimensions(mask, b, tt.size, tt.size))
			if dims[0] != b || dims[1] != tt.gridH || dims[2] != tt.gridW {
				t.Fatalf("dims %v, want [%d %d %d]", dims, b, tt.gridH, tt.gridW)
			}
			assertClose(t, "grid", got, want, 0)
		})
	}
}
