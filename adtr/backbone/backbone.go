package backbone

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Backbone is a frozen CNN with its weights folded for inference: every BatchNorm is merged into the
// preceding convolution (per-channel scale into the weights, shift as a bias) and the weights are
// stored in the layouts the graph uses. It is immutable and safe for concurrent use.
type Backbone struct {
	spec       Spec
	pretrained bool
	sha256     string
	// params holds the folded weights by "<conv name>.w" / "<conv name>.b" (see fold).
	params map[string]*tensors.Tensor
}

// Load reads the weights of architecture name (see SpecByName) from the safetensors file at
// weightsPath (timm tensor names, PyTorch layout). Every tensor the architecture needs must be
// present with the expected shape; extra tensors (e.g. the classifier) are ignored.
func Load(name, weightsPath string) (*Backbone, error) {
	spec, err := SpecByName(name)
	if err != nil {
		return nil, err
	}
	return LoadSpec(spec, weightsPath)
}

// LoadSpec is Load for an architecture given by its Spec (e.g. from NewEfficientNetSpec).
func LoadSpec(spec Spec, weightsPath string) (*Backbone, error) {
	name := spec.Name
	raw, err := ReadSafetensors(weightsPath)
	if err != nil {
		return nil, fmt.Errorf("backbone %s: %w", name, err)
	}
	for _, ts := range spec.Tensors() {
		t, ok := raw[ts.Name]
		if !ok {
			return nil, fmt.Errorf("backbone %s: weights %s: missing tensor %q (shape %v)", name, weightsPath, ts.Name, ts.Shape)
		}
		if t.DType() != dtypes.Float32 || !slices.Equal(t.Shape().Dimensions, ts.Shape) {
			return nil, fmt.Errorf("backbone %s: weights %s: tensor %q is %s, want float32 %v", name, weightsPath, ts.Name, t.Shape(), ts.Shape)
		}
	}
	sum, err := fileSHA256(weightsPath)
	if err != nil {
		return nil, fmt.Errorf("backbone %s: %w", name, err)
	}
	params, err := fold(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("backbone %s: weights %s: %w", name, weightsPath, err)
	}
	return &Backbone{spec: spec, pretrained: true, sha256: sum, params: params}, nil
}

// Random returns architecture name with randomly initialised weights (timm's EfficientNet init:
// convolutions ~ N(0, 2/fan_out), identity BatchNorm, zero biases), reproducible from seed. Its Name
// ends in "(random init)" so that every output that reports it is labelled.
func Random(name string, seed int64) (*Backbone, error) {
	spec, err := SpecByName(name)
	if err != nil {
		return nil, err
	}
	return RandomSpec(spec, seed)
}

// RandomSpec is Random for an architecture given by its Spec (e.g. from NewEfficientNetSpec).
func RandomSpec(spec Spec, seed int64) (*Backbone, error) {
	name := spec.Name
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6261636b626f6e65)) //nolint:gosec // Weights, not secrets.
	raw := make(map[string]*tensors.Tensor)
	for _, ts := range spec.Tensors() {
		data := make([]float32, shapeSize(ts.Shape))
		switch {
		case len(ts.Shape) == 4:
			groups := 1
			if ts.Shape[1] == 1 && ts.Shape[2] > 1 {
				groups = ts.Shape[0] // Depthwise.
			}
			fanOut := float64(ts.Shape[0]*ts.Shape[2]*ts.Shape[3]) / float64(groups)
			std := math.Sqrt(2 / fanOut)
			for i := range data {
				data[i] = float32(rng.NormFloat64() * std)
			}
		case strings.HasSuffix(ts.Name, ".weight") || strings.HasSuffix(ts.Name, ".running_var"):
			for i := range data {
				data[i] = 1
			}
		}
		raw[ts.Name] = tensors.FromFlatDataAndDimensions(data, ts.Shape...)
	}
	params, err := fold(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("backbone %s: %w", name, err)
	}
	return &Backbone{spec: spec, params: params}, nil
}

// Name returns the architecture name, followed by " (random init)" for randomly initialised weights.
func (b *Backbone) Name() string {
	if !b.pretrained {
		return b.spec.Name + " (random init)"
	}
	return b.spec.Name
}

// Pretrained reports whether the weights were loaded from a file.
func (b *Backbone) Pretrained() bool { return b.pretrained }

// WeightsSHA256 returns the hex SHA-256 of the weights file, or "" for random weights.
func (b *Backbone) WeightsSHA256() string { return b.sha256 }

// Spec returns the architecture.
func (b *Backbone) Spec() Spec { return b.spec }

// Channels returns the channel count of each requested tap. It panics on an invalid tap; validate
// user input with CheckTaps first.
func (b *Backbone) Channels(taps []int) []int { return b.spec.Channels(taps) }

// TapStrides returns the strides of the available feature taps: 2, 4, 8, 16, 32.
func (b *Backbone) TapStrides() []int { return b.spec.TapStrides() }

// CheckTaps returns an error unless taps is a non-empty, strictly increasing list of available strides.
func (b *Backbone) CheckTaps(taps []int) error { return b.spec.CheckTaps(taps) }

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func shapeSize(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
