// Command prewarm renders, previews, validates and detects prewarm
// Workspaces without a cluster.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// subcommands is filled by each command file's init, so commands live in
// their own files and the root stays small.
var subcommands []func() *cobra.Command

// exitError carries a specific exit code (validate uses 1 for invalid
// objects, 2 for unusable input) without printing usage.
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
cache. It needs no cluster: every command reads files and prints YAML.`,
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
	return 2
}
