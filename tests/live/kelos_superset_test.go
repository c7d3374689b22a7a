package live

import (
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// TestKelosWorkspacesAcceptedByOurCRD: every Workspace of released Kelos
// (tests/testdata/kelos/jobs/*.in.yaml) is accepted, unchanged, by our CRD
// (strict field validation, CEL rules included): it is a strict superset.
func TestKelosWorkspacesAcceptedByOurCRD(t *testing.T) {
	gvr := installCRDs(t)["Workspace"]
	ensureNamespace(t, "agents", nil)
	files, _ := filepath.Glob(fixtures.KelosJob("*.in.yaml"))
	if len(files) == 0 {
		t.Fatal("no Kelos Workspaces")
	}
	for _, f := range files {
		objs, err := fixtures.Objects(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range objs {
			if u.GetKind() != "Workspace" {
				continue
			}
			_, err := dynamicClient(t).Resource(gvr).Namespace(u.GetNamespace()).Create(t.Context(), u, metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"})
			if err != nil {
				t.Errorf("%s: our CRD refused Kelos' Workspace: %v", filepath.Base(f), err)
			}
		}
	}
}
