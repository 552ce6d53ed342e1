package nb

import (
	"encoding/xml"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/datasets"
)

// clearEnv unsets every variable Load reads.
func clearEnv(t *testing.T) {
	for _, k := range []string{EnvWork, EnvSmall, EnvBackbone, EnvEpochs, EnvData, EnvCategory, EnvSize, EnvSyntheticTrain, EnvSyntheticTest, EnvWeightsDir} {
		t.Setenv(k, "")
	}
}

func TestLoadSmall(t *testing.T) {
	clearEnv(t)
	work := t.TempDir()
	t.Setenv(EnvWork, work)
	t.Setenv(EnvSmall, "1")
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != Small || s.InputSize != 128 || s.Epochs != 2 || s.Data.Synthetic.Train != 12 || s.Data.Synthetic.Test != 8 {
		t.Errorf("small setting %+v", s)
	}
	if s.Backbone != SmallFallbackBackbone || !s.RandomBackbone || !strings.Contains(s.String(), "RANDOM") {
		t.Errorf("without weights the small setting must use the labelled random %s: %+v", SmallFallbackBackbone, s)
	}
	if err := s.Config().Validate(); err != nil {
		t.Errorf("small config invalid: %v", err)
	}
	if !strings.HasPrefix(s.ModelDir(), work) || s.FeatureCache() != filepath.Join(work, "features") {
		t.Errorf("directories %s, %s not under %s", s.ModelDir(), s.FeatureCache(), work)
	}

	weights := t.TempDir()
	if err := writeFile(filepath.Join(weights, SmallPretrainedBackbone+".safetensors")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvWeightsDir, weights)
	s2 := MustLoad()
	if s2.Backbone != SmallPretrainedBackbone || s2.RandomBackbone {
		t.Errorf("with weights the small setting must use %s: %+v", SmallPretrainedBackbone, s2)
	}
	if s2.Tag() == s.Tag() {
		t.Errorf("settings with different backbones share the tag %s", s.Tag())
	}
}

func TestLoadReport(t *testing.T) {
	clearEnv(t)
	s := MustLoad()
	if s.Name != Report || s.Backbone != "efficientnet_b4" || s.InputSize != 256 || s.Data.Source != experiment.SyntheticSource || s.Data.Category != DefaultCategory {
		t.Errorf("default report setting %+v", s)
	}
	if !strings.Contains(s.String(), "defaults") {
		t.Errorf("printout does not say the defaults were used:\n%s", s)
	}
	t.Setenv(EnvBackbone, "mobilenetv2_100")
	t.Setenv(EnvEpochs, "12")
	t.Setenv(EnvSize, "224")
	t.Setenv(EnvSyntheticTrain, "40")
	s = MustLoad()
	cfg := s.Config()
	if cfg.Backbone != "mobilenetv2_100" || cfg.Epochs != 12 || cfg.InputSize != 224 || cfg.LRStepEpoch != 9 || s.Data.Synthetic.Train != 40 {
		t.Errorf("overridden report config %+v, setting %+v", cfg, s)
	}
	out := s.String()
	for _, want := range []string{"GOADTR_EPOCHS=12", "224 px instead", "mobilenetv2_100 instead", "reduced schedule"} {
		if !strings.Contains(out, want) {
			t.Errorf("printout lacks %q:\n%s", want, out)
		}
	}
	t.Setenv(EnvEpochs, "500")
	if cfg := MustLoad().Config(); cfg.LearningRate != 1e-4 || cfg.BatchSize != 16 || cfg.LRStepEpoch != 400 {
		t.Errorf("500 epochs should give the paper's schedule, got %+v", cfg)
	}
	t.Setenv(EnvEpochs, "ten")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), EnvEpochs) {
		t.Errorf("bad %s accepted: %v", EnvEpochs, err)
	}
}

func TestUseData(t *testing.T) {
	clearEnv(t)
	s := MustLoad()
	before := s.Tag()
	s.UseData("", "")
	if s.Tag() != before {
		t.Error("empty source changed the data")
	}
	s.UseData("/data/mvtec", "bottle")
	if s.Data.Source != "/data/mvtec" || s.Data.Category != "bottle" || s.Tag() == before || strings.Contains(s.Tag(), "/") {
		t.Errorf("UseData gave %+v, tag %q", s.Data, s.Tag())
	}
}

func TestMustAndCheck(t *testing.T) {
	if got := Must(3, nil); got != 3 {
		t.Errorf("Must = %d", got)
	}
	for name, f := range map[string]func(){
		"Must":  func() { Must(0, errTest) },
		"Check": func() { Check(errTest, "doing %s", "x") },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), "boom") {
					t.Errorf("%s: recovered %v, want a panic carrying the error", name, r)
				}
			}()
			f()
		}()
	}
}

func TestConfuseAndRanked(t *testing.T) {
	scores := []float64{0.1, 0.9, 0.5, 0.7}
	labels := []bool{false, true, false, true}
	c := Confuse(scores, labels, 0.6)
	if c != (Confusion{TP: 2, FN: 0, FP: 0, TN: 2}) {
		t.Errorf("Confuse = %+v", c)
	}
	c = Confuse(scores, labels, 0.5)
	if c.FP != 1 || c.FalseAlarmRate() != 0.5 || c.Recall() != 1 || math.Abs(c.Precision()-2.0/3) > 1e-12 {
		t.Errorf("at 0.5: %+v", c)
	}
	if r := Ranked(scores); r[0] != 1 || r[3] != 0 {
		t.Errorf("Ranked = %v", r)
	}
}

func TestBarChartIsSVG(t *testing.T) {
	svg, err := BarChart("t <1>", "ratio", []string{"a long group name", "b"}, []BarSeries{{Name: "x", Values: []float64{1, 2}}, {Name: "y", Values: []float64{0.5, 3}}}, 1, "ref")
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("not well-formed XML: %v", err)
	}
	if _, err := BarChart("t", "", []string{"a"}, []BarSeries{{Name: "x", Values: []float64{math.NaN()}}}, 0, ""); err == nil {
		t.Error("NaN bar accepted")
	}
	if html := HTMLTable("c", []string{"h"}, [][]string{{"<b>"}}); strings.Contains(html, "<b>") {
		t.Error("table cell not escaped")
	}
}

// twoImages is a 2×2 test set: a normal image and a defective one whose masked pixel is bright.
func twoImages() *experiment.TestSet {
	return &experiment.TestSet{
		Samples: []datasets.Sample{{Name: "n", Defect: "good"}, {Name: "d", Defect: "scratch", Anomalous: true}},
		Images:  []*datasets.Image{datasets.NewImage(2, 2), datasets.NewImage(2, 2)},
		Masks:   []*datasets.Mask{{W: 2, H: 2, Pix: []uint8{0, 0, 0, 0}}, {W: 2, H: 2, Pix: []uint8{0, 255, 0, 0}}},
		Labels:  []bool{false, true},
		Scored:  &evaluate.Scored{Scores: []float64{1, 4}, Maps: [][]float32{{1, 1, 1, 1}, {2, 4, 2, 2}}, Size: 2},
	}
}

func TestRegionsROCAndGallery(t *testing.T) {
	ts := twoImages()
	r := RegionMeans(ts)
	if r.NormalImages != 1 || r.NormalPixels != 2 || r.DefectPixels != 4 || r.Contrast() != 4 {
		t.Errorf("RegionMeans = %+v", r)
	}
	fpr, tpr, err := PixelROC(ts, 1)
	if err != nil || len(fpr) != len(tpr) || fpr[len(fpr)-1] != 1 {
		t.Errorf("PixelROC = %v %v %v", fpr, tpr, err)
	}
	if vmin, vmax := SharedScale(ts); vmin != 1 || vmax != 4 {
		t.Errorf("SharedScale = %v, %v", vmin, vmax)
	}
	img, err := Gallery(ts, []int{1, 0}, 3, 0, 4)
	if err != nil || img.Bounds().Dx() < 4*256 {
		t.Errorf("Gallery: %v, bounds %v", err, img.Bounds())
	}
}

// TestUseDataMVTecLayout checks the one-variable switch to real data: a directory in MVTec AD
// layout, given as a category root or as a data-set root with a category name.
func TestUseDataMVTecLayout(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvSmall, "1")
	cat, err := datasets.Synthetic("pill", datasets.SyntheticOptions{Size: 32, Train: 4, Test: 4})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := datasets.WriteMVTec(cat, filepath.Join(root, "pill")); err != nil {
		t.Fatal(err)
	}
	for _, sel := range [][2]string{{filepath.Join(root, "pill"), ""}, {root, "pill"}} {
		s := MustLoadWith(sel[0], sel[1])
		got, err := s.Data.Open(32)
		if err != nil {
			t.Fatalf("UseData(%q, %q): %v", sel[0], sel[1], err)
		}
		if len(got.Test) != 4 || len(got.Train)+len(got.Val) != 4 || !strings.Contains(s.String(), root) {
			t.Errorf("UseData(%q, %q): %d train, %d val, %d test; printout:\n%s", sel[0], sel[1], len(got.Train), len(got.Val), len(got.Test), s)
		}
	}
}

func TestFlagChanges(t *testing.T) {
	st := ScoreTable{Names: []string{"a", "b", "c", "d"}, Kinds: []string{"good", "good", "hole", "hole"}, Scores: []float64{0.5, 0.9, 0.95, 2}}
	gained, lost := FlagChanges(st, 1, 0.8)
	if gained != "good x1 (b); hole x1 (c)" || lost != "none" {
		t.Errorf("lowering: gained %q, lost %q", gained, lost)
	}
	gained, lost = FlagChanges(st, 0.8, 1)
	if gained != "none" || lost != "good x1 (b); hole x1 (c)" {
		t.Errorf("raising: gained %q, lost %q", gained, lost)
	}
}
