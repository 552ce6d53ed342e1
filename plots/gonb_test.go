package plots

import (
	"image"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
)

// TestDisplayOutsideNotebook checks that displaying outside a GoNB kernel is a harmless no-op.
func TestDisplayOutsideNotebook(t *testing.T) {
	if gonbui.IsNotebook {
		t.Skip("running inside a GoNB kernel")
	}
	if err := DisplayImage(image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Errorf("DisplayImage outside GoNB: %v", err)
	}
	DisplaySVG("<svg/>")
	if err := gonbui.Error(); err != nil {
		t.Errorf("display attempted a GoNB connection: %v", err)
	}
}
