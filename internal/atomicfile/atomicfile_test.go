package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "f.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary left behind)", len(entries))
	}
	// A path whose directory is a file fails and leaves nothing behind.
	if err := Write(filepath.Join(path, "x"), []byte("y")); err == nil {
		t.Error("writing under a regular file succeeded")
	}
}

func TestWriteFuncKeepsOldContentOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := Write(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	failure := errors.New("fill failed")
	err := WriteFunc(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return failure
	})
	if !errors.Is(err, failure) {
		t.Errorf("err = %v, want the fill error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("content %q after a failed write, want the old one", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d entries left, want only the file", len(entries))
	}
}
