package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

func init() { subcommands = append(subcommands, newPodCmd) }

func newPodCmd() *cobra.Command {
	var wsFile, taskFile string
	var o podtemplate.Options
	cmd := &cobra.Command{
		Use:   "pod --workspace FILE --task FILE",
		Short: "Print the Job Kelos would run for a Task on a Workspace",
		Long: `Render the batch/v1 Job (and so the pod) for a Task on a Workspace, with
init containers in the order git-clone, branch-setup, workspace-files, then
each spec.setup entry, then the agent. The Workspace is validated first.`,
		Example: `  prewarm pod --workspace examples/workspace-setup/workspace.yaml --task examples/task.yaml
  prewarm render -f values.yaml --target extension | prewarm pod --workspace - --task task.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.ActiveDeadlineSeconds < 0 {
				return fmt.Errorf("--active-deadline-seconds must be 0 (no deadline) or a positive number of seconds, not %d", o.ActiveDeadlineSeconds)
			}
			var ws v1alpha2.Workspace
			var task v1alpha2.Task
			if err := loadOne(wsFile, "Workspace", cmd.InOrStdin(), &ws); err != nil {
				return err
			}
			if err := loadOne(taskFile, "Task", cmd.InOrStdin(), &task); err != nil {
				return err
			}
			job, err := podtemplate.Render(&ws, &task, o)
			if err != nil {
				return fmt.Errorf("%w\nfix the fields above, or check them with: prewarm validate %s", err, wsFile)
			}
			out, err := yaml.Marshal(job)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&wsFile, "workspace", "", "Workspace YAML file (- for stdin)")
	f.StringVar(&taskFile, "task", "", "Task YAML file (- for stdin)")
	f.StringVar(&o.AgentImage, "agent-image", "", "agent image when the Task sets none (default "+podtemplate.DefaultAgentImage+")")
	f.StringVar(&o.GitImage, "git-image", "", "image for git-clone and branch-setup (default "+podtemplate.DefaultGitImage+")")
	f.BoolVar(&o.AllowHostPath, "allow-host-path", false, "accept hostPath volumes (local development clusters only)")
	f.Int64Var(&o.ActiveDeadlineSeconds, "active-deadline-seconds", 0, "pod deadline in seconds, setup included (0 = none)")
	_ = cmd.MarkFlagRequired("workspace")
	_ = cmd.MarkFlagRequired("task")
	return cmd
}
