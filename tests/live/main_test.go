// Package live runs prewarm's API and pod rendering against a real
// kube-apiserver v1.37.2 (see tests/internal/cluster).
package live

import (
	"os"
	"path/filepath"
	"testing"

	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

// repoRoot is the prewarm checkout, seen from this package's directory.
const repoRoot = "../.."

// cp is the one control plane every test in this package shares.
var cp *cluster.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(cluster.RunTests(m, func(c *cluster.ControlPlane) { cp = c }))
}

var crdFiles = []string{
	"config/crd/kelos.dev_workspaces.yaml",
	"config/crd/kelos.dev_tasks.yaml",
}

// installCRDs applies the CRDs (idempotent, so any test may run alone) and
// returns the resource of each kind.
func installCRDs(t *testing.T) map[string]schema.GroupVersionResource {
	t.Helper()
	ext := apiextclient.NewForConfigOrDie(cp.Config())
	gvr := map[string]schema.GroupVersionResource{}
	for _, f := range crdFiles {
		crds, err := cluster.ApplyCRDs(t.Context(), ext, filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, crd := range crds {
			for _, v := range crd.Spec.Versions {
				if v.Storage {
					gvr[crd.Spec.Names.Kind] = schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
				}
			}
		}
	}
	return gvr
}

func clientset(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func dynamicClient(t *testing.T) dynamic.Interface {
	t.Helper()
	dc, err := dynamic.NewForConfig(cp.Config())
	if err != nil {
		t.Fatal(err)
	}
	return dc
}

func ensureNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	if err := cluster.EnsureNamespace(t.Context(), clientset(t, cp.Config()), name, labels); err != nil {
		t.Fatal(err)
	}
}
