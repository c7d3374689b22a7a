package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/presets"
)

func init() { subcommands = append(subcommands, newSetupScriptCmd) }

func newSetupScriptCmd() *cobra.Command {
	var preset string
	var workdirs []string
	cmd := &cobra.Command{
		Use:   "setup-script --preset NAME [--workdir DIR]...",
		Short: "Print the shell script a preset's setup container runs",
		Long: `setup-script prints the exact POSIX sh script that the setup container of a
preset runs (as: sh -c SCRIPT prewarm-NAME [extraArgs...]). The script is the
same for every Workspace; settings reach it only through PREWARM_* env.

With --workdir, a comment header first shows the PREWARM_WORKDIRS value the
container gets for those workdirs (one per line). Presets: ` + strings.Join(presets.Names(), ", ") + `.`,
		Example: `  prewarm setup-script --preset npm > npm-setup.sh
  prewarm setup-script --preset gomod --workdir . --workdir services/api`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if preset == "" {
				return fmt.Errorf("--preset is required (one of %s)", strings.Join(presets.Names(), ", "))
			}
			if !presets.Known(preset) {
				return presets.UnknownError(preset)
			}
			if errs := presets.ValidateWorkdirs(workdirs, field.NewPath("--workdir")); len(errs) > 0 {
				return errors.New(v1alpha2.FormatInvalid("--workdir", errs))
			}
			script, err := presets.Script(preset)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(workdirs) > 0 {
				fmt.Fprint(out, setupScriptHeader(preset, workdirs))
			}
			if !strings.HasSuffix(script, "\n") {
				script += "\n"
			}
			_, err = fmt.Fprint(out, script)
			return err
		},
	}
	cmd.Flags().StringVar(&preset, "preset", "", "preset name: "+strings.Join(presets.Names(), ", "))
	cmd.Flags().StringArrayVar(&workdirs, "workdir", nil, "workdir relative to the repository root (repeatable)")
	return cmd
}

// setupScriptHeader is the comment block shown before the script when
// workdirs are given.
func setupScriptHeader(preset string, workdirs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# prewarm setup script of preset %s, run as: sh -c SCRIPT prewarm-%s [extraArgs...]\n", preset, preset)
	fmt.Fprintf(&b, "# The container gets PREWARM_WORKDIRS=%q (one workdir per line):\n", strings.Join(workdirs, "\n"))
	for _, w := range workdirs {
		fmt.Fprintf(&b, "#   %s\n", w)
	}
	return b.String()
}
