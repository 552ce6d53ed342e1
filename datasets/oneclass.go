package datasets

import (
	"fmt"
	"path/filepath"
)

// OneClassFolders reads one-class semantic data stored as a folder per class:
//
//	<root>/train/<class>/*.png|jpg
//	<root>/test/<class>/*.png|jpg
//
// Class normal is the normal class (spec §5): Train holds its training images (Val a seeded
// part of them, see Options), Test holds every test image, anomalous when its class is not
// normal. Normal samples have Defect GoodDefect, anomalous ones their class name and no mask
// (HasMask false: semantic anomalies have no pixel ground truth). File problems follow
// Options.Lenient as in OpenMVTec. Category.Name is the normal class.
func OneClassFolders(root, normal string, opts Options) (*Category, error) {
	r := &reader{lenient: opts.Lenient}
	train, err := r.imageDir(filepath.Join(root, "train", normal), SplitTrain, GoodDefect, true)
	if err != nil {
		return nil, err
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("%s: no training images for class %q", filepath.Join(root, "train", normal), normal)
	}
	testDir := filepath.Join(root, "test")
	entries, ok, err := listDir(testDir)
	if err == nil && !ok {
		err = fmt.Errorf("%s: missing directory", testDir)
	}
	if err != nil {
		return nil, err
	}
	cat := &Category{Name: normal, Root: root}
	cat.Train, cat.Val = splitVal(train, opts.ValFraction, opts.Seed)
	for _, e := range entries {
		dir := filepath.Join(testDir, e.Name())
		if !e.IsDir() {
			if err := r.problem(fmt.Errorf("%s: expected a class directory", dir)); err != nil {
				return nil, err
			}
			continue
		}
		defect := e.Name()
		switch defect {
		case normal:
			defect = GoodDefect
		case GoodDefect:
			return nil, fmt.Errorf("%s: an anomalous class may not be named %q (it marks normal samples)", dir, GoodDefect)
		}
		samples, err := r.imageDir(dir, SplitTest, defect, true)
		if err != nil {
			return nil, err
		}
		cat.Test = append(cat.Test, samples...)
	}
	cat.Warnings = r.warnings
	return cat, nil
}
