package train

import (
	"fmt"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Detector runs a trained ADTR model: feature batches f [B, H, W, C] (float32, as cached for
// training) in, anomaly maps [B, InputSize, InputSize] and image scores [B] out. The graph is
// compiled once per batch shape and reused.
type Detector struct {
	// Config is the configuration the model was trained with; its SmoothingSigma, ScoreRule and
	// ScoreWindow select the map post-processing and may be changed before the first call.
	Config *adtr.Config
	store  *model.Store
	exec   *model.Exec
}

// LoadDetector loads the latest checkpoint under dir (or dir itself when it is one) with the
// backend of backend.New().
func LoadDetector(dir string) (*Detector, error) {
	ckpt, err := LatestCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	if ckpt == "" {
		return nil, fmt.Errorf("no ADTR checkpoint in %s", dir)
	}
	store, state, err := loadCheckpoint(ckpt)
	if err != nil {
		return nil, err
	}
	for _, scope := range []string{"/adam", "/" + ModelScope + "/adam", "/" + ModelScope + "/optimizers"} {
		if err := store.DeleteVariablesInScope(scope); err != nil { // optimizer state is not needed
			return nil, err
		}
	}
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	return NewDetector(b, state.Config, store)
}

// NewDetector returns a Detector over the model variables in store (under ModelScope).
func NewDetector(b compute.Backend, cfg *adtr.Config, store *model.Store) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{Config: cfg, store: store}
	var err error
	d.exec, err = model.NewExec(b, store, func(scope *model.Scope, f *Node) (*Node, *Node, *Node) {
		fhat := adtr.Reconstruct(scope.In(ModelScope), d.Config, f)
		var amap *Node
		if d.Config.Target == adtr.TargetPixels {
			amap = adtr.PixelAnomalyMap(f, fhat, d.Config.GridStride, d.Config.SmoothingSigma)
		} else {
			amap = adtr.AnomalyMap(f, fhat, d.Config.InputSize, d.Config.InputSize, d.Config.SmoothingSigma)
		}
		return fhat, amap, adtr.ImageScore(amap, d.Config.ScoreRule, d.Config.ScoreWindow)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Detect returns the reconstruction f̂ [B, H, W, C], the anomaly maps [B, InputSize, InputSize] and
// the image scores [B] of a feature batch [B, H, W, C].
func (d *Detector) Detect(features *tensors.Tensor) (fhat, maps, scores *tensors.Tensor, err error) {
	out, err := d.exec.Call(features)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ADTR inference: %w", err)
	}
	return out[0], out[1], out[2], nil
}
