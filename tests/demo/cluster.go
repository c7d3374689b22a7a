package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/presets"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

const (
	namespace = "demo"
	release   = "demo"
)

var crdFiles = []string{"config/crd/kelos.dev_workspaces.yaml", "config/crd/kelos.dev_tasks.yaml"}

// restrictedLabels make Pod Security enforce "restricted" on pods and warn
// on controllers (Jobs, CronJobs) in the namespace.
var restrictedLabels = map[string]string{
	"pod-security.kubernetes.io/enforce":         "restricted",
	"pod-security.kubernetes.io/enforce-version": "latest",
	"pod-security.kubernetes.io/warn":            "restricted",
	"pod-security.kubernetes.io/warn-version":    "latest",
}

// kube is the demo's view of the control plane.
type kube struct {
	cfg        *rest.Config
	cs         kubernetes.Interface
	dyn        dynamic.Interface
	kubeconfig string
	gvr        map[string]schema.GroupVersionResource // by kind
	warnings   *cluster.Warnings
}

// startCluster is step 1: control plane, kubeconfig, CRDs, namespace.
func (d *demo) startCluster(ctx context.Context) (*kube, error) {
	d.ui.heading(1, "Control plane: etcd + kube-apiserver "+kubeVersion+" on 127.0.0.1")
	dir := d.path("controlplane")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d.ui.printf("  starting etcd and kube-apiserver (no kubelet, scheduler or controllers)… ")
	t0 := time.Now()
	cp, err := cluster.Start(ctx, dir)
	if err != nil {
		d.ui.printf("%s\n", failedOr(ctx))
		return nil, fmt.Errorf("start the control plane: %w", err)
	}
	d.cp = cp
	k := &kube{cfg: cp.Config(), warnings: &cluster.Warnings{}}
	k.cfg.WarningHandler = k.warnings
	if k.cs, err = kubernetes.NewForConfig(k.cfg); err != nil {
		return nil, err
	}
	if k.dyn, err = dynamic.NewForConfig(k.cfg); err != nil {
		return nil, err
	}
	ver, err := k.cs.Discovery().ServerVersion()
	if err != nil {
		return nil, d.clusterErr(fmt.Errorf("server version: %w", err))
	}
	d.ui.printf("ready in %s\n", fmtDuration(time.Since(t0)))
	d.ui.line("control plane ready: %s, kube-apiserver %s (state in the work folder)", k.cfg.Host, ver.GitVersion)

	if k.kubeconfig, err = d.writeKubeconfig(k.cfg); err != nil {
		return nil, err
	}
	d.ui.line("kubeconfig for the admin user: %s", k.kubeconfig)

	ext, err := apiextclient.NewForConfig(k.cfg)
	if err != nil {
		return nil, err
	}
	k.gvr = map[string]schema.GroupVersionResource{}
	var names []string
	for _, f := range crdFiles {
		crds, err := cluster.ApplyCRDs(ctx, ext, filepath.Join(d.cfg.root, f))
		if err != nil {
			return nil, d.clusterErr(err)
		}
		for _, crd := range crds {
			names = append(names, crd.Name)
			for _, v := range crd.Spec.Versions {
				if v.Storage {
					k.gvr[crd.Spec.Names.Kind] = schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
				}
			}
		}
	}
	d.ui.line("CRDs from config/crd: %s (Established)", strings.Join(names, ", "))

	if err := cluster.EnsureNamespace(ctx, k.cs, namespace, restrictedLabels); err != nil {
		return nil, d.clusterErr(err)
	}
	d.ui.line("namespace %s labelled pod-security.kubernetes.io/enforce=restricted", namespace)
	return k, nil
}

// clusterErr adds the control plane's log tails to err with --verbose, or
// says how to get them.
func (d *demo) clusterErr(err error) error {
	if d.cp == nil || err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	if !d.cfg.verbose {
		return fmt.Errorf("%w\n(rerun with --verbose for the control plane's log tails, --keep to keep its logs)", err)
	}
	return fmt.Errorf("%w\n%s", err, d.cp.LogTail(15))
}

// writeKubeconfig writes a kubeconfig for the admin rest.Config.
func (d *demo) writeKubeconfig(cfg *rest.Config) (string, error) {
	path := d.path("kubeconfig")
	return path, cluster.WriteKubeconfig(path, "prewarm-demo", cfg, namespace)
}

// helm runs the helm CLI from tools.mod against the demo's control plane.
func (d *demo) helm(ctx context.Context, k *kube, args ...string) (string, error) {
	full := []string{"tool", "-modfile=" + filepath.Join(d.cfg.root, "tools.mod"), "helm"}
	if k != nil {
		full = append(full, "--kubeconfig", k.kubeconfig)
	}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", full...)
	cmd.Dir = d.cfg.root
	cmd.Env = d.childEnv(
		"HELM_CACHE_HOME="+d.path("helm", "cache"),
		"HELM_CONFIG_HOME="+d.path("helm", "config"),
		"HELM_DATA_HOME="+d.path("helm", "data"),
	)
	if k != nil {
		cmd.Env = append(cmd.Env, "KUBECONFIG="+k.kubeconfig)
	}
	killGroupOnCancel(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return string(out), err
}

// killGroupOnCancel runs cmd in its own process group (a terminal's Ctrl-C
// reaches only the demo, which then stops it) and kills the whole group
// when its context ends.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}

// installChart is step 2: helm install, then the Workspace, PVCs and
// CronJobs as the API server stored them. It returns the live Workspace.
func (d *demo) installChart(ctx context.Context, k *kube) (*v1alpha2.Workspace, error) {
	valuesRel := relTo(d.cfg.root, d.cfg.values)
	d.ui.heading(2, fmt.Sprintf("helm install %s charts/prewarm-workspace -f %s -n %s", release, valuesRel, namespace))
	d.ui.printf("  preparing the helm CLI from tools.mod (compiled on first use, about a minute)… ")
	t0 := time.Now()
	out, err := d.helm(ctx, nil, "version", "--short")
	if err != nil {
		d.ui.printf("%s\n", failedOr(ctx))
		return nil, fmt.Errorf("go tool -modfile=tools.mod helm version: %w\n%s", err, tail(out, 20))
	}
	d.ui.printf("helm %s (%s)\n", strings.TrimSpace(out), fmtDuration(time.Since(t0)))

	t0 = time.Now()
	out, err = d.helm(ctx, k, "install", release, filepath.Join(d.cfg.root, "charts", "prewarm-workspace"),
		"-f", d.cfg.values, "-n", namespace, "--create-namespace")
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("helm install (%v):\n%s", err, tail(strings.TrimSpace(out), 30))
	}
	d.ui.line("release %s: %s, revision %s (%s)", release, helmField(out, "STATUS"), helmField(out, "REVISION"), fmtDuration(time.Since(t0)))
	if w := helmWarnings(out); len(w) > 0 {
		for _, l := range w {
			d.ui.line("helm: %s", l)
		}
	}
	d.ui.raw("helm install output", out)

	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + release}
	list, err := k.dyn.Resource(k.gvr["Workspace"]).Namespace(namespace).List(ctx, sel)
	if err != nil {
		return nil, d.clusterErr(err)
	}
	if len(list.Items) != 1 {
		return nil, fmt.Errorf("the release made %d Workspaces, want 1", len(list.Items))
	}
	ws := &v1alpha2.Workspace{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[0].Object, ws); err != nil {
		return nil, fmt.Errorf("decode the live Workspace: %w", err)
	}
	d.showWorkspace(ws)

	pvcs, err := k.cs.CoreV1().PersistentVolumeClaims(namespace).List(ctx, sel)
	if err != nil {
		return nil, d.clusterErr(err)
	}
	d.showPVCs(pvcs.Items)
	cjs, err := k.cs.BatchV1().CronJobs(namespace).List(ctx, sel)
	if err != nil {
		return nil, d.clusterErr(err)
	}
	var jobs []string
	for _, cj := range cjs.Items {
		jobs = append(jobs, fmt.Sprintf("%s (%s)", cj.Name, cj.Spec.Schedule))
	}
	d.ui.printf("\n  CronJobs  %s\n", strings.Join(jobs, "\n            "))
	return ws, nil
}

// showWorkspace prints a kubectl-describe-like summary of ws.
func (d *demo) showWorkspace(ws *v1alpha2.Workspace) {
	d.ui.printf("\n  Workspace %s/%s (read back from the API server)\n", ws.Namespace, ws.Name)
	ref := ws.Spec.Ref
	if ref == "" {
		ref = "default branch"
	}
	d.ui.line("  repo     %s (%s)", ws.Spec.Repo, ref)
	var rows [][]string
	same := true
	for i, s := range ws.Spec.Setup {
		label := ""
		if i == 0 {
			label = "  setup"
		}
		rows = append(rows, []string{label, fmt.Sprintf("%d. %s", i+1, s.Name), s.Image, describeCommand(s)})
		if eco, ok := strings.CutPrefix(s.Name, "prewarm-"); ok && len(s.Command) > 2 {
			if want, err := presets.Script(eco); err != nil || strings.TrimRight(want, "\n") != strings.TrimRight(s.Command[2], "\n") {
				same = false
			}
		}
	}
	for i, v := range ws.Spec.Volumes {
		label := ""
		if i == 0 {
			label = "  volumes"
		}
		rows = append(rows, []string{label, v.Name, v.MountPath, "→ " + describeSource(v)})
	}
	var env []string
	for _, e := range ws.Spec.Env {
		env = append(env, e.Name)
	}
	d.ui.table(rows)
	d.ui.line("  env      %s", strings.Join(env, " "))
	if same {
		d.ui.line("  (each setup script is byte-for-byte `prewarm setup-script --preset <name>`)")
	} else {
		d.ui.line("  note: a setup script differs from `prewarm setup-script` (chart copy stale? run `make charts`)")
	}
	d.ui.object("Workspace "+ws.Name, ws)
}

func describeCommand(s v1alpha2.SetupContainer) string {
	c := s.Command
	if len(c) >= 3 && c[0] == "sh" && c[1] == "-c" {
		lines := strings.Count(c[2], "\n") + 1
		eco := strings.TrimPrefix(s.Name, "prewarm-")
		return strings.TrimSpace(fmt.Sprintf("sh -c <%s script, %d lines> %s", eco, lines, strings.Join(append(c[3:], s.Args...), " ")))
	}
	return strings.Join(append(append([]string{}, c...), s.Args...), " ")
}

func describeSource(v v1alpha2.WorkspaceVolume) string {
	s := v.Source
	var out string
	switch {
	case s.PersistentVolumeClaim != nil:
		out = "PVC " + s.PersistentVolumeClaim.ClaimName
	case s.EmptyDir != nil:
		out = "emptyDir"
	case s.ConfigMap != nil:
		out = "ConfigMap " + s.ConfigMap.Name
	case s.Secret != nil:
		out = "Secret " + s.Secret.SecretName
	case s.Ephemeral != nil:
		out = "ephemeral PVC"
	case s.CSI != nil:
		out = "CSI " + s.CSI.Driver
	default:
		out = "other"
	}
	if v.SubPath != "" {
		out += " subPath " + v.SubPath
	}
	if v.ReadOnly {
		out += " (read-only)"
	}
	return out
}

func (d *demo) showPVCs(pvcs []corev1.PersistentVolumeClaim) {
	d.ui.printf("\n  PersistentVolumeClaims (Pending: this control plane has no storage provisioner)\n")
	rows := [][]string{{"  NAME", "STATUS", "SIZE", "ACCESS", "ON UNINSTALL"}}
	for _, p := range pvcs {
		size := p.Spec.Resources.Requests[corev1.ResourceStorage]
		var modes []string
		for _, m := range p.Spec.AccessModes {
			modes = append(modes, map[corev1.PersistentVolumeAccessMode]string{
				corev1.ReadWriteMany: "RWX", corev1.ReadWriteOnce: "RWO", corev1.ReadOnlyMany: "ROX", corev1.ReadWriteOncePod: "RWOP",
			}[m])
		}
		keep := "deleted"
		if p.Annotations["helm.sh/resource-policy"] == "keep" {
			keep = "kept"
		}
		status := string(p.Status.Phase)
		if status == "" {
			status = "Pending"
		}
		rows = append(rows, []string{"  " + p.Name, status, size.String(), strings.Join(modes, ","), keep})
	}
	d.ui.table(rows)
	for _, p := range pvcs {
		d.ui.object("PersistentVolumeClaim "+p.Name, p)
	}
}

// helmField returns the value of a "KEY: value" line of helm's output.
func helmField(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// helmWarnings returns helm's WARNING / W... lines (Pod Security warnings
// on the CronJobs would show here).
func helmWarnings(out string) []string {
	var w []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "WARNING") || strings.HasPrefix(l, "W0") || strings.HasPrefix(l, "W1") {
			w = append(w, strings.TrimSpace(l))
		}
	}
	return w
}

func relTo(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// toUnstructured converts a typed object for the dynamic client.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}
