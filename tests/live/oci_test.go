package live

// The three charts distributed the way users get them: packaged, pushed to
// an OCI registry (a real distribution/v3 registry running in-process on
// 127.0.0.1, see tests/internal/ociregistry) and installed from
// oci://… into the live control plane with the helm CLI from tools.mod.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prewarm-dev/prewarm/tests/internal/ociregistry"
)

// ociCharts are the charts this repository publishes.
var ociCharts = []string{"prewarm-policy", "prewarm-caches", "prewarm-workspace"}

const ociChartVersion = "0.1.0"

// Media types Helm uses for a chart stored as an OCI artifact.
const (
	ociHelmConfigType = "application/vnd.cncf.helm.config.v1+json"
	ociHelmLayerType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// TestChartsFromOCIRegistry packages and pushes every chart to a local
// registry, checks the registry holds exactly the packaged bytes, then
// installs all three from oci:// so they work together: the policy judges
// the namespace's Workspaces, the caches release owns the npm PVC, and the
// workspace release mounts it (caches.npm.existingClaim).
func TestChartsFromOCIRegistry(t *testing.T) {
	const ns, policyRel, cachesRel, wsRel = "charts-oci", "oci-policy", "oci-caches", "oci-ws"
	cachePVC, policyName, wsName := chartCachesPVC(cachesRel, "npm"), chartPolicy(policyRel), chartWorkspace(wsRel)
	gvr := installCRDs(t)["Workspace"]
	labels := map[string]string{"prewarm.dev/test": "charts-oci"}
	for k, v := range restrictedLabels {
		labels[k] = v
	}
	ensureNamespace(t, ns, labels)
	cs := clientset(t, cp.Config())
	h := newChartsHelm(t)
	reg := ociregistry.ForTest(t)
	ctx := t.Context()
	base := "oci://" + reg.Host + "/charts"

	// Package and push.
	dist := t.TempDir()
	for _, name := range ociCharts {
		out := h.must(t, "package", h.chartPath(name), "--destination", dist)
		tgz := filepath.Join(dist, fmt.Sprintf("%s-%s.tgz", name, ociChartVersion))
		if !strings.Contains(out, tgz) {
			t.Fatalf("helm package %s did not write %s:\n%s", name, tgz, out)
		}
		out = h.must(t, "push", tgz, base, "--plain-http")
		t.Logf("helm push %s: %s", filepath.Base(tgz), strings.TrimSpace(out))
		ociCheckPushed(t, reg, "charts/"+name, tgz, out)
	}

	// The cleanup tolerates the test body having uninstalled already.
	// Deferred, not t.Cleanup: t.Context(), which the API calls and
	// chartsReleaseFinalizers run under, is canceled before Cleanup
	// functions run.
	installed := map[string]bool{}
	defer func() {
		for _, rel := range []string{wsRel, cachesRel, policyRel} {
			if installed[rel] {
				_, _ = h.run(t, "uninstall", rel, "--namespace", ns)
			}
		}
		_ = cs.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, cachePVC, metav1.DeleteOptions{})
		chartsReleaseFinalizers(t, cs, ns, cachePVC)
	}()
	install := func(release, chart string, set ...string) {
		t.Helper()
		args := []string{"install", release, base + "/" + chart, "--version", ociChartVersion, "--plain-http",
			"--namespace", ns, "--wait=false"}
		for _, s := range set {
			args = append(args, "--set", s)
		}
		out := h.must(t, args...)
		installed[release] = true
		if strings.Contains(out, "PodSecurity") {
			t.Errorf("helm install %s got Pod Security warnings:\n%s", release, out)
		}
	}

	install(policyRel, "prewarm-policy",
		`namespaceSelector.matchLabels.prewarm\.dev/test=charts-oci`,
		"allowedImageRegistries={docker.io/library/}")
	install(cachesRel, "prewarm-caches",
		"caches.pip.enabled=false", "caches.gomod.enabled=false", "caches.npm.keep=false")
	install(wsRel, "prewarm-workspace",
		"kelos.integration=extension",
		"workspace.repo=https://github.com/acme/app.git",
		"presets.npm.enabled=true",
		"caches.npm.existingClaim="+cachePVC)

	// helm sees three deployed releases of the pushed charts.
	out := h.must(t, "list", "--namespace", ns, "--output", "json")
	var rels []struct {
		Name, Status, Chart string
	}
	if err := json.Unmarshal([]byte(out), &rels); err != nil {
		t.Fatalf("helm list: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, r := range rels {
		got[r.Name] = r.Status + " " + r.Chart
	}
	for rel, chart := range map[string]string{policyRel: "prewarm-policy", cachesRel: "prewarm-caches", wsRel: "prewarm-workspace"} {
		if want := "deployed " + chart + "-" + ociChartVersion; got[rel] != want {
			t.Errorf("helm list: release %s is %q, want %q", rel, got[rel], want)
		}
	}

	// The objects exist.
	if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, policyName, metav1.GetOptions{}); err != nil {
		t.Errorf("policy from OCI: %v", err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Get(ctx, policyName, metav1.GetOptions{}); err != nil {
		t.Errorf("policy binding from OCI: %v", err)
	}
	if _, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, cachePVC, metav1.GetOptions{}); err != nil {
		t.Errorf("cache PVC from OCI: %v", err)
	}
	ws := wsChartLive(t, dynamicClient(t).Resource(gvr).Namespace(ns), wsName)
	var claims []string
	for _, v := range ws.Spec.Volumes {
		if v.Source.PersistentVolumeClaim != nil {
			claims = append(claims, v.Source.PersistentVolumeClaim.ClaimName)
		}
	}
	if !slices.Equal(claims, []string{cachePVC}) {
		t.Errorf("Workspace %s mounts PVCs %v, want the caches release's [%s]", wsName, claims, cachePVC)
	}
	// With existingClaim the workspace release creates no PVC of its own.
	pvcs, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + wsRel})
	if err != nil || len(pvcs.Items) != 0 {
		t.Errorf("the workspace release created PVCs %v (err %v), want none", chartsPVCNames(pvcs.Items), err)
	}

	// The policy installed from OCI is in force in this namespace: a
	// Workspace with a setup image from another registry is refused.
	api := dynamicClient(t).Resource(gvr).Namespace(ns)
	refused := policyWaitRefused(t, api, policyTestWorkspace(ns, "oci-evil", nil, []any{policySetupEntry("evil", "quay.io/evil/miner:1")}),
		`setup "evil" uses image "quay.io/evil/miner:1"`)
	t.Logf("policy from OCI refuses: %v", refused)
	// …and the chart's own Workspace (node:22-alpine is docker.io/library/)
	// still passes it on UPDATE.
	u, err := api.Get(ctx, wsName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Update(ctx, u, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("the policy refuses the workspace chart's own Workspace: %v", err)
	}

	for _, rel := range []string{wsRel, cachesRel, policyRel} {
		h.must(t, "uninstall", rel, "--namespace", ns)
		delete(installed, rel)
	}
	if _, err := api.Get(ctx, wsName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Workspace %s after uninstall: %v", wsName, err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, policyName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("policy %s after uninstall: %v", policyName, err)
	}

	// Stop the registry now (ForTest's cleanup would too) and prove it
	// no longer listens.
	if err := reg.Close(); err != nil {
		t.Errorf("stop registry: %v", err)
	}
	if c, err := net.DialTimeout("tcp", reg.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("registry %s still accepts connections after Close", reg.Host)
	}
}

// ociCheckPushed checks repo:0.1.0 in the registry is a Helm chart artifact
// whose one layer is exactly the packaged tgz, and that helm push reported
// its manifest digest.
func ociCheckPushed(t *testing.T, reg *ociregistry.Registry, repo, tgz, pushOut string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tags, err := reg.Tags(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tags, []string{ociChartVersion}) {
		t.Errorf("%s tags %v, want [%s]", repo, tags, ociChartVersion)
	}
	m, err := reg.Manifest(ctx, repo, ociChartVersion)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pushOut, "Digest: "+m.Digest) {
		t.Errorf("helm push output does not name the stored manifest digest %s:\n%s", m.Digest, pushOut)
	}
	if m.Config.MediaType != ociHelmConfigType || len(m.Layers) != 1 || m.Layers[0].MediaType != ociHelmLayerType {
		t.Fatalf("%s:%s is not a Helm chart artifact: %+v", repo, ociChartVersion, m)
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := "sha256:" + hex.EncodeToString(sum[:]); m.Layers[0].Digest != want || m.Layers[0].Size != int64(len(data)) {
		t.Errorf("%s: chart layer %s (%d bytes), packaged %s (%d bytes)", repo, m.Layers[0].Digest, m.Layers[0].Size, want, len(data))
	}
	blob, err := reg.Blob(ctx, repo, m.Layers[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if string(blob) != string(data) {
		t.Errorf("%s: the stored chart layer differs from %s", repo, filepath.Base(tgz))
	}
	cfg, err := reg.Blob(ctx, repo, m.Config.Digest)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Name, Version string }
	if err := json.Unmarshal(cfg, &meta); err != nil {
		t.Fatalf("%s: chart config: %v\n%s", repo, err, cfg)
	}
	if "charts/"+meta.Name != repo || meta.Version != ociChartVersion {
		t.Errorf("%s: chart config names %s %s", repo, meta.Name, meta.Version)
	}
}
