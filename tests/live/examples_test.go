package live

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// exampleFiles are the committed renders of examples/ (make examples keeps
// them current; CI fails when they drift) plus the raw Workspace example.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples/*/rendered.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(repoRoot, "examples/workspace-setup/workspace.yaml"))
	if len(files) < 9 {
		t.Fatalf("expected every example folder to have a render, found %d files", len(files))
	}
	return files
}

// TestExamplesDryRun creates every object of every example with a
// server-side dry-run, and dry-runs the Task pod of each Workspace under
// Pod Security "restricted", so no example rots.
func TestExamplesDryRun(t *testing.T) {
	installCRDs(t)
	const ns = "agents"
	ensureNamespace(t, ns, restrictedLabels)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(
		discovery.NewDiscoveryClientForConfigOrDie(cp.Config())))
	dc := dynamicClient(t)
	cs := clientset(t, cp.Config())
	for _, file := range exampleFiles(t) {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			objs := readObjects(t, file)
			workspaces := 0
			for _, obj := range objs {
				obj.SetNamespace(ns)
				gvk := obj.GroupVersionKind()
				m, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
				if err != nil {
					t.Fatalf("%s %s: %v", gvk.Kind, obj.GetName(), err)
				}
				opts := metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"}
				var ri dynamic.ResourceInterface = dc.Resource(m.Resource).Namespace(ns)
				if m.Scope.Name() == meta.RESTScopeNameRoot { // the admission policy and binding
					obj.SetNamespace("")
					ri = dc.Resource(m.Resource)
				}
				if _, err := ri.Create(t.Context(), obj, opts); err != nil {
					t.Errorf("API server rejected %s %s: %v", gvk.Kind, obj.GetName(), err)
				}
				if gvk.Kind == "Workspace" {
					workspaces++
					dryRunPod(t, cs, podFor(render(t, toWorkspace(t, obj))))
				}
			}
			if workspaces != 1 {
				t.Errorf("want exactly one Workspace in %s, found %d", file, workspaces)
			}
		})
	}
}

func readObjects(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(string(raw), "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

func toWorkspace(t *testing.T, obj *unstructured.Unstructured) *v1alpha2.Workspace {
	t.Helper()
	raw, err := obj.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var ws v1alpha2.Workspace
	if err := yaml.UnmarshalStrict(raw, &ws); err != nil {
		t.Fatal(err)
	}
	return &ws
}
