package v1alpha2

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

// ValidationCase is one row of testdata/validate/*.yaml; the live suite in
// tests/ runs the same rows through the API server.
type ValidationCase struct {
	Name          string    `json:"name"`
	AllowHostPath bool      `json:"allowHostPath,omitempty"`
	Workspace     Workspace `json:"workspace"`
	WantErrors    []string  `json:"wantErrors,omitempty"`
}

func loadValidationCases(t *testing.T) []ValidationCase {
	t.Helper()
	var all []ValidationCase
	for _, f := range yamlcase.Files(t, "testdata/validate/*.yaml") {
		var cases []ValidationCase
		yamlcase.Read(t, f, &cases)
		all = append(all, cases...)
	}
	return all
}

func TestValidateCases(t *testing.T) {
	for _, tc := range loadValidationCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			errs := tc.Workspace.ValidateWith(ValidationOptions{AllowHostPath: tc.AllowHostPath})
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(tc.WantErrors) == 0 && len(got) > 0 {
				t.Fatalf("want valid, got errors:\n%s", strings.Join(got, "\n"))
			}
			if len(tc.WantErrors) > 0 && len(got) == 0 {
				t.Fatalf("want errors %q, got none", tc.WantErrors)
			}
			for _, want := range tc.WantErrors {
				if !matchesAny(want, got) {
					t.Errorf("no error matches %q; got:\n%s", want, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func matchesAny(pattern string, got []string) bool {
	re := regexp.MustCompile(pattern)
	for _, g := range got {
		if re.MatchString(g) {
			return true
		}
	}
	return false
}

// TestHostPathNeedsOptIn proves the local-development switch is the only
// way past the hostPath rule.
func TestHostPathNeedsOptIn(t *testing.T) {
	for _, tc := range loadValidationCases(t) {
		if !tc.AllowHostPath {
			continue
		}
		if errs := tc.Workspace.Validate(); len(errs) == 0 {
			t.Errorf("%s: Validate() without AllowHostPath accepted a hostPath volume", tc.Name)
		}
	}
}

// TestCRDSourceRuleListsEveryVolumeSource guards the CEL "exactly one
// source" rule: it enumerates corev1.VolumeSource fields by hand, so a new
// Kubernetes source must be added there or it could slip past the count.
func TestCRDSourceRuleListsEveryVolumeSource(t *testing.T) {
	crd, err := os.ReadFile("../../../config/crd/kelos.dev_workspaces.yaml")
	if err != nil {
		t.Fatal(err)
	}
	all := setSources(everySource())
	for _, name := range all {
		if !strings.Contains(string(crd), "has(self."+name+")") {
			t.Errorf("CRD CEL rule does not count volume source %q; update workspace_types.go", name)
		}
	}
	if len(all) < 30 {
		t.Fatalf("expected every VolumeSource field to be set, got %d", len(all))
	}
}
