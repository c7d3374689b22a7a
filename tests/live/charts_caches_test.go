package live

// The prewarm-caches chart against the real API server, installed, upgraded
// and uninstalled with the helm CLI from tools.mod (helpers in
// charts_policy_test.go).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// installCaches installs the prewarm-caches chart as release, with args,
// into the namespace ns (created if needed, Pod Security "restricted"); it
// returns a clientset and the helm runner. The release is uninstalled when
// the test ends.
func installCaches(t *testing.T, ns, release string, args ...string) (kubernetes.Interface, *chartsHelm) {
	t.Helper()
	ensureNamespace(t, ns, restrictedLabels)
	h := newChartsHelm(t)
	h.install(t, release, "prewarm-caches", ns, args...)
	return clientset(t, cp.Config()), h
}

// TestChartsCachesInstallUpgradeUninstall installs prewarm-caches, checks
// each PVC and pruner CronJob the API server stored, upgrades (the PVCs
// stay the same objects), and uninstalls: PVCs with keep: true remain,
// the one with keep: false is deleted.
//
// No controller-manager runs here, so a deleted PVC keeps the
// kubernetes.io/pvc-protection finalizer the admission plugin added and
// stays Terminating; the test accepts a set deletionTimestamp as "deleted"
// and then removes the finalizer itself so the namespace is left clean.
func TestChartsCachesInstallUpgradeUninstall(t *testing.T) {
	const (
		ns      = "charts-caches"
		release = "team"
	)
	cs, h := installCaches(t, ns, release,
		"--set", "caches.npm.storageClass=fast-rwx",
		"--set", "caches.npm.labels.tier=hot",
		"--set-string", "caches.npm.annotations.backup\\.example\\.com/skip=true",
		"--set", "caches.pip.storageClass=-",
		"--set", "caches.pip.size=5Gi",
		"--set", "caches.gomod.keep=false",
		"--set", "caches.gomod.prune.maxBytes=15Gi",
		"--set", "commonLabels.team=a",
	)

	type want struct {
		name, size string
		class      *string
		keep       bool
		budget     string
	}
	empty, fast := "", "fast-rwx"
	wants := []want{
		{name: "team-prewarm-caches-gomod", size: "20Gi", class: nil, keep: false, budget: "16106127360"},
		{name: "team-prewarm-caches-npm", size: "20Gi", class: &fast, keep: true, budget: "17179869184"},
		{name: "team-prewarm-caches-pip", size: "5Gi", class: &empty, keep: true, budget: "4294967296"},
	}
	pvcs, err := cs.CoreV1().PersistentVolumeClaims(ns).List(t.Context(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + release + ",app.kubernetes.io/component=cache"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pvcs.Items) != len(wants) {
		t.Fatalf("%d cache PVCs, want %d: %v", len(pvcs.Items), len(wants), chartsPVCNames(pvcs.Items))
	}
	uids := map[string]string{}
	for i, w := range wants {
		p := pvcs.Items[i]
		uids[p.Name] = string(p.UID)
		if p.Name != w.name {
			t.Errorf("PVC %d is %s, want %s", i, p.Name, w.name)
			continue
		}
		if got := p.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(resource.MustParse(w.size)) != 0 {
			t.Errorf("%s: storage %s, want %s", p.Name, got.String(), w.size)
		}
		switch {
		case w.class == nil && p.Spec.StorageClassName != nil:
			t.Errorf("%s: storageClassName %q, want it unset", p.Name, *p.Spec.StorageClassName)
		case w.class != nil && (p.Spec.StorageClassName == nil || *p.Spec.StorageClassName != *w.class):
			t.Errorf("%s: storageClassName %v, want %q", p.Name, p.Spec.StorageClassName, *w.class)
		}
		if len(p.Spec.AccessModes) != 1 || p.Spec.AccessModes[0] != corev1.ReadWriteMany {
			t.Errorf("%s: accessModes %v, want [ReadWriteMany]", p.Name, p.Spec.AccessModes)
		}
		if p.Spec.VolumeMode == nil || *p.Spec.VolumeMode != corev1.PersistentVolumeFilesystem {
			t.Errorf("%s: volumeMode %v, want Filesystem", p.Name, p.Spec.VolumeMode)
		}
		for k, v := range map[string]string{
			"app.kubernetes.io/name":       "prewarm-caches",
			"app.kubernetes.io/instance":   release,
			"app.kubernetes.io/managed-by": "Helm",
			"app.kubernetes.io/part-of":    "prewarm",
			"app.kubernetes.io/component":  "cache",
			"prewarm.dev/cache":            strings.TrimPrefix(w.name, "team-prewarm-caches-"),
			"team":                         "a",
		} {
			if p.Labels[k] != v {
				t.Errorf("%s: label %s=%q, want %q", p.Name, k, p.Labels[k], v)
			}
		}
		if got := p.Annotations["helm.sh/resource-policy"] == "keep"; got != w.keep {
			t.Errorf("%s: resource-policy keep = %v, want %v (annotations %v)", p.Name, got, w.keep, p.Annotations)
		}
	}
	npm := pvcs.Items[1]
	if npm.Labels["tier"] != "hot" || npm.Annotations["backup.example.com/skip"] != "true" {
		t.Errorf("npm PVC lacks its extra label/annotation: labels %v annotations %v", npm.Labels, npm.Annotations)
	}

	script, err := templatesgo.Execute("prewarm.script.prune", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	cjs, err := cs.BatchV1().CronJobs(ns).List(t.Context(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + release + ",app.kubernetes.io/component=pruner"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cjs.Items) != len(wants) {
		t.Fatalf("%d pruner CronJobs, want %d", len(cjs.Items), len(wants))
	}
	for i, w := range wants {
		cj := cjs.Items[i]
		cache := strings.TrimPrefix(w.name, "team-prewarm-caches-")
		if cj.Name != "team-prewarm-caches-"+cache+"-pruner" {
			t.Errorf("CronJob %d is %s, want team-prewarm-caches-%s-pruner", i, cj.Name, cache)
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		c := pod.Containers[0]
		if len(c.Command) != 4 || c.Command[0] != "sh" || c.Command[1] != "-c" || c.Command[3] != "prune" {
			t.Errorf("%s: command %q, want [sh -c <script> prune]", cj.Name, c.Command)
		} else if c.Command[2] != script {
			t.Errorf("%s: the chart's prune script differs from templates-go's prewarm.script.prune (regenerate the chart copy)", cj.Name)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		if env["PREWARM_CACHE"] != "/cache/"+cache || env["PREWARM_PRUNE_MAX_BYTES"] != w.budget {
			t.Errorf("%s: env %v, want PREWARM_CACHE=/cache/%s PREWARM_PRUNE_MAX_BYTES=%s", cj.Name, env, cache, w.budget)
		}
		if got := pod.Volumes[0].PersistentVolumeClaim; got == nil || got.ClaimName != w.name {
			t.Errorf("%s: mounts %v, want PVC %s", cj.Name, pod.Volumes[0], w.name)
		}
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || cj.Spec.Schedule != "17 3 * * *" {
			t.Errorf("%s: schedule %q concurrencyPolicy %s", cj.Name, cj.Spec.Schedule, cj.Spec.ConcurrencyPolicy)
		}
		// The pruner pod passes Pod Security "restricted" (dry-run, the
		// namespace enforces it).
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "pruner-" + cache, Namespace: ns, Labels: cj.Spec.JobTemplate.Spec.Template.Labels},
			Spec:       pod,
		}
		if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("%s: the pruner pod is refused under Pod Security restricted: %v", cj.Name, err)
		}
	}

	// An upgrade changes the pruners, never the PVCs' identity.
	h.must(t, "upgrade", release, h.chartPath("prewarm-caches"), "--namespace", ns, "--reuse-values",
		"--set", "pruner.schedule=0 4 * * *")
	chartsPVCsKept(t, cs, ns, uids)
	cj, err := cs.BatchV1().CronJobs(ns).Get(t.Context(), "team-prewarm-caches-npm-pruner", metav1.GetOptions{})
	if err != nil || cj.Spec.Schedule != "0 4 * * *" {
		t.Errorf("after upgrade the npm pruner has schedule %v (err %v), want 0 4 * * *", chartsSchedule(cj), err)
	}

	out := h.must(t, "uninstall", release, "--namespace", ns)
	t.Logf("helm uninstall: %s", strings.TrimSpace(out))
	for _, w := range wants {
		p, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(t.Context(), w.name, metav1.GetOptions{})
		switch {
		case w.keep && err != nil:
			t.Errorf("%s (keep: true) is gone after uninstall: %v", w.name, err)
		case w.keep && p.DeletionTimestamp != nil:
			t.Errorf("%s (keep: true) is being deleted after uninstall", w.name)
		case !w.keep && err == nil && p.DeletionTimestamp == nil:
			t.Errorf("%s (keep: false) survived uninstall", w.name)
		case !w.keep && err == nil:
			t.Logf("%s (keep: false) is Terminating (deletionTimestamp %s, finalizers %v): no controller-manager removes kubernetes.io/pvc-protection", w.name, p.DeletionTimestamp, p.Finalizers)
			chartsReleaseFinalizers(t, cs, ns, w.name)
		case !w.keep && !apierrors.IsNotFound(err):
			t.Errorf("%s: %v", w.name, err)
		}
	}
	left, err := cs.BatchV1().CronJobs(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + release})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 0 {
		t.Errorf("%d pruner CronJobs left after uninstall", len(left.Items))
	}
	// The kept PVCs belong to nobody now; delete them (and their
	// finalizers) so a re-run starts clean.
	for _, w := range wants {
		if w.keep {
			_ = cs.CoreV1().PersistentVolumeClaims(ns).Delete(t.Context(), w.name, metav1.DeleteOptions{})
			chartsReleaseFinalizers(t, cs, ns, w.name)
		}
	}
}

// TestChartsCachesRefusesBadValues: the schema and the templates' checks
// stop a bad install before anything reaches the cluster.
func TestChartsCachesRefusesBadValues(t *testing.T) {
	const ns = "charts-caches-bad"
	ensureNamespace(t, ns, nil)
	h := newChartsHelm(t)
	for _, c := range []struct{ set, want string }{
		{"caches.npm.size=20GB", `caches.npm.size: "20GB" is not a storage size: use a quantity like 10Gi`},
		{"caches.npm.accessModes={ReadWriteAll}", "/caches/npm/accessModes/0"},
		{"caches.pip.prune.maxBytes=11Gi", "caches.pip.prune.maxBytes"},
		{"pruner.image.tag=latest", "/pruner/image/tag"},
	} {
		out, err := h.run(t, "install", "bad", h.chartPath("prewarm-caches"), "--namespace", ns, "--set", c.set)
		if err == nil {
			t.Errorf("install with %s succeeded", c.set)
			_, _ = h.run(t, "uninstall", "bad", "--namespace", ns)
			continue
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("install with %s failed without naming %s:\n%s", c.set, c.want, out)
		}
	}
	pvcs, err := clientset(t, cp.Config()).CoreV1().PersistentVolumeClaims(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pvcs.Items) != 0 {
		t.Errorf("a refused install left %d PVCs", len(pvcs.Items))
	}
}

// chartsReleaseFinalizers removes a deleted PVC's finalizers (the controller
// manager's job) and waits until it is gone.
func chartsReleaseFinalizers(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	if _, err := cs.CoreV1().PersistentVolumeClaims(ns).Patch(t.Context(), name, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("remove finalizers of %s: %v", name, err)
		return
	}
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Errorf("%s still exists after its finalizers were removed", name)
	}
}

func chartsSchedule(cj *batchv1.CronJob) string {
	if cj == nil {
		return "<none>"
	}
	return fmt.Sprintf("%q", cj.Spec.Schedule)
}

// chartsPVCsKept fails for each PVC of uids (name: UID) that an upgrade
// deleted, replaced or marked for deletion.
func chartsPVCsKept(t *testing.T, cs kubernetes.Interface, ns string, uids map[string]string) {
	t.Helper()
	for name, uid := range uids {
		p, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("after upgrade: %v", err)
		}
		if string(p.UID) != uid || p.DeletionTimestamp != nil {
			t.Errorf("after upgrade PVC %s was replaced or is being deleted", name)
		}
	}
}
