package adtr

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
)

// AnomalyMap compares features f and their reconstruction f̂ (both [B, H, W, C]): the anomaly score
// of grid position u is s(u) = ‖f(u) − f̂(u)‖₂ over channels; the [B, H, W] map is upsampled
// bilinearly (aligned corners) to [B, inputH, inputW] and, when sigma > 0, smoothed with a Gaussian of
// that standard deviation in pixels (spec §1.3).
func AnomalyMap(f, fhat *Node, inputH, inputW int, sigma float64) *Node {
	s := Sqrt(ReduceSum(Square(Sub(f, fhat)), -1))
	s = Resize(s, inputH, inputW)
	if sigma > 0 {
		s = GaussianSmooth(s, sigma)
	}
	return s
}

// PixelAnomalyMap is the anomaly map of Target "pixels": f and f̂ are PixelPatches of the
// normalised image ([B, H, W, stride·stride·3]); they are unpacked to [B, H·stride, W·stride, 3] and
// compared per pixel, s(p) = ‖x(p) − x̂(p)‖₂ over RGB, then optionally smoothed.
func PixelAnomalyMap(f, fhat *Node, stride int, sigma float64) *Node {
	const rgb = 3
	d := UnpackPixelPatches(Sub(f, fhat), stride, rgb)
	s := Sqrt(ReduceSum(Square(d), -1))
	if sigma > 0 {
		s = GaussianSmooth(s, sigma)
	}
	return s
}

// GaussianSmooth filters maps [B, H, W] with a separable Gaussian of standard deviation sigma,
// truncated at 4σ, with mirror ("reflect", d c b a | a b c d) boundaries — the behaviour of
// scipy.ndimage.gaussian_filter that the reference implementations use. Each axis is one product
// with a constant banded matrix (convolutions are slow on the Go backend).
func GaussianSmooth(maps *Node, sigma float64) *Node {
	if maps.Rank() != 3 {
		panic(fmt.Sprintf("adtr.GaussianSmooth: shape %s, want [B,H,W]", maps.Shape()))
	}
	g := maps.Graph()
	h, w := maps.Shape().Dim(1), maps.Shape().Dim(2)
	maps = Einsum("Hh,bhw->bHw", matrixConst(g, maps, gaussianMatrix(h, sigma), h, h), maps)
	return Einsum("Ww,bhw->bhW", matrixConst(g, maps, gaussianMatrix(w, sigma), w, w), maps)
}

// gaussianMatrix returns the [n, n] matrix of a 1-D Gaussian filter with reflected boundaries.
func gaussianMatrix(n int, sigma float64) []float64 {
	radius := int(4*sigma + 0.5)
	weights := make([]float64, 2*radius+1)
	sum := 0.0
	for k := -radius; k <= radius; k++ {
		weights[k+radius] = math.Exp(-float64(k*k) / (2 * sigma * sigma))
		sum += weights[k+radius]
	}
	m := make([]float64, n*n)
	for i := range n {
		for k := -radius; k <= radius; k++ {
			m[i*n+reflectIndex(i+k, n)] += weights[k+radius] / sum
		}
	}
	return m
}

// reflectIndex maps an out-of-range index onto [0, n) by half-sample symmetric reflection.
func reflectIndex(j, n int) int {
	period := 2 * n
	j %= period
	if j < 0 {
		j += period
	}
	if j >= n {
		j = period - 1 - j
	}
	return j
}

// ImageScore reduces anomaly maps [B, H, W] to image scores [B] with the given rule:
// "max" (maximum), "pooled_max" (maximum of the window×window, stride-1, unpadded average-pooled
// map; the pooling is two products with constant banded matrices) or "mean".
// An unknown rule is a programming error (Config.Validate rejects it) and panics.
func ImageScore(amap *Node, rule string, window int) *Node {
	switch rule {
	case ScoreMax:
		return ReduceMax(amap, 1, 2)
	case ScoreMean:
		return ReduceMean(amap, 1, 2)
	case ScorePooledMax:
		g := amap.Graph()
		h, w := amap.Shape().Dim(1), amap.Shape().Dim(2)
		if window > h || window > w {
			panic(fmt.Sprintf("adtr.ImageScore: window %d larger than the map %dx%d", window, h, w))
		}
		pooled := Einsum("Hh,bhw->bHw", matrixConst(g, amap, poolingMatrix(h, window), h-window+1, h), amap)
		pooled = Einsum("Ww,bhw->bhW", matrixConst(g, amap, poolingMatrix(w, window), w-window+1, w), pooled)
		return ReduceMax(pooled, 1, 2)
	default:
		panic(fmt.Sprintf("adtr.ImageScore: unknown rule %q", rule))
	}
}

// poolingMatrix returns the [n-window+1, n] matrix of a stride-1 moving average.
func poolingMatrix(n, window int) []float64 {
	rows := n - window + 1
	m := make([]float64, rows*n)
	for i := range rows {
		for j := i; j < i+window; j++ {
			m[i*n+j] = 1 / float64(window)
		}
	}
	return m
}
