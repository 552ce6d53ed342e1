package train

import (
	"github.com/gomlx/gomlx/core/tensors"
)

// batcher gathers rows of an [N, ...] float32 tensor into batch tensors.
type batcher struct {
	data    []float32
	n       int
	rowDims []int
	rowSize int
}

func newBatcher(t *tensors.Tensor) *batcher {
	dims := t.Shape().Dimensions
	b := &batcher{data: tensors.MustCopyFlatData[float32](t), n: dims[0], rowDims: dims[1:], rowSize: 1}
	for _, d := range b.rowDims {
		b.rowSize *= d
	}
	return b
}

// batch returns the rows idx as a [len(idx), ...] tensor.
func (b *batcher) batch(idx []int) *tensors.Tensor {
	out := make([]float32, 0, len(idx)*b.rowSize)
	for _, i := range idx {
		out = append(out, b.data[i*b.rowSize:(i+1)*b.rowSize]...)
	}
	return tensors.FromFlatDataAndDimensions(out, append([]int{len(idx)}, b.rowDims...)...)
}
