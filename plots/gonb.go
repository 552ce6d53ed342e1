package plots

import (
	"image"

	"github.com/janpfeifer/gonb/gonbui"
)

// DisplayImage shows img inline when the program runs in a GoNB notebook cell; elsewhere it
// does nothing and returns nil.
func DisplayImage(img image.Image) error {
	if !gonbui.IsNotebook {
		return nil
	}
	return gonbui.DisplayImage(img)
}

// DisplaySVG shows an SVG document inline when the program runs in a GoNB notebook cell;
// elsewhere it does nothing.
func DisplaySVG(svg string) {
	if gonbui.IsNotebook {
		gonbui.DisplaySvg(svg)
	}
}
