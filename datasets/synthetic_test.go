package datasets

import (
	"bytes"
	"image"
	"math"
	"sort"
	"testing"
)

// auroc returns the area under the ROC curve of scores for labels (true = positive): the
// probability that a random positive scores above a random negative, ties counting one half.
func auroc(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Sum of the (average, 1-based) ranks of the positives: the Mann-Whitney U statistic.
	var rankSum float64
	var pos, neg int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2
		for _, k := range idx[i:j] {
			if labels[k] {
				rankSum += rank
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	return (rankSum - float64(pos*(pos+1))/2) / float64(pos*neg)
}

func TestAUROC(t *testing.T) {
	tests := []struct {
		scores []float64
		labels []bool
		want   float64
	}{
		{[]float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{[]float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []bool{false, true, false, true}, 0.5},
		{[]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
	}
	for _, tc := range tests {
		if got := auroc(tc.scores, tc.labels); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("auroc(%v, %v) = %v, want %v", tc.scores, tc.labels, got, tc.want)
		}
	}
}

// rawScores scores each test image by its squared RGB distance to the mean training image:
// the largest per-pixel distance and the mean one.
func rawScores(train, test []*Image) (maxScore, meanScore []float64) {
	mean := make([]float64, len(train[0].Pix))
	for _, img := range train {
		for i, v := range img.Pix {
			mean[i] += float64(v) / float64(len(train))
		}
	}
	for _, img := range test {
		var mx, sum float64
		for p := 0; p < img.W*img.H; p++ {
			var d float64
			for c := range 3 {
				e := float64(img.Pix[p*3+c]) - mean[p*3+c]
				d += e * e
			}
			mx = max(mx, d)
			sum += d
		}
		maxScore = append(maxScore, mx)
		meanScore = append(meanScore, sum/float64(img.W*img.H))
	}
	return maxScore, meanScore
}

func TestSyntheticNotTrivial(t *testing.T) {
	for _, name := range SyntheticCategories() {
		t.Run(name, func(t *testing.T) {
			cat, err := Synthetic(name, SyntheticOptions{Size: 128, Train: 30, Test: 40, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			train, _, err := LoadAll(cat.Train, 128, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			test, masks, err := LoadAll(cat.Test, 128, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			var labels []bool
			for i, s := range cat.Test {
				labels = append(labels, s.Anomalous)
				if area := masks[i].Area(); (area > 0) != s.Anomalous {
					t.Errorf("%s: anomalous %v but mask area %d", s.ImagePath, s.Anomalous, area)
				}
			}
			mx, mean := rawScores(train, test)
			aMax, aMean := auroc(mx, labels), auroc(mean, labels)
			t.Logf("raw-pixel image AUROC: max %.3f, mean %.3f", aMax, aMean)
			if aMax >= 0.9 || aMean >= 0.9 {
				t.Errorf("a raw-pixel difference from the mean image solves %s: AUROC max %.3f, mean %.3f", name, aMax, aMean)
			}
		})
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	opts := SyntheticOptions{Size: 64, Train: 4, Test: 8, Seed: 11}
	for _, name := range SyntheticCategories() {
		a, err := Synthetic(name, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Workers = 1 // a different schedule must give the same pixels
		b, err := Synthetic(name, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Workers = 0
		opts.Seed++
		c, err := Synthetic(name, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Seed--
		for i := range a.Test {
			pa, pb, pc := a.Test[i].Source.(*image.RGBA).Pix, b.Test[i].Source.(*image.RGBA).Pix, c.Test[i].Source.(*image.RGBA).Pix
			if !bytes.Equal(pa, pb) {
				t.Errorf("%s test %d: same seed, different pixels", name, i)
			}
			if bytes.Equal(pa, pc) {
				t.Errorf("%s test %d: seeds 11 and 12 give the same pixels", name, i)
			}
		}
		if bytes.Equal(a.Train[0].Source.(*image.RGBA).Pix, a.Train[1].Source.(*image.RGBA).Pix) {
			t.Errorf("%s: two normal images are identical", name)
		}
	}
}

func TestSyntheticLayout(t *testing.T) {
	cat, err := Synthetic("pill", SyntheticOptions{Size: 32, Train: 10, Test: 9, DefectFraction: 0.6, ValFraction: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Train) != 8 || len(cat.Val) != 2 || len(cat.Test) != 9 {
		t.Fatalf("%d train, %d val, %d test; want 8, 2, 9", len(cat.Train), len(cat.Val), len(cat.Test))
	}
	got := countDefects(cat.Test)
	want := map[string]int{GoodDefect: 4, "crack": 2, "missing": 1, "colour": 1, "contamination": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("test defects %v, want %v", got, want)
			break
		}
	}
	names := map[string]bool{}
	for _, s := range cat.Test {
		if names[s.Name] || s.Split != SplitTest || !s.HasMask || s.Anomalous != (s.MaskSource != nil) {
			t.Errorf("bad test sample %+v", s)
		}
		names[s.Name] = true
	}
	if _, err := Synthetic("marble", SyntheticOptions{}); err == nil {
		t.Error("unknown category: no error")
	}
	if len(SyntheticCategories()) < 3 || len(SyntheticDefects("weave")) < 3 {
		t.Errorf("categories %v, weave defects %v", SyntheticCategories(), SyntheticDefects("weave"))
	}
}

// BenchmarkSynthetic measures the generation of 100 default-size images per category.
func BenchmarkSynthetic(b *testing.B) {
	for range b.N {
		for _, name := range SyntheticCategories() {
			if _, err := Synthetic(name, SyntheticOptions{Train: 60, Test: 40}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(300*b.N)/b.Elapsed().Seconds(), "images/s")
}
