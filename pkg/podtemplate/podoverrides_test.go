package podtemplate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
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
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var tc podOverridesCase
			if err := yaml.UnmarshalStrict(raw, &tc); err != nil {
				t.Fatal(err)
			}
			plain, po, err := KelosPodOverrides(&tc.Workspace, Options{})
			if tc.WantError != "" {
				if err == nil || !regexp.MustCompile(tc.WantError).MatchString(err.Error()) {
					t.Fatalf("want error %q, got %v", tc.WantError, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := yaml.Marshal(podOverridesGolden{Workspace: plain, PodOverrides: po})
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, strings.TrimSuffix(in, ".input.yaml")+".want.yaml", got)
		})
	}
}

func compareGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", file, diff)
	}
}
