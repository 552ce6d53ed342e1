package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goadtr/goadtr/adtr"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Checkpoint layout: a checkpoint directory holds one sub-directory per saved checkpoint,
// "epoch-NNNNNN[-step-NNNNNN]", each with GoMLX's checkpoint files (all variables: model weights,
// AdamW moments and step, learning rate, global step, the dropout RNG state) and StateFile. Each
// sub-directory is written under a temporary name and renamed into place, so a checkpoint either
// exists completely or not at all (GoMLX's Handler.Save writes its files in place). HistoryFile, the
// loss history, is replaced atomically the same way.
const (
	// StateFile is the JSON file of a checkpoint holding its State.
	StateFile = "state.json"
	// HistoryFile is the JSON file, directly in the checkpoint directory, holding the per-epoch history.
	HistoryFile = "history.json"

	checkpointPrefix = "epoch-"
	tempPrefix       = ".tmp-"
)

// State is the training state saved with each checkpoint besides the variables.
type State struct {
	// Config is the model and training configuration.
	Config *adtr.Config `json:"config"`
	// Images is the number of training images (a mid-epoch resumption needs the same number).
	Images int `json:"images"`
	// Epoch is the number of completed epochs.
	Epoch int `json:"epoch"`
	// Step is the number of steps already done in epoch Epoch+1 (non-zero after a cancellation).
	Step int `json:"step"`
	// EpochLossSum and EpochImages accumulate the loss of the steps done in the current epoch.
	EpochLossSum float64 `json:"epoch_loss_sum"`
	EpochImages  int     `json:"epoch_images"`
	// Shuffle is the shuffle generator's (math/rand/v2 PCG) state at the start of epoch Epoch+1.
	Shuffle []byte `json:"shuffle"`
	// History holds one record per completed epoch.
	History []EpochRecord `json:"history"`
}

// EpochRecord summarises one training epoch.
type EpochRecord struct {
	// Epoch counts from 1.
	Epoch int `json:"epoch"`
	// Loss is the mean training loss over the epoch's images.
	Loss float64 `json:"loss"`
	// LearningRate is the learning rate used during the epoch.
	LearningRate float64 `json:"learning_rate"`
	// Seconds is the epoch's wall time.
	Seconds float64 `json:"seconds"`
}

// saveCheckpoint writes store's variables and state as a new checkpoint under dir, then deletes
// all but the keep most recent ones.
func saveCheckpoint(dir string, store *model.Store, state *State, keep int) error {
	name := fmt.Sprintf("%s%06d", checkpointPrefix, state.Epoch)
	if state.Step > 0 {
		name += fmt.Sprintf("-step-%06d", state.Step)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating checkpoint directory: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, tempPrefix+name+"-")
	if err != nil {
		return fmt.Errorf("creating temporary checkpoint directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // no-op after the rename

	// A fresh Handler per save writes into the temporary directory; it becomes the store's loader
	// while saving, so the previous one is restored afterwards.
	previousLoader := store.Loader()
	handler, err := checkpoint.Build(store).Dir(tmp).Keep(-1).Done()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", name, err)
	}
	err = handler.Save()
	store.SetLoader(previousLoader)
	if err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", name, err)
	}
	if err := writeJSON(filepath.Join(tmp, StateFile), state); err != nil {
		return err
	}
	final := filepath.Join(dir, name)
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("publishing checkpoint %s: %w", name, err)
	}
	if err := writeJSONAtomic(filepath.Join(dir, HistoryFile), state.History); err != nil {
		return err
	}
	return pruneCheckpoints(dir, keep)
}

// listCheckpoints returns the complete checkpoints in dir, oldest first.
func listCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), checkpointPrefix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // zero-padded epoch then step: lexical order is chronological
	return names, nil
}

// LatestCheckpoint returns the most recent complete checkpoint under dir ("" when there is none),
// or dir itself when it is a checkpoint (holds a StateFile).
func LatestCheckpoint(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
		return dir, nil
	}
	names, err := listCheckpoints(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", fmt.Errorf("listing checkpoints: %w", err)
	}
	if len(names) == 0 {
		return "", nil
	}
	return filepath.Join(dir, names[len(names)-1]), nil
}

// pruneCheckpoints deletes all but the keep most recent checkpoints (keep ≤ 0 keeps all).
func pruneCheckpoints(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	names, err := listCheckpoints(dir)
	if err != nil {
		return err
	}
	for len(names) > keep {
		if err := os.RemoveAll(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("removing old checkpoint: %w", err)
		}
		names = names[1:]
	}
	return nil
}

// loadCheckpoint loads the variables of checkpoint dir ckpt into a new store and returns its state.
func loadCheckpoint(ckpt string) (*model.Store, *State, error) {
	data, err := os.ReadFile(filepath.Join(ckpt, StateFile))
	if err != nil {
		return nil, nil, fmt.Errorf("reading checkpoint state: %w", err)
	}
	var state State
	if err := json.Unmarshal(data, &state); err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", filepath.Join(ckpt, StateFile), err)
	}
	if state.Config == nil {
		return nil, nil, fmt.Errorf("checkpoint %s has no config", ckpt)
	}
	if err := state.Config.Validate(); err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", ckpt, err)
	}
	store := model.NewStore()
	if _, err := checkpoint.Load(store).Dir(ckpt).Immediate().Done(); err != nil {
		return nil, nil, fmt.Errorf("loading checkpoint %s: %w", ckpt, err)
	}
	// Immediate loading creates every variable as trainable: only the model's are.
	for v := range store.IterVariables() {
		v.SetTrainable(isModelVariable(v.Path()))
	}
	return store, &state, nil
}

// isModelVariable reports whether a variable path holds a model weight (trained), as opposed to
// optimizer state, counters or the RNG state.
func isModelVariable(path string) bool {
	return strings.HasPrefix(path, "/"+ModelScope+"/") &&
		!strings.HasPrefix(path, "/"+ModelScope+"/optimizers/") &&
		!strings.HasPrefix(path, "/"+ModelScope+"/adam/")
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeJSONAtomic writes v to path through a temporary file and a rename.
func writeJSONAtomic(path string, v any) error {
	tmp := filepath.Join(filepath.Dir(path), tempPrefix+filepath.Base(path))
	if err := writeJSON(tmp, v); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}
