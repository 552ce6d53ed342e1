package datasets

import (
	"math"
	"math/rand/v2"
)

// renderWeave draws a plain-weave linen fabric: warp and weft threads of period about 14 px
// (at 256 px) crossing over and under each other, with per-thread brightness, fibre noise,
// a random small rotation, phase and lighting. Defects: "hole" (threads missing, dark
// backing shows), "thread" (a loose weft thread floating over several warps, lighter),
// "stain" (a brownish irregular spot) and "hair" (a thin dark curved fibre).
func renderWeave(rng *rand.Rand, n int, defect string) (*canvas, []float32) {
	s := float32(n) / 256
	period := 14 * s * uniform(rng, 0.95, 1.05)
	th := uniform(rng, -5, 5) * math.Pi / 180
	cos, sin := float32(math.Cos(float64(th))), float32(math.Sin(float64(th)))
	ou, ov := uniform(rng, 0, 2*period), uniform(rng, 0, 2*period)
	var warp, weft [3]float32
	base := [3]float32{0.80, 0.72, 0.58}
	for k := range base {
		warp[k] = base[k] + uniform(rng, -0.03, 0.03)
		weft[k] = warp[k] * uniform(rng, 0.88, 0.95)
	}
	salt := rng.Uint32()
	fibre := fbm(rng, n, n, 5*s, 2)
	c := newCanvas(n, n)
	cover := make([]float32, n*n)

	// The loose thread: weft row j0 floats over warps for u in [u0, u0+length).
	j0, u0, u1 := math.MinInt, float32(0), float32(0)
	if defect == "thread" {
		at := pt{uniform(rng, 0.25, 0.75) * float32(n), uniform(rng, 0.2, 0.8) * float32(n)}
		_, v := weaveCoords(at, n, cos, sin, ou, ov)
		j0 = int(math.Floor(float64(v / period)))
		length := uniform(rng, 45, 110) * s
		u, _ := weaveCoords(at, n, cos, sin, ou, ov)
		u0, u1 = u-length/2, u+length/2
	}
	for y := range n {
		for x := range n {
			u, v := weaveCoords(pt{float32(x) + 0.5, float32(y) + 0.5}, n, cos, sin, ou, ov)
			fi, fj := math.Floor(float64(u/period)), math.Floor(float64(v/period))
			i, j := int(fi), int(fj)
			fu, fv := u/period-float32(fi), v/period-float32(fj)
			loose := j == j0 && u >= u0 && u < u1
			var col [3]float32
			var val float32
			if (i+j)&1 == 0 && !loose {
				// Warp on top: it runs along v, rounded across u, dipping at the cell ends.
				col = warp
				val = threadProfile(fu) * (0.72 + 0.28*float32(math.Sin(math.Pi*float64(fv)))) * threadGain(i, salt)
			} else {
				along := 0.72 + 0.28*float32(math.Sin(math.Pi*float64(fu)))
				col = weft
				if loose {
					along = 1.12 // taut and lifted: no dips, catches more light
					cover[y*n+x] = 1
				}
				val = threadProfile(fv) * along * threadGain(j+1<<20, salt)
			}
			val = (0.3 + 0.7*val) * (1 + 0.08*fibre[y*n+x])
			p := (y*n + x) * 3
			for k := range col {
				c.rgb[p+k] = col[k] * val
			}
		}
	}
	c.lighting(rng, 0.25, 0.08, 0.015)
	center := pt{uniform(rng, 0.15, 0.85) * float32(n), uniform(rng, 0.15, 0.85) * float32(n)}
	switch defect {
	case "hole":
		blob(cover, n, n, rng, center, uniform(rng, 5, 11)*s, 0.3, 1.5*s)
		c.blend(cover, [3]float32{0.07, 0.06, 0.05}, uniform(rng, 0.85, 1))
	case "stain":
		blob(cover, n, n, rng, center, uniform(rng, 10, 24)*s, 0.35, 4*s)
		patchy := fbm(rng, n, n, 8*s, 2)
		shade := make([]float32, len(cover))
		for i, a := range cover {
			shade[i] = a * clamp01(0.75+0.5*patchy[i])
		}
		c.tint(shade, [3]float32{0.80, 0.66, 0.48}, uniform(rng, 0.55, 0.85))
	case "hair":
		pts := walk(rng, center, uniform(rng, 0, 2*math.Pi), 1.5*s, 0.15, 30+rng.IntN(50))
		stroke(cover, n, n, pts, uniform(rng, 1.4, 2.2)*s)
		c.blend(cover, [3]float32{0.12, 0.10, 0.09}, uniform(rng, 0.8, 0.95))
	}
	return c, cover
}

// weaveCoords maps a pixel position to the fabric's rotated, shifted thread coordinates.
func weaveCoords(p pt, n int, cos, sin, ou, ov float32) (u, v float32) {
	dx, dy := p.x-float32(n)/2, p.y-float32(n)/2
	return dx*cos + dy*sin + ou + float32(n), -dx*sin + dy*cos + ov + float32(n)
}

// threadProfile is the brightness across a round thread at fraction f of its width.
func threadProfile(f float32) float32 {
	return float32(math.Pow(math.Sin(math.Pi*float64(f)), 0.6))
}

// threadGain is a per-thread brightness in [0.94, 1.06], fixed by the thread index and salt.
func threadGain(i int, salt uint32) float32 {
	h := uint32(i)*0x9E3779B1 ^ salt
	h ^= h >> 15
	h *= 0x85EBCA77
	h ^= h >> 13
	return 0.94 + 0.12*float32(h&0xFFFF)/0xFFFF
}
