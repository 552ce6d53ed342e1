package metrics

import (
	"fmt"
	"math"
)

// poolPixels checks anomaly maps against ground-truth masks and pools the pixels of every image
// whose mask is not nil (nil means "no ground truth available": the image is skipped). A non-zero
// mask pixel is anomalous. pixels, when positive, is the length every used map must have.
// weights, when not nil, gives the weight of each anomalous pixel of image i, indexed by pixel;
// otherwise every anomalous pixel weighs 1.
func poolPixels(maps [][]float32, masks [][]uint8, pixels int, weights func(i int) []float64) ([]positive[float32], []float32, error) {
	if len(maps) != len(masks) {
		return nil, nil, fmt.Errorf("metrics: %d anomaly maps but %d masks", len(maps), len(masks))
	}
	nPos, nAll := 0, 0
	for i, mask := range masks {
		if mask == nil {
			continue
		}
		if len(maps[i]) != len(mask) {
			return nil, nil, fmt.Errorf("metrics: image %d: anomaly map has %d pixels but mask has %d", i, len(maps[i]), len(mask))
		}
		if pixels > 0 && len(mask) != pixels {
			return nil, nil, fmt.Errorf("metrics: image %d: anomaly map has %d pixels, want %d", i, len(mask), pixels)
		}
		for _, v := range mask {
			if v != 0 {
				nPos++
			}
		}
		nAll += len(mask)
	}
	// Sized up front: a category pools millions of pixels.
	pos := make([]positive[float32], 0, nPos)
	neg := make([]float32, 0, nAll-nPos)
	for i, mask := range masks {
		if mask == nil {
			continue
		}
		var w []float64
		if weights != nil {
			w = weights(i)
		}
		for p, s := range maps[i] {
			if math.IsNaN(float64(s)) {
				return nil, nil, fmt.Errorf("metrics: image %d: pixel %d is NaN", i, p)
			}
			switch {
			case mask[p] == 0:
				neg = append(neg, s)
			case w != nil:
				pos = append(pos, positive[float32]{score: s, weight: w[p]})
			default:
				pos = append(pos, positive[float32]{score: s, weight: 1})
			}
		}
	}
	return pos, neg, nil
}
