package presets

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// cmpOpts compares API objects: quantities by value, nil and empty alike.
var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 }),
	cmpopts.EquateEmpty(),
}

// placeholder replaces the script text (command[2]) of every setup
// container, after checking it is the preset's script, so goldens do not
// embed scripts that other work changes.
func placeholder(t *testing.T, name string, a *Additions) {
	t.Helper()
	want, err := Script(name)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Setup {
		c := &a.Setup[i]
		if len(c.Command) != 4 {
			t.Fatalf("setup %s: command has %d elements, want 4 (sh -c SCRIPT NAME)", c.Name, len(c.Command))
		}
		if c.Command[2] != want {
			t.Errorf("setup %s: command[2] is not the text of %s", c.Name, scriptName(name))
		}
		c.Command[2] = "<script " + scriptName(name) + ">"
	}
}

// cases lists testdata/<dir>/*.yaml, skipping golden files.
func cases(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.yaml") {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no cases in testdata/%s", dir)
	}
	return out
}

// eachCase runs check on every case file of testdata/<dir>, decoded
// strictly into a C, as a subtest named after the file.
func eachCase[C any](t *testing.T, dir string, check func(t *testing.T, file string, c C)) {
	t.Helper()
	for _, file := range cases(t, dir) {
		t.Run(caseName(file), func(t *testing.T) {
			var c C
			readYAML(t, file, &c)
			check(t, file, c)
		})
	}
}

// caseName names a case file of cases: its base name without .yaml.
func caseName(file string) string { return strings.TrimSuffix(filepath.Base(file), ".yaml") }

// golden compares got with the YAML golden file (or rewrites it with
// -update) by decoding the golden into a value of the same type.
func golden[T any](t *testing.T, file string, got T) {
	t.Helper()
	if *update {
		data, err := yaml.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var want T
	readYAML(t, file, &want)
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

// matchErrors checks that errs match the regexps in want, in order.
func matchErrors(t *testing.T, errs []string, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n  %s", len(errs), len(want), strings.Join(errs, "\n  "))
		return
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(errs[i]) {
			t.Errorf("error %d = %q, want match for %q", i, errs[i], w)
		}
	}
}

func readYAML(t *testing.T, file string, v any) { yamlcase.Read(t, file, v) }
