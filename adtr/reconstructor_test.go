package adtr

import (
	"math"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// smallConfig is a fast configuration: 8×8 input, stride 2 → 4×4 grid, width 16, 2 heads.
func smallConfig() *Config {
	cfg := DefaultConfig()
	cfg.InputSize, cfg.GridStride = 8, 2
	cfg.Hidden, cfg.Heads, cfg.FFN = 16, 2, 32
	cfg.EncoderLayers, cfg.DecoderLayers = 2, 2
	cfg.TopK = 4
	cfg.ScoreWindow = 2
	return cfg
}

// newReconstructor returns an executor of Reconstruct over a fresh, seeded store.
func newReconstructor(t *testing.T, cfg *Config, training bool) (*model.Exec, *model.Store) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	exec := model.MustNewExec(backend.MustNew(), store, func(scope *model.Scope, f *Node) *Node {
		scope.SetTraining(f.Graph(), training)
		return Reconstruct(scope, cfg, f)
	})
	return exec, store
}

func call1(t *testing.T, exec *model.Exec, args ...any) []float64 {
	t.Helper()
	out, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	return flat64(t, out[0])
}

func TestReconstructVariantsShapes(t *testing.T) {
	variants := map[string]func(c *Config){
		"default":        func(*Config) {},
		"query none":     func(c *Config) { c.Query = QueryNone },
		"mixer mlp":      func(c *Config) { c.Mixer = MixerMLP },
		"cnn":            func(c *Config) { c.Reconstructor = ReconstructorCNN },
		"sine positions": func(c *Config) { c.Position = PositionSine },
		"pre-norm":       func(c *Config) { c.PreNorm = true; c.FinalNorm = false },
	}
	f := randomTensor(1, 2, 4, 4, 6)
	for name, modify := range variants {
		t.Run(name, func(t *testing.T) {
			cfg := smallConfig()
			modify(cfg)
			exec, _ := newReconstructor(t, cfg, false)
			out, err := exec.Call(f)
			if err != nil {
				t.Fatal(err)
			}
			if !out[0].Shape().Equal(f.Shape()) {
				t.Fatalf("f̂ shape %s, want %s", out[0].Shape(), f.Shape())
			}
			for i, v := range flat64(t, out[0]) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("f̂[%d] = %g", i, v)
				}
			}
		})
	}
}

func TestDecoderInput(t *testing.T) {
	for _, query := range []string{QueryLearned, QueryNone} {
		t.Run(query, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Query = query
			exec := model.MustNewExec(backend.MustNew(), model.NewStore(), func(scope *model.Scope, memory *Node) *Node {
				return decoderInput(scope, cfg, memory)
			})
			m1, m2 := randomTensor(1, 2, 16, 16), randomTensor(2, 2, 16, 16)
			out1, out2 := call1(t, exec, m1), call1(t, exec, m2)
			if query == QueryNone {
				assertClose(t, "decoder input = memory", out1, flat64(t, m1), 0)
				return
			}
			assertClose(t, "query for two inputs", out1, out2, 0)
			assertClose(t, "query shared across the batch", out1[:16*16], out1[16*16:], 0)
		})
	}
}

func TestDropoutOnlyWhenTraining(t *testing.T) {
	f := randomTensor(3, 2, 4, 4, 6)
	for _, training := range []bool{false, true} {
		exec, _ := newReconstructor(t, smallConfig(), training)
		a, b := call1(t, exec, f), call1(t, exec, f)
		same := true
		for i := range a {
			same = same && a[i] == b[i]
		}
		if same == training {
			t.Errorf("training=%v: two calls on the same input gave identical=%v outputs", training, same)
		}
	}
}

// TestPositionalEmbeddingOnQueriesAndKeysOnly zeroes the query and key projections, which makes
// the attention weights uniform: the attention output is then the mean of the projected values and
// must not depend on pos — it would if pos were added to the values. With the projections restored,
// pos must change the output (it reaches the queries and keys).
func TestPositionalEmbeddingOnQueriesAndKeysOnly(t *testing.T) {
	cfg := smallConfig()
	cfg.Dropout = 0
	store := model.NewStore()
	exec := model.MustNewExec(backend.MustNew(), store, func(scope *model.Scope, x, pos *Node) *Node {
		return selfMixer(scope, cfg, x, pos)
	})
	x := randomTensor(4, 2, 16, 16)
	pos1, pos2 := randomTensor(5, 1, 16, 16), randomTensor(6, 1, 16, 16)
	if a, b := call1(t, exec, x, pos1), call1(t, exec, x, pos2); maxAbsDiff(a, b) < 1e-3 {
		t.Fatalf("pos does not affect attention (max diff %g): it does not reach the queries/keys", maxAbsDiff(a, b))
	}
	zeroed := 0
	for v := range store.IterVariables() {
		if strings.Contains(v.Path(), "/query/") || strings.Contains(v.Path(), "/key/") {
			v.MustSetValue(tensors.FromShape(v.Shape()))
			zeroed++
		}
	}
	if zeroed != 4 {
		t.Fatalf("zeroed %d query/key variables, want 4 (weights and biases)", zeroed)
	}
	if a, b := call1(t, exec, x, pos1), call1(t, exec, x, pos2); maxAbsDiff(a, b) > 1e-6 {
		t.Errorf("with uniform attention pos still changes the output by %g: it reaches the values", maxAbsDiff(a, b))
	}
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestDefaultParameterCount checks the default transformer's size for C = 720 channels on the 16×16
// grid against a hand count.
func TestDefaultParameterCount(t *testing.T) {
	cfg := DefaultConfig()
	const c, d, ffn, k, grid = 720, 256, 1024, 256, 16
	linear := func(in, out int) int { return in*out + out }
	layerNorm := 2 * d
	attention := 4 * linear(d, d)
	feedForward := linear(d, ffn) + linear(ffn, d)
	encoderLayer := attention + feedForward + 2*layerNorm
	decoderLayer := 2*attention + feedForward + 3*layerNorm
	want := linear(c, d) + // input projection
		2*grid*(d/2) + // row and column tables
		4*encoderLayer +
		k*d + // query embedding
		4*decoderLayer +
		layerNorm + // final norm
		linear(d, c) // output projection

	store := model.NewStore()
	exec := model.MustNewExec(backend.MustNew(), store, func(scope *model.Scope, f *Node) *Node {
		return Reconstruct(scope, cfg, f)
	})
	if _, err := exec.Compile(shapes.Make(dtypes.Float32, 1, grid, grid, c)); err != nil {
		t.Fatal(err)
	}
	got := 0
	for v := range store.IterVariables() {
		if v.Trainable {
			got += v.Shape().Size()
		}
	}
	if got != want {
		t.Errorf("trainable parameters %d, want %d", got, want)
	}
	t.Logf("default ADTR transformer, C=%d: %d parameters", c, got)
}
