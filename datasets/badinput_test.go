package datasets

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture writes a small valid MVTec-layout category (32×32 synthetic pills: 3 train, 2 test
// good, 2 "crack" and 1 each "missing", "colour", "contamination" with masks) and returns
// its root.
func fixture(t *testing.T) string {
	t.Helper()
	cat, err := Synthetic("pill", SyntheticOptions{Size: 32, Train: 3, Test: 7, DefectFraction: 0.72, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "pill")
	if err := WriteMVTec(cat, root); err != nil {
		t.Fatal(err)
	}
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// truncate cuts a file to half its length.
func truncate(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	must(t, err)
	must(t, os.WriteFile(path, data[:len(data)/2], 0o644))
}

// checkLabels verifies that each sample's label agrees with the folder it was read from.
func checkLabels(t *testing.T, cat *Category) {
	t.Helper()
	for _, s := range append(append(append([]Sample{}, cat.Train...), cat.Val...), cat.Test...) {
		folder := filepath.Base(filepath.Dir(s.ImagePath))
		if s.Defect != folder || s.Anomalous != (folder != GoodDefect) {
			t.Errorf("%s: defect %q, anomalous %v", s.ImagePath, s.Defect, s.Anomalous)
		}
		if s.HasMask && s.Anomalous && filepath.Base(s.MaskPath) != s.Name+maskSuffix {
			t.Errorf("%s: mask %s", s.ImagePath, s.MaskPath)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(t *testing.T, root string)
		// strict is the expected error of OpenMVTec (or of LoadAll when atLoad) without Lenient.
		strict string
		atLoad bool
		// lenient is the expected warning with Lenient ("" when Lenient also fails with strict).
		lenient string
		// train, test are the sample counts with Lenient (the fixture has 3 and 7); unmasked
		// is the number of anomalous test samples without a usable mask.
		train, test, unmasked int
	}{
		{
			name: "corrupt image",
			break_: func(t *testing.T, root string) {
				must(t, os.WriteFile(root+"/test/good/000.png", []byte("\x89PNG\r\n\x1a\nnot really"), 0o644))
			},
			strict: "test/good/000.png: not a readable PNG or JPEG image: ", lenient: "test/good/000.png: not a readable", train: 3, test: 6,
		},
		{
			name:   "truncated PNG",
			break_: func(t *testing.T, root string) { truncate(t, root+"/train/good/001.png") },
			strict: "train/good/001.png: truncated png file (no end marker)", lenient: "001.png: truncated png", train: 2, test: 7,
		},
		{
			name: "truncated JPEG",
			break_: func(t *testing.T, root string) {
				src, err := decodeFile(root + "/train/good/000.png")
				must(t, err)
				var buf bytes.Buffer
				must(t, jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}))
				must(t, os.WriteFile(root+"/train/good/003.jpg", buf.Bytes()[:buf.Len()*3/4], 0o644))
			},
			strict: "train/good/003.jpg: truncated jpeg file (no end marker)", lenient: "003.jpg: truncated jpeg", train: 3, test: 7,
		},
		{
			name: "corrupt pixel data",
			break_: func(t *testing.T, root string) {
				path := root + "/test/crack/002.png"
				data, err := os.ReadFile(path)
				must(t, err)
				i := bytes.Index(data, []byte("IDAT")) + 8
				copy(data[i:], bytes.Repeat([]byte{0xA5}, 64))
				must(t, os.WriteFile(path, data, 0o644))
			},
			strict: "test/crack/002.png: decode: ", atLoad: true, train: 3, test: 7,
		},
		{
			name: "mask size differs from image",
			break_: func(t *testing.T, root string) {
				must(t, savePNG(root+"/ground_truth/crack/002_mask.png", image.NewGray(image.Rect(0, 0, 16, 16))))
			},
			strict:  "ground_truth/crack/002_mask.png is 16x16 but its image ",
			lenient: "002_mask.png is 16x16 but its image", train: 3, test: 7, unmasked: 1,
		},
		{
			name: "defect image without mask",
			break_: func(t *testing.T, root string) {
				must(t, os.Remove(root+"/ground_truth/colour/004_mask.png"))
			},
			lenient: "test/colour/004.png: no ground-truth mask; pixel metrics will skip it", train: 3, test: 7, unmasked: 1,
		},
		{
			name: "empty train/good",
			break_: func(t *testing.T, root string) {
				must(t, os.RemoveAll(root+"/train/good"))
				must(t, os.Mkdir(root+"/train/good", 0o755))
			},
			strict: "train/good: no training images",
		},
		{
			name: "mask without an image",
			break_: func(t *testing.T, root string) {
				must(t, savePNG(root+"/ground_truth/crack/099_mask.png", image.NewGray(image.Rect(0, 0, 32, 32))))
			},
			strict: "ground_truth/crack/099_mask.png: mask without an image (no 099.* in test/crack)", lenient: "099_mask.png: mask without an image",
			train: 3, test: 7,
		},
		{
			name:   "masks for a missing defect directory",
			break_: func(t *testing.T, root string) { must(t, os.RemoveAll(root+"/test/colour")) },
			strict: "ground_truth/colour: masks without images (no test/colour)", lenient: "ground_truth/colour: masks without images",
			train: 3, test: 6,
		},
		{
			name: "empty defect directory with masks",
			break_: func(t *testing.T, root string) {
				must(t, os.RemoveAll(root+"/test/colour"))
				must(t, os.Mkdir(root+"/test/colour", 0o755))
			},
			strict: "ground_truth/colour/004_mask.png: mask without an image (no 004.* in test/colour)", lenient: "004_mask.png: mask without an image",
			train: 3, test: 6,
		},
		{
			name: "stray non-image file",
			break_: func(t *testing.T, root string) {
				must(t, os.WriteFile(root+"/test/good/notes.txt", []byte("hello"), 0o644))
			},
			strict: "test/good/notes.txt: not an image file (want .png, .jpg or .jpeg)", lenient: "notes.txt: not an image file", train: 3, test: 7,
		},
		{
			name: "regular file where train/good should be",
			break_: func(t *testing.T, root string) {
				must(t, os.RemoveAll(root+"/train/good"))
				must(t, os.WriteFile(root+"/train/good", nil, 0o644))
			},
			strict: "train/good: not a readable directory: ",
		},
		{
			name:   "regular file in test/ where a defect directory should be",
			break_: func(t *testing.T, root string) { must(t, os.WriteFile(root+"/test/scratch.png", nil, 0o644)) },
			strict: "test/scratch.png: expected a defect directory", lenient: "scratch.png: expected a defect directory", train: 3, test: 7,
		},
		{
			name: "dangling symlink as test/good",
			break_: func(t *testing.T, root string) {
				must(t, os.RemoveAll(root+"/test/good"))
				must(t, os.Symlink(root+"/nowhere", root+"/test/good"))
			},
			strict: "test/good: not a readable directory: ", lenient: "test/good: not a readable directory", train: 3, test: 5,
		},
		{
			name:   "dangling symlink as an image",
			break_: func(t *testing.T, root string) { must(t, os.Symlink(root+"/nowhere.png", root+"/train/good/009.png")) },
			strict: "train/good/009.png: no such file or directory", lenient: "009.png: no such file", train: 3, test: 7,
		},
		{
			name:   "sub-directory among images",
			break_: func(t *testing.T, root string) { must(t, os.Mkdir(root+"/train/good/extra", 0o755)) },
			strict: "train/good/extra: unexpected directory among images", lenient: "extra: unexpected directory", train: 3, test: 7,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fixture(t)
			tc.break_(t, root)
			for _, lenient := range []bool{false, true} {
				cat, err := OpenMVTec(root, Options{Lenient: lenient})
				if err == nil && tc.atLoad {
					_, _, err = LoadAll(append(append([]Sample{}, cat.Train...), cat.Test...), 32, 2, nil)
				}
				wantErr := tc.strict != "" && (!lenient || tc.lenient == "")
				if !wantErr {
					if err != nil {
						t.Fatalf("lenient=%v: unexpected error %v", lenient, err)
					}
					checkResult(t, cat, tc.lenient, tc.train, tc.test, tc.unmasked)
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tc.strict) {
					t.Fatalf("lenient=%v: error %v, want one containing %q", lenient, err, tc.strict)
				}
				t.Logf("lenient=%v: %v", lenient, err)
			}
		})
	}
}

// checkResult verifies the counts, the expected warning and the labels of a lenient read.
func checkResult(t *testing.T, cat *Category, warning string, train, test, unmasked int) {
	t.Helper()
	if len(cat.Train) != train || len(cat.Test) != test {
		t.Errorf("%d train, %d test; want %d, %d", len(cat.Train), len(cat.Test), train, test)
	}
	found := false
	for _, w := range cat.Warnings {
		found = found || strings.Contains(w, warning)
	}
	if !found {
		t.Errorf("warnings %q, want one containing %q", cat.Warnings, warning)
	}
	t.Logf("warnings: %q", cat.Warnings)
	n := 0
	for _, s := range cat.Test {
		if s.Anomalous && !s.HasMask {
			n++
			if _, err := LoadMask(s, 32); err == nil || !strings.Contains(err.Error(), ErrNoMask.Error()) {
				t.Errorf("LoadMask(%s) = %v, want ErrNoMask", s.ImagePath, err)
			}
		}
	}
	if n != unmasked {
		t.Errorf("%d anomalous samples without mask, want %d", n, unmasked)
	}
	checkLabels(t, cat)
	_, masks, err := LoadAll(append(append([]Sample{}, cat.Train...), cat.Test...), 32, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range cat.Test {
		if m := masks[len(cat.Train)+i]; (m == nil) != (s.Anomalous && !s.HasMask) {
			t.Errorf("%s: mask %v, HasMask %v", s.ImagePath, m != nil, s.HasMask)
		}
	}
}
