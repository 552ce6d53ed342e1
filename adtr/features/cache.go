package features

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/datasets"
	"github.com/goadtr/goadtr/internal/atomicfile"
)

// Options control ExtractAll.
type Options struct {
	// BatchSize is the number of images per backbone call. Default 8.
	BatchSize int
	// CacheDir, when not empty, keeps each image's f on disk, keyed by Extractor.Describe and the
	// image's values, so a later run (another epoch count, evaluation, prediction) skips the
	// backbone. Default "" (memory only).
	CacheDir string
	// Progress receives one progress line per batch ("features 40/100 12.3 img/s"); nil is silent.
	Progress io.Writer
	// Label prefixes progress lines, e.g. "train". Default "features".
	Label string
}

// ExtractAll returns f for every image as one [N, H, W, C] tensor, in the order of images. Images
// must be InputSize×InputSize. Cached entries are read instead of recomputed; new ones are written
// atomically. It stops between batches when ctx is cancelled.
func (e *Extractor) ExtractAll(ctx context.Context, images []*datasets.Image, opts Options) (*tensors.Tensor, error) {
	if len(images) == 0 {
		return nil, errors.New("features: no images")
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 8
	}
	label := opts.Label
	if label == "" {
		label = "features"
	}
	grid, size := e.Grid(), e.cfg.InputSize
	per := grid * grid * e.channels
	out := make([]float32, len(images)*per)

	// Normalise every image and look it up in the cache; the misses are computed in batches.
	var missing []int
	normalized := make([][]float32, len(images))
	keys := make([]string, len(images))
	for i, img := range images {
		if img.W != size || img.H != size {
			return nil, fmt.Errorf("features: image %d is %dx%d, want %dx%d", i, img.W, img.H, size, size)
		}
		normalized[i] = datasets.Normalize(img)
		keys[i] = e.imageKey(normalized[i])
		if opts.CacheDir != "" {
			ok, err := readEntry(e.entryPath(opts.CacheDir, keys[i]), out[i*per:(i+1)*per])
			if err != nil {
				return nil, err
			}
			if ok {
				continue
			}
		}
		missing = append(missing, i)
	}
	if opts.Progress != nil && len(missing) < len(images) {
		fmt.Fprintf(opts.Progress, "%s: %d of %d images from the feature cache %s\n", label, len(images)-len(missing), len(images), opts.CacheDir)
	}

	start := time.Now()
	for lo := 0; lo < len(missing); lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		idx := missing[lo:min(lo+batch, len(missing))]
		flat := make([]float32, 0, len(idx)*size*size*3)
		for _, i := range idx {
			flat = append(flat, normalized[i]...)
		}
		f, err := e.Extract(tensors.FromFlatDataAndDimensions(flat, len(idx), size, size, 3))
		if err != nil {
			return nil, err
		}
		values, err := tensors.CopyFlatData[float32](f)
		f.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		for j, i := range idx {
			copy(out[i*per:(i+1)*per], values[j*per:(j+1)*per])
			if opts.CacheDir != "" {
				if err := writeEntry(e.entryPath(opts.CacheDir, keys[i]), values[j*per:(j+1)*per]); err != nil {
					return nil, err
				}
			}
		}
		if opts.Progress != nil {
			done := lo + len(idx)
			rate := float64(done) / time.Since(start).Seconds()
			fmt.Fprintf(opts.Progress, "%s: %d/%d images through %s, %.1f img/s\n", label, done, len(missing), e.source(), rate)
		}
	}
	return tensors.FromFlatDataAndDimensions(out, len(images), grid, grid, e.channels), nil
}

// source names what computes f, for progress lines.
func (e *Extractor) source() string {
	if e.backbone == nil {
		return "pixel patches"
	}
	return e.backbone.Name()
}

// entryPath is the cache file of one image: <dir>/<first two hex digits>/<key>.f32.
func (e *Extractor) entryPath(dir, key string) string {
	return filepath.Join(dir, key[:2], key+".f32")
}

// entryMagic starts every cache file; the value count follows as a little-endian uint64.
const entryMagic = "GOADTRF1"

// readEntry fills dst from the cache file at path. It reports false when there is no entry, and an
// error when the entry exists but is unreadable or of the wrong size (never silently wrong data).
func readEntry(path string, dst []float32) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("feature cache %s: %w", path, err)
	}
	want := len(entryMagic) + 8 + 4*len(dst)
	if len(data) != want || string(data[:len(entryMagic)]) != entryMagic ||
		binary.LittleEndian.Uint64(data[len(entryMagic):]) != uint64(len(dst)) {
		return false, fmt.Errorf("feature cache %s: corrupt entry (%d bytes, want %d); delete it", path, len(data), want)
	}
	body := data[len(entryMagic)+8:]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return true, nil
}

// writeEntry stores values at path atomically.
func writeEntry(path string, values []float32) error {
	buf := make([]byte, len(entryMagic)+8, len(entryMagic)+8+4*len(values))
	copy(buf, entryMagic)
	binary.LittleEndian.PutUint64(buf[len(entryMagic):], uint64(len(values)))
	if err := atomicfile.Write(path, append(buf, float32Bytes(values)...)); err != nil {
		return fmt.Errorf("feature cache: %w", err)
	}
	return nil
}

// float32Bytes encodes values as little-endian bytes.
func float32Bytes(values []float32) []byte {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
