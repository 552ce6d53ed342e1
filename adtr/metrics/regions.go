package metrics

// labelRegions labels the 8-connected components of the non-zero pixels of a row-major
// width×height mask. labels[p] is 0 for background and k in 1..len(sizes) for region k, whose
// pixel count is sizes[k-1].
func labelRegions(mask []uint8, width, height int) (labels []int32, sizes []int) {
	labels = make([]int32, len(mask))
	var stack []int
	for start, v := range mask {
		if v == 0 || labels[start] != 0 {
			continue
		}
		id := int32(len(sizes) + 1)
		size := 0
		labels[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := p%width, p/width
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= width || ny >= height {
						continue
					}
					q := ny*width + nx
					if mask[q] != 0 && labels[q] == 0 {
						labels[q] = id
						stack = append(stack, q)
					}
				}
			}
		}
		sizes = append(sizes, size)
	}
	return labels, sizes
}
