package live

// `prewarm cache clear|invalidate -n NS --claim|--release` against the real
// kube-apiserver: the real prewarm-caches chart creates the PVCs and pruner
// CronJobs, the real CLI binary (as a user with only the Role documented in
// docs/runbook.md) resolves them, creates its Job (Pod Security
// "restricted" admission judges the pod), waits, prints progress, prints
// the Job's output and deletes the Job and its pod — also on failure,
// timeout and ^C.
//
// Stand-in, named so: this control plane runs no Job controller and no
// kubelet. jobStandIn (cache_standin_test.go) plays both: it creates the Job's pod from the
// Job's own template, reports it Pending/Unschedulable for a moment, then
// clearExec runs the command of the Job's container — the real prewarm binary built
// from this checkout, `prewarm cache clear|invalidate --path /cache/...` —
// against real directories standing for the mounted PVCs, and writes what
// the command left in its termination-log file and its exit code into the
// pod status, as a kubelet does. What a real node adds (tests/e2e
// cachectl_test.go runs it): pulling the image, mounting the PVC read-write
// as UID 61100 with fsGroup, and the pods/log endpoint.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

// clearExec runs the command of a clear Job's container — the prewarm
// binary bin for clearImage (nothing for another image), /cache mapped to
// local — and returns its exit code and its termination-log file.
func clearExec(t *testing.T, local, bin string) func(corev1.Container) containerRun {
	return func(c corev1.Container) containerRun {
		term := filepath.Join(t.TempDir(), "termination-log")
		args := append([]string{}, c.Command[1:]...)
		for i, a := range args {
			switch {
			case a == "/dev/termination-log":
				args[i] = term
			case a == "/cache" || strings.HasPrefix(a, "/cache/"):
				args[i] = local + strings.TrimPrefix(a, "/cache")
			}
		}
		exit, run := int32(0), bin
		if c.Image != clearImage {
			run = filepath.Join(t.TempDir(), "no-such-binary") // an image without prewarm
		}
		cmd := exec.Command(run, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		reason := "Completed"
		if err := cmd.Run(); err != nil {
			exit, reason = 1, "Error"
			if ee, ok := err.(*exec.ExitError); ok {
				exit = int32(ee.ExitCode())
			} else {
				exit, reason = 127, "StartError"
			}
		}
		msg, _ := os.ReadFile(term)
		return containerRun{exit: exit, reason: reason, message: string(msg)}
	}
}

// clearImage is the image name the test passes with --image; the stand-in
// runs the prewarm binary for it (and nothing for any other image).
const clearImage = "prewarm.test/prewarm:live"

// clearFixture writes two npm snapshots (one with a use record), the npm
// store and the gomod build store under dir/npm and dir/gomod.
func clearFixture(t *testing.T, dir string) (k1, k2 string) {
	t.Helper()
	k1, k2 = strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	mustWrite(t, filepath.Join(dir, "npm", "snapshots", k1+".v2", "0.tar"), 30000)
	mustWrite(t, filepath.Join(dir, "npm", "snapshots", k1+".v2", "manifest"), 100)
	mustWrite(t, filepath.Join(dir, "npm", "snapshots", k2+".v2", "0.tar"), 20000)
	mustWrite(t, filepath.Join(dir, "npm", "store", "_cacache", "content"), 50000)
	mustWriteText(t, filepath.Join(dir, "npm", cache.UsedDir, k1), "preset=npm\nworkdir=web\nstores=store\ncreated=1700000000\n")
	mustWrite(t, filepath.Join(dir, "gomod", "build", "00", "x-d"), 40000)
	return k1, k2
}

func TestCacheClusterWayClearAndInvalidate(t *testing.T) {
	const ns, release, user = "cache-clear-cluster", "clr", "cache-dev"
	npmPVC, goPVC := chartCachesPVC(release, "npm"), chartCachesPVC(release, "gomod")
	cs, h := installCaches(t, ns, release,
		"--set", "caches.pip.enabled=false", "--set", "caches.cargo.enabled=false",
		"--set", "caches.maven.enabled=false", "--set", "caches.gradle.enabled=false")
	grantCacheRole(t, cs, ns, user)
	kubeconfig := cacheKubeconfig(t, h.kubeconfig, user)

	// local stands for the PVCs (the Job's /cache); twin gets the same
	// files and the path way, to compare the outputs with
	local, twin := t.TempDir(), t.TempDir()
	k1, _ := clearFixture(t, local)
	clearFixture(t, twin)

	bin := prewarmBin(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	node := &jobStandIn{t: t, cs: cs, ns: ns, component: cache.ClearJobComponent, pending: 1200 * time.Millisecond, exec: clearExec(t, local, bin)}
	go node.run(ctx)

	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		t.Logf("prewarm %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), cmd.ProcessState.ExitCode(), out.String(), errb.String())
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	cluster := func(args ...string) (string, string, int) {
		return run(append(args, "-n", ns, "--kubeconfig", kubeconfig, "--image", clearImage, "--timeout", "60s")...)
	}
	pvcOf := strings.NewReplacer(filepath.Join(twin, "gomod"), "pvc/"+goPVC, filepath.Join(twin, "npm"), "pvc/"+npmPVC)
	noneLeft := func(what string) {
		t.Helper()
		noJobsLeft(t, cs, ns, what)
	}

	// 1. invalidate one key of the release's npm cache: the same output as
	// the path way, with the PVC for the path; the other key stays
	stdout, stderr, code := cluster("cache", "invalidate", k1[:20], "--release", release, "--preset", "npm")
	want, _, _ := run("cache", "invalidate", k1[:20], "--path", filepath.Join(twin, "npm"), "--preset", "npm")
	if code != 0 || stdout != pvcOf.Replace(want) {
		t.Errorf("invalidate: exit %d\n--- path way\n%s--- cluster\n%s", code, pvcOf.Replace(want), stdout)
	}
	if exists(filepath.Join(local, "npm", "snapshots", k1+".v2")) || exists(filepath.Join(local, "npm", cache.UsedDir, k1)) || !exists(filepath.Join(local, "npm", "snapshots", strings.Repeat("cd", 32)+".v2")) {
		t.Error("invalidate: want the snapshot and record of k1 gone, k2 kept")
	}
	for _, p := range []string{"created job " + ns + "/prewarm-cache-clear-", "read-write pvc/" + npmPVC, "Pending, PodScheduled: Unschedulable", "finished after", "deleted job"} {
		if !strings.Contains(stderr, p) {
			t.Errorf("invalidate: progress on stderr lacks %q", p)
		}
	}
	noneLeft("invalidate")

	// 2. a running setup's lease: clear refuses the stores, names the
	// lease, fails (exit 2) like the path way, removes nothing
	lease := filepath.Join(local, "npm", cache.LeasesDir, "npm-pod-7")
	mustWriteText(t, lease, "")
	_, stderr, code = cluster("cache", "clear", "--claim", npmPVC, "--part", "stores")
	if code != 2 || !strings.Contains(stderr, "prewarm: clear pvc/"+npmPVC+": 1 running setup(s) use this cache (leases npm-pod-7)") {
		t.Errorf("clear under a lease: exit %d, stderr:\n%s", code, stderr)
	}
	if !exists(filepath.Join(local, "npm", "store", "_cacache", "content")) || exists(filepath.Join(local, "npm", cache.LockDir)) {
		t.Error("clear under a lease removed the store or left the lock")
	}
	noneLeft("clear under a lease")
	if err := os.Remove(lease); err != nil {
		t.Fatal(err)
	}

	// 3. the stores of the whole release, no lease: both go, output as the
	// path way prints it (the path way on the twin, a directory of caches)
	stdout, _, code = cluster("cache", "clear", "--release", release, "--part", "stores")
	want, _, _ = run("cache", "clear", "--path", twin, "--part", "stores")
	if code != 0 || stdout != pvcOf.Replace(want) {
		t.Errorf("clear stores: exit %d\n--- path way\n%s--- cluster\n%s", code, pvcOf.Replace(want), stdout)
	}
	if exists(filepath.Join(local, "npm", "store")) || exists(filepath.Join(local, "gomod", "build")) {
		t.Error("clear stores: a store is left")
	}
	noneLeft("clear stores")

	// 4. what the stand-in saw: restricted pod, PVCs read-write, the
	// setups' UID and fsGroup, no token, no retries
	jobs := node.seenJobs(t, 3)
	spec := jobs[2].Spec.Template.Spec
	if got := mountedClaims(t, spec, false); got != goPVC+" "+npmPVC {
		t.Errorf("claims %s", got)
	}
	psc := spec.SecurityContext
	if *psc.RunAsUser != 61100 || *psc.FSGroup != 61100 || *spec.AutomountServiceAccountToken || !*spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem || *jobs[2].Spec.BackoffLimit != 0 {
		t.Error("the Job's pod must run as 61100 with fsGroup 61100, no token, a read-only root file system and no retries")
	}
	if got := strings.Join(spec.Containers[0].Command[:4], " "); got != "prewarm cache clear --part" {
		t.Errorf("command %q: want the path way, prewarm cache clear", got)
	}

	// 5. errors, each named, and nothing left behind
	_, stderr, code = cluster("cache", "clear", "--claim", "nope")
	if code == 0 || !strings.Contains(stderr, `PVC `+ns+`/nope: persistentvolumeclaims "nope" not found`) {
		t.Errorf("missing claim: exit %d stderr %s", code, stderr)
	}
	_, stderr, code = run("cache", "clear", "-n", ns, "--claim", npmPVC, "--kubeconfig", kubeconfig, "--image", "busybox:1.37", "--timeout", "60s")
	if code == 0 || !strings.Contains(stderr, "exited 127 (StartError)") {
		t.Errorf("image without prewarm: exit %d stderr %s", code, stderr)
	}
	noneLeft("image without prewarm")
	node.setHold()
	_, stderr, code = run("cache", "clear", "-n", ns, "--claim", npmPVC, "--kubeconfig", kubeconfig, "--image", clearImage, "--timeout", "3s")
	if code == 0 || !strings.Contains(stderr, "did not finish within --timeout 3s; last state: pod prewarm-cache-clear-") || !strings.Contains(stderr, "deleted job") {
		t.Errorf("timeout: exit %d stderr %s", code, stderr)
	}
	noneLeft("timeout")

	// ^C while the pod is pending: the Job and its pod are deleted
	cmd := exec.Command(bin, "cache", "clear", "-n", ns, "--claim", npmPVC, "--kubeconfig", kubeconfig, "--image", clearImage, "--timeout", "60s")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "Unschedulable") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = cmd.Wait()
	t.Logf("^C: exit %d\n%s", cmd.ProcessState.ExitCode(), errb.String())
	if cmd.ProcessState.ExitCode() == 0 || !strings.Contains(errb.String(), "interrupted") || !strings.Contains(errb.String(), "deleted job") {
		t.Errorf("^C: exit %d stderr %s", cmd.ProcessState.ExitCode(), errb.String())
	}
	noneLeft("^C")
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
