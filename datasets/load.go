package datasets

import (
	"errors"
	"runtime"
	"sync"
)

// LoadAll decodes and resizes the images and masks of samples to size×size with at most
// workers goroutines (workers <= 0 means runtime.NumCPU()). masks[i] is nil when sample i is
// anomalous without a mask (pixel metrics must skip it) and all zero for normal samples.
// progress, when not nil, is called after each sample with the number done so far (calls are
// serialised, done increases by one each time). On failure the error joins the errors of all
// failing samples in sample order, each naming its file.
func LoadAll(samples []Sample, size, workers int, progress func(done, total int)) ([]*Image, []*Mask, error) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	images := make([]*Image, len(samples))
	masks := make([]*Mask, len(samples))
	errs := make([]error, len(samples))
	next := make(chan int)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range min(workers, len(samples)) {
		wg.Go(func() {
			for i := range next {
				s := samples[i]
				images[i], errs[i] = LoadImage(s, size)
				if errs[i] == nil && s.HasMask {
					masks[i], errs[i] = LoadMask(s, size)
				}
				if progress != nil {
					mu.Lock()
					done++
					progress(done, len(samples))
					mu.Unlock()
				}
			}
		})
	}
	for i := range samples {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return images, masks, nil
}
