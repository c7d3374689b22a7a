package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/prewarm-dev/prewarm/pkg/chartrender"
)

// version is set at release time with -ldflags "-X main.version=v0.1.0";
// otherwise the module version from the build info is used.
var version = ""

func init() { subcommands = append(subcommands, newVersionCmd) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the prewarm version, the embedded charts' versions and the Go runtime",
		Example: "  prewarm version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "prewarm %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			for _, name := range chartNames() {
				c, err := chartrender.Load(name)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "chart %s %s\n", name, c.Metadata.Version)
			}
			return nil
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
