package metrics

// curve is a monotone step curve (x, y) with the threshold of each point, built in order of
// increasing x. Intermediate points of horizontal or vertical runs are dropped as they come: they
// change neither the curve's shape nor its area, and pooled pixel curves would otherwise hold one
// point per distinct pixel score.
type curve struct {
	x, y, thr []float64
}

// add appends a point, replacing the previous one when it is the middle of a straight
// horizontal or vertical run.
func (c *curve) add(x, y, thr float64) {
	if n := len(c.x); n >= 2 {
		horizontal := c.y[n-2] == c.y[n-1] && c.y[n-1] == y
		vertical := c.x[n-2] == c.x[n-1] && c.x[n-1] == x
		if horizontal || vertical {
			c.x[n-1], c.y[n-1], c.thr[n-1] = x, y, thr
			return
		}
	}
	c.x = append(c.x, x)
	c.y = append(c.y, y)
	c.thr = append(c.thr, thr)
}

// trapezoid integrates y over x with the trapezoid rule; x must be non-decreasing.
func trapezoid(x, y []float64) float64 {
	area := 0.0
	for i := 1; i < len(x); i++ {
		area += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return area
}
