package datasets

import (
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/draw"
)

// TestWriteSampleGrids saves PNG contact sheets for looking at the data by eye, when
// GOADTR_GRIDS_DIR names an output directory: for each synthetic category (and each real
// category under GOADTR_DATA_DIR) a row of normal training images, a row of defective test
// images and the same defective images with their mask outlined in red; and confetti noise
// on normal synthetic images.
func TestWriteSampleGrids(t *testing.T) {
	out := os.Getenv("GOADTR_GRIDS_DIR")
	if out == "" {
		t.Skip("GOADTR_GRIDS_DIR is not set: not writing sample grids")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	const cols = 6
	cats := map[string]*Category{}
	for _, name := range SyntheticCategories() {
		cat, err := Synthetic(name, SyntheticOptions{Train: cols, Test: 2 * cols, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		cats["synthetic_"+name] = cat
	}
	if os.Getenv("GOADTR_DATA_DIR") != "" {
		for _, name := range []string{"hazelnut", "cookie"} {
			cat, err := OpenMVTec(dataDir(t, name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			cats["real_"+name] = cat
		}
	}
	// Confetti noise on normal synthetic images, with its mask outlined.
	var confetti []*Image
	for _, name := range SyntheticCategories() {
		images, _, err := LoadAll(cats["synthetic_"+name].Train[:2], DefaultSize, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, img := range images {
			out, mask := Confetti(img, rand.New(rand.NewPCG(uint64(i), 7)), ConfettiOptions{})
			confetti = append(confetti, outline(out, mask))
		}
	}
	if err := savePNG(filepath.Join(out, "confetti.png"), grid(confetti, cols)); err != nil {
		t.Fatal(err)
	}
	for name, cat := range cats {
		var defective []Sample
		for _, s := range cat.Test {
			if s.Anomalous && len(defective) < cols {
				defective = append(defective, s)
			}
		}
		rows := append(append([]Sample{}, cat.Train[:cols]...), defective...)
		images, masks, err := LoadAll(rows, DefaultSize, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		var tiles []*Image
		tiles = append(tiles, images...)
		for i := cols; i < len(rows); i++ {
			tiles = append(tiles, outline(images[i], masks[i]))
		}
		path := filepath.Join(out, name+".png")
		if err := savePNG(path, grid(tiles, cols)); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

// outline returns a copy of img with the border pixels of mask painted red.
func outline(img *Image, mask *Mask) *Image {
	out := &Image{W: img.W, H: img.H, Pix: append([]float32(nil), img.Pix...)}
	at := func(x, y int) uint8 {
		if x < 0 || y < 0 || x >= mask.W || y >= mask.H {
			return 0
		}
		return mask.Pix[y*mask.W+x]
	}
	for y := range mask.H {
		for x := range mask.W {
			if at(x, y) == 1 && (at(x-1, y) == 0 || at(x+1, y) == 0 || at(x, y-1) == 0 || at(x, y+1) == 0) {
				copy(out.Pix[(y*img.W+x)*3:], []float32{1, 0, 0})
			}
		}
	}
	return out
}

// grid lays tiles out cols per row with a 4-pixel gap.
func grid(tiles []*Image, cols int) *image.RGBA {
	const gap = 4
	w, h := tiles[0].W, tiles[0].H
	rows := (len(tiles) + cols - 1) / cols
	out := image.NewRGBA(image.Rect(0, 0, cols*(w+gap), rows*(h+gap)))
	for i, tile := range tiles {
		x, y := (i%cols)*(w+gap), (i/cols)*(h+gap)
		draw.Draw(out, image.Rect(x, y, x+w, y+h), tile.ToRGBA(), image.Point{}, draw.Src)
	}
	return out
}
