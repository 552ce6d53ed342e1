package plots

import (
	"math"
	"strconv"
)

// linearTicks returns about target round tick values within [lo, hi], which must be finite
// with lo < hi: the step is the multiple 1, 2, 2.5, 5 or 10 of a power of ten closest (in
// ratio) to (hi-lo)/target.
func linearTicks(lo, hi float64, target int) (ticks []float64, step float64) {
	raw := (hi - lo) / float64(max(target, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	nice := []float64{1, 2, 2.5, 5, 10}
	step = 10 * mag
	for i := range len(nice) - 1 {
		if raw/mag < math.Sqrt(nice[i]*nice[i+1]) {
			step = nice[i] * mag
			break
		}
	}
	eps := step * 1e-9
	for k := math.Ceil((lo - eps) / step); k*step <= hi+eps; k++ {
		ticks = append(ticks, k*step)
	}
	return ticks, step
}

// logTicks returns tick values for a logarithmic axis over [lo, hi] (0 < lo < hi): the powers
// of ten inside, completed by 2× and 5× multiples when fewer than three powers fit.
func logTicks(lo, hi float64) []float64 {
	var ticks []float64
	mults := []float64{1}
	if math.Floor(math.Log10(hi))-math.Ceil(math.Log10(lo)) < 2 {
		mults = []float64{1, 2, 5}
	}
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range mults {
			if v := m * math.Pow(10, e); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				ticks = append(ticks, v)
			}
		}
	}
	return ticks
}

// formatTick formats a tick value with the decimals its step needs (step 0: shortest form).
func formatTick(v, step float64) string {
	if v == 0 {
		return "0"
	}
	if step == 0 || math.Abs(v) >= 1e5 || math.Abs(v) < 1e-4 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	decimals := 0
	for s := step; decimals < 10 && math.Abs(s-math.Round(s)) > 1e-9*step; s *= 10 {
		decimals++
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
