package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/presets"
)

func init() { subcommands = append(subcommands, newDetectCmd) }

func newDetectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "detect [DIR]",
		Short: "Find lockfiles in a checkout and print the presets values for them",
		Long: `detect walks DIR (a repository checkout; default: the current directory) and prints a values.yaml fragment
for the prewarm-workspace chart: one enabled preset per ecosystem whose
lockfiles it finds, with the directories (relative to DIR) as workdirs.

  npm     package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock
  pip     requirements*.txt, uv.lock, poetry.lock
  gomod   go.mod
  cargo   Cargo.lock (workspace roots only)
  maven   pom.xml (top-most only)
  gradle  build.gradle(.kts), settings.gradle(.kts) (top-most only)

node_modules, vendor, target, build, dist, out, venv, testdata and hidden
directories are not searched. The output is sorted and stable.`,
		Example: `  prewarm detect . > presets-values.yaml
  helm upgrade --install app charts/prewarm-workspace -f values.yaml -f presets-values.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			found, err := presets.Detect(dir)
			if err != nil {
				return err
			}
			out, err := yaml.Marshal(map[string]any{"presets": found})
			if err != nil {
				return fmt.Errorf("detect: %w", err)
			}
			if len(found) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "prewarm: no lockfiles found under %s\n", dir)
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
}
