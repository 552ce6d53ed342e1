package train

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress writes the training progress line: epoch, running loss, images/s and ETA. On a terminal
// the line is rewritten in place after every step; otherwise one line is written per epoch.
type progress struct {
	w                 io.Writer
	terminal          bool
	begin             time.Time
	stepsDone, total  int // steps done since begin, total steps of the run
	startStep, images int
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// start records the global step the run starts from and the run's total number of steps.
func (p *progress) start(startStep, total int) {
	p.begin, p.startStep, p.total = time.Now(), startStep, total
}

func (p *progress) step(epoch, epochs int, loss float64, images int) {
	p.stepsDone++
	p.images += images
	if p.w != nil && p.terminal {
		_, _ = fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(epoch, epochs, loss))
	}
}

func (p *progress) epochDone(rec EpochRecord, epochs int) {
	if p.w != nil && !p.terminal {
		_, _ = fmt.Fprintln(p.w, p.line(rec.Epoch, epochs, rec.Loss))
	}
}

func (p *progress) finish() {
	if p.w != nil && p.terminal && p.stepsDone > 0 {
		_, _ = fmt.Fprintln(p.w)
	}
}

func (p *progress) line(epoch, epochs int, loss float64) string {
	elapsed := time.Since(p.begin)
	rate := float64(p.images) / elapsed.Seconds()
	remaining := p.total - p.startStep - p.stepsDone
	eta := time.Duration(float64(elapsed) / float64(p.stepsDone) * float64(remaining)).Round(time.Second)
	return fmt.Sprintf("epoch %d/%d  loss %.6f  %.1f img/s  ETA %s", epoch, epochs, loss, rate, eta)
}
