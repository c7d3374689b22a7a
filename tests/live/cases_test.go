package live

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// casesGlob is the case table pkg/api/v1alpha2's unit tests also run.
const casesGlob = "pkg/api/v1alpha2/testdata/validate/*.yaml"

// minCases guards against a glob or format change silently emptying the
// table.
const minCases = 30

// validateCase is one row of the case table.
type validateCase struct {
	File          string          `json:"-"`
	Name          string          `json:"name"`
	AllowHostPath bool            `json:"allowHostPath,omitempty"`
	Workspace     json.RawMessage `json:"workspace"`
	WantErrors    []string        `json:"wantErrors,omitempty"`
}

// valid is the table's own verdict: no expected errors.
func (c validateCase) valid() bool { return len(c.WantErrors) == 0 }

func loadCases(t *testing.T) []validateCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, casesGlob))
	if err != nil {
		t.Fatal(err)
	}
	var all []validateCase
	for _, f := range files {
		all = append(all, readCases(t, f)...)
	}
	if len(all) < minCases {
		t.Fatalf("%s holds %d cases, want at least %d", casesGlob, len(all), minCases)
	}
	return all
}

func readCases(t *testing.T, file string) []validateCase {
	t.Helper()
	var cases []validateCase
	if err := fixtures.ReadYAML(file, &cases); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		cases[i].File = filepath.Base(file)
	}
	return cases
}

// typed decodes the case's Workspace into ns, rejecting unknown fields so
// the Go side never silently drops what the API server would see.
func (c validateCase) typed(t *testing.T, ns string) *v1alpha2.Workspace {
	t.Helper()
	ws := &v1alpha2.Workspace{}
	dec := json.NewDecoder(bytes.NewReader(c.Workspace))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ws); err != nil {
		t.Fatalf("case %s: workspace: %v", c.Name, err)
	}
	ws.Namespace = ns
	return ws
}

// object is the case's Workspace exactly as written, placed in ns.
func (c validateCase) object(t *testing.T, ns string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(c.Workspace); err != nil {
		t.Fatalf("case %s: workspace: %v", c.Name, err)
	}
	u.SetNamespace(ns)
	return u
}
