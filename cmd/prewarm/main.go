// Command prewarm renders, previews, validates and detects prewarm
// Workspaces without a cluster.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

// subcommands is filled by each command file's init, so commands live in
// their own files and the root stays small.
var subcommands []func() *cobra.Command

// Exit status, one rule for every command:
//
//	0  success
//	1  the input was read and a rule refused it: an invalid Workspace or
//	   Task, or chart values the templates reject
//	2  the command could not do its job: bad flags or arguments, a file
//	   that cannot be read or parsed, the wrong kind of object
const (
	exitInvalid = 1
	exitUsage   = 2
)

// exitError carries a specific exit code without printing usage.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "prewarm",
		Short: "Warm workspaces for Kelos agents: render, validate and detect setup presets",
		Long: `prewarm renders Kelos Workspaces whose setup init containers and shared
cache volumes let an agent start on installed dependencies and a warm build
cache. It needs no cluster: every command reads files and prints YAML.

Exit status: 0 success; 1 the input was read and a rule refused it (an
invalid Workspace or Task, values the chart rejects); 2 bad flags or
arguments, or input that cannot be read or parsed.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the exit status; tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "prewarm:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "prewarm:", err)
	var ie *podtemplate.InputError
	if errors.As(err, &ie) {
		return exitInvalid
	}
	return exitUsage
}

// invalid marks err as input a rule refused (exit status 1).
func invalid(err error) error { return &exitError{code: exitInvalid, err: err} }
