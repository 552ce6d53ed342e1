package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder used by image.Decode
	_ "image/png"  // registers the PNG decoder used by image.Decode
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"golang.org/x/image/draw"
)

// DefaultSize is the side of the square images fed to the model (spec §4: 256×256).
const DefaultSize = 256

// ImageNetMean and ImageNetStd are the per-channel (R, G, B) statistics used to normalise
// images scaled to [0, 1] (spec §4).
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// ErrNoMask is returned by LoadMask for an anomalous sample without a ground-truth mask:
// pixel metrics must skip such a sample.
var ErrNoMask = errors.New("no ground-truth mask")

// Image is an RGB image with values in [0, 1], stored row-major in HWC order:
// Pix[(y*W+x)*3+c] for channel c (0 = R, 1 = G, 2 = B).
type Image struct {
	W, H int
	Pix  []float32
}

// Mask is a binary pixel mask stored row-major: Pix[y*W+x] is 1 for an anomalous pixel, else 0.
type Mask struct {
	W, H int
	Pix  []uint8
}

// Area returns the number of anomalous pixels.
func (m *Mask) Area() int {
	n := 0
	for _, v := range m.Pix {
		n += int(v)
	}
	return n
}

// NewImage returns a black w×h image.
func NewImage(w, h int) *Image { return &Image{W: w, H: h, Pix: make([]float32, w*h*3)} }

// NewMask returns an all-normal w×h mask.
func NewMask(w, h int) *Mask { return &Mask{W: w, H: h, Pix: make([]uint8, w*h)} }

// ToRGBA converts the image to an 8-bit opaque *image.RGBA (values clamped to [0, 1] and rounded).
func (img *Image) ToRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		for c := 0; c < 3; c++ {
			out.Pix[i*4+c] = to8(img.Pix[i*3+c])
		}
		out.Pix[i*4+3] = 255
	}
	return out
}

// ToGray converts the mask to an 8-bit image with 0 for normal and 255 for anomalous pixels
// (the MVTec ground-truth convention).
func (m *Mask) ToGray() *image.Gray {
	out := image.NewGray(image.Rect(0, 0, m.W, m.H))
	for i, v := range m.Pix {
		out.Pix[i] = v * 255
	}
	return out
}

func to8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 1:
		return 255
	}
	return uint8(v*255 + 0.5)
}

// LoadImage returns the sample's image resized to size×size (stretching if the aspect ratio
// differs). Shrinking uses the Catmull-Rom kernel widened by the scale factor (antialiased);
// enlarging uses plain Catmull-Rom. Any colour model is accepted (gray, RGB, RGBA, paletted,
// 8 or 16 bit); pixels are converted to 8-bit premultiplied RGB, i.e. transparent regions
// are composited over black. size <= 0 means DefaultSize.
func LoadImage(s Sample, size int) (*Image, error) {
	src := s.Source
	if src == nil {
		var err error
		if src, err = decodeFile(s.ImagePath); err != nil {
			return nil, fmt.Errorf("image %s: %w", s.ImagePath, err)
		}
	}
	return resizeRGB(src, sizeOrDefault(size)), nil
}

// LoadMask returns the sample's ground-truth mask resized to size×size with nearest neighbour
// (a source pixel with any non-zero R, G or B value is anomalous). A normal sample gets an
// all-zero mask; an anomalous sample without a mask returns ErrNoMask. size <= 0 means
// DefaultSize.
func LoadMask(s Sample, size int) (*Mask, error) {
	size = sizeOrDefault(size)
	if !s.Anomalous {
		return NewMask(size, size), nil
	}
	if !s.HasMask {
		return nil, fmt.Errorf("sample %s: %w", s.ImagePath, ErrNoMask)
	}
	src := s.MaskSource
	if src == nil {
		var err error
		if src, err = decodeFile(s.MaskPath); err != nil {
			return nil, fmt.Errorf("mask %s: %w", s.MaskPath, err)
		}
	}
	return binaryMask(src).Resize(size), nil
}

func sizeOrDefault(size int) int {
	if size <= 0 {
		return DefaultSize
	}
	return size
}

// Normalize returns the image's pixels in HWC order normalised with ImageNetMean/ImageNetStd.
func Normalize(img *Image) []float32 {
	out := make([]float32, len(img.Pix))
	normalizeInto(out, img)
	return out
}

func normalizeInto(out []float32, img *Image) {
	for i, v := range img.Pix {
		c := i % 3
		out[i] = (v - ImageNetMean[c]) / ImageNetStd[c]
	}
}

// Batch stacks normalised images into one float32 tensor of shape [B, H, W, 3] (NHWC).
// All images must have the same size and there must be at least one.
func Batch(images []*Image) (*tensors.Tensor, error) {
	if len(images) == 0 {
		return nil, errors.New("batch: no images")
	}
	w, h := images[0].W, images[0].H
	n := w * h * 3
	data := make([]float32, len(images)*n)
	for i, img := range images {
		if img.W != w || img.H != h {
			return nil, fmt.Errorf("batch: image %d is %dx%d, image 0 is %dx%d", i, img.W, img.H, w, h)
		}
		normalizeInto(data[i*n:(i+1)*n], img)
	}
	return tensors.FromFlatDataAndDimensions(data, len(images), h, w, 3), nil
}

// resizeRGB converts src to an Image of size×size.
func resizeRGB(src image.Image, size int) *Image {
	sr := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	if sr.Dx() == size && sr.Dy() == size {
		draw.Draw(dst, dst.Bounds(), src, sr.Min, draw.Src)
	} else {
		if _, ok := src.(*image.RGBA); !ok {
			// Convert once: the scaler would otherwise convert each source pixel once per tap.
			rgba := image.NewRGBA(sr)
			draw.Draw(rgba, sr, src, sr.Min, draw.Src)
			src = rgba
		}
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, sr, draw.Src, nil)
	}
	img := NewImage(size, size)
	for i := 0; i < size*size; i++ {
		for c := 0; c < 3; c++ {
			img.Pix[i*3+c] = float32(dst.Pix[i*4+c]) / 255
		}
	}
	return img
}

// binaryMask marks every pixel of src with a non-zero (premultiplied) R, G or B value.
func binaryMask(src image.Image) *Mask {
	b := src.Bounds()
	m := NewMask(b.Dx(), b.Dy())
	if g, ok := src.(*image.Gray); ok {
		for y := 0; y < m.H; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+m.W]
			for x, v := range row {
				if v > 0 {
					m.Pix[y*m.W+x] = 1
				}
			}
		}
		return m
	}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			r, g, bl, _ := src.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if r|g|bl != 0 {
				m.Pix[y*m.W+x] = 1
			}
		}
	}
	return m
}

// Resize returns the mask scaled to size×size with nearest neighbour (pixel centres mapped).
func (m *Mask) Resize(size int) *Mask {
	if m.W == size && m.H == size {
		return &Mask{W: size, H: size, Pix: append([]uint8(nil), m.Pix...)}
	}
	out := NewMask(size, size)
	for y := 0; y < size; y++ {
		sy := (2*y + 1) * m.H / (2 * size)
		for x := 0; x < size; x++ {
			sx := (2*x + 1) * m.W / (2 * size)
			out.Pix[y*size+x] = m.Pix[sy*m.W+sx]
		}
	}
	return out
}

// imageExt reports whether name has an image extension this package reads (.png, .jpg, .jpeg).
func imageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

func decodeFile(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return img, nil
}

// tailLen is how many trailing bytes probeImage searches for the format's end marker.
const tailLen = 4096

// probeImage reads an image file's header and checks that the file ends with its format's
// end marker (PNG IEND chunk, JPEG EOI), which catches truncated downloads without decoding
// the pixels. It returns the image's width and height.
func probeImage(path string) (w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: not a readable PNG or JPEG image: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	start := max(st.Size()-tailLen, 0)
	tail := make([]byte, st.Size()-start)
	if _, err := f.ReadAt(tail, start); err != nil && err != io.EOF {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	marker := map[string][]byte{"png": []byte("IEND"), "jpeg": {0xFF, 0xD9}}[format]
	if !bytes.Contains(tail, marker) {
		return 0, 0, fmt.Errorf("%s: truncated %s file (no end marker)", path, format)
	}
	return cfg.Width, cfg.Height, nil
}
