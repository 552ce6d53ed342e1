package datasets

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// flatImage returns a size×size image of one colour.
func flatImage(size int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

func TestOneClassFolders(t *testing.T) {
	root := t.TempDir()
	// train: 3 cats, 2 dogs, 1 bird; test: 2 of each. Pixel red = class index.
	classes := []string{"bird", "cat", "dog"}
	counts := map[string]int{"bird": 1, "cat": 3, "dog": 2}
	for k, class := range classes {
		for i := range counts[class] {
			must(t, savePNG(filepath.Join(root, "train", class, fmt.Sprintf("%d.png", i)), flatImage(8, color.RGBA{R: uint8(k)})))
		}
		for i := range 2 {
			must(t, savePNG(filepath.Join(root, "test", class, fmt.Sprintf("t%d.png", i)), flatImage(8, color.RGBA{R: uint8(k)})))
		}
	}
	cat, err := OneClassFolders(root, "cat", Options{})
	must(t, err)
	if cat.Name != "cat" || len(cat.Train) != 3 || len(cat.Test) != 6 {
		t.Fatalf("%q: %d train, %d test", cat.Name, len(cat.Train), len(cat.Test))
	}
	got := countDefects(cat.Test)
	if got[GoodDefect] != 2 || got["dog"] != 2 || got["bird"] != 2 {
		t.Errorf("test defects %v", got)
	}
	for _, s := range cat.Test {
		class := filepath.Base(filepath.Dir(s.ImagePath))
		if s.Anomalous != (class != "cat") || s.HasMask == s.Anomalous {
			t.Errorf("%s: anomalous %v, has mask %v", s.ImagePath, s.Anomalous, s.HasMask)
		}
		img, err := LoadImage(s, 8)
		must(t, err)
		if want := float32(slices.Index(classes, class)) / 255; img.Pix[0] != want {
			t.Errorf("%s: red %v, want %v", s.ImagePath, img.Pix[0], want)
		}
	}
	for _, s := range cat.Train {
		if filepath.Base(filepath.Dir(s.ImagePath)) != "cat" || s.Anomalous {
			t.Errorf("training sample %+v", s)
		}
	}
	if _, err := OneClassFolders(root, "horse", Options{}); err == nil || !strings.Contains(err.Error(), "train/horse: missing directory") {
		t.Errorf("unknown class: error %v", err)
	}
	must(t, os.MkdirAll(filepath.Join(root, "test", GoodDefect), 0o755))
	if _, err := OneClassFolders(root, "cat", Options{}); err == nil || !strings.Contains(err.Error(), "may not be named") {
		t.Errorf("class named good: error %v", err)
	}
}

// cifarRecords encodes records with the given labels; record i's pixel p has R = i, G = p%256,
// B = label.
func cifarRecords(labels ...byte) []byte {
	var out []byte
	for i, l := range labels {
		rec := make([]byte, cifarRecord)
		rec[0] = l
		for p := range 1024 {
			rec[1+p], rec[1+1024+p], rec[1+2048+p] = byte(i), byte(p), l
		}
		out = append(out, rec...)
	}
	return out
}

func TestOneClassCIFAR10(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) { must(t, os.WriteFile(filepath.Join(dir, name), data, 0o644)) }
	for b := 1; b <= 5; b++ {
		write(fmt.Sprintf("data_batch_%d.bin", b), cifarRecords(3, 5, 3, byte(b)))
	}
	write("test_batch.bin", cifarRecords(0, 3, 9, 3, 5))
	cat, err := OneClassCIFAR10(dir, 3, Options{ValFraction: 0.2, Seed: 1})
	must(t, err)
	// Class 3 appears twice per batch, three times in batch 3.
	if cat.Name != "cat" || len(cat.Train)+len(cat.Val) != 11 || len(cat.Val) != 2 || len(cat.Test) != 5 {
		t.Fatalf("%q: %d train, %d val, %d test", cat.Name, len(cat.Train), len(cat.Val), len(cat.Test))
	}
	wantDefects := []string{"airplane", GoodDefect, "truck", GoodDefect, "dog"}
	for i, s := range cat.Test {
		if s.Defect != wantDefects[i] || s.Anomalous != (wantDefects[i] != GoodDefect) || s.HasMask == s.Anomalous {
			t.Errorf("test %d: %+v", i, s)
		}
		img, err := LoadImage(s, 32)
		must(t, err)
		p := 5*32 + 7 // pixel (7, 5)
		if r, g := img.Pix[p*3]*255, img.Pix[p*3+1]*255; r != float32(i) || g != float32(p%256) {
			t.Errorf("test %d pixel (7,5): R %v G %v, want %d %d", i, r, g, i, p%256)
		}
	}
	tests := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"bad size", "data_batch_2.bin", make([]byte, 100), "data_batch_2.bin: 100 bytes is not a whole number of 3073-byte CIFAR-10 records"},
		{"bad label", "test_batch.bin", cifarRecords(1, 12), "test_batch.bin: record 1 has label 12 (want 0..9)"},
	}
	for _, tc := range tests {
		good, err := os.ReadFile(filepath.Join(dir, tc.file))
		must(t, err)
		write(tc.file, tc.data)
		if _, err := OneClassCIFAR10(dir, 3, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		write(tc.file, good)
	}
	write("data_batch_2.bin", make([]byte, 100))
	lenient, err := OneClassCIFAR10(dir, 3, Options{Lenient: true})
	must(t, err)
	if len(lenient.Train) != 9 || len(lenient.Warnings) != 1 {
		t.Errorf("lenient with a bad training batch: %d train, warnings %v", len(lenient.Train), lenient.Warnings)
	}
	if _, err := OneClassCIFAR10(dir, 10, Options{}); err == nil {
		t.Error("class 10: no error")
	}
}
