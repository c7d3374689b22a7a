// Package yamlcase reads the YAML case files of the tests in cmd/ and pkg/
// (testdata/...): one strict decoder, so an unknown key in a case file
// fails the test instead of being ignored.
package yamlcase

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"sigs.k8s.io/yaml"
)

// Read decodes file strictly into v, failing t with the file's name.
func Read(t testing.TB, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// Files lists the case files matching pattern (sorted, as filepath.Glob
// returns them), failing t when there are none: a suite whose cases went
// missing must not pass by running nothing.
func Files(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files match %s (err: %v)", pattern, err)
	}
	return files
}

// WantError checks the error of the call named what against a case's
// expected error, a regexp ("" expects none). It reports whether the case
// ends here: the wanted error came, so there is no result to check.
func WantError(t testing.TB, what string, err error, pattern string) bool {
	t.Helper()
	if pattern != "" {
		if err == nil || !regexp.MustCompile(pattern).MatchString(err.Error()) {
			t.Fatalf("%s error = %v, want match for %q", what, err, pattern)
		}
		return true
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return false
}

// Run runs check on each case of file, a YAML list of cases decoded
// strictly into C, as a subtest named after the case's name field.
func Run[C any](t *testing.T, file string, check func(t *testing.T, c C)) {
	t.Helper()
	var cases []C
	Read(t, file, &cases)
	var names []struct {
		Name string `json:"name"`
	}
	data, err := os.ReadFile(file)
	if err == nil {
		err = yaml.Unmarshal(data, &names)
	}
	if err != nil || len(names) != len(cases) {
		t.Fatalf("%s: cannot read the case names: %v", file, err)
	}
	for i, c := range cases {
		t.Run(names[i].Name, func(t *testing.T) { check(t, c) })
	}
}
