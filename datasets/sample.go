package datasets

import (
	"image"
	"math"
	"math/rand/v2"
)

// Split names the part of a category a sample belongs to.
type Split string

// The splits of a Category.
const (
	SplitTrain Split = "train" // normal images to train on
	SplitVal   Split = "val"   // normal images held back from train (Options.ValFraction)
	SplitTest  Split = "test"  // normal and anomalous images to evaluate on
)

// GoodDefect is the Defect of normal samples (the MVTec folder name for defect-free images).
const GoodDefect = "good"

// Sample is one image of a category, read from a file or held in memory.
type Sample struct {
	// Name identifies the sample within its split and defect type (the file name without
	// extension for files); WriteMVTec uses it as the file name.
	Name string
	// ImagePath is the image file; for in-memory samples a descriptive pseudo-path.
	ImagePath string
	// MaskPath is the ground-truth mask file, or "" when there is none on disk.
	MaskPath string
	// Anomalous is the image label: true for any defect type other than GoodDefect.
	Anomalous bool
	// Defect is the defect type (GoodDefect for normal samples, a class name for one-class data).
	Defect string
	// HasMask reports whether a pixel mask is available: true for normal samples (all zero),
	// false for anomalous samples without a ground truth, which pixel metrics must skip.
	HasMask bool
	// Split is the part of the category the sample belongs to.
	Split Split
	// Source holds the pixels of an in-memory sample (synthetic or CIFAR data); nil for files.
	Source image.Image
	// MaskSource holds the mask of an in-memory anomalous sample (non-zero = anomalous).
	MaskSource image.Image
}

// Category is one data set with a single notion of "normal" (an MVTec category, a one-class
// split, a synthetic category).
type Category struct {
	// Name is the category name (directory base name, class name or synthetic category).
	Name string
	// Root is the directory it was read from ("" for in-memory data).
	Root string
	// Train holds the normal training images, Val the normal images held back from them,
	// Test the evaluation images.
	Train, Val, Test []Sample
	// Warnings lists the problems that were tolerated (missing masks, skipped files).
	Warnings []string
}

// Options configure the readers (OpenMVTec, OneClassFolders, OneClassCIFAR10).
type Options struct {
	// Lenient turns file problems (unreadable, corrupt or stray files, masks without images
	// or of the wrong size) into warnings, skipping the file, instead of errors.
	// Default false.
	Lenient bool
	// ValFraction is the fraction of the normal training images moved to Val, chosen at
	// random with Seed (at least one image stays in Train). Default 0: no validation split.
	ValFraction float64
	// Seed seeds the validation split. Default 0.
	Seed uint64
}

// splitVal moves round(fraction·n) randomly chosen training samples to the validation split,
// keeping at least one in train and the original order within each split.
func splitVal(train []Sample, fraction float64, seed uint64) (kept, val []Sample) {
	n := len(train)
	k := min(int(math.Round(fraction*float64(n))), n-1)
	if fraction <= 0 || k <= 0 {
		return train, nil
	}
	picked := make([]bool, n)
	for _, i := range rand.New(rand.NewPCG(seed, 0x7a1)).Perm(n)[:k] {
		picked[i] = true
	}
	for i, s := range train {
		if picked[i] {
			s.Split = SplitVal
			val = append(val, s)
		} else {
			kept = append(kept, s)
		}
	}
	return kept, val
}
