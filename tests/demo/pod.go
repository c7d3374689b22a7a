package main

import (
	"context"
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// demoTask is the Kelos Task the demo creates on the Workspace.
func demoTask(ws *v1alpha2.Workspace) *v1alpha2.Task {
	return fixtures.Task(ws, "fix-issue-42", "Fix issue 42 and open a pull request.", "kelos/fix-issue-42")
}

// showTaskPod is step 3: create a Task, render its Job from the live
// Workspace and Task, and have the API server admit the pod (dry-run).
func (d *demo) showTaskPod(ctx context.Context, k *kube, ws *v1alpha2.Workspace) (*batchv1.Job, error) {
	d.ui.heading(3, "The Task pod: podtemplate.Render(live Workspace, live Task)")
	u, err := toUnstructured(demoTask(ws))
	if err != nil {
		return nil, err
	}
	api := k.dyn.Resource(k.gvr["Task"]).Namespace(ws.Namespace)
	created, err := api.Create(ctx, u, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		return nil, d.clusterErr(fmt.Errorf("create Task: %w", err))
	}
	task := &v1alpha2.Task{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(created.Object, task); err != nil {
		return nil, err
	}
	d.ui.line("Task %s/%s created: %s on branch %s, workspaceRef %s", task.Namespace, task.Name, task.Spec.Type, task.Spec.Branch, task.Spec.WorkspaceRef.Name)

	job, err := podtemplate.Render(ws, task, podtemplate.Options{})
	if err != nil {
		return nil, fmt.Errorf("render the Task pod: %w", err)
	}
	job.Namespace = ws.Namespace
	spec := job.Spec.Template.Spec
	d.ui.printf("\n  Job %s, pod containers in start order\n", job.Name)
	rows := [][]string{{"  ", "NAME", "IMAGE", "MOUNTS"}}
	for i, c := range spec.InitContainers {
		label := ""
		if i == 0 {
			label = "  init"
		}
		rows = append(rows, []string{label, fmt.Sprintf("%d. %s", i+1, c.Name), c.Image, mounts(c)})
	}
	for _, c := range spec.Containers {
		rows = append(rows, []string{"  main", "   " + c.Name, c.Image, mounts(c)})
	}
	d.ui.table(rows)
	d.ui.line("%s", describeSecurity(spec))
	d.ui.object("Job "+job.Name, job)

	pod := podFor(job)
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	k.warnings.Take()
	if _, err := k.cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, dry); err != nil {
		return nil, d.clusterErr(fmt.Errorf("the API server refused the Task pod (dry-run, namespace %s enforces restricted): %w", pod.Namespace, err))
	}
	if _, err := k.cs.BatchV1().Jobs(job.Namespace).Create(ctx, job, dry); err != nil {
		return nil, d.clusterErr(fmt.Errorf("the API server refused the Job (dry-run): %w", err))
	}
	if w := k.warnings.Take(); len(w) > 0 {
		return nil, fmt.Errorf("the Task pod or Job was admitted with warnings:\n  %s", strings.Join(w, "\n  "))
	}
	d.ui.printf("\n  server-side dry-run of Pod %s and Job %s in namespace %s (enforce=restricted):\n", pod.Name, job.Name, pod.Namespace)
	d.ui.line("  admitted under Pod Security restricted, no warnings")

	// Control: the same pod with one privileged container must be refused,
	// so the namespace label is really enforced.
	bad := pod.DeepCopy()
	bad.Spec.Containers[0].SecurityContext.Privileged = ptr.To(true)
	bad.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = ptr.To(true)
	_, err = k.cs.CoreV1().Pods(bad.Namespace).Create(ctx, bad, dry)
	switch {
	case err == nil:
		return nil, fmt.Errorf("control failed: a privileged pod was admitted in namespace %s, so Pod Security is not enforcing there", bad.Namespace)
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "PodSecurity"):
		d.ui.line("  control: the same pod with a privileged agent is refused: %s", clip(podSecurityReason(err.Error()), 100))
	default:
		return nil, d.clusterErr(fmt.Errorf("control pod: unexpected error: %w", err))
	}
	return job, nil
}

// podFor is the pod the Job controller would create.
func podFor(job *batchv1.Job) *corev1.Pod {
	t := job.Spec.Template
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: job.Name, Namespace: job.Namespace, Labels: t.Labels, Annotations: t.Annotations},
		Spec:       *t.Spec.DeepCopy(),
	}
}

func mounts(c corev1.Container) string {
	var m []string
	for _, v := range c.VolumeMounts {
		s := v.MountPath
		if v.ReadOnly {
			s += " (ro)"
		}
		m = append(m, s)
	}
	return strings.Join(m, " ")
}

// describeSecurity summarizes the pod's security settings from the spec
// itself, noting any container that differs from the first.
func describeSecurity(spec corev1.PodSpec) string {
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	sc := all[0].SecurityContext
	if sc == nil {
		return "containers have no securityContext"
	}
	for _, c := range all[1:] {
		if c.SecurityContext == nil || c.SecurityContext.String() != sc.String() {
			return fmt.Sprintf("container %s has a different securityContext than %s", c.Name, all[0].Name)
		}
	}
	var parts []string
	if sc.RunAsUser != nil {
		parts = append(parts, fmt.Sprintf("UID %d", *sc.RunAsUser))
	}
	if sc.RunAsGroup != nil {
		parts = append(parts, fmt.Sprintf("GID %d", *sc.RunAsGroup))
	}
	if ptr.Deref(sc.RunAsNonRoot, false) {
		parts = append(parts, "runAsNonRoot")
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		parts = append(parts, "no privilege escalation")
	}
	if sc.Capabilities != nil && len(sc.Capabilities.Drop) > 0 {
		parts = append(parts, fmt.Sprintf("drop %v", sc.Capabilities.Drop))
	}
	if sc.SeccompProfile != nil {
		parts = append(parts, "seccomp "+string(sc.SeccompProfile.Type))
	}
	out := "every container: " + strings.Join(parts, ", ")
	if psc := spec.SecurityContext; psc != nil && psc.FSGroup != nil {
		policy := ""
		if psc.FSGroupChangePolicy != nil {
			policy = " (" + string(*psc.FSGroupChangePolicy) + ")"
		}
		out += fmt.Sprintf("; pod fsGroup %d%s", *psc.FSGroup, policy)
	}
	return out
}

// podSecurityReason keeps the part of a PodSecurity refusal after
// `violates PodSecurity "restricted:latest": `.
func podSecurityReason(msg string) string {
	if i := strings.Index(msg, "violates PodSecurity"); i >= 0 {
		msg = msg[i:]
		if j := strings.Index(msg, ": "); j >= 0 {
			msg = msg[j+2:]
		}
		// Only the first of the listed violations.
		if j := strings.Index(msg, "), "); j >= 0 {
			msg = msg[:j+1]
		}
	}
	return msg
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
