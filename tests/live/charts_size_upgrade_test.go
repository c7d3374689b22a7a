package live

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestChartsSizeUpgradeKeepsClaims: a release made when a cache's default
// size was another (simulated by installing with that size set, as the
// old default did) upgrades to values without a size (the new default
// table) and keeps every claim's size: Helm's lookup on the real API
// server finds the claim, so the chart never asks an unbound claim to
// change (which the API server refuses) nor to shrink. A size set below
// the claim's is refused by the chart, naming both sizes, before anything
// reaches the cluster.
func TestChartsSizeUpgradeKeepsClaims(t *testing.T) {
	const ns = "charts-size-upgrade"
	installCRDs(t)
	ensureNamespace(t, ns, restrictedLabels)
	cs := clientset(t, cp.Config())
	h := newChartsHelm(t)

	ws := []string{"--set", "kelos.integration=extension", "--set", "workspace.repo=https://github.com/acme/app.git", "--set", "presets.npm.enabled=true"}
	h.must(t, append([]string{"install", "ws", h.chartPath("prewarm-workspace"), "--namespace", ns, "--set", "caches.npm.size=10Gi"}, ws...)...)
	t.Cleanup(func() { _, _ = h.run(t, "uninstall", "ws", "--namespace", ns) })
	h.must(t, "install", "team", h.chartPath("prewarm-caches"), "--namespace", ns, "--set", "caches.npm.size=30Gi")
	t.Cleanup(func() { _, _ = h.run(t, "uninstall", "team", "--namespace", ns) })
	claims := map[string]string{"ws-prewarm-workspace-npm-cache": "10Gi", "team-prewarm-caches-npm": "30Gi", "team-prewarm-caches-pip": "10Gi"}
	uids := sizeUpgradeCheck(t, cs, ns, claims, nil)

	h.must(t, append([]string{"upgrade", "ws", h.chartPath("prewarm-workspace"), "--namespace", ns, "--reset-values"}, ws...)...)
	h.must(t, "upgrade", "team", h.chartPath("prewarm-caches"), "--namespace", ns, "--reset-values")
	sizeUpgradeCheck(t, cs, ns, claims, uids)

	out, err := h.run(t, append([]string{"upgrade", "ws", h.chartPath("prewarm-workspace"), "--namespace", ns, "--set", "caches.npm.size=5Gi"}, ws...)...)
	want := "caches.npm.size: 5Gi is smaller than the existing claim's 10Gi, and a PVC cannot shrink"
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("upgrade with a smaller size: err %v, output %q; want a failure saying %q", err, out, want)
	}
	sizeUpgradeCheck(t, cs, ns, claims, uids)
	for name := range claims {
		_ = cs.CoreV1().PersistentVolumeClaims(ns).Delete(t.Context(), name, metav1.DeleteOptions{})
		chartsReleaseFinalizers(t, cs, ns, name)
	}
}

// sizeUpgradeCheck requires each claim to request its size and, when uids
// is given, to be the same object as before; it returns the claims' UIDs.
func sizeUpgradeCheck(t *testing.T, cs kubernetes.Interface, ns string, claims map[string]string, uids map[string]string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for name, size := range claims {
		p, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if q := p.Spec.Resources.Requests[corev1.ResourceStorage]; q.Cmp(resource.MustParse(size)) != 0 {
			t.Errorf("%s requests %s, want %s", name, q.String(), size)
		}
		if uids != nil && uids[name] != string(p.UID) {
			t.Errorf("%s was replaced", name)
		}
		got[name] = string(p.UID)
	}
	return got
}
