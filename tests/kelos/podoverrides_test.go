package kelos

// kelos.integration=podOverrides on released Kelos: the chart's objects
// apply to Kelos' CRDs, its podOverrides are what Go renders, a Task and a
// TaskSpawner take them, and Kelos' job builder puts them after its own
// init containers (jobs/03).

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/podtemplate"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

var (
	taskGVR        = schema.GroupVersionResource{Group: "kelos.dev", Version: "v1alpha2", Resource: "tasks"}
	taskSpawnerGVR = schema.GroupVersionResource{Group: "kelos.dev", Version: "v1alpha2", Resource: "taskspawners"}
)

func TestPodOverridesApplyToKelos(t *testing.T) {
	const ns = "po-agents"
	loadKelosCRDs(t)
	ensureNamespace(t, ns, nil)
	h := newHelm(t)
	r := release{name: "platform", workspace: "platform", repo: "https://github.com/example/platform.git", presets: []string{"npm", "gomod"}}
	h.must(t, append([]string{"install", r.name, h.chart(), "-n", ns}, r.setArgs("podOverrides")...)...)
	t.Cleanup(func() { _, _ = h.run("uninstall", r.name, "-n", ns) })
	cs := clientset(t)
	dc := dynamicClient(t)

	// No admission policy in this integration.
	if list, err := cs.AdmissionregistrationV1().MutatingAdmissionPolicies().List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=platform"}); err != nil || len(list.Items) != 0 {
		t.Errorf("podOverrides installed admission policies: %v %v", list, err)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "platform-prewarm-workspace-podoverrides", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got podtemplate.PodOverrides
	if err := yaml.UnmarshalStrict([]byte(cm.Data["podOverrides.yaml"]), &got); err != nil {
		t.Fatal(err)
	}
	want := wantAdditions(t, r, ns)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("podOverrides: Go vs chart (-go +chart):\n%s", diff)
	}

	// A Task (jobs/03's, with these podOverrides) is accepted by Kelos' CRD.
	task := inObject(t, "03-podoverrides.in.yaml", "Task")
	var po map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data["podOverrides.yaml"]), &po); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(task.Object, po, "spec", "podOverrides"); err != nil {
		t.Fatal(err)
	}
	task.SetNamespace(ns)
	if _, err := dc.Resource(taskGVR).Namespace(ns).Create(t.Context(), task, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Errorf("Kelos' Task CRD refused the podOverrides: %v", err)
	}

	// The TaskSpawner patch applies as kubectl patch --type merge does.
	spawner := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kelos.dev/v1alpha2", "kind": "TaskSpawner",
		"metadata": map[string]any{"name": "deps-bot", "namespace": ns},
		"spec": map[string]any{
			"when":         map[string]any{"cron": map[string]any{"schedule": "0 5 * * 1"}},
			"taskTemplate": map[string]any{"type": "claude-code", "credentials": map[string]any{"type": "oauth", "secretRef": map[string]any{"name": "claude-oauth"}}, "workspaceRef": map[string]any{"name": "platform"}},
		},
	}}
	if _, err := dc.Resource(taskSpawnerGVR).Namespace(ns).Create(t.Context(), spawner, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
		t.Fatal(err)
	}
	patched, err := dc.Resource(taskSpawnerGVR).Namespace(ns).Patch(t.Context(), "deps-bot", types.MergePatchType, []byte(cm.Data["taskspawner-patch.json"]), metav1.PatchOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("merge patch of the TaskSpawner: %v", err)
	}
	stored, _, _ := unstructured.NestedMap(patched.Object, "spec", "taskTemplate", "podOverrides")
	var storedPO podtemplate.PodOverrides
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(stored, &storedPO, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, storedPO); diff != "" {
		t.Errorf("TaskSpawner podOverrides after the patch (-want +stored):\n%s", diff)
	}

	// Kelos' job builder (jobs/03) runs podOverrides.extraInitContainers after
	// its own init containers, in order; ours have the same names.
	job := readJob(t, "03-podoverrides.job.yaml")
	var order []string
	for _, c := range job.Spec.Template.Spec.InitContainers {
		order = append(order, c.Name)
	}
	var ours []string
	for _, c := range want.ExtraInitContainers {
		ours = append(ours, c.Name)
	}
	if !slices.Equal(order, append([]string{"git-clone", "branch-setup"}, ours...)) {
		t.Errorf("Kelos' Job init order %v, want git-clone, branch-setup, then %v", order, ours)
	}

	// upgrade (pip added), then uninstall: the ConfigMap follows.
	h.must(t, append([]string{"upgrade", r.name, h.chart(), "-n", ns, "--set", "presets.pip.enabled=true"}, r.setArgs("podOverrides")...)...)
	cm, err = cs.CoreV1().ConfigMaps(ns).Get(t.Context(), cm.Name, metav1.GetOptions{})
	if err != nil || !strings.Contains(cm.Data["podOverrides.yaml"], "name: prewarm-pip") {
		t.Errorf("upgrade did not add prewarm-pip to the ConfigMap: %v", err)
	}
	h.must(t, "uninstall", r.name, "-n", ns)
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), cm.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap after uninstall: %v", err)
	}
	if _, err := dc.Resource(workspaceGVR).Namespace(ns).Get(t.Context(), "platform", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Workspace after uninstall: %v", err)
	}
}

// inObject returns the document of kind from jobs/NAME.
func inObject(t *testing.T, name, kind string) *unstructured.Unstructured {
	t.Helper()
	objs, err := fixtures.Objects(fixtures.KelosJob(name))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range objs {
		if u.GetKind() == kind {
			return u
		}
	}
	t.Fatalf("no %s in %s", kind, name)
	return nil
}
