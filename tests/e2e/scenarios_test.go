//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// TestSetupFailureReachesStatus: a setup that fails (a broken lockfile)
// and one that runs out of memory end the pod, and podtemplate's
// SetupFailure turns the pod's real status into a message naming the step
// and the reason.
func TestSetupFailureReachesStatus(t *testing.T) {
	srv := startServers(t)
	cases := []struct {
		name, values, reason, message string
	}{
		{"bad-lockfile", "workspace:\n  files:\n    package-lock.json: \"{ this is not json\"\n",
			"SetupFailed", "setup step prewarm-npm failed: exit code "},
		{"oom", "presets:\n  npm:\n    resources:\n      requests: {memory: 12Mi}\n      limits: {memory: 12Mi}\n",
			"SetupOOMKilled", "setup step prewarm-npm failed: out of memory (OOMKilled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := installWorkspace(t, "e2e-fail-"+c.name, "app", srv, wsOptions{cacheUID: images.AgentUID, cacheMode: 0o755, values: c.values})
			run := w.runTask(t, "task-1", images.AgentNpm, nil)
			if run.pod.Status.Phase != corev1.PodFailed {
				t.Fatalf("pod phase %s, want Failed: %s", run.pod.Status.Phase, podSummary(run.pod))
			}
			f, ok := podtemplate.SetupFailure(run.pod)
			if !ok {
				t.Fatalf("SetupFailure found nothing in %s", podSummary(run.pod))
			}
			t.Logf("SetupFailure: step=%s reason=%s message=%q", f.Step, f.Reason, f.Message)
			if f.Step != "prewarm-npm" || f.Reason != c.reason || !strings.Contains(f.Message, c.message) {
				t.Errorf("SetupFailure = %+v, want step prewarm-npm, reason %s, message containing %q", f, c.reason, c.message)
			}
			for _, st := range run.pod.Status.ContainerStatuses {
				if st.Name == "agent" && (st.State.Running != nil || st.State.Terminated != nil) {
					t.Errorf("agent ran although setup failed: %s", stateString(st.State))
				}
			}
		})
	}
}

// TestRootOwnedCacheVolume: the cache PV's root is root:root 0755 (a
// hostPath PV; fsGroup is not applied to it, as on many NFS-style
// volumes). The setup must say so in one line naming owner, mode and fix,
// and the Task must still succeed (fail open, per-pod cache).
func TestRootOwnedCacheVolume(t *testing.T) {
	srv := startServers(t)
	w := installWorkspace(t, "e2e-rootowned", "app", srv, wsOptions{cacheUID: 0, cacheMode: 0o755})
	run := w.runTask(t, "task-1", images.AgentNpm, nil)
	if run.pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("Task failed on an unwritable cache (must fail open): %s", podSummary(run.pod))
	}
	setup := logs(t, w.ns, run.pod.Name, "prewarm-npm")
	var lines []string
	for _, l := range strings.Split(setup, "\n") {
		if strings.Contains(l, "is not writable by uid 61100") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want exactly one line naming the unwritable cache, got %d in:\n%s", len(lines), setup)
	}
	for _, want := range []string{"/cache/npm", "uid 0 gid 0 mode 755", "EFS access point", "permissions Job"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the line lacks %q: %s", want, lines[0])
		}
	}
	t.Log(lines[0])
	if entries, _ := os.ReadDir(w.cacheDir); len(entries) != 0 {
		t.Errorf("the root-owned cache got %d entries written", len(entries))
	}

	// The fix the line names: the prewarm-caches chart's one-time root
	// permissions Job, pointed at this PVC.
	job := permissionsJob(t, w.ns, "app-prewarm-workspace-npm-cache")
	// Pod Security "restricted" refuses it, as documented.
	namespace(t, "e2e-restricted")
	if err := cluster.EnsureNamespace(t.Context(), kube(t), "e2e-restricted", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}); err != nil {
		t.Fatal(err)
	}
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "permissions-probe"}, Spec: job.Spec.Template.Spec}
	_, err := kube(t).CoreV1().Pods("e2e-restricted").Create(t.Context(), probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil || !strings.Contains(err.Error(), "restricted") {
		t.Errorf("the permissions Job's pod was not refused under restricted: %v", err)
	}
	job.Namespace = w.ns
	if _, err := kube(t).BatchV1().Jobs(w.ns).Create(t.Context(), job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fix := waitPod(t, w.ns, jobPod(t, w.ns, job.Name), 3*time.Minute, finished)
	if fix.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("permissions Job failed: %s", podSummary(fix))
	}
	t.Log(strings.TrimSpace(logs(t, w.ns, fix.Name, "permissions")))
	fi, err := os.Stat(w.cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != images.AgentUID || fi.Mode().Perm() != 0o775 || fi.Mode()&os.ModeSetgid == 0 {
		t.Errorf("after the permissions Job the volume root is uid %d mode %v, want %d 2775", st.Uid, fi.Mode(), images.AgentUID)
	}
	run2 := w.runTask(t, "task-2", images.AgentNpm, nil)
	if run2.pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("Task after the fix failed: %s", podSummary(run2.pod))
	}
	if setup := logs(t, w.ns, run2.pod.Name, "prewarm-npm"); strings.Contains(setup, "not writable") {
		t.Errorf("still not writable after the permissions Job:\n%s", setup)
	}
	if entries, _ := os.ReadDir(w.cacheDir); len(entries) == 0 {
		t.Error("after the permissions Job the Task still wrote nothing to the cache")
	}
}

// permissionsJob renders the prewarm-caches chart's permissions Job for
// the npm cache, pointed at claim, with the local busybox image.
func permissionsJob(t *testing.T, ns, claim string) *batchv1.Job {
	t.Helper()
	out := prewarmCLI(t, nil, "render", "--chart", "prewarm-caches", "--release", "fix", "--namespace", ns,
		"--set", "permissions.enabled=true", "--set", "caches.pip.enabled=false", "--set", "caches.gomod.enabled=false",
		"--set", "caches.npm.claimName="+claim,
		"--set", "pruner.image.repository="+repo(images.Busybox), "--set", "pruner.image.tag="+tag(images.Busybox))
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if !strings.Contains(doc, "\nkind: Job\n") {
			continue
		}
		var job batchv1.Job
		if err := yaml.Unmarshal([]byte(doc), &job); err != nil {
			t.Fatal(err)
		}
		return &job
	}
	t.Fatalf("prewarm-caches rendered no permissions Job:\n%s", out)
	return nil
}

// TestWarmerThenReadOnlyTask: a Job made from the warmer CronJob fills the
// cache; a Task pod in readOnly cache mode then starts from it, its cache
// mount is really read-only (a write fails), and the cache is unchanged.
func TestWarmerThenReadOnlyTask(t *testing.T) {
	srv := startServers(t)
	w := installWorkspace(t, "e2e-warmer", "app", srv, wsOptions{cacheUID: images.AgentUID, cacheMode: 0o755,
		values: "presets:\n  npm:\n    cache: {mode: readOnly}\n"})
	pod := w.runCronJob(t, "app-prewarm-workspace-warmer")
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("warmer failed: %s", podSummary(pod))
	}
	before := listTree(t, w.cacheDir)
	if len(before) == 0 {
		t.Fatal("the warmer left the cache empty")
	}
	t.Logf("warmer filled the cache: %d entries", len(before))

	run := w.runTask(t, "task-1", images.AgentNpm, nil)
	if run.pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("Task failed: %s", podSummary(run.pod))
	}
	line := summaryLine(t, w.ns, run.pod, "prewarm-npm")
	if r := field(line, "result"); r != "warm" && r != "snapshot" {
		t.Errorf("first Task after the warmer: result %q, want warm or snapshot: %s", r, line)
	}
	agent := logs(t, w.ns, run.pod.Name, "agent")
	if !strings.Contains(agent, "agent-check: cache /cache/npm ro write=denied") {
		t.Errorf("agent's cache mount is not read-only:\n%s", agent)
	}
	if after := listTree(t, w.cacheDir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("a readOnly Task changed the cache:\nbefore %v\nafter  %v", before, after)
	}
}

// TestPrunerKeepsBudget: a Job made from the pruner CronJob brings a cache
// over its budget back under it, least recently used snapshots first.
func TestPrunerKeepsBudget(t *testing.T) {
	srv := startServers(t)
	w := installWorkspace(t, "e2e-pruner", "app", srv, wsOptions{cacheUID: images.AgentUID, cacheMode: 0o755,
		values: "caches:\n  npm:\n    size: 40Mi\n"})
	// Three 12 MiB snapshots (36 MiB) against a 32 MiB budget (80 % of 40Mi).
	snaps := filepath.Join(w.cacheDir, "snapshots")
	if err := os.MkdirAll(snaps, 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, key := range []string{"oldest", "middle", "newest"} {
		p := filepath.Join(snaps, key+".tar")
		if err := os.WriteFile(p, make([]byte, 12<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Duration(i-3) * time.Hour)
		_ = os.Chtimes(p, at, at)
	}
	if err := chownTree(w.cacheDir, images.AgentUID); err != nil {
		t.Fatal(err)
	}
	pod := w.runCronJob(t, "app-prewarm-workspace-npm-pruner")
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("pruner failed: %s", podSummary(pod))
	}
	out := logs(t, w.ns, pod.Name, "prune")
	t.Log(strings.TrimSpace(out))
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "prewarm: prune ") {
			line = l
		}
	}
	var after, budget int64
	if _, err := fmt.Sscan(field(line, "after"), &after); err != nil {
		t.Fatalf("no after= in %q", line)
	}
	fmt.Sscan(field(line, "budget"), &budget)
	if after > budget || budget == 0 {
		t.Errorf("after the pruner the cache uses %d bytes, budget %d", after, budget)
	}
	if _, err := os.Stat(filepath.Join(snaps, "oldest.tar")); err == nil {
		t.Error("the least recently used snapshot survived")
	}
	if _, err := os.Stat(filepath.Join(snaps, "newest.tar")); err != nil {
		t.Error("the most recently used snapshot was removed")
	}
}

// runCronJob creates a Job from the CronJob's template (as `kubectl create
// job --from=cronjob/...` does) and waits for its pod to finish.
func (w *workspace) runCronJob(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	cs := kube(t)
	cj, err := cs.BatchV1().CronJobs(w.ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-manual", Namespace: w.ns,
			Annotations: map[string]string{"cronjob.kubernetes.io/instantiate": "manual"}},
		Spec: cj.Spec.JobTemplate.Spec,
	}
	if _, err := cs.BatchV1().Jobs(w.ns).Create(t.Context(), job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return waitPod(t, w.ns, jobPod(t, w.ns, job.Name), 5*time.Minute, finished)
}

// listTree is tree.State of what is under dir (dir itself left out, so an
// empty dir has none): equal lists mean nothing under dir was written in
// between.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	all, err := tree.State(dir)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(l string) bool { return strings.HasPrefix(l, dir+" ") })
}

func chownTree(dir string, uid int) error {
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
}
