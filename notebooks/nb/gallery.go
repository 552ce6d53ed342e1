package nb

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/goadtr/goadtr/adtr/experiment"
	"github.com/goadtr/goadtr/plots"
)

// Gallery files written by notebook 03.
const (
	HighestGallery    = "gallery_highest_by_kind.png"
	LowestGallery     = "gallery_lowest_by_kind.png"
	BorderlineGallery = "gallery_borderline.png"
)

// BorderlineRows is the number of images of the borderline gallery.
const BorderlineRows = 4

// kinds returns the kinds of test images ("good" first, then the defect types in order of first
// appearance) and the indices of each, by decreasing score.
func kinds(defects []string, scores []float64) (names []string, members map[string][]int) {
	members = map[string][]int{}
	for _, i := range Ranked(scores) {
		members[defects[i]] = append(members[defects[i]], i)
	}
	for _, d := range defects {
		if !slices.Contains(names, d) {
			names = append(names, d)
		}
	}
	slices.SortStableFunc(names, func(a, b string) int {
		return cmp.Compare(boolInt(a != "good"), boolInt(b != "good"))
	})
	return names, members
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// KindGalleries chooses the rows of notebook 03's galleries: the highest- and the lowest-scoring
// image of every kind (normal, then each defect type), and the BorderlineRows images whose score
// is closest to the threshold in log ratio, keyed by gallery file name.
func KindGalleries(t *experiment.TestSet, threshold float64) map[string][]int {
	defects := make([]string, len(t.Samples))
	for i, s := range t.Samples {
		defects[i] = s.Defect
	}
	names, members := kinds(defects, t.Scored.Scores)
	var hi, lo []int
	for _, k := range names {
		m := members[k]
		hi, lo = append(hi, m[0]), append(lo, m[len(m)-1])
	}
	border := Ranked(t.Scored.Scores)
	distance := func(i int) float64 { return math.Abs(math.Log(t.Scored.Scores[i] / threshold)) }
	slices.SortStableFunc(border, func(a, b int) int { return cmp.Compare(distance(a), distance(b)) })
	border = border[:min(BorderlineRows, len(border))]
	slices.SortStableFunc(border, func(a, b int) int { return cmp.Compare(t.Scored.Scores[b], t.Scored.Scores[a]) })
	return map[string][]int{HighestGallery: hi, LowestGallery: lo, BorderlineGallery: border}
}

// KindGroups returns the normalised scores (score / threshold) of a score table grouped by kind,
// normal images first, for a histogram.
func KindGroups(st ScoreTable) []plots.HistogramGroup {
	names, members := kinds(st.Kinds, st.Scores)
	colors := []string{"#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	var groups []plots.HistogramGroup
	for gi, k := range names {
		g := plots.HistogramGroup{Name: k, Color: colors[gi%len(colors)]}
		if k == "good" {
			g.Name = "normal (good)"
		}
		for _, i := range members[k] {
			g.Values = append(g.Values, st.Scores[i]/st.Threshold)
		}
		groups = append(groups, g)
	}
	return groups
}

// FlagChanges summarises the images whose decision changes when the threshold moves from one value
// to another: gained are flagged at to but not at from, lost the reverse; each as counts by kind
// with the image names, such as "good x2 (002, 007); thread x1 (028)", or "none".
func FlagChanges(st ScoreTable, from, to float64) (gained, lost string) {
	var g, l []int
	for i, s := range st.Scores {
		switch {
		case s >= to && s < from:
			g = append(g, i)
		case s < to && s >= from:
			l = append(l, i)
		}
	}
	return st.byKind(g), st.byKind(l)
}

// byKind summarises images by kind: "good x2 (002, 007); thread x1 (028)"; at most 4 names per
// kind are listed.
func (st ScoreTable) byKind(idx []int) string {
	if len(idx) == 0 {
		return "none"
	}
	var order []string
	names := map[string][]string{}
	for _, i := range idx {
		k := st.Kinds[i]
		if _, ok := names[k]; !ok {
			order = append(order, k)
		}
		names[k] = append(names[k], st.Names[i])
	}
	parts := make([]string, len(order))
	for j, k := range order {
		n := names[k]
		list := strings.Join(n[:min(4, len(n))], ", ")
		if len(n) > 4 {
			list += ", ..."
		}
		parts[j] = fmt.Sprintf("%s x%d (%s)", k, len(n), list)
	}
	return strings.Join(parts, "; ")
}
