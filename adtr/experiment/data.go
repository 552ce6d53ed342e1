// Package experiment runs ADTR end to end — data, frozen features, training, threshold, evaluation,
// reports — and reopens a trained model for evaluation and prediction. The adtr command and the
// notebooks are thin layers over it.
package experiment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goadtr/goadtr/datasets"
)

// SyntheticSource selects the embedded synthetic defect data (no download).
const SyntheticSource = "synthetic"

// DefaultValFraction is the default fraction of normal training images held back to choose the
// decision threshold.
const DefaultValFraction = 0.15

// Data selects one category to train or evaluate on.
type Data struct {
	// Source is "synthetic" or a directory: an MVTec-layout category root (holding train/good) or a
	// data-set root holding one such directory per category.
	Source string
	// Category names the category: a synthetic category (datasets.SyntheticCategories) or a
	// sub-directory of Source. Empty when Source is itself a category root.
	Category string
	// Synthetic sizes the synthetic data (image size is always the model's input size).
	Synthetic datasets.SyntheticOptions
	// ValFraction is the fraction of train/good held back for the threshold. Default
	// DefaultValFraction; negative means none (the threshold then comes from training images).
	ValFraction float64
	// Seed seeds the validation split and the synthetic generator.
	Seed uint64
	// Lenient skips unreadable files with a warning instead of failing.
	Lenient bool
}

// Open reads (or generates) the category's sample list.
func (d Data) Open(inputSize int) (*datasets.Category, error) {
	val := d.ValFraction
	switch {
	case val == 0:
		val = DefaultValFraction
	case val < 0:
		val = 0
	}
	if d.Source == SyntheticSource || d.Source == "" {
		if d.Category == "" {
			return nil, fmt.Errorf("synthetic data needs a category, one of %v", datasets.SyntheticCategories())
		}
		opts := d.Synthetic
		opts.Size, opts.ValFraction, opts.Seed = inputSize, val, d.Seed
		return datasets.Synthetic(d.Category, opts)
	}
	root := d.Source
	if d.Category != "" && !isCategoryRoot(root) {
		root = filepath.Join(root, d.Category)
	}
	if !isCategoryRoot(root) {
		return nil, fmt.Errorf("data %s: not an MVTec-layout category (no train/good); pass the category root or its parent with a category name", root)
	}
	return datasets.OpenMVTec(root, datasets.Options{ValFraction: val, Seed: d.Seed, Lenient: d.Lenient})
}

// Name returns the category's display name.
func (d Data) Name() string {
	if d.Category != "" {
		return d.Category
	}
	return filepath.Base(filepath.Clean(d.Source))
}

// isCategoryRoot reports whether dir holds train/good.
func isCategoryRoot(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "train", "good"))
	return err == nil && st.IsDir()
}

// Categories lists the categories under a data-set root (directories holding train/good), or the
// synthetic categories for "synthetic".
func Categories(source string) ([]string, error) {
	if source == SyntheticSource || source == "" {
		return datasets.SyntheticCategories(), nil
	}
	if isCategoryRoot(source) {
		return []string{""}, nil
	}
	entries, err := os.ReadDir(source)
	if err != nil {
		return nil, fmt.Errorf("data %s: %w", source, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && isCategoryRoot(filepath.Join(source, e.Name())) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("data %s: %w: no MVTec-layout category (a directory with train/good) inside", source, fs.ErrNotExist)
	}
	return names, nil
}

// errNoData reports a split with no images.
var errNoData = errors.New("no images")
