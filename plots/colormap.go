package plots

import (
	"image/color"
	"math"
)

// Colormap maps a value in [0, 1] to a colour. Use the predefined Jet and Viridis.
type Colormap struct {
	name string
	lut  []color.RGBA // 256 entries, index round(v·255)
}

// Name returns the colour map's name ("jet", "viridis").
func (c Colormap) Name() string { return c.name }

// At returns the colour of v: 0 is the low end, 1 the high end; values outside [0, 1] are
// clamped and NaN maps like 0.
func (c Colormap) At(v float64) color.RGBA {
	if !(v > 0) {
		return c.lut[0]
	}
	if v >= 1 {
		return c.lut[len(c.lut)-1]
	}
	return c.lut[int(math.Round(v*float64(len(c.lut)-1)))]
}

var (
	// Jet is the classic rainbow map (dark blue, cyan, yellow, dark red) of the anomaly
	// detection literature, matplotlib's "jet". It is not perceptually uniform: prefer Viridis
	// to compare intensities.
	Jet = newColormap("jet", func(t float64) [3]float64 {
		return [3]float64{
			interpolate(t, []float64{0, 0.35, 0.66, 0.89, 1}, []float64{0, 0, 1, 1, 0.5}),
			interpolate(t, []float64{0, 0.125, 0.375, 0.64, 0.91, 1}, []float64{0, 0, 1, 1, 0, 0}),
			interpolate(t, []float64{0, 0.11, 0.34, 0.65, 1}, []float64{0.5, 1, 1, 0, 0}),
		}
	})

	// Viridis is matplotlib's perceptually uniform map (dark purple, blue, green, yellow) with
	// luminance increasing monotonically, readable in grey scale and by colour-blind readers.
	// It is tabulated at 33 evenly spaced points of the original 256-entry table and linearly
	// interpolated (within 2/255 of the original).
	Viridis = newColormap("viridis", func(t float64) [3]float64 {
		var rgb [3]float64
		for c := range rgb {
			rgb[c] = interpolate(t, viridisPos, viridisStops[c][:]) / 255
		}
		return rgb
	})
)

// newColormap tabulates f, which returns red, green and blue in [0, 1], at 256 points.
func newColormap(name string, f func(t float64) [3]float64) Colormap {
	lut := make([]color.RGBA, 256)
	for i := range lut {
		rgb := f(float64(i) / 255)
		lut[i] = color.RGBA{R: to8(rgb[0]), G: to8(rgb[1]), B: to8(rgb[2]), A: 255}
	}
	return Colormap{name: name, lut: lut}
}

// to8 converts an intensity in [0, 1] to 8 bits, rounding and clamping.
func to8(v float64) uint8 {
	return uint8(math.Round(255 * math.Min(1, math.Max(0, v))))
}

// interpolate evaluates at t the piecewise-linear function through (xs[i], ys[i]); xs increase
// and t is within [xs[0], xs[len-1]].
func interpolate(t float64, xs, ys []float64) float64 {
	for i := 1; i < len(xs); i++ {
		if t <= xs[i] {
			return ys[i-1] + (ys[i]-ys[i-1])*(t-xs[i-1])/(xs[i]-xs[i-1])
		}
	}
	return ys[len(ys)-1]
}

// viridisStops holds viridis red, green and blue (0–255) at viridisPos: entries 0, 8, …, 248,
// 255 of matplotlib's 256-entry table (public domain, CC0).
var viridisStops = [3][33]float64{
	{68, 71, 72, 72, 71, 69, 66, 62, 59, 55, 51, 47, 44, 41, 38, 35, 33, 31, 31, 34, 40, 50, 63, 78, 94, 112, 132, 152, 173, 194, 216, 236, 253},
	{1, 13, 24, 35, 45, 55, 64, 73, 82, 91, 99, 107, 114, 122, 130, 137, 145, 152, 160, 167, 174, 182, 188, 195, 201, 207, 212, 216, 220, 223, 226, 229, 231},
	{84, 96, 106, 116, 123, 129, 134, 137, 139, 141, 141, 142, 142, 142, 142, 142, 140, 139, 136, 133, 128, 122, 115, 107, 98, 87, 75, 62, 48, 35, 25, 27, 37},
}

// viridisPos are the positions in [0, 1] of viridisStops.
var viridisPos = func() []float64 {
	pos := make([]float64, 33)
	for i := range pos {
		pos[i] = math.Min(float64(8*i), 255) / 255
	}
	return pos
}()
