package presets

import (
	"strings"
	"testing"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
)

// applyCase is testdata/apply/<case>.yaml: a Workspace and a presets map.
// Without error, the merged Workspace must pass Validate() and equal
// <case>.golden.yaml (scripts replaced by placeholders).
type applyCase struct {
	Workspace v1alpha2.Workspace `json:"workspace"`
	Presets   map[string]Options `json:"presets"`
	Error     string             `json:"error,omitempty"`
}

func TestApply(t *testing.T) {
	eachCase(t, "apply", func(t *testing.T, file string, c applyCase) {
		ws := c.Workspace.DeepCopy()
		if yamlcase.WantError(t, "Apply", Apply(ws, c.Presets), c.Error) {
			return
		}
		if errs := ws.Validate(); len(errs) > 0 {
			t.Errorf("merged Workspace does not validate: %v", errs.ToAggregate())
		}
		for i := range ws.Spec.Setup {
			eco := strings.TrimPrefix(ws.Spec.Setup[i].Name, "prewarm-")
			if Known(eco) {
				a := Additions{Setup: ws.Spec.Setup[i : i+1]}
				placeholder(t, eco, &a)
			}
		}
		golden(t, strings.TrimSuffix(file, ".yaml")+".golden.yaml", ws)
	})
}

// TestApplyPublic runs Apply with the default options of every preset.
func TestApplyPublic(t *testing.T) {
	ws := &v1alpha2.Workspace{Spec: v1alpha2.WorkspaceSpec{Repo: "https://github.com/example/app.git"}}
	presets := map[string]Options{}
	for _, n := range names {
		presets[n] = Options{Enabled: true}
	}
	presets["cargo"] = Options{Enabled: false}
	presets["artifacts"] = Options{Enabled: true, ArtifactOptions: ArtifactOptions{Files: []ArtifactFile{
		{URL: "https://example.com/m.bin", SHA256: strings.Repeat("a", 64), Path: "m.bin"}}}}
	if err := Apply(ws, presets); err != nil {
		t.Fatal(err)
	}
	if errs := ws.Validate(); len(errs) > 0 {
		t.Fatalf("Workspace does not validate: %v", errs.ToAggregate())
	}
	var got []string
	for _, c := range ws.Spec.Setup {
		got = append(got, c.Name)
	}
	if want := "prewarm-npm prewarm-pip prewarm-gomod prewarm-maven prewarm-gradle prewarm-artifacts"; strings.Join(got, " ") != want {
		t.Errorf("setup order = %v, want %s", got, want)
	}
}
