// Package plots draws goadtr's figures without any online dependency: heatmaps with colour
// maps and colour bars, overlays with ground-truth contours and labelled image grids as PNG
// (image, image/png, golang.org/x/image), and ROC / PRO / loss curves and score histograms as
// self-contained SVG. In a GoNB notebook, DisplayImage and DisplaySVG show them inline.
//
// Images follow the image package's orientation: row 0 is the top row, and row-major value
// slices are indexed values[y*width+x]. The package takes plain slices and depends on nothing
// else in goadtr.
package plots
