package nb

import (
	"errors"
	"os"
)

var errTest = errors.New("boom")

func writeFile(path string) error { return os.WriteFile(path, []byte("x"), 0o644) }
