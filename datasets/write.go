package datasets

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// WriteMVTec writes a category under dir in MVTec AD layout, so that OpenMVTec reads it back
// with the same labels: Train and Val samples go to train/good, Test samples to test/<Defect>
// (test/good for normal ones), masks of anomalous samples to ground_truth/<Defect>/<Name>_mask.png
// with 0 for normal and 255 for anomalous pixels. Images are written as PNG at their source
// resolution, named <Name>.png; file samples are decoded and re-encoded. Two samples that
// would share a file name are an error.
func WriteMVTec(cat *Category, dir string) error {
	written := map[string]bool{}
	for _, group := range [][]Sample{cat.Train, cat.Val, cat.Test} {
		for _, s := range group {
			if err := writeSample(s, dir, written); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeSample writes one sample's image and, for an anomalous sample with a mask, its mask.
func writeSample(s Sample, dir string, written map[string]bool) error {
	if s.Name == "" || s.Defect == "" {
		return fmt.Errorf("write %s: sample needs a Name and a Defect", s.ImagePath)
	}
	split := "test"
	if s.Split != SplitTest {
		split = "train"
	}
	path := filepath.Join(dir, split, s.Defect, s.Name+".png")
	if written[path] {
		return fmt.Errorf("write %s: two samples named %q in %s/%s", s.ImagePath, s.Name, split, s.Defect)
	}
	written[path] = true
	src := s.Source
	if src == nil {
		var err error
		if src, err = decodeFile(s.ImagePath); err != nil {
			return fmt.Errorf("image %s: %w", s.ImagePath, err)
		}
	}
	if err := savePNG(path, src); err != nil {
		return err
	}
	if !s.Anomalous || !s.HasMask {
		return nil
	}
	mask := s.MaskSource
	if mask == nil {
		var err error
		if mask, err = decodeFile(s.MaskPath); err != nil {
			return fmt.Errorf("mask %s: %w", s.MaskPath, err)
		}
	}
	return savePNG(filepath.Join(dir, "ground_truth", s.Defect, s.Name+maskSuffix), binaryMask(mask).ToGray())
}

// savePNG creates path's directory and writes img there as PNG.
func savePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
