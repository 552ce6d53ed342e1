package backbone

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/goadtr/goadtr/internal/atomicfile"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Safetensors file layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header, then the raw little-endian tensor data. The header maps
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// start of the data section) and may hold a "__metadata__" object of string values.

// safetensorsMetadataKey is the reserved header key that holds free-form string metadata.
const safetensorsMetadataKey = "__metadata__"

// maxSafetensorsHeader bounds the JSON header size, as the reference implementation does (100 MB).
const maxSafetensorsHeader = 100 << 20

// safetensorsDTypes maps the safetensors dtype names this package reads to their element size in
// bytes. F16 and BF16 are widened to float32 on reading; the others keep their type.
var safetensorsDTypes = map[string]int{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
}

// TensorInfo describes one tensor of a safetensors header, as stored.
type TensorInfo struct {
	// DType is the safetensors dtype name as stored: "F32", "F16", "BF16", "F64", "I64", ...
	DType string
	// Shape is the tensor's dimensions in the file's (PyTorch) layout; empty for a scalar.
	Shape []int
	// Begin and End are the byte offsets of the tensor data, relative to the data section.
	Begin, End int64
}

// SafetensorsHeader is the parsed, validated header of a safetensors file.
type SafetensorsHeader struct {
	// Tensors maps each tensor name to its description.
	Tensors map[string]TensorInfo
	// Metadata is the "__metadata__" object (nil when the file has none).
	Metadata map[string]string
	// DataStart is the file offset of the data section (8 + header length).
	DataStart int64
}

// Names returns the tensor names in sorted order.
func (h *SafetensorsHeader) Names() []string {
	names := make([]string, 0, len(h.Tensors))
	for name := range h.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ReadSafetensorsHeader reads and validates the header of the safetensors file at path without
// reading the tensor data: dtypes must be known, offsets in range, non-overlapping, covering the
// data section exactly, and consistent with shape × dtype size.
func ReadSafetensorsHeader(path string) (*SafetensorsHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	defer f.Close()
	h, err := readSafetensorsHeader(f)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	return h, nil
}

// readSafetensorsHeader parses and validates the header of an open safetensors file.
func readSafetensorsHeader(f *os.File) (*SafetensorsHeader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < 8 {
		return nil, fmt.Errorf("truncated file: %d bytes, the 8-byte header length is missing", size)
	}
	var lenBuf [8]byte
	if _, err := f.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxSafetensorsHeader {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit (not a safetensors file?)", n, maxSafetensorsHeader)
	}
	if int64(n) > size-8 {
		return nil, fmt.Errorf("header length %d exceeds the file size %d (truncated file or not safetensors)", n, size)
	}
	raw := make([]byte, n)
	if _, err := f.ReadAt(raw, 8); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	h, err := parseSafetensorsHeader(raw, size-8-int64(n))
	if err != nil {
		return nil, err
	}
	h.DataStart = 8 + int64(n)
	return h, nil
}

// headerEntry is one tensor entry of the JSON header.
type headerEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// parseSafetensorsHeader decodes the JSON header and validates it against a data section of
// dataLen bytes.
func parseSafetensorsHeader(raw []byte, dataLen int64) (*SafetensorsHeader, error) {
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("bad JSON header: %w", err)
	}
	h := &SafetensorsHeader{Tensors: make(map[string]TensorInfo, len(entries))}
	for name, msg := range entries {
		if name == safetensorsMetadataKey {
			if err := json.Unmarshal(msg, &h.Metadata); err != nil {
				return nil, fmt.Errorf("bad %s (want an object of strings): %w", safetensorsMetadataKey, err)
			}
			continue
		}
		info, err := parseHeaderEntry(msg, dataLen)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		h.Tensors[name] = info
	}
	if err := checkCoverage(h.Tensors, dataLen); err != nil {
		return nil, err
	}
	return h, nil
}

// parseHeaderEntry decodes and validates one tensor entry.
func parseHeaderEntry(msg json.RawMessage, dataLen int64) (TensorInfo, error) {
	var e headerEntry
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return TensorInfo{}, fmt.Errorf("bad entry: %w", err)
	}
	elem, ok := safetensorsDTypes[e.DType]
	if !ok {
		return TensorInfo{}, fmt.Errorf("unsupported dtype %q", e.DType)
	}
	if len(e.DataOffsets) != 2 {
		return TensorInfo{}, fmt.Errorf("data_offsets has %d values, want 2", len(e.DataOffsets))
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin || end > dataLen {
		return TensorInfo{}, fmt.Errorf("data_offsets [%d, %d] out of range of the %d-byte data section", begin, end, dataLen)
	}
	count := int64(1)
	shape := make([]int, len(e.Shape))
	for i, d := range e.Shape {
		if d < 0 {
			return TensorInfo{}, fmt.Errorf("negative dimension in shape %v", e.Shape)
		}
		if d > 0 && count > dataLen/d {
			return TensorInfo{}, fmt.Errorf("shape %v larger than the %d-byte data section", e.Shape, dataLen)
		}
		count *= d
		shape[i] = int(d)
	}
	if want := count * int64(elem); end-begin != want {
		return TensorInfo{}, fmt.Errorf("data_offsets [%d, %d] span %d bytes, but shape %v of %s needs %d",
			begin, end, end-begin, e.Shape, e.DType, want)
	}
	return TensorInfo{DType: e.DType, Shape: shape, Begin: begin, End: end}, nil
}

// checkCoverage verifies that the tensors' byte ranges do not overlap and cover the data section
// exactly, as the format requires.
func checkCoverage(infos map[string]TensorInfo, dataLen int64) error {
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(infos))
	for name, info := range infos {
		spans = append(spans, span{name, info.Begin, info.End})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var pos int64
	for _, s := range spans {
		if s.begin < pos {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor (ends at %d)", s.name, s.begin, s.end, pos)
		}
		if s.begin > pos {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after byte %d", s.name, s.begin, s.end, pos)
		}
		pos = s.end
	}
	if pos != dataLen {
		return fmt.Errorf("tensors cover %d bytes of the %d-byte data section", pos, dataLen)
	}
	return nil
}

// ReadSafetensors reads every tensor of the safetensors file at path. Shapes are as stored
// (PyTorch layout). F32, F64 and the integer/bool dtypes keep their type; F16 and BF16 are
// converted to float32.
func ReadSafetensors(path string) (map[string]*tensors.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	defer f.Close()
	h, err := readSafetensorsHeader(f)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	out := make(map[string]*tensors.Tensor, len(h.Tensors))
	var buf []byte
	for _, name := range h.Names() {
		info := h.Tensors[name]
		n := int(info.End - info.Begin)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := f.ReadAt(buf, h.DataStart+info.Begin); err != nil && n > 0 {
			return nil, fmt.Errorf("safetensors %s: tensor %q: %w", path, name, err)
		}
		t, err := decodeTensor(info, buf)
		if err != nil {
			return nil, fmt.Errorf("safetensors %s: tensor %q: %w", path, name, err)
		}
		out[name] = t
	}
	return out, nil
}

// decodeTensor converts the little-endian bytes of one tensor into a local tensor.
func decodeTensor(info TensorInfo, data []byte) (*tensors.Tensor, error) {
	var dt dtypes.DType
	switch info.DType {
	case "F32", "F16", "BF16":
		dt = dtypes.Float32
	case "F64":
		dt = dtypes.Float64
	case "I64":
		dt = dtypes.Int64
	case "I32":
		dt = dtypes.Int32
	case "I16":
		dt = dtypes.Int16
	case "I8":
		dt = dtypes.Int8
	case "U8":
		dt = dtypes.Uint8
	case "BOOL":
		dt = dtypes.Bool
	default:
		return nil, fmt.Errorf("unsupported dtype %q", info.DType)
	}
	t := tensors.FromShape(shapes.Make(dt, info.Shape...))
	le := binary.LittleEndian
	err := t.MutableFlatData(func(flat any) {
		switch v := flat.(type) {
		case []float32:
			switch info.DType {
			case "F32":
				for i := range v {
					v[i] = math.Float32frombits(le.Uint32(data[4*i:]))
				}
			case "F16":
				for i := range v {
					v[i] = float16.FromBits(le.Uint16(data[2*i:])).Float32()
				}
			case "BF16":
				for i := range v {
					v[i] = bfloat16.BFloat16(le.Uint16(data[2*i:])).Float32()
				}
			}
		case []float64:
			for i := range v {
				v[i] = math.Float64frombits(le.Uint64(data[8*i:]))
			}
		case []int64:
			for i := range v {
				v[i] = int64(le.Uint64(data[8*i:]))
			}
		case []int32:
			for i := range v {
				v[i] = int32(le.Uint32(data[4*i:]))
			}
		case []int16:
			for i := range v {
				v[i] = int16(le.Uint16(data[2*i:]))
			}
		case []int8:
			for i := range v {
				v[i] = int8(data[i])
			}
		case []uint8:
			copy(v, data)
		case []bool:
			for i := range v {
				v[i] = data[i] != 0
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// encodeTensor returns the safetensors dtype name and little-endian bytes of a tensor.
func encodeTensor(t *tensors.Tensor) (string, []byte, error) {
	var (
		name string
		data []byte
	)
	le := binary.LittleEndian
	err := t.ConstFlatData(func(flat any) {
		switch v := flat.(type) {
		case []float32:
			name, data = "F32", make([]byte, 0, 4*len(v))
			for _, x := range v {
				data = le.AppendUint32(data, math.Float32bits(x))
			}
		case []float64:
			name, data = "F64", make([]byte, 0, 8*len(v))
			for _, x := range v {
				data = le.AppendUint64(data, math.Float64bits(x))
			}
		case []float16.Float16:
			name, data = "F16", make([]byte, 0, 2*len(v))
			for _, x := range v {
				data = le.AppendUint16(data, x.Bits())
			}
		case []bfloat16.BFloat16:
			name, data = "BF16", make([]byte, 0, 2*len(v))
			for _, x := range v {
				data = le.AppendUint16(data, uint16(x))
			}
		case []int64:
			name, data = "I64", make([]byte, 0, 8*len(v))
			for _, x := range v {
				data = le.AppendUint64(data, uint64(x))
			}
		case []int32:
			name, data = "I32", make([]byte, 0, 4*len(v))
			for _, x := range v {
				data = le.AppendUint32(data, uint32(x))
			}
		case []int16:
			name, data = "I16", make([]byte, 0, 2*len(v))
			for _, x := range v {
				data = le.AppendUint16(data, uint16(x))
			}
		case []int8:
			name, data = "I8", make([]byte, len(v))
			for i, x := range v {
				data[i] = byte(x)
			}
		case []uint8:
			name, data = "U8", append([]byte(nil), v...)
		case []bool:
			name, data = "BOOL", make([]byte, len(v))
			for i, x := range v {
				if x {
					data[i] = 1
				}
			}
		}
	})
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		return "", nil, fmt.Errorf("dtype %s cannot be written to safetensors", t.DType())
	}
	return name, data, nil
}

// WriteSafetensors writes tensors (in sorted name order, shapes as given) and the optional
// metadata to a safetensors file at path. It writes a temporary file in the same directory and
// renames it into place, so path is either the old file or the complete new one. Supported
// dtypes: float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8 and bool.
func WriteSafetensors(path string, ts map[string]*tensors.Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(ts))
	for name := range ts {
		if name == "" || name == safetensorsMetadataKey {
			return fmt.Errorf("safetensors %s: invalid tensor name %q", path, name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	header := make(map[string]any, len(ts)+1)
	if len(metadata) > 0 {
		header[safetensorsMetadataKey] = metadata
	}
	blobs := make([][]byte, len(names))
	var offset int64
	for i, name := range names {
		dt, data, err := encodeTensor(ts[name])
		if err != nil {
			return fmt.Errorf("safetensors %s: tensor %q: %w", path, name, err)
		}
		dims := ts[name].Shape().Dimensions
		if dims == nil {
			dims = []int{}
		}
		header[name] = map[string]any{
			"dtype":        dt,
			"shape":        dims,
			"data_offsets": [2]int64{offset, offset + int64(len(data))},
		}
		offset += int64(len(data))
		blobs[i] = data
	}
	raw, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors %s: header: %w", path, err)
	}
	if pad := (8 - len(raw)%8) % 8; pad > 0 {
		raw = append(raw, bytes.Repeat([]byte(" "), pad)...)
	}
	err = atomicfile.WriteFunc(path, func(w io.Writer) error {
		if err := binary.Write(w, binary.LittleEndian, uint64(len(raw))); err != nil {
			return err
		}
		if _, err := w.Write(raw); err != nil {
			return err
		}
		for _, b := range blobs {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}
