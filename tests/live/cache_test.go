package live

// `prewarm cache du|ls -n NS --release R` against the real kube-apiserver:
// the real prewarm-caches chart creates the PVCs and pruner CronJobs, the
// real CLI binary (as a user with only the Role documented in
// docs/runbook.md) resolves them, creates its Job, waits, prints progress,
// parses the output and deletes the Job and its pod.
//
// Stand-in, named so: this control plane runs no Job controller and no
// kubelet. jobStandIn (cache_standin_test.go) plays both: it creates the Job's pod from the Job's
// own template (so Pod Security "restricted" admission judges the real pod
// spec), reports it Pending/Unschedulable for a while, then inventoryExec runs the
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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/cache"
	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// cacheKubeconfig is h's admin kubeconfig impersonating user.
func cacheKubeconfig(t *testing.T, admin, user string) string {
	t.Helper()
	var kc map[string]any
	if err := fixtures.ReadYAML(admin, &kc); err != nil {
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

// inventoryExec runs the container's command of an inventory Job — sh -c
// SCRIPT NAME ARGS..., /cache mapped to local — under busybox sh, and
// returns what the script left in its termination-log file.
func inventoryExec(local string, fail func(error), tmp func() string) func(corev1.Container) containerRun {
	return func(c corev1.Container) containerRun {
		args := append([]string{}, c.Command[1:]...)
		for i := 3; i < len(args); i++ {
			args[i] = strings.Replace(args[i], "=/cache/", "="+local+"/", 1)
		}
		term := filepath.Join(tmp(), "termination-log")
		bb, err := exec.LookPath("busybox")
		if err != nil {
			fail(err)
			return containerRun{exit: 1, reason: "Error"}
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
		return containerRun{exit: exit, reason: "Completed", message: string(msg)}
	}
}

func TestCacheClusterWayDuAndLs(t *testing.T) {
	const (
		ns      = "cache-cluster"
		release = "inv"
		user    = "cache-dev"
	)
	cs, h := installCaches(t, ns, release,
		"--set", "caches.pip.enabled=false", "--set", "caches.cargo.enabled=false",
		"--set", "caches.maven.enabled=false", "--set", "caches.gradle.enabled=false",
		"--set", "caches.gomod.prune.maxBytes=1Gi")

	// the Role a user needs, and nothing more
	grantCacheRole(t, cs, ns, user)
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
	node := &jobStandIn{t: t, cs: cs, ns: ns, component: cache.JobComponent, pending: 1500 * time.Millisecond}
	node.exec = inventoryExec(local, node.fail, t.TempDir)
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
	jobs := node.seenJobs(t, 2)
	spec := jobs[0].Spec.Template.Spec
	if got := mountedClaims(t, spec, true); got != "inv-prewarm-caches-gomod inv-prewarm-caches-npm" {
		t.Errorf("claims %s", got)
	}
	if *spec.AutomountServiceAccountToken || !*spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem || *jobs[0].Spec.BackoffLimit != 0 {
		t.Error("the Job's pod must have no token, a read-only root file system and no retries")
	}

	// cleaned up: no Job, no pod left
	noJobsLeft(t, cs, ns, "du and ls")

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
