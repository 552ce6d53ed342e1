//go:build goexperiment.simd

package backend

// SIMDBuilt reports whether this binary was built with GOEXPERIMENT=simd, which the Go backend
// needs for its AVX2/AVX-512 kernels.
const SIMDBuilt = true
