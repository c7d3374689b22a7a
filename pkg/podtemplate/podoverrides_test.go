package podtemplate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

type podOverridesCase struct {
	Workspace v1alpha2.Workspace `json:"workspace"`
	WantError string             `json:"wantError"`
}

type podOverridesGolden struct {
	Workspace    *v1alpha2.Workspace `json:"workspace"`
	PodOverrides PodOverrides        `json:"podOverrides"`
}

func TestKelosPodOverridesGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/podoverrides/*.input.yaml")
	if len(inputs) < 3 {
		t.Fatalf("want at least 3 cases, found %d", len(inputs))
	}
	for _, in := range inputs {
		t.Run(strings.TrimSuffix(filepath.Base(in), ".input.yaml"), func(t *testing.T) {
			var tc podOverridesCase
			yamlcase.Read(t, in, &tc)
			plain, po, err := KelosPodOverrides(&tc.Workspace, Options{})
			if yamlcase.WantError(t, "KelosPodOverrides", err, tc.WantError) {
				return
			}
			got, err := yaml.Marshal(podOverridesGolden{Workspace: plain, PodOverrides: po})
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, strings.TrimSuffix(in, ".input.yaml")+".want.yaml", got)
		})
	}
}

// compareGolden compares got with the golden file byte for byte (-update
// rewrites it first).
func compareGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/podtemplate -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", file, diff)
	}
}
