package live

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestKelosWorkspacesAcceptedByOurCRD: every Workspace of released Kelos
// (tests/testdata/kelos/jobs/*.in.yaml) is accepted, unchanged, by our CRD
// (strict field validation, CEL rules included): it is a strict superset.
func TestKelosWorkspacesAcceptedByOurCRD(t *testing.T) {
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, "agents", nil)
	files, _ := filepath.Glob(filepath.Join(repoRoot, "tests/testdata/kelos/jobs/*.in.yaml"))
	if len(files) == 0 {
		t.Fatal("no Kelos Workspaces")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var u unstructured.Unstructured
			if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
				t.Fatal(err)
			}
			if u.GetKind() != "Workspace" {
				continue
			}
			_, err := dynamicClient(t).Resource(gvr).Namespace(u.GetNamespace()).Create(t.Context(), &u, metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"})
			if err != nil {
				t.Errorf("%s: our CRD refused Kelos' Workspace: %v", filepath.Base(f), err)
			}
		}
	}
}
