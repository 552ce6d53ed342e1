// Package backend selects the GoMLX compute backend every goadtr entry point uses.
//
// Order: the GOMLX_BACKEND environment variable when set; otherwise XLA (a PJRT plugin for CPU or
// CUDA already installed); otherwise the pure-Go backend, with one line on standard error saying why.
package backend

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // Registers the pure-Go backend ("go").
	"github.com/gomlx/go-xla/compute/xla"
	_ "github.com/gomlx/gomlx/backends/default" // Registers XLA (go-xla) and the Go backend.
)

// EnvVar is the environment variable that forces a backend, in GoMLX's own syntax
// (for example "go", "xla:cpu", "xla:cuda").
const EnvVar = "GOMLX_BACKEND"

// GoBackend is the configuration string of GoMLX's pure-Go backend.
const GoBackend = "go"

var (
	once     sync.Once
	selected compute.Backend
	errSel   error
)

// Log is where backend selection writes its one-line notices. Tests may redirect it.
var Log io.Writer = os.Stderr

// New returns the process-wide backend, selecting it on first use (see the package comment).
func New() (compute.Backend, error) {
	once.Do(func() { selected, errSel = Select(os.Getenv(EnvVar), Log) })
	return selected, errSel
}

// MustNew is New for programs and tests that cannot continue without a backend.
func MustNew() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// Select picks a backend for the given configuration (the value of GOMLX_BACKEND; empty means
// automatic) and writes notices to log. An explicit configuration that fails is an error: the
// user asked for it. Automatic selection tries XLA and falls back to the Go backend.
func Select(config string, log io.Writer) (compute.Backend, error) {
	warnSIMD(log)
	config = strings.TrimSpace(config)
	if config != "" {
		b, err := newWithConfig(config)
		if err != nil {
			return nil, fmt.Errorf("backend %s=%q: %w", EnvVar, config, err)
		}
		return b, nil
	}
	if xlaAvailable() {
		b, err := newWithConfig("xla")
		if err == nil {
			return b, nil
		}
		fmt.Fprintf(log, "goadtr: XLA backend unavailable (%v); using the pure-Go backend (set %s to choose)\n", firstLine(err), EnvVar)
	} else {
		fmt.Fprintf(log, "goadtr: no XLA PJRT plugin installed; using the pure-Go backend (set %s to choose)\n", EnvVar)
	}
	b, err := newWithConfig(GoBackend)
	if err != nil {
		return nil, fmt.Errorf("pure-Go backend: %w", err)
	}
	return b, nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// xlaAvailable reports whether a PJRT plugin is installed, without downloading one: goadtr never
// fetches plugins implicitly (install one with go-xla's installer to use XLA).
func xlaAvailable() bool {
	xla.EnableAutoInstall(false)
	return len(xla.GetAvailablePlugins()) > 0
}

var simdWarned sync.Once

// warnSIMD writes one line, once per process, when the binary lacks the Go backend's SIMD kernels.
func warnSIMD(log io.Writer) {
	if SIMDBuilt {
		return
	}
	simdWarned.Do(func() {
		fmt.Fprintln(log, "goadtr: built without GOEXPERIMENT=simd: the Go backend's SIMD kernels are missing and matmul is ~15x slower (rebuild with GOEXPERIMENT=simd)")
	})
}

// newWithConfig wraps compute.NewWithConfig, which panics on an unknown backend name, into an error.
func newWithConfig(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v (compiled-in backends: %s)", r, strings.Join(compute.List(), ", "))
		}
	}()
	return compute.NewWithConfig(config)
}
