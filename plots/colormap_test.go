package plots

import (
	"image/color"
	"math"
	"testing"
)

func TestColormapEndpoints(t *testing.T) {
	for _, tc := range []struct {
		cm        Colormap
		low, high color.RGBA
	}{
		{Jet, color.RGBA{0, 0, 128, 255}, color.RGBA{128, 0, 0, 255}},
		{Viridis, color.RGBA{68, 1, 84, 255}, color.RGBA{253, 231, 37, 255}},
	} {
		t.Run(tc.cm.Name(), func(t *testing.T) {
			for _, c := range []struct {
				v    float64
				want color.RGBA
			}{
				{0, tc.low}, {1, tc.high}, {-3, tc.low}, {7, tc.high}, {math.NaN(), tc.low},
			} {
				if got := tc.cm.At(c.v); got != c.want {
					t.Errorf("At(%v) = %v, want %v", c.v, got, c.want)
				}
			}
		})
	}
}

// TestViridisAnchors compares quarter points with the published 5-colour viridis palette
// (#3b528b, #21918c, #5ec962).
func TestViridisAnchors(t *testing.T) {
	for _, a := range []struct {
		v    float64
		want color.RGBA
	}{
		{0.25, color.RGBA{0x3b, 0x52, 0x8b, 255}},
		{0.5, color.RGBA{0x21, 0x91, 0x8c, 255}},
		{0.75, color.RGBA{0x5e, 0xc9, 0x62, 255}},
	} {
		got := Viridis.At(a.v)
		for c, d := range []int{int(got.R) - int(a.want.R), int(got.G) - int(a.want.G), int(got.B) - int(a.want.B)} {
			if d < -2 || d > 2 {
				t.Errorf("Viridis.At(%v) = %v, want %v (channel %d off by %d)", a.v, got, a.want, c, d)
			}
		}
	}
}

// TestViridisLuminanceIncreases checks the perceptual map's defining property: relative
// luminance (linearised sRGB, Rec. 709 weights) increases from 0 to 1. Rounding to 8 bits leaves
// dips of up to 3e-4 between neighbouring entries (matplotlib's own table has them too), so
// neighbours may dip by at most 5e-4 while samples 1/16 apart must strictly increase.
func TestViridisLuminanceIncreases(t *testing.T) {
	lin := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	luminance := func(v float64) float64 {
		c := Viridis.At(v)
		return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
	}
	for i := 1; i < 256; i++ {
		if a, b := luminance(float64(i-1)/255), luminance(float64(i)/255); b < a-5e-4 {
			t.Errorf("luminance drops from %v to %v at %d/255", a, b, i)
		}
	}
	for i := 1; i <= 16; i++ {
		if a, b := luminance(float64(i-1)/16), luminance(float64(i)/16); b <= a {
			t.Errorf("luminance does not increase from %v to %v between %d/16 and %d/16", a, b, i-1, i)
		}
	}
}
