package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/goadtr/goadtr/internal/atomicfile"
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

// writeAtomic writes data to path atomically, creating its directory when needed.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}
