package datasets

import (
	"math"
	"math/rand/v2"
)

// ConfettiOptions configure Confetti. Zero values mean the documented defaults.
type ConfettiOptions struct {
	// MinSide and MaxSide bound the sides of each rectangle in pixels. Default 8 and 54 (FCDD).
	MinSide, MaxSide int
	// MinCount and MaxCount bound the number of rectangles per image. Default 1 and 4.
	MinCount, MaxCount int
	// WhiteFraction is the probability that a rectangle is white (+1 on every channel) rather
	// than coloured (each channel uniform in [-1, 1]). Default 0 means 0.5; a negative value
	// means coloured rectangles only.
	WhiteFraction float64
	// Sigma is the standard deviation in pixels of the Gaussian blur applied to the noise.
	// Default 2.
	Sigma float64
	// Threshold is the absolute change (in [0, 1] units, on any channel) above which a pixel
	// counts as changed and enters the mask; smaller changes are undone. Default 0.02.
	Threshold float32
}

func (o ConfettiOptions) withDefaults() ConfettiOptions {
	if o.MinSide <= 0 {
		o.MinSide = 8
	}
	if o.MaxSide < o.MinSide {
		o.MaxSide = max(54, o.MinSide)
	}
	if o.MinCount <= 0 {
		o.MinCount = 1
	}
	if o.MaxCount < o.MinCount {
		o.MaxCount = max(4, o.MinCount)
	}
	if o.WhiteFraction == 0 {
		o.WhiteFraction = 0.5
	}
	if o.Sigma <= 0 {
		o.Sigma = 2
	}
	if o.Threshold <= 0 {
		o.Threshold = 0.02
	}
	return o
}

// Confetti returns a synthetic anomaly made from a normal image (FCDD "confetti noise",
// spec §3): a random number of white and coloured rectangles with random sides and rotation
// is drawn into a noise layer, blurred with a Gaussian, added to the image and clamped to
// [0, 1]. The mask holds exactly the pixels that changed by more than opts.Threshold; all
// other pixels are left identical to img. The result depends only on img, opts and rng's
// state. The mask can be empty (e.g. white confetti on a saturated white image). img is not
// modified.
func Confetti(img *Image, rng *rand.Rand, opts ConfettiOptions) (*Image, *Mask) {
	opts = opts.withDefaults()
	w, h := img.W, img.H
	noise := make([]float32, len(img.Pix))
	for range opts.MinCount + rng.IntN(opts.MaxCount-opts.MinCount+1) {
		addRectangle(noise, w, h, rng, opts)
	}
	gaussianBlur(noise, w, h, opts.Sigma)
	out := &Image{W: w, H: h, Pix: make([]float32, len(img.Pix))}
	mask := NewMask(w, h)
	for p := range w * h {
		var change float32
		for c := range 3 {
			i := p*3 + c
			out.Pix[i] = clamp01(img.Pix[i] + noise[i])
			change = max(change, float32(math.Abs(float64(out.Pix[i]-img.Pix[i]))))
		}
		if change > opts.Threshold {
			mask.Pix[p] = 1
		} else {
			copy(out.Pix[p*3:p*3+3], img.Pix[p*3:p*3+3])
		}
	}
	return out, mask
}

// addRectangle adds one random rotated rectangle to the HWC noise layer.
func addRectangle(noise []float32, w, h int, rng *rand.Rand, opts ConfettiOptions) {
	side := func() float32 { return float32(opts.MinSide + rng.IntN(opts.MaxSide-opts.MinSide+1)) }
	rw, rh := side(), side()
	c := pt{uniform(rng, 0, float32(w)), uniform(rng, 0, float32(h))}
	th := uniform(rng, 0, math.Pi)
	cos, sin := float32(math.Cos(float64(th))), float32(math.Sin(float64(th)))
	col := [3]float32{1, 1, 1}
	if rng.Float64() >= opts.WhiteFraction {
		for k := range col {
			col[k] = uniform(rng, -1, 1)
		}
	}
	reach := float32(math.Hypot(float64(rw), float64(rh))) / 2
	x0, y0, x1, y1 := box(w, h, c.x-reach, c.y-reach, c.x+reach, c.y+reach)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := float32(x)+0.5-c.x, float32(y)+0.5-c.y
			if lx, ly := dx*cos+dy*sin, -dx*sin+dy*cos; 2*lx > rw || -2*lx > rw || 2*ly > rh || -2*ly > rh {
				continue
			}
			i := (y*w + x) * 3
			for k := range col {
				noise[i+k] += col[k]
			}
		}
	}
}

// gaussianBlur blurs an HWC 3-channel layer in place with a separable Gaussian of standard
// deviation sigma pixels (truncated at 3σ, edges clamped).
func gaussianBlur(pix []float32, w, h int, sigma float64) {
	r := int(math.Ceil(3 * sigma))
	kernel := make([]float32, 2*r+1)
	var sum float32
	for i := range kernel {
		d := float64(i - r)
		kernel[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += kernel[i]
	}
	for i := range kernel {
		kernel[i] /= sum
	}
	tmp := make([]float32, len(pix))
	// Horizontal pass into tmp (step 3 along a row), then vertical pass back into pix.
	blur1D(tmp, pix, kernel, w, h, 3, w*3)
	blur1D(pix, tmp, kernel, h, w, w*3, 3)
}

// blur1D convolves src with kernel along lines of n pixels (pixel step step), for m lines
// (line step lineStep), 3 channels per pixel, writing dst.
func blur1D(dst, src, kernel []float32, n, m, step, lineStep int) {
	r := len(kernel) / 2
	for l := range m {
		base := l * lineStep
		for i := range n {
			var acc [3]float32
			for k, kv := range kernel {
				j := min(max(i+k-r, 0), n-1)
				o := base + j*step
				acc[0] += kv * src[o]
				acc[1] += kv * src[o+1]
				acc[2] += kv * src[o+2]
			}
			o := base + i*step
			dst[o], dst[o+1], dst[o+2] = acc[0], acc[1], acc[2]
		}
	}
}
