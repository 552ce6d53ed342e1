// Command adtr trains, evaluates and applies ADTR anomaly detectors.
//
//	adtr train   train on a category (embedded synthetic data by default) and evaluate it
//	adtr eval    evaluate a trained model on a category's test split
//	adtr predict score images with a trained model: score, decision and an overlay PNG each
//	adtr bench   measure train-step and inference speed, latency and peak memory
//	adtr features summarise a backbone's feature maps for images
//
// Run `adtr <command> -h` for the flags of each command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: its name, a one-line summary and its entry point.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"train", "train ADTR on a category and evaluate it", runTrain},
	{"eval", "evaluate a trained model on a category's test split", runEval},
	{"predict", "score images with a trained model", runPredict},
	{"bench", "measure training and inference speed", runBench},
	{"features", "summarise a backbone's feature maps for images", runFeatures},
}

// errUsage marks a command-line error: the usage was already printed.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "adtr: ADTR anomaly detection (transformer feature reconstruction) in Go.")
	fmt.Fprintln(w, "\nUsage: adtr <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `adtr <command> -h` for a command's flags.")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the process exit code: 0 success, 1 failure,
// 2 usage error, 130 interrupted (a checkpoint was saved).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "adtr %s: interrupted: %v\n", c.name, err)
			return 130
		}
		fmt.Fprintf(stderr, "adtr %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "adtr: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// parse parses a command's flags; a bad flag prints the usage to stderr and returns errUsage.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer, synopsis string) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: adtr %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// usageErrorf reports a bad flag value: the message, then the command's usage.
func usageErrorf(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "adtr %s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}
