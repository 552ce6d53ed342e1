package adtr

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultConfigIsValidAndRoundTrips(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if cfg.Grid() != 16 {
		t.Errorf("Grid() = %d, want 16", cfg.Grid())
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("JSON round trip changed the config:\n got %+v\nwant %+v", back, cfg)
	}
	partial, err := ParseConfig([]byte(`{"query":"none","epochs":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if partial.Query != QueryNone || partial.Epochs != 3 || partial.Hidden != 256 {
		t.Errorf("partial JSON did not keep defaults: %+v", partial)
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string
	}{
		{"input not divisible", func(c *Config) { c.InputSize = 250 }, "input size 250 is not divisible by the grid stride 16"},
		{"unknown query", func(c *Config) { c.Query = "random" }, `unknown query "random" (allowed: learned, none)`},
		{"unknown mixer", func(c *Config) { c.Mixer = "conv" }, `unknown mixer "conv" (allowed: attention, mlp)`},
		{"unknown reconstructor", func(c *Config) { c.Reconstructor = "mlp" }, `unknown reconstructor "mlp" (allowed: transformer, cnn)`},
		{"unknown target", func(c *Config) { c.Target = "depth" }, `unknown target "depth"`},
		{"unknown score rule", func(c *Config) { c.ScoreRule = "p99" }, `unknown score rule "p99" (allowed: max, pooled_max, mean)`},
		{"heads do not divide", func(c *Config) { c.Heads = 7 }, "7 heads do not divide the hidden size 256"},
		{"dropout one", func(c *Config) { c.Dropout = 1 }, "dropout 1 is not in [0, 1)"},
		{"odd grid for cnn", func(c *Config) { c.Reconstructor = ReconstructorCNN; c.InputSize = 240 }, "grid 15×15 is odd"},
		{"top-k too large", func(c *Config) { c.TopK = 257 }, "top-k 257 exceeds the 256 grid positions"},
		{"zero batch", func(c *Config) { c.BatchSize = 0 }, "batch size must be positive"},
		{"no taps", func(c *Config) { c.Taps = nil }, "no backbone taps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.modify(cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
