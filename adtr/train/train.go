package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/goadtr/goadtr/adtr"
	"github.com/goadtr/goadtr/adtr/backend"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gomlxtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// ModelScope is the scope of the model's variables in the store ("/adtr/...").
const ModelScope = "adtr"

// Data is a training set of cached features.
type Data struct {
	// Features are the neck outputs f of N images, [N, H, W, C] float32: adtr.Neck of the backbone
	// taps (or adtr.PixelPatches of the normalised images for Target "pixels").
	Features *tensors.Tensor
	// Labels are optional float32 per-image labels whose first axis is N, passed batch by batch
	// to the Loss: [N, H, W] grid masks for PixelLoss, [N] for ImageLoss; nil for NormalLoss.
	Labels *tensors.Tensor
}

// Options configure a training run beyond the model Config.
type Options struct {
	// Dir is the checkpoint directory ("" = no checkpoints). When it already holds a checkpoint,
	// training resumes from it; its config must equal the given one except for Epochs.
	Dir string
	// CheckpointEvery saves a checkpoint every this many epochs (0 = only at the end and on cancellation).
	CheckpointEvery int
	// Keep is the number of most recent checkpoints kept in Dir: 0 means 1, negative means all.
	Keep int
	// Loss is the objective; nil means NormalLoss.
	Loss Loss
	// Progress receives the progress line (nil = silent): rewritten in place with \r on a terminal,
	// one line per epoch otherwise.
	Progress io.Writer
	// Backend runs the graphs; nil means backend.New().
	Backend compute.Backend
}

// Result is the outcome of Train.
type Result struct {
	// History has one record per completed epoch (including those of a resumed run).
	History []EpochRecord
	// Store holds the trained variables (the model under ModelScope).
	Store *model.Store
	// Config is the configuration the model was trained with.
	Config *adtr.Config
}

// Detector returns an inference model over the trained variables.
func (r *Result) Detector(b compute.Backend) (*Detector, error) {
	return NewDetector(b, r.Config, r.Store)
}

// Train fits the reconstructor to data with AdamW (cfg.LearningRate, WeightDecay, Beta1/2,
// AdamEpsilon), the step schedule (×LRStepFactor from epoch LRStepEpoch), global-norm gradient
// clipping (cfg.GradClip), dropout, mini-batches of cfg.BatchSize in an order shuffled each epoch by
// a PCG seeded with cfg.Seed (the last batch of an epoch may be smaller), for cfg.Epochs epochs.
// Weights are initialised from cfg.Seed, so a run is reproducible.
//
// When ctx is cancelled, Train finishes the current step, saves a checkpoint (when opts.Dir is set)
// and returns an error that satisfies errors.Is(err, context.Canceled); a later Train with the same
// Dir continues exactly where it stopped. Resuming at an epoch boundary may use other data and
// another Loss (the paper's recipe: L_norm, then more epochs with L_px or L_img on data with
// anomalies); resuming mid-epoch needs the same data.
func Train(ctx context.Context, cfg *adtr.Config, data Data, opts Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if data.Features == nil || data.Features.Rank() != 4 || data.Features.DType() != dtypes.Float32 {
		return nil, errors.New("training features must be a float32 [N,H,W,C] tensor")
	}
	n := data.Features.Shape().Dim(0)
	if data.Labels != nil && (data.Labels.Rank() == 0 || data.Labels.Shape().Dim(0) != n || data.Labels.DType() != dtypes.Float32) {
		return nil, fmt.Errorf("labels %s do not match %d float32 examples", data.Labels.Shape(), n)
	}
	b := opts.Backend
	if b == nil {
		var err error
		if b, err = backend.New(); err != nil {
			return nil, err
		}
	}
	r, err := newRun(cfg, data, opts, b)
	if err != nil {
		return nil, err
	}
	return r.loop(ctx)
}

// run is one training run's mutable state.
type run struct {
	cfg      *adtr.Config
	opts     Options
	store    *model.Store
	step     *model.Exec
	state    *State
	pcg      *rand.PCG
	features *batcher
	labels   *batcher
	progress *progress
}

func newRun(cfg *adtr.Config, data Data, opts Options, b compute.Backend) (*run, error) {
	if opts.Loss == nil {
		opts.Loss = NormalLoss
	}
	r := &run{cfg: cfg, opts: opts, pcg: rand.NewPCG(uint64(cfg.Seed), 0x5eed)}
	r.features = newBatcher(data.Features)
	if data.Labels != nil {
		r.labels = newBatcher(data.Labels)
	}
	ckpt := ""
	if opts.Dir != "" {
		var err error
		if ckpt, err = LatestCheckpoint(opts.Dir); err != nil {
			return nil, err
		}
	}
	if ckpt == "" {
		r.store = model.NewStore()
		if err := r.store.SetRNGStateFromSeed(cfg.Seed); err != nil {
			return nil, err
		}
		r.state = &State{Config: cfg.Clone(), Images: r.features.n}
	} else {
		store, state, err := loadCheckpoint(ckpt)
		if err != nil {
			return nil, err
		}
		if err := sameExceptEpochs(state.Config, cfg); err != nil {
			return nil, fmt.Errorf("resuming from %s: %w", ckpt, err)
		}
		if state.Step > 0 && state.Images != r.features.n {
			return nil, fmt.Errorf("resuming from %s in the middle of an epoch needs the same %d images, got %d", ckpt, state.Images, r.features.n)
		}
		if err := r.pcg.UnmarshalBinary(state.Shuffle); err != nil {
			return nil, fmt.Errorf("resuming from %s: shuffle state: %w", ckpt, err)
		}
		state.Config, state.Images = cfg.Clone(), r.features.n
		r.store, r.state = store, state
	}
	opt := optimizer.Adam().LearningRate(cfg.LearningRate).Betas(cfg.Beta1, cfg.Beta2).
		Epsilon(cfg.AdamEpsilon).WeightDecay(cfg.WeightDecay).Done()
	withGradients, ok := opt.(gomlxtrain.OptimizeWithGradients)
	if !ok {
		return nil, errors.New("the AdamW optimizer does not accept precomputed gradients")
	}
	var err error
	r.step, err = model.NewExec(b, r.store, func(scope *model.Scope, inputs []*Node) *Node {
		return trainStep(scope, cfg, opts.Loss, withGradients, inputs)
	})
	if err != nil {
		return nil, err
	}
	r.progress = newProgress(opts.Progress)
	return r, nil
}

// trainStep builds one optimisation step: forward in training mode, loss, gradients of the model
// variables, global-norm clipping, AdamW update. inputs are the features and optional labels.
func trainStep(scope *model.Scope, cfg *adtr.Config, loss Loss, opt gomlxtrain.OptimizeWithGradients, inputs []*Node) *Node {
	f := inputs[0]
	var labels *Node
	if len(inputs) > 1 {
		labels = inputs[1]
	}
	scope.SetTraining(f.Graph(), true)
	modelScope := scope.In(ModelScope)
	value := loss(cfg, f, adtr.Reconstruct(modelScope, cfg, f), labels)
	grads := modelScope.BuildTrainableVariablesGradientsGraph(value)
	opt.UpdateGraphWithGradients(modelScope, clipGlobalNorm(grads, cfg.GradClip), value.DType())
	return value
}

// clipGlobalNorm scales all gradients by min(1, maxNorm/(‖g‖₂ + 1e-6)), ‖g‖₂ over all of them
// (PyTorch's clip_grad_norm_); maxNorm = 0 disables it.
func clipGlobalNorm(grads []*Node, maxNorm float64) []*Node {
	if maxNorm <= 0 || len(grads) == 0 {
		return grads
	}
	var sum *Node
	for _, g := range grads {
		s := ReduceAllSum(Square(g))
		if sum == nil {
			sum = s
		} else {
			sum = Add(sum, s)
		}
	}
	scale := MinScalar(Div(Scalar(sum.Graph(), sum.DType(), maxNorm), AddScalar(Sqrt(sum), 1e-6)), 1)
	clipped := make([]*Node, len(grads))
	for i, g := range grads {
		clipped[i] = Mul(g, ConvertDType(scale, g.DType()))
	}
	return clipped
}

// sameExceptEpochs reports an error when two configs differ in anything but Epochs.
func sameExceptEpochs(saved, given *adtr.Config) error {
	a, b := saved.Clone(), given.Clone()
	a.Epochs, b.Epochs = 0, 0
	// The anomaly-map post-processing does not take part in training and may change too.
	a.SmoothingSigma, a.ScoreRule, a.ScoreWindow, a.NormalMapCalibration = b.SmoothingSigma, b.ScoreRule, b.ScoreWindow, b.NormalMapCalibration
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		return fmt.Errorf("the checkpoint was trained with a different config:\n saved %s\n given %s", ja, jb)
	}
	return nil
}

// learningRate is the learning rate of epoch (0-based): base, times LRStepFactor from LRStepEpoch.
func learningRate(cfg *adtr.Config, epoch int) float64 {
	if cfg.LRStepEpoch > 0 && epoch >= cfg.LRStepEpoch {
		return cfg.LearningRate * cfg.LRStepFactor
	}
	return cfg.LearningRate
}

// setLearningRate writes lr into the optimizer's learning-rate variable (a graph parameter: no
// recompilation).
func (r *run) setLearningRate(lr float64) error {
	v := optimizer.LearningRateVarWithValue(r.store.RootScope().In(ModelScope), dtypes.Float32, lr)
	return v.SetValue(tensors.FromScalar(float32(lr)))
}

func (r *run) loop(ctx context.Context) (*Result, error) {
	cfg, state := r.cfg, r.state
	n := r.features.n
	stepsPerEpoch := (n + cfg.BatchSize - 1) / cfg.BatchSize
	r.progress.start(state.Epoch*stepsPerEpoch+state.Step, cfg.Epochs*stepsPerEpoch)
	for epoch := state.Epoch; epoch < cfg.Epochs; epoch++ {
		epochStart := time.Now()
		lr := learningRate(cfg, epoch)
		if err := r.setLearningRate(lr); err != nil {
			return nil, err
		}
		if state.Step == 0 {
			shuffle, err := r.pcg.MarshalBinary()
			if err != nil {
				return nil, err
			}
			state.Shuffle = shuffle
		} else if err := r.pcg.UnmarshalBinary(state.Shuffle); err != nil {
			return nil, err
		}
		order := rand.New(r.pcg).Perm(n)
		for step := state.Step; step < stepsPerEpoch; step++ {
			idx := order[step*cfg.BatchSize : min((step+1)*cfg.BatchSize, n)]
			args := []any{r.features.batch(idx)}
			if r.labels != nil {
				args = append(args, r.labels.batch(idx))
			}
			out, err := r.step.Call(args...)
			if err != nil {
				return nil, fmt.Errorf("epoch %d step %d: %w", epoch+1, step+1, err)
			}
			loss := float64(tensors.ToScalar[float32](out[0]))
			state.EpochLossSum += loss * float64(len(idx))
			state.EpochImages += len(idx)
			state.Step = step + 1
			r.progress.step(epoch+1, cfg.Epochs, state.EpochLossSum/float64(state.EpochImages), len(idx))
			if ctx.Err() != nil && state.Step < stepsPerEpoch {
				return nil, r.interrupt(ctx)
			}
		}
		state.History = append(state.History, EpochRecord{
			Epoch: epoch + 1, Loss: state.EpochLossSum / float64(state.EpochImages),
			LearningRate: lr, Seconds: time.Since(epochStart).Seconds(),
		})
		state.Epoch, state.Step, state.EpochLossSum, state.EpochImages = epoch+1, 0, 0, 0
		shuffle, err := r.pcg.MarshalBinary()
		if err != nil {
			return nil, err
		}
		state.Shuffle = shuffle
		r.progress.epochDone(state.History[len(state.History)-1], cfg.Epochs)
		last := state.Epoch == cfg.Epochs
		if r.opts.CheckpointEvery > 0 && state.Epoch%r.opts.CheckpointEvery == 0 || last {
			if err := r.save(); err != nil {
				return nil, err
			}
		}
		if !last && ctx.Err() != nil {
			return nil, r.interrupt(ctx)
		}
	}
	r.progress.finish()
	return &Result{History: state.History, Store: r.store, Config: r.cfg}, nil
}

// interrupt saves a checkpoint of the current (possibly mid-epoch) state and returns ctx's error.
func (r *run) interrupt(ctx context.Context) error {
	r.progress.finish()
	if err := r.save(); err != nil {
		return errors.Join(ctx.Err(), err)
	}
	return fmt.Errorf("training stopped after epoch %d step %d: %w", r.state.Epoch, r.state.Step, ctx.Err())
}

func (r *run) save() error {
	if r.opts.Dir == "" {
		return nil
	}
	keep := r.opts.Keep
	if keep == 0 {
		keep = 1
	}
	return saveCheckpoint(r.opts.Dir, r.store, r.state, keep)
}
