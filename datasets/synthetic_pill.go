package datasets

import (
	"math"
	"math/rand/v2"
)

// capsule is a stadium shape: a segment of half-length hl along angle th around c, widened
// by radius r.
type capsule struct {
	c         pt
	hl, r     float32
	cos, sin  float32
	lightDir  [3]float32
	highlight float32
}

// local returns p in the capsule's frame and its distance from the central segment.
func (k *capsule) local(p pt) (ax, ay, d float32) {
	dx, dy := p.x-k.c.x, p.y-k.c.y
	ax, ay = dx*k.cos+dy*k.sin, -dx*k.sin+dy*k.cos
	ex := ax - min(max(ax, -k.hl), k.hl)
	return ax, ay, float32(math.Sqrt(float64(ex*ex + ay*ay)))
}

// coverage is the antialiased fraction of the pixel at p inside the capsule.
func (k *capsule) coverage(p pt) float32 {
	_, _, d := k.local(p)
	return clamp01(k.r - d + 0.5)
}

// shade is the brightness of the capsule's rounded surface at p (Lambert plus a highlight).
func (k *capsule) shade(p pt) float32 {
	ax, ay, d := k.local(p)
	rho := min(d/k.r, 1)
	ex := ax - min(max(ax, -k.hl), k.hl)
	// Surface normal of the rounded body, in the capsule frame then rotated back.
	nx, ny := ex/k.r, ay/k.r
	nz := float32(math.Sqrt(float64(max(1-rho*rho, 0))))
	wx, wy := nx*k.cos-ny*k.sin, nx*k.sin+ny*k.cos
	l := k.lightDir
	lam := max(wx*l[0]+wy*l[1]+nz*l[2], 0)
	spec := float32(math.Pow(float64(lam), 40)) * k.highlight
	return 0.5 + 0.5*lam + spec
}

// renderPill draws a cream capsule with red specks on a dark plain background, with a soft
// shadow, random position (±14 px), rotation (±20°), size (±5 %), light direction and
// lighting. Defects: "crack" (a dark jagged line on the pill), "missing" (a piece broken off
// its edge, the background shows), "colour" (a red, blue or brown spot) and "contamination"
// (a cluster of dark particles on the pill).
func renderPill(rng *rand.Rand, n int, defect string) (*canvas, []float32) {
	s := float32(n) / 256
	th := uniform(rng, -20, 20) * math.Pi / 180
	lt := uniform(rng, 0, 2*math.Pi)
	k := &capsule{
		c:  pt{float32(n)/2 + uniform(rng, -14, 14)*s, float32(n)/2 + uniform(rng, -14, 14)*s},
		hl: 58 * s * uniform(rng, 0.95, 1.05), r: 36 * s * uniform(rng, 0.95, 1.05),
		cos: float32(math.Cos(float64(th))), sin: float32(math.Sin(float64(th))),
		lightDir:  [3]float32{0.45 * float32(math.Cos(float64(lt))), 0.45 * float32(math.Sin(float64(lt))), 0.893},
		highlight: uniform(rng, 0.1, 0.25),
	}
	var bg, body [3]float32
	level := uniform(rng, -0.02, 0.02)
	for i, v := range [3]float32{0.15, 0.16, 0.18} {
		bg[i] = v + level + uniform(rng, -0.005, 0.005)
	}
	for i, v := range [3]float32{0.90, 0.87, 0.78} {
		body[i] = v + uniform(rng, -0.02, 0.02)
	}
	shadow := pt{uniform(rng, 2, 5) * s, uniform(rng, 2, 5) * s}
	bgNoise := fbm(rng, n, n, 48*s, 3)

	cover := make([]float32, n*n)
	pill := make([]float32, n*n)   // pill coverage, before a missing piece is cut out
	broken := make([]float32, n*n) // coverage of the missing piece
	for y := range n {
		for x := range n {
			pill[y*n+x] = k.coverage(pt{float32(x) + 0.5, float32(y) + 0.5})
		}
	}
	if defect == "missing" {
		blob(broken, n, n, rng, pillEdge(rng, k), uniform(rng, 9, 17)*s, 0.3, 1.2*s)
		copy(cover, broken)
	}
	c := newCanvas(n, n)
	for y := range n {
		for x := range n {
			p := pt{float32(x) + 0.5, float32(y) + 0.5}
			i := y*n + x
			_, _, ds := k.local(pt{p.x - shadow.x, p.y - shadow.y})
			dark := 1 - 0.45*clamp01(1-(ds-k.r)/(7*s))
			a := pill[i] * (1 - broken[i])
			sh := k.shade(p)
			for ch := range bg {
				back := bg[ch] * (1 + 0.05*bgNoise[i]) * dark
				c.rgb[i*3+ch] = back*(1-a) + body[ch]*sh*a
			}
		}
	}
	specks := 15 + rng.IntN(25)
	for range specks {
		c.dab(pillPoint(rng, k, 4*s), uniform(rng, 0.6, 1.4)*s, [3]float32{0.66, 0.24, 0.20}, uniform(rng, 0.6, 0.9))
	}
	c.lighting(rng, 0.2, 0.07, 0.02)
	switch defect {
	case "crack":
		pts := walk(rng, pillPoint(rng, k, 10*s), uniform(rng, 0, 2*math.Pi), 1.5*s, 0.45, 25+rng.IntN(35))
		stroke(cover, n, n, pts, uniform(rng, 1.2, 1.9)*s)
		c.blend(clip(cover, pill), [3]float32{0.32, 0.30, 0.27}, uniform(rng, 0.7, 0.85))
	case "colour":
		blob(cover, n, n, rng, pillPoint(rng, k, 14*s), uniform(rng, 5, 12)*s, 0.3, 2.5*s)
		cols := [][3]float32{{0.80, 0.30, 0.28}, {0.35, 0.45, 0.80}, {0.55, 0.40, 0.25}}
		c.blend(clip(cover, pill), cols[rng.IntN(len(cols))], uniform(rng, 0.4, 0.65))
	case "contamination":
		at := pillPoint(rng, k, 10*s)
		for range 3 + rng.IntN(5) {
			p := pt{at.x + uniform(rng, -6, 6)*s, at.y + uniform(rng, -6, 6)*s}
			blob(cover, n, n, rng, p, uniform(rng, 1.2, 3.2)*s, 0.4, 1*s)
		}
		c.blend(clip(cover, pill), [3]float32{0.10, 0.08, 0.07}, uniform(rng, 0.8, 0.95))
	}
	return c, clip(cover, pill)
}

// clip limits a defect's coverage to the pill (in place) and returns it.
func clip(cover, pill []float32) []float32 {
	for i := range cover {
		cover[i] = min(cover[i], pill[i])
	}
	return cover
}

// pillPoint returns a random point at least margin inside the capsule.
func pillPoint(rng *rand.Rand, k *capsule, margin float32) pt {
	for {
		p := pt{k.c.x + uniform(rng, -k.hl-k.r, k.hl+k.r), k.c.y + uniform(rng, -k.hl-k.r, k.hl+k.r)}
		if _, _, d := k.local(p); d < k.r-margin {
			return p
		}
	}
}

// pillEdge returns a random point on the capsule's outline, moved slightly inside.
func pillEdge(rng *rand.Rand, k *capsule) pt {
	ax, ay := uniform(rng, -k.hl, k.hl), k.r*0.9
	if rng.IntN(2) == 0 {
		ay = -ay
	}
	if rng.IntN(3) == 0 { // on a round end
		phi := uniform(rng, -1.2, 1.2)
		ax = k.hl + 0.9*k.r*float32(math.Cos(float64(phi)))
		ay = 0.9 * k.r * float32(math.Sin(float64(phi)))
		if rng.IntN(2) == 0 {
			ax = -ax
		}
	}
	return pt{k.c.x + ax*k.cos - ay*k.sin, k.c.y + ax*k.sin + ay*k.cos}
}
