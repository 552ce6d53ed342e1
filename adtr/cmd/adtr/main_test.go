package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/datasets"
)

// runCLI runs the command line and returns its exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // substring of stdout+stderr
	}{
		{"no command", nil, 2, "Usage: adtr <command>"},
		{"help", []string{"-h"}, 0, "Commands:"},
		{"unknown command", []string{"fly"}, 2, `unknown command "fly"`},
		{"bad flag", []string{"train", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{"flag help", []string{"train", "-h"}, 0, "-epochs"},
		{"bad switch", []string{"train", "-query", "sometimes"}, 2, `unknown query "sometimes"`},
		{"bad size", []string{"train", "-size", "250"}, 2, "250"},
		{"bad taps", []string{"train", "-taps", "2,x"}, 2, "comma-separated list"},
		{"stray argument", []string{"train", "extra"}, 2, "unexpected arguments"},
		{"eval without model", []string{"eval"}, 2, "-model is required"},
		{"predict without images", []string{"predict", "-model", "m"}, 2, "no images given"},
		{"predict missing model", []string{"predict", "-model", "/nonexistent/model", "."}, 1, "/nonexistent/model"},
		{"missing data", []string{"train", "-data", "/nonexistent/data", "-category", "x", "-random-backbone"}, 1, "/nonexistent/data"},
		{"anomaly flags in help", []string{"train", "-h"}, 0, "-anomaly-dir"},
		{"unknown anomalies", []string{"train", "-anomalies", "cutpaste"}, 2, `unknown mode "cutpaste"`},
		{"external with the pixel loss", []string{"train", "-anomalies", "external", "-anomaly-dir", "x", "-anomaly-loss", "pixel"}, 2, "no pixel masks: use the image loss"},
		{"external without a folder", []string{"train", "-anomalies", "external"}, 2, "need a folder of images"},
		{"anomaly folder without external", []string{"train", "-anomaly-dir", "x"}, 2, "-anomaly-dir does not apply to -anomalies none"},
		{"labelled fraction with confetti", []string{"train", "-anomalies", "confetti", "-labelled-fraction", "0.3"}, 2, "-labelled-fraction does not apply to -anomalies confetti"},
		{"p with labelled", []string{"train", "-anomalies", "labelled", "-anomaly-p", "0.3"}, 2, "-anomaly-p does not apply"},
		{"bad p", []string{"train", "-anomalies", "confetti", "-anomaly-p", "1.5"}, 2, "p = 1.5 is not in (0, 1)"},
		{"labelled without enough test anomalies", []string{"train", "-anomalies", "labelled", "-category", "pill", "-synthetic-train", "4", "-synthetic-test", "4", "-size", "96", "-random-backbone"}, 1, "no defect type with at least 2 test anomalies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.wantOut) {
				t.Errorf("exit %d, output:\n%s%s\nwant exit %d and %q", code, stdout, stderr, tt.wantCode, tt.wantOut)
			}
		})
	}
}

// TestTrainEvalPredict runs the three model commands end to end on small synthetic data with the
// tiny random EfficientNet.
func TestTrainEvalPredict(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "model")
	small := []string{"-backbone", "efficientnet_tiny", "-random-backbone", "-size", "96", "-taps", "4,8,16", "-batch", "4", "-epochs", "1"}
	code, stdout, stderr := runCLI(append([]string{"train", "-category", "pill", "-synthetic-train", "10", "-synthetic-test", "6", "-out", out, "-feature-cache", "-"}, small...)...)
	if code != 0 {
		t.Fatalf("train exit %d:\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"pill", "image AUROC", "metrics:", "random init"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runCLI("eval", "-model", out, "-out", filepath.Join(dir, "eval"), "-overlays", "2")
	if code != 0 {
		t.Fatalf("eval exit %d:\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "eval", "metrics.json")); err != nil {
		t.Errorf("eval wrote no metrics.json: %v", err)
	}

	// Predict on a folder of synthetic test images written in MVTec layout.
	cat, err := datasets.Synthetic("pill", datasets.SyntheticOptions{Size: 96, Train: 2, Test: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := datasets.WriteMVTec(cat, data); err != nil {
		t.Fatal(err)
	}
	preds := filepath.Join(dir, "pred")
	code, stdout, stderr = runCLI("predict", "-model", out, "-out", preds, filepath.Join(data, "test"))
	if code != 0 {
		t.Fatalf("predict exit %d:\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stdout, "ANOMALOUS") + strings.Count(stdout, "normal\n"); n != 2 {
		t.Errorf("predict printed %d decisions, want 2:\n%s", n, stdout)
	}
	pngs, _ := filepath.Glob(filepath.Join(preds, "*.png"))
	if len(pngs) != 2 {
		t.Errorf("predict wrote %d overlays, want 2", len(pngs))
	}
}

func TestBench(t *testing.T) {
	code, stdout, stderr := runCLI("bench", "-backbone", "efficientnet_tiny", "-size", "96", "-taps", "4,8,16",
		"-grid", "6", "-channels", "32", "-steps", "1", "-runs", "3", "-batch", "2")
	if code != 0 {
		t.Fatalf("bench exit %d:\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"s/step", "latency p50", "p95", "images/s", "peak memory"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestTrainWithAnomalies runs ADTR+ from the command line: confetti anomalies with L_px, and
// labelled test anomalies with L_img, which `adtr eval` must keep out of the evaluation.
func TestTrainWithAnomalies(t *testing.T) {
	small := []string{"-backbone", "efficientnet_tiny", "-random-backbone", "-size", "96", "-taps", "4,8,16", "-batch", "4", "-epochs", "1",
		"-category", "pill", "-synthetic-train", "10", "-overlays", "-1"}
	tests := []struct {
		name      string
		args      []string
		wantLoss  string
		evaluated int // test images in metrics.json (less the labelled ones trained on)
	}{
		{"confetti", []string{"-synthetic-test", "8", "-anomalies", "confetti", "-anomaly-epochs", "1"}, "L_norm 1 epochs + L_px 1 epochs (confetti p=0.5: 4 of 8 training images replaced)", 8},
		{"labelled", []string{"-synthetic-test", "16", "-anomalies", "labelled", "-anomaly-loss", "image", "-anomaly-epochs", "1", "-labelled-fraction", "0.5"},
			"L_norm 1 epochs + L_img 1 epochs (labelled: 4 test anomalies (fraction 0.5 per defect type) moved to training, image labels only)", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, cache := filepath.Join(dir, "model"), filepath.Join(dir, "cache")
			code, stdout, stderr := runCLI(append(append([]string{"train", "-out", out, "-feature-cache", cache}, small...), tt.args...)...)
			if code != 0 {
				t.Fatalf("train exit %d:\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "training pill: "+tt.wantLoss) {
				t.Errorf("train output lacks the loss %q:\n%s", tt.wantLoss, stdout)
			}
			code, stdout, stderr = runCLI("eval", "-model", out, "-out", filepath.Join(dir, "eval"), "-overlays", "-1", "-feature-cache", cache)
			if code != 0 {
				t.Fatalf("eval exit %d:\n%s\n%s", code, stdout, stderr)
			}
			for _, metrics := range []string{filepath.Join(out, "metrics.json"), filepath.Join(dir, "eval", "metrics.json")} {
				reports, err := evaluate.ReadJSON(metrics)
				if err != nil || len(reports) != 1 || reports[0].Loss != tt.wantLoss || reports[0].TestImages != tt.evaluated || reports[0].Epochs != 2 {
					t.Errorf("%s: %+v, %v; want the loss %q, %d test images and 2 epochs", metrics, reports, err, tt.wantLoss, tt.evaluated)
				}
			}
		})
	}
}
