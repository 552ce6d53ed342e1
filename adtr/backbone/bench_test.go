package backbone

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/goadtr/goadtr/adtr/backend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"
)

// Feature-extraction benchmarks: 256×256 images, batch 8, all five taps, random weights (speed does
// not depend on the values). Reported: images/s and effective GFLOP/s (2·MACs of the convolutions
// the graph runs, counted analytically from the spec, per second).
//
//	GOEXPERIMENT=simd GOMLX_BACKEND=go go test ./adtr/backbone/ -run XXX -bench Features -benchtime 5x
func BenchmarkFeatures(b *testing.B) {
	for _, name := range []string{"efficientnet_b4", "mobilenetv2_100"} {
		b.Run(name, func(b *testing.B) { benchmarkFeatures(b, name, 8, 256) })
	}
}

func benchmarkFeatures(b *testing.B, name string, batch, size int) {
	bb, err := Random(name, 1)
	if err != nil {
		b.Fatal(err)
	}
	taps := bb.TapStrides()
	e, err := NewExtractor(backend.MustNew(), bb, taps)
	if err != nil {
		b.Fatal(err)
	}
	images := randomTensor(rand.New(rand.NewPCG(5, 6)), batch, size, size, 3)
	if _, err := e.Extract(images); err != nil { // Compiles the graph.
		b.Fatal(err)
	}
	macs, err := bb.Spec().FeatureMACs(size, size, taps[len(taps)-1])
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuSeconds(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Extract(images); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	gflop := 2 * float64(macs) * float64(batch) / 1e9
	b.ReportMetric(float64(batch)/sec, "images/s")
	b.ReportMetric(gflop/sec, "GFLOP/s")
	// Per CPU-second of this process: less sensitive than wall time to other processes on a shared
	// machine (on an idle machine GFLOP/s ≈ cores in use × GFLOP/cpu-s).
	b.ReportMetric(gflop*float64(b.N)/(cpuSeconds(b)-cpu0), "GFLOP/cpu-s")
}

// cpuSeconds returns the user+system CPU time of this process so far.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkDepthwise compares the shifted-window depthwise convolution with graph.Convolve on B4-sized
// layers (batch 8 at 256×256 input).
func BenchmarkDepthwise(b *testing.B) {
	for _, tc := range []struct{ h, c, k, s int }{{128, 144, 3, 2}, {64, 192, 3, 1}, {32, 336, 5, 1}} {
		for _, impl := range []string{"windows", "convolve"} {
			b.Run(fmt.Sprintf("%dx%dx%d_k%d_s%d/%s", tc.h, tc.h, tc.c, tc.k, tc.s, impl), func(b *testing.B) {
				p := (tc.k - 1) / 2
				win := window{kernel: tc.k, stride: tc.s, padH: [2]int{p, p}, padW: [2]int{p, p}}
				rng := rand.New(rand.NewPCG(7, 8))
				x := randomTensor(rng, 8, tc.h, tc.h, tc.c)
				w := randomTensor(rng, tc.k*tc.k, tc.c)
				bias := randomTensor(rng, tc.c)
				fn := func(x *Node) *Node {
					g := x.Graph()
					if impl == "windows" {
						return depthwise(x, ConstTensor(g, w), ConstTensor(g, bias), win, linear)
					}
					return referenceConv(x, Reshape(ConstTensor(g, w), tc.k, tc.k, 1, tc.c), ConstTensor(g, bias), win, tc.c)
				}
				ho, wo := win.outSize(tc.h, tc.h)
				benchmarkOp(b, fn, x, 2*float64(8*ho*wo*tc.c*tc.k*tc.k))
			})
		}
	}
}

// BenchmarkStem compares the im2col stem (3×3 stride 2, 3→48 channels, batch 8 at 256×256) with
// graph.Convolve.
func BenchmarkStem(b *testing.B) {
	for _, impl := range []string{"im2col", "convolve"} {
		b.Run(impl, func(b *testing.B) {
			win := window{kernel: 3, stride: 2, padH: [2]int{1, 1}, padW: [2]int{1, 1}}
			rng := rand.New(rand.NewPCG(9, 10))
			x := randomTensor(rng, 8, 256, 256, 3)
			w := randomTensor(rng, 27, 48)
			bias := randomTensor(rng, 48)
			fn := func(x *Node) *Node {
				g := x.Graph()
				if impl == "im2col" {
					return convIm2col(x, ConstTensor(g, w), ConstTensor(g, bias), win, linear)
				}
				return referenceConv(x, Reshape(ConstTensor(g, w), 3, 3, 3, 48), ConstTensor(g, bias), win, 1)
			}
			benchmarkOp(b, fn, x, 2*float64(8*128*128*27*48))
		})
	}
}

func benchmarkOp(b *testing.B, fn func(*Node) *Node, x *tensors.Tensor, flops float64) {
	exec := MustNewExec(backend.MustNew(), fn)
	if _, err := exec.Exec1(x); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := exec.Exec1(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(flops/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
}
