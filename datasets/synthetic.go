package datasets

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"sync"
)

// SyntheticOptions configure Synthetic. Zero values mean the documented defaults.
type SyntheticOptions struct {
	// Size is the side of the square images. Default DefaultSize (256).
	Size int
	// Train is the number of normal training images (before the validation split). Default 60.
	Train int
	// Test is the number of test images. Default 40.
	Test int
	// DefectFraction is the fraction of test images that are defective, rounded; the defect
	// types are used in turn. Default 0.5.
	DefectFraction float64
	// Seed makes the data reproducible: the same seed and options give the same pixels.
	// Default 0.
	Seed uint64
	// ValFraction moves this fraction of the training images to Category.Val (see Options).
	// Default 0.
	ValFraction float64
	// Workers bounds the goroutines rendering images. Default runtime.NumCPU().
	Workers int
}

func (o SyntheticOptions) withDefaults() SyntheticOptions {
	if o.Size <= 0 {
		o.Size = DefaultSize
	}
	if o.Train <= 0 {
		o.Train = 60
	}
	if o.Test <= 0 {
		o.Test = 40
	}
	if o.DefectFraction <= 0 {
		o.DefectFraction = 0.5
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	return o
}

// renderFunc draws one image of a synthetic category at size×size. defect is "" for a normal
// image; otherwise it returns the defect's coverage (alpha in [0, 1], 0.5 and above is in the
// mask).
type renderFunc func(rng *rand.Rand, size int, defect string) (*canvas, []float32)

// synthCategory is one synthetic category: its defect types and its renderer.
type synthCategory struct {
	name    string
	defects []string
	render  renderFunc
}

// synthCategories lists the synthetic categories, in the order of SyntheticCategories.
var synthCategories = []synthCategory{
	{"weave", []string{"hole", "thread", "stain", "hair"}, renderWeave},
	{"stone", []string{"crack", "stain", "scratch", "chip"}, renderStone},
	{"pill", []string{"crack", "missing", "colour", "contamination"}, renderPill},
}

// SyntheticCategories returns the names accepted by Synthetic: "weave" (a regular plain-weave
// fabric), "stone" (a stochastic granite-like texture) and "pill" (a capsule on a plain
// background).
func SyntheticCategories() []string {
	names := make([]string, len(synthCategories))
	for i, c := range synthCategories {
		names[i] = c.name
	}
	return names
}

// SyntheticDefects returns the defect types of a synthetic category (nil for an unknown name).
func SyntheticDefects(category string) []string {
	for _, c := range synthCategories {
		if c.name == category {
			return append([]string(nil), c.defects...)
		}
	}
	return nil
}

// Synthetic generates a category of defect-inspection images in memory, deterministically
// from opts.Seed. Normal images vary (position, rotation, lighting, texture phase and
// stochastic detail); defective test images carry one defect each, of the category's types
// in turn, with an exact mask (the pixels the defect covers by half or more). Test holds the
// normal images first, then the defective ones grouped by type. Every sample keeps its pixels
// in Sample.Source (and Sample.MaskSource), so LoadImage/LoadMask/WriteMVTec treat it like a
// file.
func Synthetic(category string, opts SyntheticOptions) (*Category, error) {
	var sc *synthCategory
	for i := range synthCategories {
		if synthCategories[i].name == category {
			sc = &synthCategories[i]
		}
	}
	if sc == nil {
		return nil, fmt.Errorf("synthetic category %q: unknown (have %v)", category, SyntheticCategories())
	}
	opts = opts.withDefaults()
	nDefect := min(int(opts.DefectFraction*float64(opts.Test)+0.5), opts.Test)
	nGood := opts.Test - nDefect
	// One job per image: its split, its defect type ("" for normal) and its sample name.
	type job struct {
		split  Split
		defect string
		name   string
	}
	var jobs []job
	for i := range opts.Train {
		jobs = append(jobs, job{SplitTrain, "", fmt.Sprintf("%03d", i)})
	}
	for i := range nGood {
		jobs = append(jobs, job{SplitTest, "", fmt.Sprintf("%03d", i)})
	}
	for k, d := range sc.defects {
		for i := k; i < nDefect; i += len(sc.defects) {
			jobs = append(jobs, job{SplitTest, d, fmt.Sprintf("%03d", nGood+i)})
		}
	}
	h := fnv.New64a()
	h.Write([]byte(category))
	catSeed := h.Sum64()
	samples := make([]Sample, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(opts.Workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				j := jobs[i]
				// Each image has its own stream, so results do not depend on scheduling, and
				// the train images do not change when only the test size changes.
				stream := catSeed + uint64(i)
				if j.split == SplitTest {
					stream = (catSeed ^ 0x5e57<<32) + uint64(i-opts.Train)
				}
				rng := rand.New(rand.NewPCG(opts.Seed, stream))
				c, cover := sc.render(rng, opts.Size, j.defect)
				s := Sample{Name: j.name, Split: j.split, Defect: GoodDefect, HasMask: true, Source: c.rgba()}
				dir := GoodDefect
				if j.defect != "" {
					s.Defect, s.Anomalous, dir = j.defect, true, j.defect
					s.MaskSource = maskFrom(opts.Size, opts.Size, cover).ToGray()
				}
				s.ImagePath = fmt.Sprintf("synthetic:%s/%s/%s/%s", category, j.split, dir, j.name)
				samples[i] = s
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	cat := &Category{Name: category, Test: samples[opts.Train:]}
	cat.Train, cat.Val = splitVal(samples[:opts.Train], opts.ValFraction, opts.Seed)
	return cat, nil
}
