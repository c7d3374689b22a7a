package chartrender

import (
	"strings"
	"testing"

	"github.com/prewarm-dev/prewarm/charts"
)

// TestRenderIsByteStable renders every chart twice with the same values:
// GitOps tools diff renders, so the bytes must not move.
func TestRenderIsByteStable(t *testing.T) {
	_, all := readValues(t, "testdata/parity/all-presets.yaml")
	values := map[string]map[string]any{
		"prewarm-workspace": all,
		"prewarm-caches":    {},
		"prewarm-policy":    {},
	}
	for _, name := range charts.Names {
		t.Run(name, func(t *testing.T) {
			first, second := renderTwice(t, name, values[name])
			if first != second {
				t.Fatal("two renders of the same values differ")
			}
			if strings.TrimSpace(first) == "" {
				t.Fatal("empty render")
			}
		})
	}
}

func renderTwice(t *testing.T, name string, vals map[string]any) (string, string) {
	t.Helper()
	var out [2]string
	for i := range out {
		c, err := Load(name) // reload: no state may carry over between renders
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = Render(c, Options{ReleaseName: "stable", Namespace: "ns", Values: vals}); err != nil {
			t.Fatalf("render %s: %v", name, err)
		}
	}
	return out[0], out[1]
}

func TestLoadUnknownChart(t *testing.T) {
	_, err := Load("prewarm-nope")
	if err == nil || !strings.Contains(err.Error(), `unknown chart "prewarm-nope" (available: prewarm-workspace, prewarm-caches, prewarm-policy)`) {
		t.Fatalf("got %v", err)
	}
}

// TestHelmignoreDropsTests checks the embedded chart matches a packaged
// one: unit-test suites and helm-docs templates are not chart files.
func TestHelmignoreDropsTests(t *testing.T) {
	for _, name := range charts.Names {
		c, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(c.Templates, c.Files...) {
			if strings.HasPrefix(f.Name, "tests/") || strings.HasSuffix(f.Name, ".gotmpl") {
				t.Errorf("%s: %s should be excluded by .helmignore", name, f.Name)
			}
		}
	}
}

// TestAdmissionRefusesASetupOverTheCELLimit: with kelos.integration=admission
// each setup container becomes one CEL expression, and the API server
// refuses an expression over 100,000 code points; the chart says so by
// name instead of an install the API server rejects.
func TestAdmissionRefusesASetupOverTheCELLimit(t *testing.T) {
	c, err := Load("prewarm-workspace")
	if err != nil {
		t.Fatal(err)
	}
	setup := func(n int) map[string]any {
		return map[string]any{
			"workspace":  map[string]any{"repo": "https://github.com/example/app.git"},
			"extraSetup": []any{map[string]any{"name": "big", "image": "alpine", "command": []any{"sh", "-c", strings.Repeat("x", n)}}},
		}
	}
	if _, err := Render(c, Options{Values: setup(90_000)}); err != nil {
		t.Fatalf("a 90,000-byte command is within the limit: %v", err)
	}
	_, err = Render(c, Options{Values: setup(100_000)})
	if err == nil || !strings.Contains(err.Error(), `the setup container "big" is`) || !strings.Contains(err.Error(), "at most 100000 code points") {
		t.Fatalf("want the CEL size error naming the container, got %v", err)
	}
}
