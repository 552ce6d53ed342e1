package backbone

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/gomlx/core/tensors"
)

// stRandomFloats returns n seeded pseudo-random values in [-2, 2).
func stRandomFloats(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, n)
	for i := range out {
		out[i] = 4*r.Float32() - 2
	}
	return out
}

// rawSafetensors builds a safetensors file image: header length (lengthOverride when >= 0),
// header text and data.
func rawSafetensors(header string, lengthOverride int64, data []byte) []byte {
	var b bytes.Buffer
	n := uint64(len(header))
	if lengthOverride >= 0 {
		n = uint64(lengthOverride)
	}
	binary.Write(&b, binary.LittleEndian, n)
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestSafetensorsRoundTrip(t *testing.T) {
	f32 := stRandomFloats(1, 2*3*4)
	f16 := float16.FromFloat32s(stRandomFloats(2, 5)...)
	bf16 := make([]bfloat16.BFloat16, 6)
	for i, v := range stRandomFloats(3, len(bf16)) {
		bf16[i] = bfloat16.FromFloat32(v)
	}
	in := map[string]*tensors.Tensor{
		"conv.weight":   tensors.FromFlatDataAndDimensions(f32, 2, 3, 4),
		"scalar.f64":    tensors.FromScalar(math.Pi),
		"half":          tensors.FromFlatDataAndDimensions(f16, 5),
		"brain":         tensors.FromFlatDataAndDimensions(bf16, 2, 3),
		"bn.num_batch":  tensors.FromScalar(int64(-7)),
		"ints":          tensors.FromFlatDataAndDimensions([]int32{1, -2, 3}, 3),
		"bytes":         tensors.FromFlatDataAndDimensions([]uint8{0, 255, 7, 9}, 2, 2),
		"mask":          tensors.FromFlatDataAndDimensions([]bool{true, false, true}, 3),
		"empty.unicodé": tensors.FromFlatDataAndDimensions([]float32{}, 0, 4),
	}
	meta := map[string]string{"seed": "1", "note": "round trip"}
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	if err := WriteSafetensors(path, in, meta); err != nil {
		t.Fatal(err)
	}

	// The header: names, stored dtypes, shapes, metadata, 8-byte aligned data start.
	h, err := ReadSafetensorsHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Metadata, meta) {
		t.Errorf("metadata = %v, want %v", h.Metadata, meta)
	}
	if h.DataStart%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", h.DataStart)
	}
	wantDType := map[string]string{
		"conv.weight": "F32", "scalar.f64": "F64", "half": "F16", "brain": "BF16", "bn.num_batch": "I64",
		"ints": "I32", "bytes": "U8", "mask": "BOOL", "empty.unicodé": "F32",
	}
	if len(h.Tensors) != len(in) {
		t.Fatalf("header has %d tensors, want %d", len(h.Tensors), len(in))
	}
	for name, src := range in {
		info := h.Tensors[name]
		if info.DType != wantDType[name] {
			t.Errorf("%s: stored dtype %s, want %s", name, info.DType, wantDType[name])
		}
		if got, want := info.Shape, src.Shape().Dimensions; len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: stored shape %v, want %v", name, got, want)
		}
	}

	// The data: exact for every dtype; F16/BF16 come back as the same values in float32.
	out, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d tensors, want %d", len(out), len(in))
	}
	for name, src := range in {
		got := out[name]
		if got == nil {
			t.Fatalf("%s missing", name)
		}
		if !reflect.DeepEqual(got.Shape().Dimensions, src.Shape().Dimensions) && got.Shape().Rank()+src.Shape().Rank() > 0 {
			t.Errorf("%s: shape %s, want dims %v", name, got.Shape(), src.Shape().Dimensions)
		}
		switch src.DType() {
		case dtypes.Float16, dtypes.BFloat16:
			if got.DType() != dtypes.Float32 {
				t.Fatalf("%s: dtype %s, want float32", name, got.DType())
			}
			var want []float32
			src.MustConstFlatData(func(flat any) {
				switch v := flat.(type) {
				case []float16.Float16:
					for _, x := range v {
						want = append(want, x.Float32())
					}
				case []bfloat16.BFloat16:
					for _, x := range v {
						want = append(want, x.Float32())
					}
				}
			})
			if g := tensors.MustCopyFlatData[float32](got); !reflect.DeepEqual(g, want) {
				t.Errorf("%s: values %v, want %v", name, g, want)
			}
		default:
			if got.DType() != src.DType() {
				t.Fatalf("%s: dtype %s, want %s", name, got.DType(), src.DType())
			}
			if !reflect.DeepEqual(got.Value(), src.Value()) {
				t.Errorf("%s: values %v, want %v", name, got.Value(), src.Value())
			}
		}
	}
}

func TestSafetensorsCorrupt(t *testing.T) {
	data8 := make([]byte, 8) // room for two float32s
	valid := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	cases := []struct {
		name string
		file []byte
		want string // substring of the error
	}{
		{"empty file", nil, "truncated file: 0 bytes"},
		{"short length", []byte{1, 2, 3}, "truncated file: 3 bytes"},
		{"header longer than file", rawSafetensors(valid, int64(len(valid))+100, data8), "exceeds the file size"},
		{"header over limit", rawSafetensors(valid, 1<<40, data8), "exceeds the 104857600-byte limit"},
		{"bad JSON", rawSafetensors(`{"a":{"dtype":"F32",`, -1, data8), "bad JSON header"},
		{"header not an object", rawSafetensors(`[1,2]`, -1, nil), "bad JSON header"},
		{"unknown dtype", rawSafetensors(`{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}`, -1, data8), `tensor "a": unsupported dtype "F8_E4M3"`},
		{"unknown field", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, -1, data8), `tensor "a": bad entry`},
		{"end past data", rawSafetensors(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, -1, data8), `tensor "a": data_offsets [0, 16] out of range of the 8-byte data section`},
		{"begin after end", rawSafetensors(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`, -1, data8), `tensor "a": data_offsets [8, 4] out of range`},
		{"negative offset", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, -1, data8), `out of range`},
		{"three offsets", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, -1, data8), `data_offsets has 3 values, want 2`},
		{"shape size mismatch", rawSafetensors(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, -1, data8), `tensor "a": data_offsets [0, 8] span 8 bytes, but shape [3] of F32 needs 12`},
		{"dtype size mismatch", rawSafetensors(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}`, -1, data8), `shape [2] of F64 needs 16`},
		{"negative dim", rawSafetensors(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, -1, data8), `negative dimension`},
		{"huge shape", rawSafetensors(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, -1, data8), `larger than the 8-byte data section`},
		{"overlap", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, -1, data8), `overlap`},
		{"gap", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, -1, data8), `tensor "a": data_offsets [4, 8] leave a gap after byte 0`},
		{"trailing data", rawSafetensors(valid, -1, make([]byte, 12)), `tensors cover 8 bytes of the 12-byte data section`},
		{"truncated data", rawSafetensors(valid, -1, data8[:6]), `tensor "a": data_offsets [0, 8] out of range of the 6-byte data section`},
		{"bad metadata", rawSafetensors(`{"__metadata__":{"seed":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, -1, data8), `bad __metadata__`},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("case%d.safetensors", i))
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			_, errH := ReadSafetensorsHeader(path)
			_, errR := ReadSafetensors(path)
			for what, err := range map[string]error{"ReadSafetensorsHeader": errH, "ReadSafetensors": errR} {
				if err == nil {
					t.Fatalf("%s: no error, want one containing %q", what, c.want)
				}
				if msg := err.Error(); !strings.Contains(msg, c.want) || !strings.Contains(msg, path) {
					t.Errorf("%s: error %q should name the file and contain %q", what, msg, c.want)
				}
			}
		})
	}
	// The valid base case used above reads fine, so the failures come from the corruption.
	path := filepath.Join(dir, "valid.safetensors")
	if err := os.WriteFile(path, rawSafetensors(valid, -1, data8), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSafetensors(path); err != nil {
		t.Fatalf("valid file: %v", err)
	}
}

func TestSafetensorsWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	good := map[string]*tensors.Tensor{"x": tensors.FromFlatDataAndDimensions(stRandomFloats(4, 6), 2, 3)}
	if err := WriteSafetensors(path, good, nil); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := []map[string]*tensors.Tensor{
		{"x": tensors.FromFlatDataAndDimensions([]uint32{1, 2}, 2)}, // no safetensors writer for U32
		{"__metadata__": tensors.FromScalar(float32(1))},
		{"": tensors.FromScalar(float32(1))},
	}
	for _, ts := range bad {
		if err := WriteSafetensors(path, ts, nil); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("WriteSafetensors(%v) error = %v, want an error naming %s", ts, err, path)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only w.safetensors (no temporary files)", names)
	}
	// A file without metadata has no __metadata__ entry.
	h, err := ReadSafetensorsHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Metadata != nil {
		t.Errorf("metadata = %v, want none", h.Metadata)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("file mode = %v (%v), want 0644", info.Mode().Perm(), err)
	}
}

// stCountValues returns the number of values described by a header.
func stCountValues(h *SafetensorsHeader) int {
	total := 0
	for _, info := range h.Tensors {
		n := 1
		for _, d := range info.Shape {
			n *= d
		}
		total += n
	}
	return total
}

func TestSafetensorsMobileNetV2(t *testing.T) {
	dir := os.Getenv(WeightsDirEnv)
	if dir == "" {
		t.Skipf("%s is not set: skipping the mobilenetv2_100 weights check", WeightsDirEnv)
	}
	path := filepath.Join(dir, "mobilenetv2_100.safetensors")
	h, err := ReadSafetensorsHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Tensors) != 261 || stCountValues(h) != 2258984 {
		t.Errorf("header: %d tensors, %d values; want 261 tensors, 2258984 values", len(h.Tensors), stCountValues(h))
	}
	ts, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != len(h.Tensors) {
		t.Fatalf("read %d tensors, header lists %d", len(ts), len(h.Tensors))
	}
	for name, info := range h.Tensors {
		got := ts[name]
		if info.DType != "F32" || got.DType() != dtypes.Float32 {
			t.Errorf("%s: stored %s, read %s; want F32/float32", name, info.DType, got.DType())
		}
		if got.Shape().Rank() != len(info.Shape) || (len(info.Shape) > 0 && !reflect.DeepEqual(got.Shape().Dimensions, info.Shape)) {
			t.Errorf("%s: read shape %s, header %v", name, got.Shape(), info.Shape)
		}
	}
	if got := ts["conv_stem.weight"]; got == nil || !reflect.DeepEqual(got.Shape().Dimensions, []int{32, 3, 3, 3}) {
		t.Errorf("conv_stem.weight = %v, want shape [32 3 3 3]", got)
	}
}

func TestSafetensorsEfficientNetFixture(t *testing.T) {
	h, err := ReadSafetensorsHeader(filepath.Join("testdata", "efficientnet_tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Tensors) != 195 || stCountValues(h) != 205894 {
		t.Errorf("weights: %d tensors, %d values; want 195 tensors, 205894 values (testdata/README.md)", len(h.Tensors), stCountValues(h))
	}
	if h.Metadata["width_multiplier"] != "0.25" || h.Metadata["depth_multiplier"] != "0.5" || h.Metadata["bn_eps"] != "1e-05" {
		t.Errorf("weights metadata = %v", h.Metadata)
	}
	for name, info := range h.Tensors {
		if info.DType != "F32" || strings.Contains(name, "num_batches_tracked") {
			t.Errorf("%s: dtype %s; want F32 and no num_batches_tracked", name, info.DType)
		}
	}

	ref, err := ReadSafetensorsHeader(filepath.Join("testdata", "efficientnet_tiny_reference.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var channels, strides []int
	if err := json.Unmarshal([]byte(ref.Metadata["channels"]), &channels); err != nil {
		t.Fatalf("reference metadata channels: %v", err)
	}
	if err := json.Unmarshal([]byte(ref.Metadata["strides"]), &strides); err != nil {
		t.Fatalf("reference metadata strides: %v", err)
	}
	if len(channels) != 5 || len(strides) != 5 {
		t.Fatalf("channels %v, strides %v: want five taps", channels, strides)
	}
	input := ref.Tensors["input"].Shape
	if !reflect.DeepEqual(input, []int{1, 3, 64, 64}) {
		t.Fatalf("input shape %v, want [1 3 64 64]", input)
	}
	for i, s := range strides {
		tap := ref.Tensors[fmt.Sprintf("stride%d", s)].Shape
		want := []int{1, channels[i], input[2] / s, input[3] / s}
		if !reflect.DeepEqual(tap, want) {
			t.Errorf("stride%d shape %v, want %v", s, tap, want)
		}
	}
	// The last tap feeds conv_head, whose output channels are the pooled width.
	head := h.Tensors["conv_head.weight"].Shape
	if head[1] != channels[4] || !reflect.DeepEqual(ref.Tensors["pooled"].Shape, []int{1, head[0]}) {
		t.Errorf("conv_head %v vs last tap %d channels and pooled %v", head, channels[4], ref.Tensors["pooled"].Shape)
	}
}
