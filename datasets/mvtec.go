package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maskSuffix ends every MVTec ground-truth file name: ground_truth/<defect>/<name>_mask.png.
const maskSuffix = "_mask.png"

// OpenMVTec reads the file list of one category in MVTec AD layout:
//
//	<root>/train/good/*.png|jpg          normal training images (required, non-empty)
//	<root>/test/good/*                   normal test images (optional)
//	<root>/test/<defect>/*               anomalous test images
//	<root>/ground_truth/<defect>/<name>_mask.png   their masks (optional per image)
//
// It checks every file's header, that it is not truncated, and that each mask has its image's
// size, without decoding pixels (LoadImage/LoadAll do that). Hidden files (names starting
// with ".") are ignored. An anomalous image without a mask is kept with HasMask false and
// reported in Category.Warnings. Any other problem (corrupt, truncated or non-image file,
// mask of the wrong size, mask without an image, a path that is not a readable directory)
// is an error naming the file, or a warning and a skip with Options.Lenient. A missing or
// empty train/good is always an error; a missing test directory or test/good is a warning.
func OpenMVTec(root string, opts Options) (*Category, error) {
	r := &reader{lenient: opts.Lenient}
	cat := &Category{Name: filepath.Base(filepath.Clean(root)), Root: root}
	train, err := r.imageDir(filepath.Join(root, "train", GoodDefect), SplitTrain, GoodDefect, true)
	if err != nil {
		return nil, err
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("%s: no training images", filepath.Join(root, "train", GoodDefect))
	}
	cat.Train, cat.Val = splitVal(train, opts.ValFraction, opts.Seed)
	if cat.Test, err = r.testSet(root); err != nil {
		return nil, err
	}
	cat.Warnings = r.warnings
	return cat, nil
}

// reader accumulates warnings and applies the strict/lenient policy while reading a tree.
type reader struct {
	lenient  bool
	warnings []string
}

// problem returns err in strict mode; in lenient mode it records err as a warning and returns nil.
func (r *reader) problem(err error) error {
	if !r.lenient {
		return err
	}
	r.warn("skipped: %v", err)
	return nil
}

func (r *reader) warn(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// listDir returns the sorted non-hidden entries of dir. A missing dir returns ok=false and no
// error; a path that exists but is not a readable directory (a file, a dangling link) is an error.
func listDir(dir string) (entries []fs.DirEntry, ok bool, err error) {
	if _, lerr := os.Lstat(dir); errors.Is(lerr, fs.ErrNotExist) {
		return nil, false, nil
	}
	all, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, fmt.Errorf("%s: not a readable directory: %w", dir, err)
	}
	for _, e := range all {
		if !strings.HasPrefix(e.Name(), ".") {
			entries = append(entries, e)
		}
	}
	return entries, true, nil
}

// probed is an image file whose header has been checked.
type probed struct {
	path string
	w, h int
}

// imageFiles lists and probes the image files of dir, keyed by name without extension.
// Sub-directories, non-image files, unreadable images and duplicate names are problems.
func (r *reader) imageFiles(dir string, entries []fs.DirEntry) (names []string, files map[string]probed, err error) {
	files = map[string]probed{}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		stem := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		var perr error
		switch {
		case e.IsDir():
			perr = fmt.Errorf("%s: unexpected directory among images", path)
		case !imageExt(e.Name()):
			perr = fmt.Errorf("%s: not an image file (want .png, .jpg or .jpeg)", path)
		default:
			if _, dup := files[stem]; dup {
				perr = fmt.Errorf("%s: another image in %s is also named %q", path, dir, stem)
				break
			}
			w, h, err := probeImage(path)
			if err != nil {
				perr = err
				break
			}
			files[stem] = probed{path: path, w: w, h: h}
			names = append(names, stem)
		}
		if perr != nil {
			if err := r.problem(perr); err != nil {
				return nil, nil, err
			}
		}
	}
	return names, files, nil
}

// imageDir returns the samples of one image directory (all with the given split and defect).
// A missing or unreadable directory is an error when required; otherwise a missing one is a
// warning and an unreadable one a problem.
func (r *reader) imageDir(dir string, split Split, defect string, required bool) ([]Sample, error) {
	entries, ok, err := listDir(dir)
	if err != nil {
		if required {
			return nil, err
		}
		return nil, r.problem(err)
	}
	if !ok {
		if required {
			return nil, fmt.Errorf("%s: missing directory", dir)
		}
		r.warn("%s: missing directory", dir)
		return nil, nil
	}
	names, files, err := r.imageFiles(dir, entries)
	if err != nil {
		return nil, err
	}
	samples := make([]Sample, len(names))
	for i, name := range names {
		samples[i] = Sample{Name: name, ImagePath: files[name].path, Anomalous: defect != GoodDefect,
			Defect: defect, HasMask: defect == GoodDefect, Split: split}
	}
	return samples, nil
}

// testSet reads test/good and every test/<defect> with its masks.
func (r *reader) testSet(root string) ([]Sample, error) {
	testDir := filepath.Join(root, "test")
	entries, ok, err := listDir(testDir)
	if err != nil {
		return nil, err
	}
	if !ok {
		r.warn("%s: missing directory, no test samples", testDir)
		return nil, nil
	}
	good, err := r.imageDir(filepath.Join(testDir, GoodDefect), SplitTest, GoodDefect, false)
	if err != nil {
		return nil, err
	}
	test := good
	defects := map[string]bool{}
	for _, e := range entries {
		path := filepath.Join(testDir, e.Name())
		if e.Name() == GoodDefect {
			continue
		}
		if !e.IsDir() {
			if err := r.problem(fmt.Errorf("%s: expected a defect directory", path)); err != nil {
				return nil, err
			}
			continue
		}
		defects[e.Name()] = true
		samples, err := r.defectDir(root, e.Name())
		if err != nil {
			return nil, err
		}
		test = append(test, samples...)
	}
	return test, r.orphanMasks(root, defects)
}

// defectDir reads test/<defect> and matches each image with ground_truth/<defect>/<name>_mask.png.
func (r *reader) defectDir(root, defect string) ([]Sample, error) {
	samples, err := r.imageDir(filepath.Join(root, "test", defect), SplitTest, defect, true)
	if err != nil {
		return nil, err
	}
	gtDir := filepath.Join(root, "ground_truth", defect)
	entries, _, err := listDir(gtDir)
	if err != nil {
		return nil, r.problem(err)
	}
	masks := map[string]string{}
	var order []string // mask names in directory order, for deterministic messages
	for _, e := range entries {
		path := filepath.Join(gtDir, e.Name())
		if e.IsDir() || !strings.HasSuffix(e.Name(), maskSuffix) {
			if err := r.problem(fmt.Errorf("%s: not a mask file (want <name>%s)", path, maskSuffix)); err != nil {
				return nil, err
			}
			continue
		}
		name := strings.TrimSuffix(e.Name(), maskSuffix)
		masks[name] = path
		order = append(order, name)
	}
	for i := range samples {
		s := &samples[i]
		path, ok := masks[s.Name]
		delete(masks, s.Name)
		if !ok {
			r.warn("%s: no ground-truth mask; pixel metrics will skip it", s.ImagePath)
			continue
		}
		if err := r.checkMask(s, path); err != nil {
			return nil, err
		}
	}
	for _, name := range order {
		path, unused := masks[name]
		if !unused {
			continue
		}
		if err := r.problem(fmt.Errorf("%s: mask without an image (no %s.* in test/%s)", path, name, defect)); err != nil {
			return nil, err
		}
	}
	return samples, nil
}

// checkMask probes a mask file and attaches it to s when it is readable and has s's size.
func (r *reader) checkMask(s *Sample, maskPath string) error {
	mw, mh, err := probeImage(maskPath)
	if err == nil {
		var iw, ih int
		if iw, ih, err = probeImage(s.ImagePath); err == nil && (mw != iw || mh != ih) {
			err = fmt.Errorf("mask %s is %dx%d but its image %s is %dx%d", maskPath, mw, mh, s.ImagePath, iw, ih)
		}
	}
	if err != nil {
		if err := r.problem(err); err != nil {
			return err
		}
		r.warn("%s: mask unusable; pixel metrics will skip it", s.ImagePath)
		return nil
	}
	s.MaskPath, s.HasMask = maskPath, true
	return nil
}

// orphanMasks reports ground_truth/<defect> directories without a test/<defect> directory.
func (r *reader) orphanMasks(root string, defects map[string]bool) error {
	gtRoot := filepath.Join(root, "ground_truth")
	entries, _, err := listDir(gtRoot)
	if err != nil {
		return r.problem(err)
	}
	for _, e := range entries {
		if !defects[e.Name()] {
			path := filepath.Join(gtRoot, e.Name())
			if err := r.problem(fmt.Errorf("%s: masks without images (no test/%s)", path, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
