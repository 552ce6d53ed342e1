package experiment

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/evaluate"
	"github.com/goadtr/goadtr/internal/atomicfile"
)

// NormalMapFile holds, in a model directory, the mean anomaly map of the normal training images
// used by Config.NormalMapCalibration: Size×Size little-endian float32 values.
const NormalMapFile = "normal-map.f32"

// calibrator divides anomaly maps by the mean normal anomaly map (the error a normal image
// typically has at each pixel) and recomputes the image scores with the model's score rule
// (Config.NormalMapCalibration). A calibrated map is about 1 on normal regions.
type calibrator struct {
	mean []float32
	size int
	exec *Exec
}

// newCalibrator compiles the calibration graph for cfg around the mean normal map.
func newCalibrator(b compute.Backend, cfg *adtr.Config, mean []float32) (*calibrator, error) {
	size := cfg.InputSize
	if len(mean) != size*size {
		return nil, fmt.Errorf("normal map has %d values, want %d×%d", len(mean), size, size)
	}
	exec, err := NewExec(b, func(maps, mean *Node) (*Node, *Node) {
		calibrated := Div(maps, AddScalar(mean, normalMapEpsilon))
		return calibrated, adtr.ImageScore(calibrated, cfg.ScoreRule, cfg.ScoreWindow)
	})
	if err != nil {
		return nil, err
	}
	return &calibrator{mean: mean, size: size, exec: exec.WithName("calibration")}, nil
}

// normalMapEpsilon keeps the calibration finite where the mean normal error is zero.
const normalMapEpsilon = 1e-6

// meanMap is the pixel-wise mean of the anomaly maps in s.
func meanMap(s *evaluate.Scored) []float32 {
	mean := make([]float32, s.Size*s.Size)
	for _, m := range s.Maps {
		for i, v := range m {
			mean[i] += v / float32(len(s.Maps))
		}
	}
	return mean
}

// apply replaces the maps and scores of s by their calibrated values.
func (c *calibrator) apply(s *evaluate.Scored) error {
	n, per := len(s.Maps), c.size*c.size
	flat := make([]float32, 0, n*per)
	for _, m := range s.Maps {
		flat = append(flat, m...)
	}
	out, err := c.exec.Exec(tensors.FromFlatDataAndDimensions(flat, n, c.size, c.size), tensors.FromFlatDataAndDimensions(c.mean, 1, c.size, c.size))
	if err != nil {
		return fmt.Errorf("normal-map calibration: %w", err)
	}
	maps, scores := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for i := range s.Maps {
		s.Maps[i] = maps[i*per : (i+1)*per]
		s.Scores[i] = float64(scores[i])
	}
	return nil
}

// scoreFeatures runs the detector on features and, when the model calibrates, calibrates the
// result.
func (m *Model) scoreFeatures(ctx context.Context, f *tensors.Tensor) (*evaluate.Scored, error) {
	s, err := evaluate.Score(ctx, m.Detector, f, 8)
	if err != nil || m.calibration == nil {
		return s, err
	}
	return s, m.calibration.apply(s)
}

// calibrate computes the mean normal map from the training features, stores it in dir and
// enables calibration on m.
func (m *Model) calibrate(ctx context.Context, b compute.Backend, trainF *tensors.Tensor, dir string) error {
	s, err := evaluate.Score(ctx, m.Detector, trainF, 8)
	if err != nil {
		return err
	}
	mean := meanMap(s)
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, mean); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, NormalMapFile), buf.Bytes()); err != nil {
		return err
	}
	m.calibration, err = newCalibrator(b, m.Info.Config, mean)
	return err
}

// loadCalibration enables calibration on m from the normal map stored in dir.
func (m *Model) loadCalibration(b compute.Backend, dir string) error {
	path := filepath.Join(dir, NormalMapFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("model %s: normal-map calibration: %w", dir, err)
	}
	size := m.Info.Config.InputSize
	if len(data) != 4*size*size {
		return fmt.Errorf("normal map %s: %d bytes, want %d", path, len(data), 4*size*size)
	}
	mean := make([]float32, size*size)
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, mean); err != nil {
		return fmt.Errorf("normal map %s: %w", path, err)
	}
	m.calibration, err = newCalibrator(b, m.Info.Config, mean)
	return err
}
