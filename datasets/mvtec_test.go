package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// dataDir returns $GOADTR_DATA_DIR/<category> or skips the test when the variable is unset.
// A relative GOADTR_DATA_DIR is taken from the package directory or, failing that, from the
// module root (where `go test ./...` is usually started).
func dataDir(tb testing.TB, category string) string {
	tb.Helper()
	root := os.Getenv("GOADTR_DATA_DIR")
	if root == "" {
		tb.Skip("GOADTR_DATA_DIR is not set: skipping the test on real MVTec-layout data")
	}
	candidates := []string{filepath.Join(root, category)}
	if !filepath.IsAbs(root) {
		candidates = append(candidates, filepath.Join("..", root, category))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	tb.Fatalf("GOADTR_DATA_DIR=%s: no %s category in %v", root, category, candidates)
	return ""
}

// countSplit counts test samples by defect type.
func countDefects(samples []Sample) map[string]int {
	n := map[string]int{}
	for _, s := range samples {
		n[s.Defect]++
	}
	return n
}

func TestOpenMVTecRealData(t *testing.T) {
	tests := []struct {
		category   string
		train      int
		testGood   int
		defect     string
		defects    int
		imageW     int // a typical source width, to check that decoding happened
		firstTrain string
	}{
		{"hazelnut", 28, 6, "colour", 17, 512, "00"},
		{"cookie", 31, 14, "crack", 32, 288, "normal-1"},
	}
	for _, tc := range tests {
		t.Run(tc.category, func(t *testing.T) {
			cat, err := OpenMVTec(dataDir(t, tc.category), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if cat.Name != tc.category || len(cat.Train) != tc.train || len(cat.Val) != 0 {
				t.Errorf("name %q, %d train, %d val; want %q, %d, 0", cat.Name, len(cat.Train), len(cat.Val), tc.category, tc.train)
			}
			if cat.Train[0].Name != tc.firstTrain {
				t.Errorf("first training sample %q, want %q", cat.Train[0].Name, tc.firstTrain)
			}
			got := countDefects(cat.Test)
			if len(got) != 2 || got[GoodDefect] != tc.testGood || got[tc.defect] != tc.defects {
				t.Errorf("test defects %v, want %d good and %d %s", got, tc.testGood, tc.defects, tc.defect)
			}
			if len(cat.Warnings) != 0 {
				t.Errorf("warnings: %v", cat.Warnings)
			}
			for _, s := range cat.Test {
				if s.Anomalous != (s.Defect != GoodDefect) || !s.HasMask || (s.MaskPath != "") != s.Anomalous || s.Split != SplitTest {
					t.Errorf("inconsistent test sample %+v", s)
				}
			}
			// Load every anomalous sample: each must have a non-empty mask at the model size.
			var anomalous []Sample
			for _, s := range cat.Test {
				if s.Anomalous {
					anomalous = append(anomalous, s)
				}
			}
			images, masks, err := LoadAll(anomalous, 64, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range anomalous {
				if images[i].W != 64 || images[i].H != 64 || len(images[i].Pix) != 64*64*3 {
					t.Fatalf("%s: image %dx%d", anomalous[i].ImagePath, images[i].W, images[i].H)
				}
				if masks[i] == nil || masks[i].Area() == 0 {
					t.Errorf("%s: empty mask", anomalous[i].MaskPath)
				}
			}
		})
	}
}

func TestOpenMVTecValidationSplit(t *testing.T) {
	root := dataDir(t, "hazelnut")
	a, err := OpenMVTec(root, Options{ValFraction: 0.25, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenMVTec(root, Options{ValFraction: 0.25, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenMVTec(root, Options{ValFraction: 0.25, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Val) != 7 || len(a.Train) != 21 {
		t.Fatalf("%d val, %d train; want 7, 21", len(a.Val), len(a.Train))
	}
	names := func(c *Category) string {
		s := ""
		for _, v := range c.Val {
			s += v.Name + " "
		}
		return s
	}
	if names(a) != names(b) {
		t.Errorf("same seed, different validation sets: %s / %s", names(a), names(b))
	}
	if names(a) == names(c) {
		t.Errorf("seeds 7 and 8 gave the same validation set %s", names(a))
	}
	seen := map[string]bool{}
	for _, s := range append(append([]Sample{}, a.Train...), a.Val...) {
		if seen[s.Name] {
			t.Errorf("%s in both train and val", s.Name)
		}
		seen[s.Name] = true
		if (s.Split == SplitVal) == (s.Split == SplitTrain) {
			t.Errorf("%s: split %q", s.Name, s.Split)
		}
	}
}
