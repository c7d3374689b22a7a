// Package yamlcase reads the YAML case files of the packages' tests
// (testdata/...): one strict decoder, so an unknown key in a case file
// fails the test instead of being ignored.
package yamlcase

import (
	"os"
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
