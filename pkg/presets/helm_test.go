package presets

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/yaml"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// TestHelmEngine renders every preset through Helm's template engine (lax
// and strict, as `helm lint --strict` does) from chart values and checks
// the result equals Render: the templates use nothing Go-only.
func TestHelmEngine(t *testing.T) {
	raw, err := os.ReadFile("testdata/helm/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ReadValues(raw)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Presets map[string]Options `json:"presets"`
	}
	if err := yaml.UnmarshalStrict(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ch := helmChart(t)
	for _, strict := range []bool{false, true} {
		rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "r", Namespace: "n"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := (&engine.Engine{Strict: strict}).Render(ch, rv)
		if err != nil {
			t.Fatalf("helm render (strict=%v): %v", strict, err)
		}
		var fromHelm map[string]Additions
		if err := yaml.UnmarshalStrict([]byte(out["prewarm-test/templates/out.yaml"]), &fromHelm); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			got, err := Render(n, doc.Presets[n])
			if err != nil {
				t.Fatal(err)
			}
			goJSON, _ := json.Marshal(got)
			helmJSON, _ := json.Marshal(fromHelm[n])
			if diff := cmp.Diff(string(goJSON), string(helmJSON)); diff != "" {
				t.Errorf("%s (strict=%v): Go and Helm differ (-go +helm):\n%s", n, strict, diff)
			}
		}
	}
}

// helmChart builds an in-memory chart holding the embedded templates and
// one template that includes every
// preset the way the prewarm-workspace chart does.
func helmChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "prewarm-test", Version: "0.1.0", APIVersion: "v2"}}
	files, err := fs.Glob(templatesgo.FS, "*/*.tpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := fs.ReadFile(templatesgo.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		ch.Templates = append(ch.Templates, &chart.File{Name: "templates/_" + strings.ReplaceAll(f, "/", "-"), Data: data})
	}
	var out strings.Builder
	for _, n := range names {
		fmt.Fprintf(&out, "%s: {{ include \"prewarm.preset.%s\" (.Values.presets.%s | default dict) | fromJson | toJson }}\n", n, n, n)
	}
	ch.Templates = append(ch.Templates, &chart.File{Name: "templates/out.yaml", Data: []byte(out.String())})
	return ch
}
