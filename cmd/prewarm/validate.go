package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

func init() { subcommands = append(subcommands, newValidateCmd) }

func newValidateCmd() *cobra.Command {
	var o v1alpha2.ValidationOptions
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check Workspaces against the rules the API server enforces",
		Long: `Validate every Workspace in the given files (multi-document YAML; - reads
stdin). Prints one line per problem with the file, the object and the field
path. Exit status: 0 all valid, 1 a Workspace is invalid, 2 unusable input.`,
		Example: `  prewarm validate examples/*/workspace.yaml
  prewarm render -f values.yaml | prewarm validate -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				n, err := validateFile(path, cmd.InOrStdin(), cmd.OutOrStdout(), o)
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				bad += n
			}
			if bad > 0 {
				return invalid(fmt.Errorf("%d invalid Workspace(s)", bad))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.AllowHostPath, "allow-host-path", false, "accept hostPath volumes (local development only)")
	return cmd
}

// validateFile prints each error and returns how many Workspaces failed.
// Documents of other kinds (a chart render also holds PVCs) are skipped.
func validateFile(path string, stdin io.Reader, out io.Writer, o v1alpha2.ValidationOptions) (int, error) {
	docs, err := readDocuments(path, stdin)
	if err != nil {
		return 0, err
	}
	invalid, seen := 0, 0
	for _, doc := range docs {
		h, err := parseHeader(doc)
		if err != nil {
			return invalid, err
		}
		if h.Kind != "Workspace" {
			continue
		}
		seen++
		var ws v1alpha2.Workspace
		if err := decodeKind(doc, "Workspace", &ws); err != nil {
			return invalid, err
		}
		errs := ws.ValidateWith(o)
		for _, e := range errs {
			fmt.Fprintf(out, "%s: Workspace/%s: %s\n", doc.source, ws.Name, e.Error())
		}
		if len(errs) > 0 {
			invalid++
		}
	}
	if seen == 0 {
		return 0, fmt.Errorf("%s: no Workspace (apiVersion %s) found", path, v1alpha2.GroupVersion)
	}
	return invalid, nil
}
