package datasets

import (
	"math"
	"math/rand/v2"
)

// stoneGrains are the mineral colours scattered over the stone.
var stoneGrains = [][3]float32{{0.18, 0.18, 0.20}, {0.86, 0.85, 0.82}, {0.68, 0.55, 0.50}}

// renderStone draws a granite-like stochastic texture: fractal noise tones plus a few hundred
// random mineral grains (dark, white, pink), and lighting. Every normal image is a new
// random field. Defects: "crack" (a dark branching line), "stain" (a soft rust-coloured
// tint), "scratch" (a light, almost straight line) and "chip" (a small dark pit).
func renderStone(rng *rand.Rand, n int, defect string) (*canvas, []float32) {
	s := float32(n) / 256
	tone := fbm(rng, n, n, 32*s, 6)
	grain := fbm(rng, n, n, 2*s, 1)
	warm := fbm(rng, n, n, 64*s, 2)
	var base [3]float32
	level := uniform(rng, -0.03, 0.03)
	for k, v := range [3]float32{0.56, 0.54, 0.51} {
		base[k] = v + level + uniform(rng, -0.01, 0.01)
	}
	c := newCanvas(n, n)
	for i := range n * n {
		t, w := 1+0.35*tone[i]+0.10*grain[i], 0.03*warm[i]
		c.rgb[i*3] = base[0] * t * (1 + w)
		c.rgb[i*3+1] = base[1] * t
		c.rgb[i*3+2] = base[2] * t * (1 - w)
	}
	grains := int(float32(900+rng.IntN(400)) * s * s)
	for range grains {
		at := pt{uniform(rng, 0, float32(n)), uniform(rng, 0, float32(n))}
		c.dab(at, uniform(rng, 0.5, 1.8)*s, stoneGrains[rng.IntN(len(stoneGrains))], uniform(rng, 0.4, 0.85))
	}
	c.lighting(rng, 0.25, 0.08, 0.015)
	cover := make([]float32, n*n)
	center := pt{uniform(rng, 0.15, 0.85) * float32(n), uniform(rng, 0.15, 0.85) * float32(n)}
	angle := uniform(rng, 0, 2*math.Pi)
	switch defect {
	case "crack":
		pts := walk(rng, center, angle, 1.6*s, 0.35, 35+rng.IntN(50))
		stroke(cover, n, n, pts, uniform(rng, 1.1, 1.9)*s)
		branch := walk(rng, pts[len(pts)/2], angle+uniform(rng, 0.5, 1.2), 1.6*s, 0.35, 12+rng.IntN(15))
		stroke(cover, n, n, branch, 1.0*s)
		c.tint(cover, [3]float32{0.35, 0.34, 0.33}, uniform(rng, 0.7, 0.9))
	case "stain":
		blob(cover, n, n, rng, center, uniform(rng, 8, 20)*s, 0.35, 3*s)
		c.tint(cover, [3]float32{1.1, 0.75, 0.5}, uniform(rng, 0.5, 0.8))
	case "scratch":
		pts := walk(rng, center, angle, 1.5*s, 0.03, 30+rng.IntN(50))
		stroke(cover, n, n, pts, uniform(rng, 1.2, 1.8)*s)
		c.blend(cover, [3]float32{0.93, 0.92, 0.89}, uniform(rng, 0.55, 0.75))
	case "chip":
		blob(cover, n, n, rng, center, uniform(rng, 4, 8)*s, 0.35, 1.5*s)
		c.tint(cover, [3]float32{0.45, 0.43, 0.42}, uniform(rng, 0.75, 0.9))
	}
	return c, cover
}
