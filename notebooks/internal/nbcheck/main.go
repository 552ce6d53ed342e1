// Command nbcheck fails when an executed Jupyter notebook holds a cell error.
//
// GoNB reports a failing cell as an "error" output, but a program can also print a panic or an
// "exit status" on standard error and carry on; nbcheck treats all of these as failures, so a
// notebook report is only published when every cell ran cleanly.
//
// Usage: go run ./notebooks/internal/nbcheck executed1.ipynb [executed2.ipynb ...]
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// notebook is the part of the nbformat 4 schema nbcheck reads.
type notebook struct {
	Cells []struct {
		CellType string          `json:"cell_type"`
		Source   json.RawMessage `json:"source"`
		Outputs  []struct {
			OutputType string          `json:"output_type"`
			Name       string          `json:"name"`
			Text       json.RawMessage `json:"text"`
			EName      string          `json:"ename"`
			EValue     string          `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// failureMarks are substrings of a cell's standard error that mean the cell's program failed.
var failureMarks = []string{"panic:", "exit status", "fatal error:"}

// multiline decodes an nbformat text field, which is either a string or a list of strings.
func multiline(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	if json.Unmarshal(raw, &lines) == nil {
		return strings.Join(lines, "")
	}
	return string(raw)
}

// check returns one message per failing cell of the notebook at path.
func check(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("notebook %s: %w", path, err)
	}
	var problems []string
	for i, cell := range nb.Cells {
		for _, out := range cell.Outputs {
			text := multiline(out.Text)
			switch {
			case out.OutputType == "error":
				problems = append(problems, fmt.Sprintf("%s: cell %d: %s: %s", path, i+1, out.EName, out.EValue))
			case out.OutputType == "stream" && out.Name == "stderr":
				for _, mark := range failureMarks {
					if strings.Contains(text, mark) {
						problems = append(problems, fmt.Sprintf("%s: cell %d: stderr holds %q:\n%s", path, i+1, mark, text))
						break
					}
				}
			}
		}
	}
	return problems, nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nbcheck executed.ipynb [...]")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		problems, err := check(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nbcheck:", err)
			failed = true
			continue
		}
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "nbcheck:", p)
			failed = true
		}
		if len(problems) == 0 {
			fmt.Printf("nbcheck: %s: every cell ran cleanly\n", path)
		}
	}
	if failed {
		os.Exit(1)
	}
}
