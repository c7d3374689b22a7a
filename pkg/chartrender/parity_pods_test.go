package chartrender

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	"github.com/prewarm-dev/prewarm/pkg/presets"
	templatesgo "github.com/prewarm-dev/prewarm/templates-go"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

// TestWarmerParityGoVsHelm renders each parity values file through Helm
// and compares the warmer CronJob's pod with Go's
// podtemplate.WarmerPodSpec on the same Workspace in warmer mode (built
// with pkg/presets): the chart adds only the image pull policy.
func TestWarmerParityGoVsHelm(t *testing.T) {
	eachCase(t, "parity", func(t *testing.T, f string, c *chart.Chart) {
		raw, vals := readValues(t, f)
		got := cronJobPod(t, renderParity(t, c, vals), "parity-prewarm-workspace-warmer")
		ws := goWorkspace(t, raw, "parity-prewarm-workspace", true)
		want, err := podtemplate.WarmerPodSpec(&ws, podtemplate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.InitContainers {
			want.InitContainers[i].ImagePullPolicy = corev1.PullIfNotPresent
		}
		for i := range want.Containers {
			want.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("warmer pod: Go vs Helm (-want +got):\n%s", diff)
		}
	})
}

// conflictCase is testdata/conflicts/<case>.yaml: prewarm-workspace values
// whose presets clash, and the one message both sides must print.
type conflictCase struct {
	Values map[string]any `json:"values"`
	Error  string         `json:"error"`
}

// helmFailure is the prefix Helm puts before a template's fail message.
var helmFailure = regexp.MustCompile(`^(?s:.*)execution error at \([^)]*\): `)

// TestConflictParityGoVsHelm runs each conflict case through the chart and
// through Go (presets.Apply on the same options): both must refuse it with
// exactly the expected message, which names both owners.
func TestConflictParityGoVsHelm(t *testing.T) {
	eachCase(t, "conflicts", func(t *testing.T, f string, c *chart.Chart) {
		var cc conflictCase
		yamlcase.Read(t, f, &cc)
		raw, err := yaml.Marshal(cc.Values)
		if err != nil {
			t.Fatal(err)
		}
		_, herr := Render(c, Options{ReleaseName: "parity", Namespace: "team", Values: cc.Values})
		_, gerr := goWorkspaceErr(raw, "parity-prewarm-workspace", false)
		if herr == nil || gerr == nil {
			t.Fatalf("want both to fail: helm=%v go=%v", herr, gerr)
		}
		if diff := cmp.Diff(cc.Error, helmFailure.ReplaceAllString(herr.Error(), "")); diff != "" {
			t.Errorf("Helm message (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(cc.Error, gerr.Error()); diff != "" {
			t.Errorf("Go message (-want +got):\n%s", diff)
		}
	})
}

// cronJobPod is the pod spec of the CronJob named name in manifest.
func cronJobPod(t *testing.T, manifest, name string) corev1.PodSpec {
	t.Helper()
	for _, cj := range decodeKind[batchv1.CronJob](t, manifest, "CronJob") {
		if cj.Name == name {
			return cj.Spec.JobTemplate.Spec.Template.Spec
		}
	}
	t.Fatalf("no CronJob %s in render", name)
	return corev1.PodSpec{}
}

// TestPrunerParityGoVsHelm renders both charts' pruner CronJobs through
// Helm and compares each pod with Go's podtemplate.PrunerPodSpec for the
// same cache: prewarm-workspace for every parity values file (one pruner
// per cache the release creates), prewarm-caches with its defaults.
func TestPrunerParityGoVsHelm(t *testing.T) {
	sizes := map[string]string{}
	if err := templatesgo.ExecuteJSON("prewarm.cache.sizes", map[string]any{}, &sizes); err != nil {
		t.Fatal(err)
	}
	podSC, containerSC, err := podtemplate.DefaultSecurityContexts()
	if err != nil {
		t.Fatal(err)
	}
	resources := &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
	}
	budget := func(size string) string { q := resource.MustParse(size); return fmt.Sprint(q.Value() * 80 / 100) }
	eachCase(t, "parity", func(t *testing.T, f string, c *chart.Chart) {
		raw, vals := readValues(t, f)
		manifest := renderParity(t, c, vals)
		var v chartValues
		if err := yaml.UnmarshalStrict(raw, &v); err != nil {
			t.Fatal(err)
		}
		for _, eco := range presets.Names() {
			o, ok := v.Presets[eco]
			if !ok || !o.Enabled || v.Caches[eco].ExistingClaim != "" || (o.Cache != nil && o.Cache.ClaimName != "") {
				continue
			}
			size := v.Caches[eco].Size
			if size == "" {
				size = sizes[eco]
			}
			want, err := podtemplate.PrunerPodSpec(podtemplate.PrunerOptions{
				Cache: eco, ClaimName: "parity-prewarm-workspace-" + eco + "-cache", BudgetBytes: budget(size),
				Image: "busybox:1.37", ImagePullPolicy: corev1.PullIfNotPresent, Argv0: "prewarm-prune",
				Resources: resources, PodSecurityContext: podSC, SecurityContext: containerSC,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := cronJobPod(t, manifest, "parity-prewarm-workspace-"+eco+"-pruner")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s pruner pod: Go vs Helm (-want +got):\n%s", eco, diff)
			}
		}
	})
	t.Run("prewarm-caches/defaults", func(t *testing.T) {
		c, err := Load("prewarm-caches")
		if err != nil {
			t.Fatal(err)
		}
		manifest := renderParity(t, c, nil)
		readOnlyRoot := &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true), RunAsNonRoot: ptr.To(true),
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
		for _, name := range []string{"npm", "pip", "gomod"} {
			want, err := podtemplate.PrunerPodSpec(podtemplate.PrunerOptions{
				Cache: name, ClaimName: "parity-prewarm-caches-" + name, BudgetBytes: budget(sizes[name]),
				Image: "busybox:1.37", ImagePullPolicy: corev1.PullIfNotPresent, Argv0: "prune",
				Resources: resources, PodSecurityContext: podSC, SecurityContext: readOnlyRoot, Tmp: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := cronJobPod(t, manifest, "parity-prewarm-caches-"+name+"-pruner")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s pruner pod: Go vs Helm (-want +got):\n%s", name, diff)
			}
		}
	})
}
