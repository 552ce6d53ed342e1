package plots

import (
	"image"
	"image/color"
	"image/draw"
)

// ColorBar draws the vertical colour scale of heatmaps drawn with cm between vmin and vmax: the
// colour ramp (vmax at the top), round tick values on its right and label above it (may be
// empty), on a white background, height pixels tall (at least 120).
func ColorBar(cm Colormap, vmin, vmax float64, height int, label string) *image.RGBA {
	const pad, barW, tickLen = 8, 24, 6
	height = max(height, 120)
	_, th := textSize("0", textScale)
	top := pad + th/2
	if label != "" {
		top += th + pad
	}
	bottom := height - pad - th/2
	barH := bottom - top

	ticks, step := []float64{vmin}, 0.0
	if vmax > vmin {
		// About one tick per two text heights, but at least three.
		for target := min(20, max(2, barH/(2*th))); len(ticks) < 3 && target <= 20; target++ {
			ticks, step = linearTicks(vmin, vmax, target)
		}
	}
	labels := make([]string, len(ticks))
	width := textWidth(label) + 2*pad
	for i, v := range ticks {
		labels[i] = formatTick(v, step)
		width = max(width, pad+barW+tickLen+4+textWidth(labels[i])+pad)
	}

	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	if label != "" {
		drawText(img, pad, pad, label, color.Black, textScale)
	}
	for y := top; y < bottom; y++ {
		c := cm.At(float64(bottom-1-y) / float64(max(barH-1, 1)))
		draw.Draw(img, image.Rect(pad, y, pad+barW, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	for i, v := range ticks {
		y := bottom - 1
		if vmax > vmin {
			y = bottom - 1 - int(float64(barH-1)*(v-vmin)/(vmax-vmin)+0.5)
		}
		draw.Draw(img, image.Rect(pad+barW, y, pad+barW+tickLen, y+2), image.Black, image.Point{}, draw.Src)
		drawText(img, pad+barW+tickLen+4, y-th/2, labels[i], color.Black, textScale)
	}
	return img
}
