package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// SavePNG writes img to path as PNG, atomically: readers see the old file or the whole new one.
func SavePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("plots: encoding %s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}

// SaveSVG writes an SVG document to path, atomically.
func SaveSVG(path, svg string) error {
	return writeAtomic(path, []byte(svg))
}

// writeAtomic writes data to a temporary file next to path and renames it over path.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	return nil
}
