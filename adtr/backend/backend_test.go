package backend

import (
	"bytes"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	tests := []struct {
		name       string
		config     string
		wantName   string
		wantLogHas string
		wantErr    bool
	}{
		{name: "explicit go", config: "go", wantName: "Go Backend"},
		{name: "automatic falls back to go", config: "", wantName: "Go Backend", wantLogHas: "pure-Go backend"},
		{name: "unknown backend is an error", config: "nosuchbackend", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.config == "" && xlaAvailable() {
				t.Skip("an XLA plugin is installed here: automatic selection picks XLA")
			}
			var log bytes.Buffer
			b, err := Select(tt.config, &log)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Select(%q) = %v, want an error", tt.config, b.Name())
				}
				if !strings.Contains(err.Error(), tt.config) {
					t.Errorf("error %q does not name the configuration %q", err, tt.config)
				}
				return
			}
			if err != nil {
				t.Fatalf("Select(%q): %v", tt.config, err)
			}
			defer b.Finalize()
			if b.Name() != tt.wantName {
				t.Errorf("Select(%q).Name() = %q, want %q", tt.config, b.Name(), tt.wantName)
			}
			if tt.wantLogHas != "" && !strings.Contains(log.String(), tt.wantLogHas) {
				t.Errorf("log %q lacks %q", log.String(), tt.wantLogHas)
			}
			if n := strings.Count(log.String(), "\n"); n > 2 {
				t.Errorf("selection wrote %d lines, want at most one notice (plus the SIMD warning): %q", n, log.String())
			}
		})
	}
}

func TestSIMDWarning(t *testing.T) {
	var log bytes.Buffer
	warnSIMD(&log)
	if SIMDBuilt && log.Len() != 0 {
		t.Errorf("SIMD build warned: %q", log.String())
	}
	if !SIMDBuilt && !strings.Contains(log.String(), "GOEXPERIMENT=simd") {
		t.Errorf("non-SIMD build did not warn: %q", log.String())
	}
}
