package plots

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestSavePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	img := uniform(image.Rect(0, 0, 5, 3), color.RGBA{10, 20, 30, 255})
	pngPath, svgPath := filepath.Join(dir, "a.png"), filepath.Join(dir, "a.svg")
	if err := SavePNG(pngPath, img); err != nil {
		t.Fatal(err)
	}
	// Overwriting replaces the file.
	if err := SaveSVG(svgPath, "<svg/>"); err != nil {
		t.Fatal(err)
	}
	if err := SaveSVG(svgPath, "<svg></svg>\n"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Rect || color.RGBAModel.Convert(got.At(4, 2)) != img.RGBAAt(4, 2) {
		t.Errorf("PNG read back as %v with %v", got.Bounds(), got.At(4, 2))
	}
	if data, err := os.ReadFile(svgPath); err != nil || string(data) != "<svg></svg>\n" {
		t.Errorf("SVG read back as %q, %v", data, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want the 2 files and no temporary file", len(entries))
	}
	if err := SaveSVG(filepath.Join(dir, "new", "b.svg"), "<svg/>"); err != nil {
		t.Errorf("saving into a new directory: %v", err)
	}
	if err := SaveSVG(filepath.Join(svgPath, "c.svg"), "<svg/>"); err == nil {
		t.Error("saving under a regular file: no error")
	}
}
