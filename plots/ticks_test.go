package plots

import (
	"slices"
	"testing"
)

func TestLinearTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		target int
		want   []string
	}{
		{0, 1, 5, []string{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 0.3, 6, []string{"0", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"}},
		{-0.04, 1.04, 4, []string{"0", "0.25", "0.50", "0.75", "1.00"}},
		{13, 87, 4, []string{"20", "40", "60", "80"}},
		{0, 250000, 2, []string{"0", "1e+05", "2e+05"}},
	} {
		ticks, step := linearTicks(tc.lo, tc.hi, tc.target)
		got := make([]string, len(ticks))
		for i, v := range ticks {
			got[i] = formatTick(v, step)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ticks over [%v, %v] = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []float64
	}{
		{1e-3, 10, []float64{1e-3, 1e-2, 0.1, 1, 10}},
		{0.15, 3, []float64{0.2, 0.5, 1, 2}},
	} {
		got := logTicks(tc.lo, tc.hi)
		if len(got) != len(tc.want) {
			t.Fatalf("logTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
		for i := range got {
			if d := got[i]/tc.want[i] - 1; d > 1e-12 || d < -1e-12 {
				t.Errorf("logTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
			}
		}
	}
}
