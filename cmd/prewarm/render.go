package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/chartrender"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

func init() { subcommands = append(subcommands, newRenderCmd) }

type renderFlags struct {
	chart, release, namespace, kubeVersion, taskFile, target string
	pod                                                      bool
	values                                                   values.Options
	podOpts                                                  podtemplate.Options
}

func newRenderCmd() *cobra.Command {
	var rf renderFlags
	cmd := &cobra.Command{
		Use:   "render [-f values.yaml]... [--set key=value]...",
		Short: "Render a prewarm chart embedded in this binary, as helm template does",
		Long: `Render one of the embedded charts (default prewarm-workspace) with Helm's
engine: the same objects, schema checks and error messages as
'helm template'. With --pod --task FILE it also prints the Task pod (a Job)
that each rendered Workspace produces.`,
		Example: `  prewarm render --set workspace.repo=https://github.com/org/app.git --set presets.npm.enabled=true
  prewarm render -f values.yaml --release web --namespace agents
  prewarm render -f values.yaml --pod --task examples/task.yaml
  prewarm render --chart prewarm-caches --set caches.gomod.size=100Gi
  prewarm render -f values.yaml --target podOverrides   # released Kelos, no admission policy
  prewarm render -f values.yaml --target extension      # Kelos with the Workspace setup proposal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRender(cmd.OutOrStdout(), cmd.InOrStdin(), rf)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&rf.values.ValueFiles, "values", "f", nil, "values YAML file (repeatable; later files win)")
	f.StringArrayVar(&rf.values.Values, "set", nil, "set a value, e.g. presets.npm.enabled=true (repeatable)")
	f.StringArrayVar(&rf.values.StringValues, "set-string", nil, "set a STRING value (repeatable)")
	f.StringArrayVar(&rf.values.JSONValues, "set-json", nil, "set a JSON value, e.g. 'presets.npm.workdirs=[\"web\"]' (repeatable)")
	f.StringVar(&rf.chart, "chart", "prewarm-workspace", "embedded chart: "+strings.Join(chartNames(), ", "))
	f.StringVar(&rf.release, "release", "prewarm", "release name")
	f.StringVarP(&rf.namespace, "namespace", "n", "default", "release namespace")
	f.StringVar(&rf.kubeVersion, "kube-version", chartrender.DefaultKubeVersion, "Kubernetes version the charts see (Capabilities.KubeVersion)")
	f.BoolVar(&rf.pod, "pod", false, "also print the Task pod of each rendered Workspace (needs --task)")
	f.StringVar(&rf.taskFile, "task", "", "Task YAML file for --pod")
	f.StringVar(&rf.podOpts.AgentImage, "agent-image", "", "agent image for --pod when the Task sets none")
	f.StringVar(&rf.target, "target", "", "how prewarm reaches Kelos (sets kelos.integration of prewarm-workspace; default: the chart's, admission): "+strings.Join(targets, ", "))
	return cmd
}

// targets are the values of kelos.integration; the chart owns what each
// renders (charts/prewarm-workspace/templates/_kelos.tpl).
var targets = []string{"admission", "podOverrides", "extension"}

// targetAliases keep the names of earlier releases working.
var targetAliases = map[string]string{"workspace": "extension", "kelos-podoverrides": "podOverrides"}

// setTarget puts --target into the values as kelos.integration.
func setTarget(vals map[string]any, rf renderFlags) error {
	if rf.target == "" {
		return nil
	}
	target := rf.target
	if a, ok := targetAliases[target]; ok {
		target = a
	}
	if !slices.Contains(targets, target) {
		return fmt.Errorf("--target %q is not supported (%s)", rf.target, strings.Join(targets, ", "))
	}
	if rf.chart != "prewarm-workspace" {
		return fmt.Errorf("--target applies to the prewarm-workspace chart, not %s", rf.chart)
	}
	withIntegration(vals, target)
	return nil
}

func withIntegration(vals map[string]any, target string) {
	k, _ := vals["kelos"].(map[string]any)
	if k == nil {
		k = map[string]any{}
		vals["kelos"] = k
	}
	k["integration"] = target
}

func chartNames() []string { return chartrender.Names() }

func runRender(out io.Writer, stdin io.Reader, rf renderFlags) error {
	if rf.pod && rf.taskFile == "" {
		return fmt.Errorf("--pod needs --task FILE: the Task whose pod to render")
	}
	c, err := chartrender.Load(rf.chart)
	if err != nil {
		return err
	}
	vals, err := rf.values.MergeValues(getter.Providers{})
	if err != nil {
		return fmt.Errorf("values: %w", err)
	}
	if err := setTarget(vals, rf); err != nil {
		return err
	}
	opts := chartrender.Options{ReleaseName: rf.release, Namespace: rf.namespace, KubeVersion: rf.kubeVersion, Values: vals}
	manifest, err := chartrender.Render(c, opts)
	if err != nil {
		return invalid(fmt.Errorf("render %s: %w", rf.chart, err))
	}
	// The Task pods are Kelos' with the proposal: render the extension's
	// Workspaces (whatever the target), before printing anything, so a
	// failure never leaves half a stream on stdout for kubectl apply.
	var pods bytes.Buffer
	if rf.pod {
		ext := opts
		ext.Values = maps.Clone(vals)
		if rf.chart == "prewarm-workspace" {
			kelos, _ := vals["kelos"].(map[string]any)
			ext.Values["kelos"] = maps.Clone(kelos)
			withIntegration(ext.Values, "extension")
		}
		extManifest, err := chartrender.Render(c, ext)
		if err != nil {
			return invalid(fmt.Errorf("render %s: %w", rf.chart, err))
		}
		if err := renderPods(&pods, stdin, extManifest, rf); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(out, manifest); err != nil {
		return err
	}
	_, err = pods.WriteTo(out)
	return err
}

// renderPods prints the Job for the Task on every Workspace in manifest.
func renderPods(out io.Writer, stdin io.Reader, manifest string, rf renderFlags) error {
	var task v1alpha2.Task
	if err := loadOne(rf.taskFile, "Task", stdin, &task); err != nil {
		return err
	}
	docs, err := readDocuments("-", strings.NewReader(manifest))
	if err != nil {
		return err
	}
	for _, doc := range docs {
		if h, _ := parseHeader(doc); h.Kind != "Workspace" {
			continue
		}
		var ws v1alpha2.Workspace
		if err := decodeKind(doc, "Workspace", &ws); err != nil {
			return err
		}
		t := task.DeepCopy()
		t.Namespace = rf.namespace
		if ref := t.Spec.WorkspaceRef; ref != nil && ref.Name != "" && ref.Name != ws.Name {
			return invalid(fmt.Errorf("task %s refers to workspace %q, but the render's Workspace is %q: set workspace.name=%s, or remove spec.workspaceRef from the Task", t.Name, ref.Name, ws.Name, ref.Name))
		}
		t.Spec.WorkspaceRef = &v1alpha2.WorkspaceReference{Name: ws.Name}
		job, err := podtemplate.Render(&ws, t, rf.podOpts)
		if err != nil {
			return err
		}
		b, err := yaml.Marshal(job)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "---\n# Task pod of Workspace %s\n%s", ws.Name, b)
	}
	return nil
}
