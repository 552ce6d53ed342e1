package datasets

import (
	"image"
	"math"
	"math/rand/v2"
)

// This file holds the small raster toolkit of the synthetic generator: value-noise fields,
// coverage (alpha) maps of blobs and strokes, and blending. Coordinates are in pixels with
// pixel centres at integer+0.5; fields are row-major w×h slices.

// pt is a point in pixel coordinates.
type pt struct{ x, y float32 }

// canvas is a float RGB image under construction together with its defect coverage.
type canvas struct {
	w, h int
	rgb  []float32 // HWC, values nominally in [0, 1]
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, rgb: make([]float32, w*h*3)} }

// blend mixes colour col into the canvas with per-pixel weight alpha·strength.
func (c *canvas) blend(alpha []float32, col [3]float32, strength float32) {
	for i, a := range alpha {
		if a == 0 {
			continue
		}
		a *= strength
		for k := 0; k < 3; k++ {
			p := &c.rgb[i*3+k]
			*p += (col[k] - *p) * a
		}
	}
}

// tint multiplies the canvas by factor (per channel) with per-pixel weight alpha·strength.
func (c *canvas) tint(alpha []float32, factor [3]float32, strength float32) {
	for i, a := range alpha {
		if a == 0 {
			continue
		}
		a *= strength
		for k := 0; k < 3; k++ {
			c.rgb[i*3+k] *= 1 + (factor[k]-1)*a
		}
	}
}

// rgba quantises the canvas to 8-bit RGBA (as stored on disk).
func (c *canvas) rgba() *image.RGBA { return (&Image{W: c.w, H: c.h, Pix: c.rgb}).ToRGBA() }

// dab blends a soft disc of radius r and colour col at c with the given strength.
func (c *canvas) dab(at pt, r float32, col [3]float32, strength float32) {
	x0, y0, x1, y1 := box(c.w, c.h, at.x-r-1, at.y-r-1, at.x+r+1, at.y+r+1)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := float32(x)+0.5-at.x, float32(y)+0.5-at.y
			a := strength * clamp01(r-float32(math.Sqrt(float64(dx*dx+dy*dy)))+0.5)
			i := (y*c.w + x) * 3
			for k := range col {
				c.rgb[i+k] += (col[k] - c.rgb[i+k]) * a
			}
		}
	}
}

// maskFrom marks the pixels whose coverage is at least one half.
func maskFrom(w, h int, alpha []float32) *Mask {
	m := NewMask(w, h)
	for i, a := range alpha {
		if a >= 0.5 {
			m.Pix[i] = 1
		}
	}
	return m
}

// fbm returns fractal value noise in about [-1, 1]: octaves layers of smoothly interpolated
// random lattices, the first with cell size cell pixels, each next one with half the cell and
// half the amplitude.
func fbm(rng *rand.Rand, w, h int, cell float32, octaves int) []float32 {
	out := make([]float32, w*h)
	amp, total := float32(1), float32(0)
	for range octaves {
		addNoise(out, rng, w, h, cell, amp)
		total += amp
		amp /= 2
		cell /= 2
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

// addNoise adds amp × one layer of value noise with the given cell size to out.
func addNoise(out []float32, rng *rand.Rand, w, h int, cell, amp float32) {
	gw, gh := int(float32(w)/cell)+2, int(float32(h)/cell)+2
	lat := make([]float32, gw*gh)
	for i := range lat {
		lat[i] = rng.Float32()*2 - 1
	}
	// Per-column lattice index and smoothed fraction, shared by all rows.
	xi := make([]int, w)
	xf := make([]float32, w)
	for x := range w {
		u := (float32(x) + 0.5) / cell
		xi[x] = int(u)
		xf[x] = smooth(u - float32(xi[x]))
	}
	for y := range h {
		v := (float32(y) + 0.5) / cell
		yi := int(v)
		fy := smooth(v - float32(yi))
		r0, r1 := lat[yi*gw:], lat[(yi+1)*gw:]
		row := out[y*w : (y+1)*w]
		for x := range row {
			i, fx := xi[x], xf[x]
			a := r0[i] + (r0[i+1]-r0[i])*fx
			b := r1[i] + (r1[i+1]-r1[i])*fx
			row[x] += amp * (a + (b-a)*fy)
		}
	}
}

func smooth(t float32) float32 { return t * t * (3 - 2*t) }

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

// box is an integer pixel rectangle clipped to the canvas.
func box(w, h int, x0, y0, x1, y1 float32) (int, int, int, int) {
	return max(int(x0), 0), max(int(y0), 0), min(int(x1)+1, w), min(int(y1)+1, h)
}

// blob adds (by maximum) to alpha the coverage of an irregular disc centred at c with mean
// radius r: its radius varies with the angle by low harmonics of relative size rough, and its
// edge is soft over about soft pixels.
func blob(alpha []float32, w, h int, rng *rand.Rand, c pt, r, rough, soft float32) {
	var amp, phase [4]float32
	for k := range amp {
		amp[k] = rough * rng.Float32() / float32(k+1)
		phase[k] = rng.Float32() * 2 * math.Pi
	}
	reach := r*(1+2*rough) + soft
	x0, y0, x1, y1 := box(w, h, c.x-reach, c.y-reach, c.x+reach, c.y+reach)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			dx, dy := float32(x)+0.5-c.x, float32(y)+0.5-c.y
			d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
			th := float32(math.Atan2(float64(dy), float64(dx)))
			rr := float32(1)
			for k := range amp {
				rr += amp[k] * float32(math.Sin(float64(float32(k+2)*th+phase[k])))
			}
			a := clamp01((r*rr-d)/soft + 0.5)
			i := y*w + x
			alpha[i] = max(alpha[i], a)
		}
	}
}

// stroke adds (by maximum) to alpha the antialiased coverage of a polyline of the given width.
func stroke(alpha []float32, w, h int, pts []pt, width float32) {
	half := width / 2
	for s := 0; s+1 < len(pts); s++ {
		a, b := pts[s], pts[s+1]
		x0, y0, x1, y1 := box(w, h, min(a.x, b.x)-half-1, min(a.y, b.y)-half-1, max(a.x, b.x)+half+1, max(a.y, b.y)+half+1)
		dx, dy := b.x-a.x, b.y-a.y
		l2 := max(dx*dx+dy*dy, 1e-6)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				px, py := float32(x)+0.5-a.x, float32(y)+0.5-a.y
				t := clamp01((px*dx + py*dy) / l2)
				ex, ey := px-t*dx, py-t*dy
				d := float32(math.Sqrt(float64(ex*ex + ey*ey)))
				i := y*w + x
				alpha[i] = max(alpha[i], clamp01(half-d+0.5))
			}
		}
	}
}

// walk returns a random-walk polyline of n steps of length step from start, heading initially
// along angle and turning by up to ±turn radians per step.
func walk(rng *rand.Rand, start pt, angle, step, turn float32, n int) []pt {
	pts := []pt{start}
	p := start
	for range n {
		angle += (rng.Float32()*2 - 1) * turn
		p = pt{p.x + step*float32(math.Cos(float64(angle))), p.y + step*float32(math.Sin(float64(angle)))}
		pts = append(pts, p)
	}
	return pts
}

// uniform returns a uniform random number in [lo, hi).
func uniform(rng *rand.Rand, lo, hi float32) float32 { return lo + (hi-lo)*rng.Float32() }

// lighting multiplies the canvas by a random linear brightness gradient of slope up to ±slope
// across the image and a global gain in [1-gain, 1+gain], per channel tinted by up to ±tint.
func (c *canvas) lighting(rng *rand.Rand, slope, gain, tint float32) {
	th := uniform(rng, 0, 2*math.Pi)
	gx, gy := float32(math.Cos(float64(th))), float32(math.Sin(float64(th)))
	s := uniform(rng, -slope, slope) / float32(max(c.w, c.h))
	g := 1 + uniform(rng, -gain, gain)
	var col [3]float32
	for k := range col {
		col[k] = g * (1 + uniform(rng, -tint, tint))
	}
	cx, cy := float32(c.w)/2, float32(c.h)/2
	for y := range c.h {
		for x := range c.w {
			f := 1 + s*((float32(x)-cx)*gx+(float32(y)-cy)*gy)
			i := (y*c.w + x) * 3
			for k := range col {
				c.rgb[i+k] *= f * col[k]
			}
		}
	}
}
