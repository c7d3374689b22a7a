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
	// ClearJobComponent labels the Jobs that run `prewarm cache clear` or
	// `prewarm cache invalidate` on the mounted PVCs.
	ClearJobComponent = "cache-clear"
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
	args := []string{"sh", "-c", script, "prewarm-inventory"}
	for i, dir := range MountDirs(targets) {
		args = append(args, targets[i].Preset+"="+dir)
	}
	return cacheJob(ns, image, jobInventory, targets, deadline, args), nil
}

// jobKind is what a cache Job does: its label, name, container and
// whether it mounts the PVCs writable.
type jobKind struct {
	component string
	container string
	writable  bool
	memory    string // limit
}

var (
	jobInventory = jobKind{component: JobComponent, container: "inventory", memory: "64Mi"}
	jobClear     = jobKind{component: ClearJobComponent, container: "clear", writable: true, memory: "256Mi"}
)

// MountDirs are the directories the targets are mounted at in a cache
// Job's pod: /cache/<preset> (/cache/cache without a preset; -1, -2...
// for a repeated name).
func MountDirs(targets []ClusterTarget) []string {
	used := map[string]int{}
	out := make([]string, len(targets))
	for i, t := range targets {
		dir := t.Preset
		if dir == "" {
			dir = "cache"
		}
		if n := used[dir]; n > 0 {
			dir = fmt.Sprintf("%s-%d", dir, n)
		}
		used[dir]++
		out[i] = "/cache/" + dir
	}
	return out
}

// cacheJob is one pod mounting every target at MountDirs, running command
// in image as the setups' user (podtemplate.AgentUID) under Pod Security
// "restricted": no service account token, read-only root file system, no
// retries, deleted by the CLI when done (ttlSecondsAfterFinished is the
// fallback). Writable Jobs get the setups' fsGroup, so what they create
// on the volume stays the setups' group.
func cacheJob(ns, image string, k jobKind, targets []ClusterTarget, deadline time.Duration, command []string) *batchv1.Job {
	lbl := map[string]string{
		"app.kubernetes.io/name":    "prewarm",
		"app.kubernetes.io/part-of": "prewarm",
		labelComponent:              k.component,
	}
	var vols []corev1.Volume
	var mounts []corev1.VolumeMount
	for i, dir := range MountDirs(targets) {
		t := targets[i]
		name := fmt.Sprintf("cache-%d", i)
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: t.Claim, ReadOnly: !k.writable},
		}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: dir, SubPath: t.SubPath, ReadOnly: !k.writable})
	}
	uid := podtemplate.AgentUID
	secs := int64(deadline / time.Second)
	if secs < 30 {
		secs = 30
	}
	psc := &corev1.PodSecurityContext{
		RunAsUser:          ptr.To(uid),
		RunAsGroup:         ptr.To(uid),
		SupplementalGroups: []int64{uid},
		RunAsNonRoot:       ptr.To(true),
		SeccompProfile:     &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if k.writable {
		psc.FSGroup = ptr.To(uid)
		psc.FSGroupChangePolicy = ptr.To(corev1.FSGroupChangeOnRootMismatch)
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "prewarm-" + k.component + "-", Namespace: ns, Labels: lbl},
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
					SecurityContext:               psc,
					Containers: []corev1.Container{{
						Name:                     k.container,
						Image:                    image,
						Command:                  command,
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
						VolumeMounts:             mounts,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(k.memory)},
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
	}
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
	var dump string
	err = runJob(ctx, cs, job, targets, timeout, progress, func(p corev1.Pod, term *corev1.ContainerStateTerminated) error {
		if term.ExitCode != 0 {
			return fmt.Errorf("pod %s exited %d (%s): %s", p.Name, term.ExitCode, term.Reason, tailText(term.Message, 10))
		}
		if _, err := ParseDump(term.Message); err == nil {
			dump = term.Message
			return nil
		}
		// too big for a termination message: the log has it all
		raw, err := podLog(ctx, cs, p)
		dump = raw
		return err
	})
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
		inv.Root = targets[i].Label()
	}
	return invs, nil
}

// Label is how output names the cache of t: pvc/<claim>[/<subPath>].
func (t ClusterTarget) Label() string {
	if t.SubPath != "" {
		return "pvc/" + t.Claim + "/" + t.SubPath
	}
	return "pvc/" + t.Claim
}

// ClearJob is the Job that runs `prewarm <args>` (args: "cache", "clear"
// or "invalidate" and their flags) in image on targets mounted read-write:
// the path way itself, so it takes the same trim lock and honours the
// same leases. It adds --path (and --preset), --show-root (the output
// names pvc/<claim>, not the mount) and --termination-log.
func ClearJob(ns, image string, targets []ClusterTarget, args []string, deadline time.Duration) (*batchv1.Job, error) {
	if len(targets) == 0 {
		return nil, fmt.Errorf("no cache PVC to clear")
	}
	dirs := MountDirs(targets)
	cmd := append([]string{"prewarm"}, args...)
	if len(targets) == 1 {
		cmd = append(cmd, "--path", dirs[0])
		if targets[0].Preset != "" {
			cmd = append(cmd, "--preset", targets[0].Preset)
		}
	} else {
		// /cache holds one <preset>/ per PVC: the path way's directory of caches
		for _, t := range targets {
			if t.Preset == "" || !KnownPreset(t.Preset) {
				return nil, fmt.Errorf("PVC %s has no %s label naming a known preset; clear it alone with --claim %s --preset P", t.Claim, labelCache, t.Claim)
			}
		}
		for i, d := range dirs {
			if d != "/cache/"+targets[i].Preset {
				return nil, fmt.Errorf("PVCs %s share the preset %s; clear them one at a time with --claim", claimList(targets), targets[i].Preset)
			}
		}
		cmd = append(cmd, "--path", "/cache")
	}
	for i, d := range dirs {
		cmd = append(cmd, "--show-root", d+"="+targets[i].Label())
	}
	cmd = append(cmd, "--termination-log", "/dev/termination-log")
	return cacheJob(ns, image, jobClear, targets, deadline, cmd), nil
}

// JobFailure is a clear or invalidate that ran in the Job and failed: the
// path way's error, as the Job printed it.
type JobFailure struct{ Message string }

func (e *JobFailure) Error() string { return e.Message }

// RunClear creates the ClearJob, waits for its pod (progress to progress),
// prints what the command printed to out, deletes the Job and its pod, and
// returns the command's error as a *JobFailure.
func RunClear(ctx context.Context, cs kubernetes.Interface, ns, image string, targets []ClusterTarget, args []string, timeout time.Duration, out, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	job, err := ClearJob(ns, image, targets, args, timeout)
	if err != nil {
		return err
	}
	var stdout, failure string
	err = runJob(ctx, cs, job, targets, timeout, progress, func(p corev1.Pod, term *corev1.ContainerStateTerminated) error {
		if o, f, ok := ParseJobOutput(term.Message); ok {
			stdout, failure = o, f
		} else {
			// truncated or not written (the command did not start)
			raw, err := podLog(ctx, cs, p)
			if err != nil {
				return fmt.Errorf("pod %s exited %d (%s) %s; and its log: %w", p.Name, term.ExitCode, term.Reason, tailText(term.Message, 5), err)
			}
			stdout = raw
			if term.ExitCode != 0 {
				lines := strings.Split(strings.TrimRight(raw, "\n"), "\n")
				failure = strings.TrimPrefix(lines[len(lines)-1], "prewarm: ")
				stdout = strings.Join(lines[:len(lines)-1], "\n")
				if stdout != "" {
					stdout += "\n"
				}
				if failure == "" {
					failure = fmt.Sprintf("pod %s exited %d (%s)", p.Name, term.ExitCode, term.Reason)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(out, stdout); err != nil {
		return err
	}
	if failure != "" {
		return &JobFailure{Message: failure}
	}
	return nil
}

// Job output framing: the clear Job's termination message is what the
// command printed on stdout and one status line, so the CLI can print it
// as the path way does and fail as it does. Kubernetes keeps 4096 bytes.
const (
	jobStatusPrefix = "prewarm-cache-job "
	// MaxTerminationMessage is the bytes Kubernetes keeps of one.
	MaxTerminationMessage = 4096
)

// JobOutput frames stdout and the command's error (nil: success) for the
// termination message; when it does not fit, only a "truncated" status
// (the CLI reads the pod's log instead).
func JobOutput(stdout string, err error) string {
	status := jobStatusPrefix + "ok\n"
	if err != nil {
		status = jobStatusPrefix + "error " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
	}
	if stdout != "" && !strings.HasSuffix(stdout, "\n") {
		stdout += "\n"
	}
	if len(stdout)+len(status) > MaxTerminationMessage {
		return jobStatusPrefix + "truncated\n"
	}
	return stdout + status
}

// ParseJobOutput reads a JobOutput message: stdout, the error ("" for
// success) and whether the message was complete.
func ParseJobOutput(msg string) (stdout, failure string, ok bool) {
	body := strings.TrimSuffix(msg, "\n")
	i := strings.LastIndex(body, "\n")
	last := body[i+1:]
	stdout = ""
	if i >= 0 {
		stdout = body[:i+1]
	}
	switch {
	case last == jobStatusPrefix+"ok":
		return stdout, "", true
	case strings.HasPrefix(last, jobStatusPrefix+"error "):
		return stdout, strings.TrimPrefix(last, jobStatusPrefix+"error "), true
	}
	return "", "", false
}

func podLog(ctx context.Context, cs kubernetes.Interface, p corev1.Pod) (string, error) {
	c := p.Spec.Containers[0].Name
	raw, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c}).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("read the log of pod %s: %w", p.Name, err)
	}
	return string(raw), nil
}

// runJob creates job, waits (at most timeout) for its container to
// terminate, hands it to done, and deletes the Job and its pods however it
// ended (also when ctx is cancelled: ^C).
func runJob(ctx context.Context, cs kubernetes.Interface, job *batchv1.Job, targets []ClusterTarget, timeout time.Duration, progress io.Writer, done func(corev1.Pod, *corev1.ContainerStateTerminated) error) error {
	ns := job.Namespace
	image := job.Spec.Template.Spec.Containers[0].Image
	container := job.Spec.Template.Spec.Containers[0].Name
	job, err := cs.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create %s Job in %s: %w", container, ns, err)
	}
	mode := "read-only"
	if !job.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ReadOnly {
		mode = "read-write"
	}
	fmt.Fprintf(progress, "prewarm: created job %s/%s (image %s) mounting %s %s\n", ns, job.Name, image, mode, claimList(targets))
	defer cleanupJob(cs, ns, job.Name, progress)

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, term, err := waitForTermination(wctx, cs, ns, job.Name, container, timeout, progress)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("job %s/%s: interrupted (%w); deleting it", ns, job.Name, context.Cause(ctx))
		}
		return err
	}
	if err := done(p, term); err != nil {
		return fmt.Errorf("job %s/%s: %w", ns, job.Name, err)
	}
	return nil
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

// waitForTermination polls the Job's pod until its container terminated
// (printing where the pod is whenever that changes, and every 15s).
func waitForTermination(ctx context.Context, cs kubernetes.Interface, ns, job, container string, timeout time.Duration, progress io.Writer) (corev1.Pod, *corev1.ContainerStateTerminated, error) {
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
	const noPod = "waiting for the Job controller to create a pod"
	state := noPod
	for {
		pods, err := jobPods(ctx, cs, ns, job)
		if err != nil && ctx.Err() == nil && !nearDeadline(ctx) {
			return corev1.Pod{}, nil, fmt.Errorf("list pods of job %s/%s: %w", ns, job, err)
		}
		if err == nil && len(pods) == 0 {
			state = noPod
		} // a list refused at the deadline keeps the last state it saw
		for _, p := range pods {
			state = podState(p)
			for _, c := range p.Status.ContainerStatuses {
				if c.Name != container || c.State.Terminated == nil {
					continue
				}
				fmt.Fprintf(progress, "prewarm: job %s/%s: pod %s finished after %s (exit %d)\n", ns, job, p.Name, time.Since(start).Round(time.Second), c.State.Terminated.ExitCode)
				return p, c.State.Terminated, nil
			}
		}
		// the pods first: a failed pod fails the Job too, and its message says why
		if j, err := cs.BatchV1().Jobs(ns).Get(ctx, job, metav1.GetOptions{}); err == nil {
			for _, c := range j.Status.Conditions {
				if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
					return corev1.Pod{}, nil, fmt.Errorf("job %s/%s failed: %s: %s (last state: %s)", ns, job, c.Reason, c.Message, state)
				}
			}
		}
		say(fmt.Sprintf("%s (%s)", state, time.Since(start).Round(time.Second)))
		if nearDeadline(ctx) {
			<-ctx.Done()
		}
		select {
		case <-ctx.Done():
			return corev1.Pod{}, nil, fmt.Errorf("job %s/%s did not finish within --timeout %s; last state: %s", ns, job, timeout, state)
		case <-tick.C:
		}
	}
}

// nearDeadline: ctx ends within a second (client-go's rate limiter then
// refuses calls before ctx is done).
func nearDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < time.Second
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
