package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		notebook string
		wantFail string // substring of the first problem, "" for a clean notebook
	}{
		{"clean", `{"cells":[{"cell_type":"code","outputs":[{"output_type":"stream","name":"stdout","text":["ok\n"]}]}]}`, ""},
		{"error output", `{"cells":[{"cell_type":"code","outputs":[{"output_type":"error","ename":"ERROR","evalue":"exit status 2"}]}]}`, "cell 1: ERROR"},
		{"panic on stderr", `{"cells":[{"cell_type":"markdown"},{"cell_type":"code","outputs":[{"output_type":"stream","name":"stderr","text":"panic: boom\n"}]}]}`, "cell 2"},
		{"exit status on stderr", `{"cells":[{"cell_type":"code","outputs":[{"output_type":"stream","name":"stderr","text":["exit status 1\n"]}]}]}`, "exit status"},
		{"harmless stderr", `{"cells":[{"cell_type":"code","outputs":[{"output_type":"stream","name":"stderr","text":["goadtr: using the pure-Go backend\n"]}]}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "nb.ipynb")
			if err := os.WriteFile(path, []byte(tt.notebook), 0o644); err != nil {
				t.Fatal(err)
			}
			problems, err := check(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantFail == "" {
				if len(problems) != 0 {
					t.Errorf("clean notebook reported %q", problems)
				}
				return
			}
			if len(problems) == 0 || !strings.Contains(problems[0], tt.wantFail) {
				t.Errorf("problems = %q, want one containing %q", problems, tt.wantFail)
			}
		})
	}
	if _, err := check(filepath.Join(t.TempDir(), "missing.ipynb")); err == nil {
		t.Error("missing notebook gave no error")
	}
}
