package v1alpha2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestKelosWorkspacesValidateUnchanged: every Workspace of released Kelos
// (tests/testdata/kelos/jobs/*.in.yaml) decodes strictly into this API and
// passes Validate: the API is a strict superset of Kelos' v1alpha2.
func TestKelosWorkspacesValidateUnchanged(t *testing.T) {
	files, _ := filepath.Glob("../../../tests/testdata/kelos/jobs/*.in.yaml")
	if len(files) == 0 {
		t.Fatal("no Kelos Workspaces in tests/testdata/kelos/jobs")
	}
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			if !strings.Contains(doc, "kind: Workspace") {
				continue
			}
			n++
			var ws Workspace
			if err := yaml.UnmarshalStrict([]byte(doc), &ws); err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if ws.APIVersion != GroupVersion.String() {
				t.Errorf("%s: apiVersion %s, want %s", f, ws.APIVersion, GroupVersion)
			}
			if errs := ws.Validate(); len(errs) > 0 {
				t.Errorf("%s: Validate: %v", f, errs)
			}
		}
	}
	if n != len(files) {
		t.Errorf("found %d Workspaces in %d files", n, len(files))
	}
}
