package datasets

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// greyRamp returns a w×h image with a horizontal grey ramp from 0.2 to 0.8.
func greyRamp(w, h int) *Image {
	img := NewImage(w, h)
	for y := range h {
		for x := range w {
			v := 0.2 + 0.6*float32(x)/float32(w)
			copy(img.Pix[(y*w+x)*3:], []float32{v, v, v})
		}
	}
	return img
}

func TestConfetti(t *testing.T) {
	img := greyRamp(96, 80)
	orig := slices.Clone(img.Pix)
	tests := []struct {
		name string
		opts ConfettiOptions
		// minArea is the least mask area: a quarter of the smallest rectangle (one centred in a corner).
		minArea int
	}{
		{"defaults", ConfettiOptions{}, 8 * 8 / 4},
		{"coloured only, sharp", ConfettiOptions{WhiteFraction: -1, Sigma: 0.5, MinCount: 3, MaxCount: 3}, 8 * 8 / 4},
		{"white only, large", ConfettiOptions{WhiteFraction: 1, MinSide: 20, MaxSide: 30}, 20 * 20 / 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(5) {
				out, mask := Confetti(img, rand.New(rand.NewPCG(seed, 1)), tc.opts)
				again, mask2 := Confetti(img, rand.New(rand.NewPCG(seed, 1)), tc.opts)
				if !slices.Equal(out.Pix, again.Pix) || !slices.Equal(mask.Pix, mask2.Pix) {
					t.Errorf("seed %d: two runs differ", seed)
				}
				other, _ := Confetti(img, rand.New(rand.NewPCG(seed+100, 1)), tc.opts)
				if slices.Equal(out.Pix, other.Pix) {
					t.Errorf("seeds %d and %d give the same confetti", seed, seed+100)
				}
				if !slices.Equal(img.Pix, orig) {
					t.Fatal("Confetti modified its input")
				}
				for p := range img.W * img.H {
					changed := !slices.Equal(out.Pix[p*3:p*3+3], img.Pix[p*3:p*3+3])
					if changed != (mask.Pix[p] == 1) {
						t.Fatalf("seed %d pixel %d: changed %v, mask %d", seed, p, changed, mask.Pix[p])
					}
				}
				if lo, hi := slices.Min(out.Pix), slices.Max(out.Pix); lo < 0 || hi > 1 {
					t.Errorf("seed %d: values in [%v, %v]", seed, lo, hi)
				}
				if area := mask.Area(); area < tc.minArea || area == img.W*img.H {
					t.Errorf("seed %d: mask area %d", seed, area)
				}
			}
		})
	}
}

// TestConfettiWhiteOnWhite: white confetti cannot change a white image; the mask is empty.
func TestConfettiWhiteOnWhite(t *testing.T) {
	img := NewImage(32, 32)
	for i := range img.Pix {
		img.Pix[i] = 1
	}
	out, mask := Confetti(img, rand.New(rand.NewPCG(1, 2)), ConfettiOptions{WhiteFraction: 1})
	if mask.Area() != 0 || !slices.Equal(out.Pix, img.Pix) {
		t.Errorf("white on white: mask area %d", mask.Area())
	}
}
