package datasets

import "testing"

// BenchmarkLoadHazelnut measures reading the hazelnut category ($GOADTR_DATA_DIR/hazelnut:
// 51 JPEGs of 512×512 with 17 masks) and decoding and resizing every image and mask to
// 256×256 with one worker per CPU.
func BenchmarkLoadHazelnut(b *testing.B) {
	root := dataDir(b, "hazelnut")
	n := 0
	for range b.N {
		cat, err := OpenMVTec(root, Options{})
		if err != nil {
			b.Fatal(err)
		}
		samples := append(append([]Sample{}, cat.Train...), cat.Test...)
		if _, _, err := LoadAll(samples, DefaultSize, 0, nil); err != nil {
			b.Fatal(err)
		}
		n += len(samples)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}
