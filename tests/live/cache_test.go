package live

// `prewarm cache du|ls -n NS --release R` against the real kube-apiserver:
// the real prewarm-caches chart creates the PVCs and pruner CronJobs, the
// real CLI binary (as a user with only the Role documented in
// docs/runbook.md) resolves them, creates its Job, waits, prints progress,
// parses the output and deletes the Job and its pod.
//
// Stand-in, named so: this control plane runs no Job controller and no
// kubelet. nodeStandIn plays both: it creates the Job's pod from the Job's
// own template (so Pod Security "restricted" admission judges the real pod
// spec), reports it Pending/Unschedulable for a while, then runs the
// command of the Job's container (the real inventory script) under busybox
// sh against real directories standing for the mounted PVCs and writes what
// the script left in its termination-log file into the pod status, as a
// kubelet does. What a real node adds: pulling busybox, mounting the PVC
// read-only (with subPath), running as UID 61100 and the log path for
// outputs over 4 KB (a real kubelet serves pods/log; here only the
// termination message carries the output).

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

// cacheRole is the least a user needs for the cluster way (docs/runbook.md).
var cacheRole = []rbacv1.PolicyRule{
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"create", "get", "delete"}},
	{APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}, Verbs: []string{"list"}},
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"persistentvolumeclaims"}, Verbs: []string{"get", "list"}},
}

// cacheKubeconfig is h's admin kubeconfig impersonating user.
func cacheKubeconfig(t *testing.T, admin, user string) string {
	t.Helper()
	raw, err := os.ReadFile(admin)
	if err != nil {
		t.Fatal(err)
	}
	var kc map[string]any
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		t.Fatal(err)
	}
	u := kc["users"].([]any)[0].(map[string]any)["user"].(map[string]any)
	u["as"] = user
	out, _ := yaml.Marshal(kc)
	p := filepath.Join(t.TempDir(), "kubeconfig-"+user)
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// nodeStandIn plays Job controller and kubelet for inventory Jobs in ns;
// local maps /cache/<dir> to a real directory. It records what it saw.
type nodeStandIn struct {
	t       *testing.T
	cs      kubernetes.Interface
	ns      string
	local   string
	mu      sync.Mutex
	jobs    []*batchv1.Job
	podErrs []error
}

func (n *nodeStandIn) run(ctx context.Context) {
	done := map[string]bool{}
	for ctx.Err() == nil {
		jobs, err := n.cs.BatchV1().Jobs(n.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=" + cache.JobComponent})
		if err == nil {
			for i := range jobs.Items {
				j := &jobs.Items[i]
				if !done[j.Name] {
					done[j.Name] = true
					n.mu.Lock()
					n.jobs = append(n.jobs, j.DeepCopy())
					n.mu.Unlock()
					go n.runJob(ctx, j)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *nodeStandIn) fail(err error) {
	n.mu.Lock()
	n.podErrs = append(n.podErrs, err)
	n.mu.Unlock()
}

func (n *nodeStandIn) runJob(ctx context.Context, j *batchv1.Job) {
	tpl := j.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: j.Name + "-x1", Namespace: n.ns,
			Labels:          map[string]string{"batch.kubernetes.io/job-name": j.Name, "job-name": j.Name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: j.Name, UID: j.UID, Controller: ptr.To(true)}},
		},
		Spec: tpl.Spec,
	}
	for k, v := range tpl.Labels {
		pod.Labels[k] = v
	}
	// Pod Security "restricted" admission judges the Job's pod spec here.
	pod, err := n.cs.CoreV1().Pods(n.ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		n.fail(err)
		return
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available (stand-in)",
	}}}
	if pod, err = n.cs.CoreV1().Pods(n.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		n.fail(err)
		return
	}
	time.Sleep(1500 * time.Millisecond)
	// run the container's command: sh -c SCRIPT NAME ARGS..., /cache -> local
	c := pod.Spec.Containers[0]
	args := append([]string{}, c.Command[1:]...)
	for i := 3; i < len(args); i++ {
		args[i] = strings.Replace(args[i], "=/cache/", "="+n.local+"/", 1)
	}
	term := filepath.Join(n.t.TempDir(), "termination-log")
	bb, err := exec.LookPath("busybox")
	if err != nil {
		n.fail(err)
		return
	}
	cmd := exec.Command(bb, append([]string{"sh"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PREWARM_TERMINATION_LOG=" + term}
	var out bytes.Buffer
	cmd.Stdout = &out
	exit := int32(0)
	if err := cmd.Run(); err != nil {
		exit = 1
	}
	msg, _ := os.ReadFile(term)
	pod.Status.Phase = corev1.PodSucceeded
	pod.Status.Conditions = nil
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: c.Name, Image: c.Image, ImageID: "stand-in",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: exit, Reason: "Completed", Message: string(msg),
			StartedAt: metav1.Now(), FinishedAt: metav1.Now(),
		}},
	}}
	if _, err := n.cs.CoreV1().Pods(n.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		n.fail(err)
	}
}

func TestCacheClusterWayDuAndLs(t *testing.T) {
	const (
		ns      = "cache-cluster"
		release = "inv"
		user    = "cache-dev"
	)
	ensureNamespace(t, ns, restrictedLabels)
	cs := clientset(t, cp.Config())
	h := newChartsHelm(t)
	h.install(t, release, "prewarm-caches", ns,
		"--set", "caches.pip.enabled=false", "--set", "caches.cargo.enabled=false",
		"--set", "caches.maven.enabled=false", "--set", "caches.gradle.enabled=false",
		"--set", "caches.gomod.prune.maxBytes=1Gi")

	// the Role a user needs, and nothing more
	if _, err := cs.RbacV1().Roles(ns).Create(t.Context(), &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "prewarm-cache"}, Rules: cacheRole}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(t.Context(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prewarm-cache"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "prewarm-cache"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := cacheKubeconfig(t, h.kubeconfig, user)

	// real directories standing for the two PVCs: an npm cache with a
	// snapshot, a store and a use record; an empty gomod cache
	local := t.TempDir()
	key := strings.Repeat("ab", 32)
	mustWrite(t, filepath.Join(local, "npm", "snapshots", key+".tar"), 30000)
	mustWrite(t, filepath.Join(local, "npm", "store", "_cacache", "content"), 50000)
	mustWriteText(t, filepath.Join(local, "npm", cache.UsedDir, key), "preset=npm\nworkdir=web\nstores=store\ncreated=1700000000\n")
	if err := os.MkdirAll(filepath.Join(local, "gomod"), 0o755); err != nil {
		t.Fatal(err)
	}

	bin := prewarmBin(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	node := &nodeStandIn{t: t, cs: cs, ns: ns, local: local}
	go node.run(ctx)

	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		t.Logf("prewarm %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out.String(), errb.String())
		return out.String(), errb.String(), err
	}

	for _, sub := range []string{"du", "ls"} {
		stdout, stderr, err := run("cache", sub, "-n", ns, "--release", release, "--kubeconfig", kubeconfig, "--timeout", "60s")
		if err != nil {
			t.Fatalf("prewarm cache %s: %v\n%s", sub, err, stderr)
		}
		// the path way on the same directories prints the same, with the
		// PVC (and the pruner's budget) where the path way has the path
		pathOut, _, err := run("cache", sub, "--path", local)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.NewReplacer(
			filepath.Join(local, "gomod"), "pvc/inv-prewarm-caches-gomod",
			filepath.Join(local, "npm"), "pvc/inv-prewarm-caches-npm",
		).Replace(pathOut)
		if sub == "du" {
			// budgets: the pruner CronJobs' (1Gi for gomod, 80% of 20Gi for npm)
			if !strings.Contains(stdout, "1073741824") || !strings.Contains(stdout, "17179869184") {
				t.Errorf("du does not show the pruners' budgets:\n%s", stdout)
			}
			want, stdout = dropColumns(want, 7, 8), dropColumns(stdout, 7, 8)
		}
		if want != stdout {
			t.Errorf("cluster %s differs from the path way:\n--- path\n%s--- cluster\n%s", sub, want, stdout)
		}
		for _, p := range []string{"created job " + ns + "/prewarm-cache-inventory-", "Pending, PodScheduled: Unschedulable", "finished after", "deleted job"} {
			if !strings.Contains(stderr, p) {
				t.Errorf("progress on stderr lacks %q", p)
			}
		}
	}
	if !strings.Contains(func() string { s, _, _ := run("cache", "ls", "--path", local); return s }(), "abababababababababab  web") {
		t.Error("ls does not show the workdir of the use record")
	}

	// what the stand-in saw: one Job per run, restricted, read-only PVCs
	node.mu.Lock()
	jobs, podErrs := node.jobs, node.podErrs
	node.mu.Unlock()
	if len(podErrs) > 0 {
		t.Fatalf("the Job's pod was refused or could not be updated: %v", podErrs)
	}
	if len(jobs) != 2 {
		t.Fatalf("%d Jobs, want 2", len(jobs))
	}
	spec := jobs[0].Spec.Template.Spec
	var claims []string
	for _, v := range spec.Volumes {
		claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		if !v.PersistentVolumeClaim.ReadOnly {
			t.Errorf("volume %s is not read-only", v.Name)
		}
	}
	if got := strings.Join(claims, " "); got != "inv-prewarm-caches-gomod inv-prewarm-caches-npm" {
		t.Errorf("claims %s", got)
	}
	if *spec.AutomountServiceAccountToken || !*spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem || *jobs[0].Spec.BackoffLimit != 0 {
		t.Error("the Job's pod must have no token, a read-only root file system and no retries")
	}

	// cleaned up: no Job, no pod left
	if js, _ := cs.BatchV1().Jobs(ns).List(t.Context(), metav1.ListOptions{}); len(js.Items) != 0 {
		t.Errorf("%d Jobs left", len(js.Items))
	}
	if ps, _ := cs.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{}); len(ps.Items) != 0 {
		t.Errorf("%d pods left", len(ps.Items))
	}

	// a user without the Role gets the API server's refusal, named
	_, stderr, err := run("cache", "du", "-n", ns, "--claim", "inv-prewarm-caches-npm", "--kubeconfig", cacheKubeconfig(t, h.kubeconfig, "nobody"), "--timeout", "10s")
	if err == nil || !strings.Contains(stderr, `persistentvolumeclaims "inv-prewarm-caches-npm" is forbidden`) {
		t.Errorf("without the Role: err=%v stderr=%s", err, stderr)
	}
}

// dropColumns removes the whitespace-separated columns idx... (0-based)
// of every line with at least that many columns.
func dropColumns(s string, idx ...int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		var keep []string
		for i, x := range f {
			skip := false
			for _, j := range idx {
				if i == j && len(f) >= 9 {
					skip = true
				}
			}
			if !skip {
				keep = append(keep, x)
			}
		}
		out = append(out, strings.Join(keep, " "))
	}
	return strings.Join(out, "\n")
}

func mustWrite(t *testing.T, p string, n int) {
	t.Helper()
	mustWriteText(t, p, strings.Repeat("x", n))
}

func mustWriteText(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
