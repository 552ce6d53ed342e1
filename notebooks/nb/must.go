package nb

import "fmt"

// Must returns v, or panics with err when it is not nil: a notebook cell that fails then fails
// visibly (a panic on standard error), and the error carries the library's context.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("notebook cell failed: %v", err))
	}
	return v
}

// Check panics when err is not nil, saying what was being done: Check(err, "training %s", name).
func Check(err error, format string, args ...any) {
	if err != nil {
		panic(fmt.Sprintf("notebook cell failed: %s: %v", fmt.Sprintf(format, args...), err))
	}
}

// Must2 is Must for functions returning two values and an error.
func Must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(fmt.Sprintf("notebook cell failed: %v", err))
	}
	return a, b
}
