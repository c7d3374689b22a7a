package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/pager"

	"github.com/prewarm-dev/prewarm/pkg/report"
)

func init() { subcommands = append(subcommands, newReportCmd) }

// kubeFlags are the cluster flags report and exporter share, loaded like
// kubectl: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the
// in-cluster service account.
type kubeFlags struct {
	kubeconfig string
	context    string
	namespace  string
}

func (k *kubeFlags) add(fs *pflag.FlagSet, nsUsage string) {
	fs.StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	fs.StringVar(&k.context, "context", "", "kubeconfig context to use")
	fs.StringVarP(&k.namespace, "namespace", "n", "", nsUsage)
}

// clientConfig loads a client configuration as kubectl does: kubeconfig,
// else $KUBECONFIG, else ~/.kube/config, else the in-cluster service
// account; kubeContext and namespace override the kubeconfig's when set.
// report, exporter and the cluster way of cache all connect through it.
func clientConfig(kubeconfig, kubeContext, namespace string) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	if namespace != "" {
		overrides.Context.Namespace = namespace
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// checkPodFlags checks the pod selection flags report and exporter add
// beside these: -l SELECTOR, and -A, which excludes -n.
func (k *kubeFlags) checkPodFlags(all bool, selector string) error {
	if _, err := labels.Parse(selector); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("--selector %q: %w", selector, err)}
	}
	if all && k.namespace != "" {
		return &exitError{code: exitUsage, err: fmt.Errorf("--all-namespaces and --namespace %q exclude each other", k.namespace)}
	}
	return nil
}

// client returns a clientset and the namespace: -n, else the context's.
func (k *kubeFlags) client() (kubernetes.Interface, string, error) {
	cc := clientConfig(k.kubeconfig, k.context, k.namespace)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("cannot load a kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("cannot determine the namespace: %w", err)
	}
	cfg.UserAgent = "prewarm"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return cs, ns, nil
}

func newReportCmd() *cobra.Command {
	var kf kubeFlags
	var all bool
	var selector, output string
	cmd := &cobra.Command{
		Use:   "report [-n NAMESPACE | -A] [-l SELECTOR] [-o table|json]",
		Short: "Is the cache working? Setup results of the Task pods in a cluster",
		Long: `report lists the Task pods it can see and reads the summary line each preset
setup container leaves as its termination message
(status.initContainerStatuses[].state.terminated.message). Per namespace,
Workspace and preset it prints: Tasks, the share of snapshot, warm, cold and
fallback results, the median and p90 setup seconds per Task, and the last
cold start and why (key changed, cache empty, cache unwritable, snapshot
unusable).

Task pods carry kelos.dev/component=task (Kelos) or a kelos.dev/task label
(Kelos and ` + "`prewarm pod`" + `); every other pod is ignored. The Workspace is the
prewarm.dev/workspace label, else kelos.dev/workspace, else the repository
the git-clone init container clones.

It needs get/list on pods. The kubeconfig is found like kubectl's.`,
		Example: `  prewarm report -n team-a
  prewarm report -A -o json
  prewarm report -n team-a -l prewarm.dev/workspace=web`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return &exitError{code: 2, err: fmt.Errorf("--output %q is not supported (table or json)", output)}
			}
			if err := kf.checkPodFlags(all, selector); err != nil {
				return err
			}
			cs, ns, err := kf.client()
			if err != nil {
				return err
			}
			if all {
				ns = metav1.NamespaceAll
			}
			runs, err := listRuns(cmd, cs, ns, selector)
			if err != nil {
				return err
			}
			return writeReport(cmd.OutOrStdout(), output, report.Aggregate(runs))
		},
	}
	kf.add(cmd.Flags(), "namespace to report on (default: the kubeconfig context's)")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "report on every namespace")
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "label selector for the pods (e.g. prewarm.dev/workspace=web)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// listRuns pages through the pods (500 at a time) and keeps the Task pods'
// summary lines.
func listRuns(cmd *cobra.Command, cs kubernetes.Interface, ns, selector string) ([]report.Run, error) {
	var runs []report.Run
	p := pager.New(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return cs.CoreV1().Pods(ns).List(ctx, o)
	})
	p.PageSize = 500
	err := p.EachListItem(cmd.Context(), metav1.ListOptions{LabelSelector: selector}, func(obj runtime.Object) error {
		if pod, ok := obj.(*corev1.Pod); ok {
			runs = append(runs, report.Runs(pod)...)
		}
		return nil
	})
	if err != nil {
		where := "namespace " + ns
		if ns == "" {
			where = "all namespaces"
		}
		return nil, fmt.Errorf("listing pods in %s: %w", where, err)
	}
	return runs, nil
}

func writeReport(w io.Writer, output string, groups []report.Group) error {
	if output == "json" {
		return report.WriteJSON(w, groups)
	}
	return report.WriteTable(w, groups)
}
