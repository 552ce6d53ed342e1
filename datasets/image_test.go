package datasets

import (
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestLoadImageColorModels writes a 4×4 image whose pixel (x, y) has colour want(x, y) in
// every colour model the PNG and JPEG encoders support, and checks the decoded RGB values.
func TestLoadImageColorModels(t *testing.T) {
	const n = 4
	level := func(x, y int) uint8 { return uint8(40*x + 50*y + 7) }
	fill := func(img interface{ Set(x, y int, c color.Color) }, f func(v uint8) color.Color) {
		for y := range n {
			for x := range n {
				img.Set(x, y, f(level(x, y)))
			}
		}
	}
	r := image.Rect(0, 0, n, n)
	gray, gray16, rgba, nrgba64 := image.NewGray(r), image.NewGray16(r), image.NewRGBA(r), image.NewNRGBA64(r)
	fill(gray, func(v uint8) color.Color { return color.Gray{v} })
	fill(gray16, func(v uint8) color.Color { return color.Gray16{uint16(v) * 257} })
	fill(rgba, func(v uint8) color.Color { return color.RGBA{v, v / 2, 255 - v, 255} })
	fill(nrgba64, func(v uint8) color.Color {
		return color.NRGBA64{uint16(v) * 257, uint16(v/2) * 257, uint16(255-v) * 257, 0xFFFF}
	})
	var palette color.Palette
	for v := range 256 {
		palette = append(palette, color.RGBA{uint8(v), uint8(v) / 2, 255 - uint8(v), 255})
	}
	paletted := image.NewPaletted(r, palette)
	fill(paletted, func(v uint8) color.Color { return color.RGBA{v, v / 2, 255 - v, 255} })
	halfAlpha := image.NewNRGBA(r) // red at half opacity: composited over black
	fill(halfAlpha, func(uint8) color.Color { return color.NRGBA{255, 0, 0, 128} })

	grayWant := func(v uint8) [3]uint8 { return [3]uint8{v, v, v} }
	rgbWant := func(v uint8) [3]uint8 { return [3]uint8{v, v / 2, 255 - v} }
	tests := []struct {
		name string
		img  image.Image
		want func(v uint8) [3]uint8
	}{
		{"gray8.png", gray, grayWant},
		{"gray16.png", gray16, grayWant},
		{"rgba.png", rgba, rgbWant},
		{"rgb16.png", nrgba64, rgbWant},
		{"paletted.png", paletted, rgbWant},
		{"alpha.png", halfAlpha, func(uint8) [3]uint8 { return [3]uint8{128, 0, 0} }},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		path := filepath.Join(dir, tc.name)
		must(t, savePNG(path, tc.img))
		got, err := LoadImage(Sample{ImagePath: path}, n)
		if err != nil {
			t.Fatal(err)
		}
		for y := range n {
			for x := range n {
				w := tc.want(level(x, y))
				for c := range 3 {
					if g := got.Pix[(y*n+x)*3+c]; math.Abs(float64(g)-float64(w[c])/255) > 0.6/255 {
						t.Errorf("%s (%d,%d) channel %d: %v, want %v/255", tc.name, x, y, c, g, w[c])
					}
				}
			}
		}
	}
	// JPEG is lossy: a flat colour must come back within a few levels.
	flat := image.NewRGBA(image.Rect(0, 0, 16, 16))
	fill(flat, func(uint8) color.Color { return color.RGBA{200, 100, 50, 255} })
	path := filepath.Join(dir, "flat.jpg")
	f, err := os.Create(path)
	must(t, err)
	must(t, jpeg.Encode(f, flat, &jpeg.Options{Quality: 100}))
	must(t, f.Close())
	got, err := LoadImage(Sample{ImagePath: path}, 16)
	must(t, err)
	for c, w := range []float32{200, 100, 50} {
		if g := got.Pix[c] * 255; math.Abs(float64(g-w)) > 4 {
			t.Errorf("JPEG channel %d: %v, want %v", c, g, w)
		}
	}
}

// TestResizeAntialiased shrinks a one-pixel black/white checkerboard: an antialiasing filter
// gives uniform grey, sampling (nearest neighbour) would keep black and white.
func TestResizeAntialiased(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 512, 512))
	for i := range src.Pix {
		src.Pix[i] = uint8(255 * ((i%512 + i/512) % 2))
	}
	img, err := LoadImage(Sample{Source: src}, 64)
	must(t, err)
	lo, hi := slices.Min(img.Pix), slices.Max(img.Pix)
	if lo < 0.45 || hi > 0.55 {
		t.Errorf("shrunk checkerboard ranges over [%v, %v], want about 0.5", lo, hi)
	}
	if img.W != 64 || img.H != 64 {
		t.Errorf("size %dx%d", img.W, img.H)
	}
}

func TestMaskResizeNearest(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 8, 6))
	for y := range 6 {
		for x := range 4 {
			src.Pix[y*8+x] = 128 // any value > 0 is anomalous
		}
	}
	s := Sample{Anomalous: true, HasMask: true, MaskSource: src}
	tests := []struct {
		size int
		want func(x, y int) uint8
	}{
		{4, func(x, _ int) uint8 { return uint8(b2i(x < 2)) }},
		{16, func(x, _ int) uint8 { return uint8(b2i(x < 8)) }},
	}
	for _, tc := range tests {
		m, err := LoadMask(s, tc.size)
		must(t, err)
		for y := range tc.size {
			for x := range tc.size {
				if g := m.Pix[y*tc.size+x]; g != tc.want(x, y) {
					t.Fatalf("size %d (%d,%d): %d, want %d", tc.size, x, y, g, tc.want(x, y))
				}
			}
		}
	}
	good, err := LoadMask(Sample{}, 8)
	must(t, err)
	if good.Area() != 0 || len(good.Pix) != 64 {
		t.Errorf("normal sample mask: area %d, %d pixels", good.Area(), len(good.Pix))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestNormalizeAndBatch(t *testing.T) {
	a, b := NewImage(2, 1), NewImage(2, 1)
	copy(a.Pix, []float32{0.485, 0.456, 0.406, 1, 1, 1})
	copy(b.Pix, []float32{0, 0, 0, 0.5, 0.5, 0.5})
	want := []float32{0, 0, 0, (1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225}
	got := Normalize(a)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("Normalize[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	batch, err := Batch([]*Image{a, b})
	must(t, err)
	if dims := batch.Shape().Dimensions; !slices.Equal(dims, []int{2, 1, 2, 3}) {
		t.Fatalf("batch dimensions %v, want [2 1 2 3]", dims)
	}
	flat := batch.Value().([][][][]float32)
	if flat[0][0][1][2] != got[5] || flat[1][0][0][0] != Normalize(b)[0] {
		t.Errorf("batch values %v", flat)
	}
	if _, err := Batch([]*Image{a, NewImage(1, 2)}); err == nil {
		t.Error("Batch of different sizes: no error")
	}
	if _, err := Batch(nil); err == nil {
		t.Error("empty Batch: no error")
	}
}

func TestLoadAllProgressAndWorkers(t *testing.T) {
	cat, err := Synthetic("stone", SyntheticOptions{Size: 48, Train: 5, Test: 6, Seed: 2})
	must(t, err)
	var calls []int
	one, m1, err := LoadAll(cat.Test, 24, 1, func(done, total int) {
		if total != len(cat.Test) {
			t.Errorf("progress total %d, want %d", total, len(cat.Test))
		}
		calls = append(calls, done)
	})
	must(t, err)
	if !slices.Equal(calls, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("progress calls %v", calls)
	}
	many, m3, err := LoadAll(cat.Test, 24, 3, nil)
	must(t, err)
	for i := range one {
		if !slices.Equal(one[i].Pix, many[i].Pix) || !slices.Equal(m1[i].Pix, m3[i].Pix) {
			t.Errorf("sample %d differs between 1 and 3 workers", i)
		}
	}
}

// TestWriteMVTecRoundTrip writes a synthetic category and reads it back: same labels, same
// pixels, same masks.
func TestWriteMVTecRoundTrip(t *testing.T) {
	cat, err := Synthetic("weave", SyntheticOptions{Size: 40, Train: 4, Test: 6, Seed: 9, ValFraction: 0.25})
	must(t, err)
	root := filepath.Join(t.TempDir(), "weave")
	must(t, WriteMVTec(cat, root))
	back, err := OpenMVTec(root, Options{})
	must(t, err)
	if len(back.Train) != 4 || len(back.Test) != 6 || len(back.Warnings) != 0 {
		t.Fatalf("read back %d train, %d test, warnings %v", len(back.Train), len(back.Test), back.Warnings)
	}
	// Test order: good first, then defect types in directory (alphabetical) order; compare by name.
	orig := map[string]Sample{}
	for _, s := range cat.Test {
		orig[s.Name] = s
	}
	for _, s := range back.Test {
		o := orig[s.Name]
		if s.Defect != o.Defect || s.Anomalous != o.Anomalous || s.HasMask != o.HasMask {
			t.Errorf("%s: read back %+v, wrote %+v", s.Name, s, o)
		}
		imgs, masks, err := LoadAll([]Sample{o, s}, 40, 2, nil)
		must(t, err)
		if !slices.Equal(imgs[0].Pix, imgs[1].Pix) || !slices.Equal(masks[0].Pix, masks[1].Pix) {
			t.Errorf("%s: pixels or mask differ after the round trip", s.Name)
		}
	}
	if err := WriteMVTec(&Category{Train: []Sample{cat.Train[0], cat.Train[0]}}, t.TempDir()); err == nil {
		t.Error("two samples with the same name: no error")
	}
}
