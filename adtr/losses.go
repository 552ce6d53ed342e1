package adtr

import (
	"fmt"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
)

// MinPushError is the floor applied to the mean anomalous error (L_px) and to q (L_img) before
// −log(1 − exp(−·)), which diverges at 0: the loss stays finite, and its gradient with respect to a
// clamped value is 0.
const MinPushError = 1e-6

// NormalLoss is L_norm, the mean squared error between f̂ and f averaged over B·C·H·W (UniAD's
// normalisation). The paper sums over channels and divides by H·W (and averages over the batch):
// that is C times this value, which only rescales the learning rate of plain SGD and leaves Adam
// updates unchanged up to its epsilon.
func NormalLoss(f, fhat *Node) *Node {
	return ReduceAllMean(Square(Sub(fhat, f)))
}

// PseudoHuber returns φ(u) = sqrt(((1/C)·Σ_i |d(i,u)|)² + 1) − 1 for every grid position, with
// d = f − f̂: [B, H, W, C] → [B, H, W] (spec §3).
func PseudoHuber(f, fhat *Node) *Node {
	m := ReduceMean(Abs(Sub(f, fhat)), -1)
	return SubScalar(Sqrt(AddScalar(Square(m), 1)), 1)
}

// PixelLoss is L_px for pixel-labelled anomalies, averaged over the batch. y is the label on the
// feature grid, [B, H, W] with values in {0, 1} (see MaskToGrid):
//
//	L_px = (1/HW)·Σ_u (1−y(u))·φ(u) − α·log(1 − exp(−(1/HW)·Σ_u y(u)·φ(u))).
//
// The push term is skipped for images without an anomalous position, and its argument is floored
// at MinPushError.
func PixelLoss(f, fhat, y *Node, alpha float64) *Node {
	phi := PseudoHuber(f, fhat)
	if !slices.Equal(phi.Shape().Dimensions, y.Shape().Dimensions) {
		panic(fmt.Sprintf("adtr.PixelLoss: label shape %s, want %s", y.Shape(), phi.Shape()))
	}
	y = ConvertDType(y, phi.DType())
	pull := ReduceMean(Mul(OneMinus(y), phi), 1, 2)
	anomalous := ReduceMean(Mul(y, phi), 1, 2)
	hasAnomaly := PositiveIndicator(ReduceMax(y, 1, 2))
	push := MulScalar(Mul(hasAnomaly, logOneMinusExpNeg(anomalous)), -alpha)
	return ReduceAllMean(Add(pull, push))
}

// ImageLoss is L_img for image-labelled anomalies, averaged over the batch. y is the image label,
// [B] with values in {0, 1}; q is the mean of the k largest φ(u) of each image, floored at
// MinPushError:
//
//	L_img = (1−y)·q − α·y·log(1 − exp(−q)).
func ImageLoss(f, fhat, y *Node, alpha float64, k int) *Node {
	phi := PseudoHuber(f, fhat)
	b := phi.Shape().Dim(0)
	if y.Rank() != 1 || y.Shape().Dim(0) != b {
		panic(fmt.Sprintf("adtr.ImageLoss: label shape %s, want [%d]", y.Shape(), b))
	}
	flat := Reshape(phi, b, -1)
	if k <= 0 || k > flat.Shape().Dim(1) {
		panic(fmt.Sprintf("adtr.ImageLoss: k=%d not in [1, %d]", k, flat.Shape().Dim(1)))
	}
	top := ConvertDType(TopKMask(StopGradient(flat), k, 1), phi.DType())
	q := DivScalar(ReduceSum(Mul(top, flat), 1), float64(k))
	y = ConvertDType(y, phi.DType())
	pull := Mul(OneMinus(y), q)
	push := MulScalar(Mul(y, logOneMinusExpNeg(q)), -alpha)
	return ReduceAllMean(Add(pull, push))
}

// logOneMinusExpNeg returns log(1 − exp(−max(s, MinPushError))) accurately for small s: there
// 1 − exp(−s) loses its digits in float32, so a 4-term series is used (GoMLX has no gradient for
// Expm1).
func logOneMinusExpNeg(s *Node) *Node {
	s = MaxScalar(s, MinPushError)
	// 1 − e^{−s} = s − s²/2 + s³/6 − s⁴/24 + …, nested as s·(1 − (s/2)·(1 − (s/3)·(1 − s/4))).
	series := Mul(s, OneMinus(Mul(DivScalar(s, 2), OneMinus(Mul(DivScalar(s, 3), OneMinus(DivScalar(s, 4)))))))
	small := LessThan(s, Scalar(s.Graph(), s.DType(), 1e-2))
	direct := OneMinus(Exp(Neg(s)))
	return Log(Where(small, series, direct))
}

// MaskToGrid reduces ground-truth masks at input resolution [B, H_in, W_in] (a pixel is anomalous
// when its value is > 0) to labels on the feature grid [B, gridH, gridW] in {0, 1}, in mask's dtype:
// a cell is anomalous when at least the fraction minFraction (Config.MaskFraction, default 0.5) of
// its (H_in/gridH)×(W_in/gridW) pixels is anomalous. H_in and W_in must be multiples of the grid.
func MaskToGrid(mask *Node, gridH, gridW int, minFraction float64) *Node {
	b, h, w := mask.Shape().Dim(0), mask.Shape().Dim(1), mask.Shape().Dim(2)
	if mask.Rank() != 3 || h%gridH != 0 || w%gridW != 0 {
		panic(fmt.Sprintf("adtr.MaskToGrid: mask %s does not tile into a %dx%d grid", mask.Shape(), gridH, gridW))
	}
	fraction := ReduceMean(Reshape(PositiveIndicator(mask), b, gridH, h/gridH, gridW, w/gridW), 2, 4)
	return ConvertDType(GreaterOrEqual(fraction, Scalar(mask.Graph(), mask.DType(), minFraction)), mask.DType())
}
