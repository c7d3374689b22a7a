package live

// The prewarm-workspace chart against the real API server, installed,
// upgraded and uninstalled with the helm CLI from tools.mod (helpers in
// charts_policy_test.go): what the API server stores must be what
// `helm template` renders, the Task pod rendered from the stored Workspace
// must pass Pod Security "restricted", and uninstall must honour
// caches.<preset>.keep.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

// wsChartKubeVersion is what `helm template` assumes; helm install reads
// the same version from the live API server.
const wsChartKubeVersion = "v1.37.2"

// wsChartRendered is what `helm template` renders, by kind.
type wsChartRendered struct {
	Workspace *v1alpha2.Workspace
	PVCs      map[string]*corev1.PersistentVolumeClaim // by name
	CronJobs  []string                                 // names, sorted
}

// TestWorkspaceChartInstallUpgradeUninstall installs prewarm-workspace with
// the npm and gomod presets in a namespace enforcing Pod Security
// "restricted", compares the stored Workspace and PVCs with `helm template`,
// upgrades a preset option, renders the Task pod from the stored Workspace
// and has the API server admit it (dry-run), then uninstalls: the npm PVC
// (keep: true) stays, the gomod PVC (keep: false) is deleted.
func TestWorkspaceChartInstallUpgradeUninstall(t *testing.T) {
	const (
		ns        = "charts-workspace"
		release   = "ws"
		repo      = "https://github.com/acme/app.git"
		selectRel = "app.kubernetes.io/instance=" + release
	)
	wsName, npmClaim, gomodPVC := chartWorkspace(release), chartWorkspacePVC(release, "npm"), chartWorkspacePVC(release, "gomod")
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, ns, restrictedLabels)
	cs := clientset(t, cp.Config())
	wsAPI := dynamicClient(t).Resource(gvr).Namespace(ns)
	h := newChartsHelm(t)
	chart := h.chartPath("prewarm-workspace")
	// This cluster runs prewarm's own CRD (no Kelos): the extension.
	// tests/kelos installs the other integrations on Kelos' CRDs.
	values := []string{
		"--set", "kelos.integration=extension",
		"--set", "workspace.repo=" + repo,
		"--set", "presets.npm.enabled=true",
		"--set", "presets.gomod.enabled=true",
		"--set", "caches.npm.keep=true",
		"--set", "caches.gomod.keep=false",
	}

	out := h.must(t, append([]string{"install", release, chart, "--namespace", ns, "--wait=false"}, values...)...)
	// Deferred, not t.Cleanup: t.Context(), which the API calls and
	// chartsReleaseFinalizers run under, is already canceled when Cleanup
	// functions run. Everything here tolerates objects the test body
	// already removed.
	defer func() {
		_, _ = h.run(t, "uninstall", release, "--namespace", ns)
		for _, name := range []string{npmClaim, gomodPVC} {
			_ = cs.CoreV1().PersistentVolumeClaims(ns).Delete(t.Context(), name, metav1.DeleteOptions{})
			chartsReleaseFinalizers(t, cs, ns, name)
		}
	}()
	// PodSecurity only warns on CronJobs (enforce applies to pods), and
	// helm prints the API server's warnings: there must be none.
	if strings.Contains(out, "PodSecurity") {
		t.Errorf("helm install got Pod Security warnings:\n%s", out)
	}
	wsChartStatus(t, h, ns, release, 1)

	want := wsChartRender(t, h, release, ns, values...)
	if got := slices.Sorted(maps.Keys(want.PVCs)); !slices.Equal(got, []string{gomodPVC, npmClaim}) {
		t.Fatalf("helm template renders PVCs %v, want %s and %s", got, npmClaim, gomodPVC)
	}
	if want.Workspace.Name != wsName {
		t.Fatalf("helm template renders Workspace %q, want %q", want.Workspace.Name, wsName)
	}

	// The Workspace the API server stored is the rendered one: nothing
	// pruned by the CRD's structural schema, nothing defaulted differently.
	live := wsChartLive(t, wsAPI, wsName)
	wsChartCompare(t, "after install", want.Workspace, live)
	if got := wsChartSetupEnv(t, live, "prewarm-npm", "PREWARM_WORKDIRS"); got != "." {
		t.Errorf("after install prewarm-npm PREWARM_WORKDIRS=%q, want %q", got, ".")
	}
	if got := wsChartSetupEnv(t, live, "prewarm-gomod", "PREWARM_PREBUILD"); got != "build" {
		t.Errorf("after install prewarm-gomod PREWARM_PREBUILD=%q, want %q", got, "build")
	}

	// The PVCs as rendered; only npm's carries helm.sh/resource-policy: keep.
	pvcs, err := cs.CoreV1().PersistentVolumeClaims(ns).List(t.Context(), metav1.ListOptions{LabelSelector: selectRel})
	if err != nil {
		t.Fatal(err)
	}
	if got := chartsPVCNames(pvcs.Items); !slices.Equal(got, []string{gomodPVC, npmClaim}) {
		t.Fatalf("release PVCs %v, want [%s %s]", got, gomodPVC, npmClaim)
	}
	uids := map[string]string{}
	for i := range pvcs.Items {
		p := &pvcs.Items[i]
		uids[p.Name] = string(p.UID)
		wsChartComparePVC(t, want.PVCs[p.Name], p, release, ns)
		keep := p.Annotations["helm.sh/resource-policy"] == "keep"
		if keep != (p.Name == npmClaim) {
			t.Errorf("PVC %s: helm.sh/resource-policy keep = %v, want %v (annotations %v)", p.Name, keep, p.Name == npmClaim, p.Annotations)
		}
	}
	wsChartCompareCronJobs(t, cs.BatchV1().CronJobs(ns), selectRel, want.CronJobs)

	// Upgrade a preset option of each preset: the stored Workspace follows.
	upgrade := []string{
		"--set", "presets.npm.workdirs={web,docs}",
		"--set", "presets.gomod.prebuild=test",
	}
	out = h.must(t, append([]string{"upgrade", release, chart, "--namespace", ns, "--wait=false", "--reuse-values"}, upgrade...)...)
	if strings.Contains(out, "PodSecurity") {
		t.Errorf("helm upgrade got Pod Security warnings:\n%s", out)
	}
	wsChartStatus(t, h, ns, release, 2)
	want = wsChartRender(t, h, release, ns, append(values, upgrade...)...)
	upgraded := wsChartLive(t, wsAPI, wsName)
	wsChartCompare(t, "after upgrade", want.Workspace, upgraded)
	if upgraded.Generation <= live.Generation {
		t.Errorf("Workspace generation %d after upgrade, was %d", upgraded.Generation, live.Generation)
	}
	if got := wsChartSetupEnv(t, upgraded, "prewarm-npm", "PREWARM_WORKDIRS"); got != "web\ndocs" {
		t.Errorf("after upgrade prewarm-npm PREWARM_WORKDIRS=%q, want %q", got, "web\ndocs")
	}
	if got := wsChartSetupEnv(t, upgraded, "prewarm-gomod", "PREWARM_PREBUILD"); got != "test" {
		t.Errorf("after upgrade prewarm-gomod PREWARM_PREBUILD=%q, want %q", got, "test")
	}
	chartsPVCsKept(t, cs, ns, uids)

	// The Task pod rendered from the stored Workspace is admitted under
	// Pod Security "restricted" (dry-run; the namespace enforces it).
	t.Run("Task pod from the live Workspace", func(t *testing.T) {
		job := render(t, wsChartLive(t, wsAPI, wsName))
		spec := job.Spec.Template.Spec
		claims := map[string]bool{}
		for _, v := range spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				claims[v.PersistentVolumeClaim.ClaimName] = true
			}
		}
		if !claims[npmClaim] || !claims[gomodPVC] {
			t.Errorf("Task pod mounts PVCs %v, want the release's %s and %s", claims, npmClaim, gomodPVC)
		}
		if !slices.ContainsFunc(spec.InitContainers, func(c corev1.Container) bool {
			return c.Name == "prewarm-npm" && slices.Contains(c.Env, corev1.EnvVar{Name: "PREWARM_WORKDIRS", Value: "web\ndocs"})
		}) {
			t.Errorf("Task pod has no prewarm-npm init container with the upgraded PREWARM_WORKDIRS")
		}
		warnings := &cluster.Warnings{}
		cfg := cp.Config()
		cfg.WarningHandler = warnings
		wcs := clientset(t, cfg)
		ensureServiceAccount(t, wcs, ns, spec.ServiceAccountName)
		dryRunPod(t, wcs, podFor(job))
		warnings.Take()
		dryRunJob(t, wcs, job)
		if w := warnings.Take(); len(w) > 0 {
			t.Errorf("Job %s admitted with warnings:\n%s", job.Name, strings.Join(w, "\n"))
		}
	})

	out = h.must(t, "uninstall", release, "--namespace", ns)
	t.Logf("helm uninstall: %s", strings.TrimSpace(out))
	if !strings.Contains(out, npmClaim) {
		t.Errorf("helm uninstall does not report keeping %s:\n%s", npmClaim, out)
	}
	npm, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(t.Context(), npmClaim, metav1.GetOptions{})
	switch {
	case err != nil:
		t.Errorf("%s (keep: true) is gone after uninstall: %v", npmClaim, err)
	case npm.DeletionTimestamp != nil:
		t.Errorf("%s (keep: true) is being deleted after uninstall", npmClaim)
	case string(npm.UID) != uids[npmClaim]:
		t.Errorf("%s was replaced", npmClaim)
	}
	// No controller-manager runs, so nothing removes the
	// kubernetes.io/pvc-protection finalizer the StorageObjectInUseProtection
	// admission plugin put on every PVC: the deleted gomod PVC stays
	// Terminating. A set deletionTimestamp is what "deleted" means here;
	// the deferred cleanup then drops the finalizer.
	gomod, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(t.Context(), gomodPVC, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Errorf("%s: %v", gomodPVC, err)
	case gomod.DeletionTimestamp == nil:
		t.Errorf("%s (keep: false) survived uninstall", gomodPVC)
	default:
		t.Logf("%s (keep: false) is Terminating (deletionTimestamp %s, finalizers %v)", gomodPVC, gomod.DeletionTimestamp, gomod.Finalizers)
	}
	// Helm deletes with background propagation: neither the Workspace (no
	// finalizers) nor the CronJobs wait for anything, but poll briefly.
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := wsAPI.Get(ctx, wsName, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		cjs, err := cs.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{LabelSelector: selectRel})
		return err == nil && len(cjs.Items) == 0, nil
	})
	if err != nil {
		cjs, _ := cs.BatchV1().CronJobs(ns).List(t.Context(), metav1.ListOptions{LabelSelector: selectRel})
		_, wsErr := wsAPI.Get(t.Context(), wsName, metav1.GetOptions{})
		t.Errorf("30s after uninstall: Workspace get: %v; CronJobs left: %d", wsErr, len(cjs.Items))
	}
	if out, err := h.run(t, "status", release, "--namespace", ns); err == nil {
		t.Errorf("helm status still finds the release after uninstall:\n%s", out)
	}
}

// wsChartRender runs `helm template` for release in ns with args and decodes
// the Workspace, PVCs and CronJob names, strictly.
func wsChartRender(t *testing.T, h *chartsHelm, release, ns string, args ...string) *wsChartRendered {
	t.Helper()
	out := h.must(t, append([]string{"template", release, h.chartPath("prewarm-workspace"),
		"--namespace", ns, "--kube-version", wsChartKubeVersion}, args...)...)
	r := &wsChartRendered{PVCs: map[string]*corev1.PersistentVolumeClaim{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template output: %v", err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("helm template output: %v\n%s", err, doc)
		}
		switch tm.Kind {
		case "":
			continue // comments only
		case "Workspace":
			r.Workspace = &v1alpha2.Workspace{}
			wsChartStrict(t, doc, r.Workspace)
		case "PersistentVolumeClaim":
			p := &corev1.PersistentVolumeClaim{}
			wsChartStrict(t, doc, p)
			r.PVCs[p.Name] = p
		case "CronJob":
			cj := &batchv1.CronJob{}
			wsChartStrict(t, doc, cj)
			r.CronJobs = append(r.CronJobs, cj.Name)
		default:
			t.Errorf("helm template renders an unexpected %s", tm.Kind)
		}
	}
	if r.Workspace == nil {
		t.Fatalf("helm template renders no Workspace:\n%s", out)
	}
	sort.Strings(r.CronJobs)
	return r
}

func wsChartStrict(t *testing.T, doc []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatalf("decode rendered %T: %v\n%s", into, err, doc)
	}
}

// wsChartLive gets Workspace name and decodes it, refusing fields the Go
// type lacks.
func wsChartLive(t *testing.T, api dynamic.ResourceInterface, name string) *v1alpha2.Workspace {
	t.Helper()
	u, err := api.Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Workspace %s: %v", name, err)
	}
	ws := &v1alpha2.Workspace{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, ws, true); err != nil {
		t.Fatalf("decode live Workspace %s: %v", name, err)
	}
	return ws
}

// wsChartQuantity compares quantities by value (1Gi == 1024Mi).
var wsChartQuantity = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

// wsChartCompare diffs the stored Workspace against the rendered one: the
// whole spec, plus the rendered labels and Helm's ownership annotations.
func wsChartCompare(t *testing.T, when string, want, got *v1alpha2.Workspace) {
	t.Helper()
	if d := cmp.Diff(want.Spec, got.Spec, wsChartQuantity); d != "" {
		t.Errorf("%s: live Workspace spec differs from helm template (-rendered +live):\n%s", when, d)
	}
	for k, v := range want.Labels {
		if got.Labels[k] != v {
			t.Errorf("%s: Workspace label %s=%q, want %q", when, k, got.Labels[k], v)
		}
	}
	wsChartOwned(t, "Workspace "+got.Name, got.ObjectMeta, want.Labels["app.kubernetes.io/instance"], want.Namespace)
}

// wsChartOwned checks the annotations Helm uses to adopt objects.
func wsChartOwned(t *testing.T, what string, m metav1.ObjectMeta, release, ns string) {
	t.Helper()
	if m.Annotations["meta.helm.sh/release-name"] != release || m.Annotations["meta.helm.sh/release-namespace"] != ns {
		t.Errorf("%s: Helm ownership annotations %v, want release %s/%s", what, m.Annotations, ns, release)
	}
}

// wsChartComparePVC checks a stored PVC against the rendered one.
func wsChartComparePVC(t *testing.T, want, got *corev1.PersistentVolumeClaim, release, ns string) {
	t.Helper()
	if want == nil {
		t.Errorf("PVC %s is not rendered by helm template", got.Name)
		return
	}
	w, g := want.Spec.Resources.Requests[corev1.ResourceStorage], got.Spec.Resources.Requests[corev1.ResourceStorage]
	if w.IsZero() || g.Cmp(w) != 0 {
		t.Errorf("PVC %s: storage %s, rendered %s", got.Name, g.String(), w.String())
	}
	if !slices.Equal(got.Spec.AccessModes, want.Spec.AccessModes) || !slices.Equal(got.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) {
		t.Errorf("PVC %s: accessModes %v, rendered %v, want [ReadWriteMany]", got.Name, got.Spec.AccessModes, want.Spec.AccessModes)
	}
	if d := cmp.Diff(want.Spec.StorageClassName, got.Spec.StorageClassName); d != "" {
		t.Errorf("PVC %s: storageClassName (-rendered +live):\n%s", got.Name, d)
	}
	if got.Spec.VolumeMode == nil || *got.Spec.VolumeMode != corev1.PersistentVolumeFilesystem {
		t.Errorf("PVC %s: volumeMode %v, want Filesystem", got.Name, got.Spec.VolumeMode)
	}
	for k, v := range want.Labels {
		if got.Labels[k] != v {
			t.Errorf("PVC %s: label %s=%q, rendered %q", got.Name, k, got.Labels[k], v)
		}
	}
	for k, v := range want.Annotations {
		if got.Annotations[k] != v {
			t.Errorf("PVC %s: annotation %s=%q, rendered %q", got.Name, k, got.Annotations[k], v)
		}
	}
	// Helm adds only its ownership annotations.
	for k := range got.Annotations {
		if _, ok := want.Annotations[k]; !ok && !strings.HasPrefix(k, "meta.helm.sh/") {
			t.Errorf("PVC %s: annotation %s is not rendered", got.Name, k)
		}
	}
	wsChartOwned(t, "PVC "+got.Name, got.ObjectMeta, release, ns)
}

// wsChartCompareCronJobs checks the release's CronJobs are the rendered
// ones (the warmer and one pruner per created cache).
func wsChartCompareCronJobs(t *testing.T, api interface {
	List(context.Context, metav1.ListOptions) (*batchv1.CronJobList, error)
}, selector string, want []string) {
	t.Helper()
	cjs, err := api.List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cj := range cjs.Items {
		got = append(got, cj.Name)
	}
	sort.Strings(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("release CronJobs %v, rendered %v", got, want)
	}
}

// wsChartSetupEnv is the value of env var name in setup container setup.
func wsChartSetupEnv(t *testing.T, ws *v1alpha2.Workspace, setup, name string) string {
	t.Helper()
	for _, s := range ws.Spec.Setup {
		if s.Name != setup {
			continue
		}
		for _, e := range s.Env {
			if e.Name == name {
				return e.Value
			}
		}
		t.Errorf("Workspace %s: setup %s has no env %s", ws.Name, setup, name)
		return ""
	}
	t.Errorf("Workspace %s has no setup container %s", ws.Name, setup)
	return ""
}

// wsChartStatus checks `helm status` reports the release deployed at
// revision.
func wsChartStatus(t *testing.T, h *chartsHelm, ns, release string, revision int) {
	t.Helper()
	out := h.must(t, "status", release, "--namespace", ns, "--output", "json")
	var st struct {
		Version int `json:"version"`
		Info    struct {
			Status string `json:"status"`
		} `json:"info"`
	}
	if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&st); err != nil {
		t.Fatalf("helm status %s: %v\n%s", release, err, out)
	}
	if st.Info.Status != "deployed" || st.Version != revision {
		t.Errorf("helm status %s: %s at revision %d, want deployed at revision %d", release, st.Info.Status, st.Version, revision)
	}
}
