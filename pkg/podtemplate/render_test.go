package podtemplate

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

var update = flag.Bool("update", false, "rewrite testdata/render/*.want.yaml from the renderer")

type renderCase struct {
	Options   Options            `json:"options"`
	Workspace v1alpha2.Workspace `json:"workspace"`
	Task      v1alpha2.Task      `json:"task"`
	WantError string             `json:"wantError"`
}

func loadRenderCase(t *testing.T, file string) renderCase {
	t.Helper()
	var rc renderCase
	yamlcase.Read(t, file, &rc)
	return rc
}

func renderYAML(t *testing.T, rc renderCase) ([]byte, error) {
	t.Helper()
	job, err := Render(&rc.Workspace, &rc.Task, rc.Options)
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(job)
}

func TestRenderGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/render/*.input.yaml")
	if len(inputs) == 0 {
		t.Fatal("no render cases")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input.yaml")
		t.Run(name, func(t *testing.T) {
			rc := loadRenderCase(t, in)
			got, err := renderYAML(t, rc)
			if yamlcase.WantError(t, "Render", err, rc.WantError) {
				return
			}
			compareGolden(t, strings.TrimSuffix(in, ".input.yaml")+".want.yaml", got)
		})
	}
}

// TestExtensionFreeWorkspaceRendersPreExtensionPod strips the extension
// fields from the full case and requires the exact pre-extension bytes for
// the same repo, files and branch.
func TestExtensionFreeWorkspaceRendersPreExtensionPod(t *testing.T) {
	rc := loadRenderCase(t, "testdata/render/full.input.yaml")
	rc.Workspace.Spec.Setup, rc.Workspace.Spec.Volumes, rc.Workspace.Spec.Env = nil, nil, nil
	got, err := renderYAML(t, rc)
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "testdata/pre-extension.yaml", got)
}

func TestInitContainerOrder(t *testing.T) {
	rc := loadRenderCase(t, "testdata/render/full.input.yaml")
	job, err := Render(&rc.Workspace, &rc.Task, rc.Options)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range job.Spec.Template.Spec.InitContainers {
		got = append(got, c.Name)
	}
	want := []string{"git-clone", "branch-setup", "workspace-files", "install-deps", "generate"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("init order (-want +got):\n%s", diff)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	rc := loadRenderCase(t, "testdata/render/full.input.yaml")
	a, errA := renderYAML(t, rc)
	b, errB := renderYAML(t, rc)
	if errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("two renders differ or failed: %v %v", errA, errB)
	}
}

func TestRenderRejectsNilInputs(t *testing.T) {
	if _, err := Render(nil, &v1alpha2.Task{}, Options{}); err == nil {
		t.Error("nil workspace accepted")
	}
	if _, err := Render(&v1alpha2.Workspace{}, nil, Options{}); err == nil {
		t.Error("nil task accepted")
	}
}
