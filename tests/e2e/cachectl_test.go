//go:build e2e

package e2e

// `prewarm cache du|invalidate|clear -n NS --claim PVC` on the real node:
// the CLI creates its Job, the real Job controller makes the pod, the
// scheduler places it, the kubelet mounts the PVC (a hostPath PV) and runs
// it as UID 61100 under Pod Security "restricted" — the inventory script
// in busybox for du, the prewarm binary (images.Prewarm) for invalidate
// and clear — and the CLI prints what the path way prints on the same
// files, then deletes the Job and its pod.

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prewarm-dev/prewarm/pkg/cache"
	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

// cachectlFixture writes an npm cache at dir: two snapshots (one with a
// use record) and the store, owned by the setups' UID.
func cachectlFixture(t *testing.T, dir string) (k1, k2 string) {
	t.Helper()
	k1, k2 = strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	for p, n := range map[string]int{
		"snapshots/" + k1 + ".v2/0.tar":             300 << 10,
		"snapshots/" + k1 + ".v2/manifest":          200,
		"snapshots/" + k2 + ".v2/0.tar":             100 << 10,
		"store/_cacache/content-v2/sha512/aa/bb/cc": 500 << 10,
		"store/_cacache/index-v5/11/22/33":          300,
		cache.UsedDir + "/" + k1:                    0,
	} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o775); err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte{'x'}, n)
		if strings.Contains(p, cache.UsedDir) {
			data = []byte("preset=npm\nworkdir=web\nstores=store\ncreated=1700000000\n")
		}
		if err := os.WriteFile(full, data, 0o664); err != nil {
			t.Fatal(err)
		}
		// the same times in both copies: du prints the record's as LAST USED
		when := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		if err := os.Chtimes(full, when, when); err != nil {
			t.Fatal(err)
		}
	}
	if err := chownTree(dir, images.AgentUID); err != nil {
		t.Fatal(err)
	}
	return k1, k2
}

func TestCacheCtlClusterWayOnTheRealNode(t *testing.T) {
	const ns, claim = "e2e-cachectl", "app-prewarm-caches-npm"
	ctx := t.Context()
	cs := kube(t)
	if err := cluster.EnsureNamespace(ctx, cs, ns, map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
	}); err != nil {
		t.Fatal(err)
	}

	// the image with the prewarm binary, built from this checkout
	static := filepath.Join(work, "prewarm-static")
	build := exec.Command("go", "build", "-o", static, "./cmd/prewarm")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build a static prewarm: %v\n%s", err, out)
	}
	tarPath := filepath.Join(work, "prewarm-image.tar")
	if err := images.WritePrewarmImage(tarPath, static); err != nil {
		t.Fatal(err)
	}
	if err := node.ImportImages(ctx, tarPath); err != nil {
		t.Fatal(err)
	}

	// the cache PVC on a hostPath PV, labelled as the prewarm-caches chart does
	dir := hostDir(t, "e2e-cachectl-npm", images.AgentUID, 0o775)
	k1, _ := cachectlFixture(t, dir)
	twin := filepath.Join(t.TempDir(), "npm")
	cachectlFixture(t, twin)
	if _, err := cs.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + claim},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			ClaimRef:                      &corev1.ObjectReference{Namespace: ns, Name: claim},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube(t).CoreV1().PersistentVolumes().Delete(context.Background(), ns+"-"+claim, metav1.DeleteOptions{})
	})
	if _, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: claim, Labels: map[string]string{
			"app.kubernetes.io/instance": "app", "app.kubernetes.io/component": "cache", "prewarm.dev/cache": "npm",
		}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: new(string),
			VolumeName:       ns + "-" + claim,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	c := cp.Config()
	kubeconfig := writeFile(t, "cachectl-kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: %q, certificate-authority-data: %s}
users:
- name: admin
  user: {token: %q}
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
`, c.Host, base64.StdEncoding.EncodeToString(c.CAData), c.BearerToken))

	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(prewarm, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		t0 := time.Now()
		_ = cmd.Run()
		t.Logf("prewarm %s (%.1fs)\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), time.Since(t0).Seconds(), cmd.ProcessState.ExitCode(), out.String(), errb.String())
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	onNode := func(image string, args ...string) (string, string, int) {
		return run(append(args, "-n", ns, "--claim", claim, "--kubeconfig", kubeconfig, "--image", image, "--timeout", "3m")...)
	}
	asPVC := func(s string) string { return strings.ReplaceAll(s, twin, "pvc/"+claim) }
	noneLeft := func(what string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			js, _ := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			ps, _ := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if len(js.Items) == 0 && len(ps.Items) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: %d Jobs and %d pods left", what, len(js.Items), len(ps.Items))
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	// du: the kubelet mounts the PVC read-only, busybox runs the inventory
	stdout, stderr, code := onNode(images.Busybox, "cache", "du")
	want, _, _ := run("cache", "du", "--path", twin)
	// (tabwriter pads to the longest path: compare the words of each line)
	if code != 0 || words(stdout) != words(asPVC(want)) {
		t.Errorf("du on the node: exit %d\n--- path way\n%s--- cluster\n%s", code, asPVC(want), stdout)
	}
	if !strings.Contains(stderr, "finished after") || !strings.Contains(stderr, "deleted job") {
		t.Errorf("du progress:\n%s", stderr)
	}
	noneLeft("du")

	// invalidate: the prewarm image, the PVC read-write
	stdout, stderr, code = onNode(images.Prewarm, "cache", "invalidate", k1[:20])
	want, _, _ = run("cache", "invalidate", k1[:20], "--path", twin, "--preset", "npm")
	if code != 0 || stdout != asPVC(want) {
		t.Errorf("invalidate on the node: exit %d\n--- path way\n%s--- cluster\n%s", code, asPVC(want), stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "snapshots", k1+".v2")); err == nil {
		t.Error("the invalidated snapshot is still on the volume")
	}
	if !strings.Contains(stderr, "mounting read-write pvc/"+claim) {
		t.Errorf("invalidate progress:\n%s", stderr)
	}
	noneLeft("invalidate")

	// a running setup's lease: clear refuses the store, as the path way does
	lease := filepath.Join(dir, cache.LeasesDir, "npm-task-pod-9")
	if err := os.MkdirAll(filepath.Dir(lease), 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lease, nil, 0o664); err != nil {
		t.Fatal(err)
	}
	_ = chownTree(filepath.Join(dir, ".prewarm"), images.AgentUID)
	_, stderr, code = onNode(images.Prewarm, "cache", "clear", "--part", "stores")
	if code != 2 || !strings.Contains(stderr, "prewarm: clear pvc/"+claim+": 1 running setup(s) use this cache (leases npm-task-pod-9)") {
		t.Errorf("clear under a lease: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "store", "_cacache", "content-v2", "sha512", "aa", "bb", "cc")); err != nil {
		t.Error("clear removed the store under a lease")
	}
	noneLeft("clear under a lease")
	if err := os.Remove(lease); err != nil {
		t.Fatal(err)
	}

	// clear everything
	stdout, _, code = onNode(images.Prewarm, "cache", "clear")
	want, _, _ = run("cache", "clear", "--path", twin, "--preset", "npm")
	if code != 0 || stdout != asPVC(want) {
		t.Errorf("clear on the node: exit %d\n--- path way\n%s--- cluster\n%s", code, asPVC(want), stdout)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	if got := strings.Join(names, " "); got != ".prewarm snapshots" || len(snaps) != 0 {
		t.Errorf("after clear the volume holds %q and %d snapshots, want .prewarm and an empty snapshots/", got, len(snaps))
	}
	noneLeft("clear")
}

// words is s with each line's whitespace runs made one space.
func words(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}
