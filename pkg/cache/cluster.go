package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// Labels the charts put on cache PVCs and pruner CronJobs
// (charts/prewarm-workspace, charts/prewarm-caches).
const (
	labelInstance  = "app.kubernetes.io/instance"
	labelComponent = "app.kubernetes.io/component"
	labelCache     = "prewarm.dev/cache"
	// JobComponent labels the inventory Jobs this package creates.
	JobComponent = "cache-inventory"
	// DefaultImage runs the inventory script: the pruner's image.
	DefaultImage = "busybox:1.37"
)

// ClusterTarget is one cache PVC to inventory.
type ClusterTarget struct {
	Preset  string
	Claim   string
	SubPath string
	Budget  int64 // from the pruner CronJob's PREWARM_PRUNE_MAX_BYTES (0: none)
}

// ResolveClaims finds the cache PVCs: claim (one PVC by name) or release
// (every cache PVC a prewarm-workspace or prewarm-caches release created).
// The pruner CronJob of a cache, when there is one, gives its subPath and
// budget.
func ResolveClaims(ctx context.Context, cs kubernetes.Interface, ns, claim, release, preset string) ([]ClusterTarget, error) {
	if (claim == "") == (release == "") {
		return nil, fmt.Errorf("give exactly one of --claim NAME and --release NAME with -n NAMESPACE")
	}
	pruners := map[string]ClusterTarget{} // by claim
	sel := labels.Set{labelComponent: "pruner"}
	if release != "" {
		sel[labelInstance] = release
	}
	cjs, err := cs.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil && !apierrors.IsForbidden(err) {
		return nil, fmt.Errorf("list pruner CronJobs in %s: %w", ns, err)
	}
	if cjs != nil {
		for _, cj := range cjs.Items {
			if t, ok := prunerTarget(cj); ok {
				pruners[t.Claim] = t
			}
		}
	}
	var out []ClusterTarget
	if claim != "" {
		pvc, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, claim, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("PVC %s/%s: %w", ns, claim, err)
		}
		t, ok := pruners[claim]
		if !ok {
			t = ClusterTarget{Claim: claim, Preset: pvc.Labels[labelCache]}
		}
		if preset != "" {
			t.Preset = preset
		}
		return []ClusterTarget{t}, nil
	}
	pvcs, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{labelInstance: release, labelComponent: "cache"}.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list cache PVCs of release %s in %s: %w", release, ns, err)
	}
	for _, pvc := range pvcs.Items {
		t, ok := pruners[pvc.Name]
		if !ok {
			t = ClusterTarget{Claim: pvc.Name, Preset: pvc.Labels[labelCache]}
		}
		if preset != "" && t.Preset != preset {
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("release %s has no cache PVCs in namespace %s (looked for labels %s=%s,%s=cache%s)",
			release, ns, labelInstance, release, labelComponent, map[bool]string{true: ", " + labelCache + "=" + preset}[preset != ""])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Claim < out[j].Claim })
	return out, nil
}

// prunerTarget reads the claim, subPath, preset and budget of a pruner
// CronJob (its one container mounts the cache; PREWARM_PRUNE_MAX_BYTES).
func prunerTarget(cj batchv1.CronJob) (ClusterTarget, bool) {
	spec := cj.Spec.JobTemplate.Spec.Template.Spec
	claims := map[string]string{}
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims[v.Name] = v.PersistentVolumeClaim.ClaimName
		}
	}
	for _, c := range spec.Containers {
		t := ClusterTarget{Preset: cj.Labels[labelCache]}
		for _, e := range c.Env {
			if e.Name == "PREWARM_PRUNE_MAX_BYTES" {
				t.Budget, _ = strconv.ParseInt(e.Value, 10, 64)
			}
		}
		for _, m := range c.VolumeMounts {
			if claim, ok := claims[m.Name]; ok {
				t.Claim, t.SubPath = claim, m.SubPath
				return t, true
			}
		}
	}
	return ClusterTarget{}, false
}

// InventoryJob is the Job that prints the inventory of targets: one pod,
// each PVC mounted read-only at /cache/<preset>, the inventory script in
// image, restricted security context, no service account token, deleted
// by the CLI when done (ttlSecondsAfterFinished is the fallback).
func InventoryJob(ns, image string, targets []ClusterTarget, deadline time.Duration) (*batchv1.Job, error) {
	script, err := templatesgo.Execute("prewarm.script.inventory", map[string]any{})
	if err != nil {
		return nil, err
	}
	lbl := map[string]string{
		"app.kubernetes.io/name":    "prewarm",
		"app.kubernetes.io/part-of": "prewarm",
		labelComponent:              JobComponent,
	}
	args := []string{"sh", "-c", script, "prewarm-inventory"}
	var vols []corev1.Volume
	var mounts []corev1.VolumeMount
	used := map[string]int{}
	for i, t := range targets {
		dir := t.Preset
		if dir == "" {
			dir = "cache"
		}
		if n := used[dir]; n > 0 {
			dir = fmt.Sprintf("%s-%d", dir, n)
		}
		used[dir]++
		name := fmt.Sprintf("cache-%d", i)
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: t.Claim, ReadOnly: true},
		}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: "/cache/" + dir, SubPath: t.SubPath, ReadOnly: true})
		args = append(args, t.Preset+"=/cache/"+dir)
	}
	uid := podtemplate.AgentUID
	secs := int64(deadline / time.Second)
	if secs < 30 {
		secs = 30
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "prewarm-cache-inventory-", Namespace: ns, Labels: lbl},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To[int32](0),
			ActiveDeadlineSeconds:   ptr.To(secs),
			TTLSecondsAfterFinished: ptr.To[int32](600),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					AutomountServiceAccountToken:  ptr.To(false),
					EnableServiceLinks:            ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsUser:          ptr.To(uid),
						RunAsGroup:         ptr.To(uid),
						SupplementalGroups: []int64{uid},
						RunAsNonRoot:       ptr.To(true),
						SeccompProfile:     &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:                     "inventory",
						Image:                    image,
						Command:                  args,
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
						VolumeMounts:             mounts,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							RunAsUser:                ptr.To(uid),
							RunAsGroup:               ptr.To(uid),
							RunAsNonRoot:             ptr.To(true),
							ReadOnlyRootFilesystem:   ptr.To(true),
							AllowPrivilegeEscalation: ptr.To(false),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
						},
					}},
					Volumes: vols,
				},
			},
		},
	}, nil
}

// RunInventory creates the inventory Job, waits for its pod (printing
// progress to progress), reads the dump from the container's termination
// message or, when that was truncated, its log, deletes the Job and its
// pod, and returns the parsed inventories. Budgets the pruners record on
// the volumes win over the CronJobs' budgets.
func RunInventory(ctx context.Context, cs kubernetes.Interface, ns, image string, targets []ClusterTarget, timeout time.Duration, progress io.Writer) ([]*Inventory, error) {
	if progress == nil {
		progress = io.Discard
	}
	job, err := InventoryJob(ns, image, targets, timeout)
	if err != nil {
		return nil, err
	}
	job, err = cs.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create inventory Job in %s: %w", ns, err)
	}
	fmt.Fprintf(progress, "prewarm: created job %s/%s (image %s) mounting %s\n", ns, job.Name, image, claimList(targets))
	defer cleanupJob(cs, ns, job.Name, progress)

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dump, err := waitForDump(wctx, cs, ns, job.Name, progress)
	if err != nil {
		return nil, err
	}
	invs, err := ParseDump(dump)
	if err != nil {
		return nil, fmt.Errorf("job %s/%s: %w", ns, job.Name, err)
	}
	if len(invs) != len(targets) {
		return nil, fmt.Errorf("job %s/%s printed %d caches, want %d", ns, job.Name, len(invs), len(targets))
	}
	for i, inv := range invs {
		if inv.Budget == 0 {
			inv.Budget = targets[i].Budget
		}
		inv.Root = "pvc/" + targets[i].Claim
		if targets[i].SubPath != "" {
			inv.Root += "/" + targets[i].SubPath
		}
	}
	return invs, nil
}

func claimList(ts []ClusterTarget) string {
	var s []string
	for _, t := range ts {
		x := "pvc/" + t.Claim
		if t.SubPath != "" {
			x += " (subPath " + t.SubPath + ")"
		}
		s = append(s, x)
	}
	return strings.Join(s, ", ")
}

// jobPods lists the pods of job (the Job controller labels them).
func jobPods(ctx context.Context, cs kubernetes.Interface, ns, job string) ([]corev1.Pod, error) {
	l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// waitForDump polls the Job's pod until its container terminated and
// returns its output.
func waitForDump(ctx context.Context, cs kubernetes.Interface, ns, job string, progress io.Writer) (string, error) {
	last := ""
	lastAt := time.Time{}
	say := func(s string) {
		if s != last || time.Since(lastAt) > 15*time.Second {
			fmt.Fprintf(progress, "prewarm: job %s/%s: %s\n", ns, job, s)
			last, lastAt = s, time.Now()
		}
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		pods, err := jobPods(ctx, cs, ns, job)
		if err != nil && ctx.Err() == nil {
			return "", fmt.Errorf("list pods of job %s/%s: %w", ns, job, err)
		}
		state := "waiting for the Job controller to create a pod"
		if j, err := cs.BatchV1().Jobs(ns).Get(ctx, job, metav1.GetOptions{}); err == nil {
			for _, c := range j.Status.Conditions {
				if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
					return "", fmt.Errorf("job %s/%s failed: %s: %s", ns, job, c.Reason, c.Message)
				}
			}
		}
		for _, p := range pods {
			state = podState(p)
			for _, c := range p.Status.ContainerStatuses {
				if c.Name != "inventory" || c.State.Terminated == nil {
					continue
				}
				term := c.State.Terminated
				if term.ExitCode != 0 {
					return "", fmt.Errorf("job %s/%s: pod %s exited %d (%s): %s", ns, job, p.Name, term.ExitCode, term.Reason, tailText(term.Message, 10))
				}
				if _, err := ParseDump(term.Message); err == nil {
					fmt.Fprintf(progress, "prewarm: job %s/%s: pod %s finished after %s\n", ns, job, p.Name, time.Since(start).Round(time.Second))
					return term.Message, nil
				}
				// too big for a termination message: the log has it all
				raw, err := cs.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: "inventory"}).DoRaw(ctx)
				if err != nil {
					return "", fmt.Errorf("job %s/%s: read the log of pod %s: %w", ns, job, p.Name, err)
				}
				return string(raw), nil
			}
		}
		say(fmt.Sprintf("%s (%s)", state, time.Since(start).Round(time.Second)))
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("job %s/%s did not finish in time; last state: %s", ns, job, state)
		case <-tick.C:
		}
	}
}

// podState is a short human description of where a pod is.
func podState(p corev1.Pod) string {
	s := "pod " + p.Name + " " + string(p.Status.Phase)
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Reason != "" {
			s += fmt.Sprintf(", %s: %s %s", c.Type, c.Reason, c.Message)
		}
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason != "" {
			s += fmt.Sprintf(", %s: %s %s", c.Name, w.Reason, w.Message)
		}
	}
	return strings.TrimSpace(s)
}

func tailText(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// cleanupJob deletes the Job and its pods (pods explicitly: the garbage
// collector may be slow or, in a bare control plane, absent).
func cleanupJob(cs kubernetes.Interface, ns, job string, progress io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	err := cs.BatchV1().Jobs(ns).Delete(ctx, job, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		fmt.Fprintf(progress, "prewarm: warning: cannot delete job %s/%s: %v (it expires after 10 minutes)\n", ns, job, err)
		return
	}
	pods, _ := jobPods(ctx, cs, ns, job)
	var errs []error
	for _, p := range pods {
		if err := cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(progress, "prewarm: warning: deleting the pods of job %s/%s: %v\n", ns, job, err)
		return
	}
	fmt.Fprintf(progress, "prewarm: deleted job %s/%s\n", ns, job)
}
