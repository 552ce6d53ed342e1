package datasets

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
)

// CIFAR10Classes are the CIFAR-10 class names, indexed by label.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// cifarSide is the side of a CIFAR image; a record is one label byte and the R, G and B planes.
const (
	cifarSide   = 32
	cifarRecord = 1 + 3*cifarSide*cifarSide
)

// OneClassCIFAR10 reads the CIFAR-10 binary batches in dir (data_batch_1.bin … data_batch_5.bin
// and test_batch.bin: records of one label byte followed by 1024 R, 1024 G and 1024 B bytes of
// a 32×32 image) for the one-class protocol with class index normal (0…9, see
// CIFAR10Classes): Train holds the training images of that class (Val a seeded part of them),
// Test all 10 000 test images, anomalous when their class differs. Images are kept in memory
// (Sample.Source); a sample's ImagePath is "<batch file>#<record>" and its Name
// "<batch>_<record>". A missing or malformed batch (size not a whole number of records, label
// above 9) is an error; with Options.Lenient a missing or malformed training batch is skipped
// with a warning.
func OneClassCIFAR10(dir string, normal int, opts Options) (*Category, error) {
	if normal < 0 || normal >= len(CIFAR10Classes) {
		return nil, fmt.Errorf("CIFAR-10 normal class %d: want 0..%d", normal, len(CIFAR10Classes)-1)
	}
	r := &reader{lenient: opts.Lenient}
	cat := &Category{Name: CIFAR10Classes[normal], Root: dir}
	var train []Sample
	for b := 1; b <= 5; b++ {
		samples, err := readCIFARBatch(filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b)), fmt.Sprintf("train%d", b), normal, SplitTrain)
		if err != nil {
			if err := r.problem(err); err != nil {
				return nil, err
			}
		}
		train = append(train, samples...)
	}
	if len(train) == 0 {
		return nil, fmt.Errorf("%s: no CIFAR-10 training images of class %d (%s)", dir, normal, cat.Name)
	}
	test, err := readCIFARBatch(filepath.Join(dir, "test_batch.bin"), "test", normal, SplitTest)
	if err != nil {
		return nil, err
	}
	cat.Train, cat.Val = splitVal(train, opts.ValFraction, opts.Seed)
	cat.Test = test
	cat.Warnings = r.warnings
	return cat, nil
}

// readCIFARBatch decodes one batch file. For the train split it keeps only class normal.
func readCIFARBatch(path, prefix string, normal int, split Split) ([]Sample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 || len(data)%cifarRecord != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte CIFAR-10 records", path, len(data), cifarRecord)
	}
	var samples []Sample
	for i := 0; i < len(data)/cifarRecord; i++ {
		rec := data[i*cifarRecord : (i+1)*cifarRecord]
		label := int(rec[0])
		if label >= len(CIFAR10Classes) {
			return nil, fmt.Errorf("%s: record %d has label %d (want 0..9)", path, i, label)
		}
		if split == SplitTrain && label != normal {
			continue
		}
		s := Sample{Name: fmt.Sprintf("%s_%05d", prefix, i), ImagePath: fmt.Sprintf("%s#%d", path, i),
			Defect: GoodDefect, HasMask: true, Split: split, Source: cifarImage(rec[1:])}
		if label != normal {
			s.Defect, s.Anomalous, s.HasMask = CIFAR10Classes[label], true, false
		}
		samples = append(samples, s)
	}
	return samples, nil
}

// cifarImage converts the R, G, B planes of a record to an RGBA image.
func cifarImage(planes []byte) *image.RGBA {
	const n = cifarSide * cifarSide
	img := image.NewRGBA(image.Rect(0, 0, cifarSide, cifarSide))
	for p := range n {
		img.Pix[p*4] = planes[p]
		img.Pix[p*4+1] = planes[n+p]
		img.Pix[p*4+2] = planes[2*n+p]
		img.Pix[p*4+3] = 255
	}
	return img
}
