package chartrender

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

// TestWarmerParityGoVsHelm renders each parity values file through Helm
// and compares the warmer CronJob's pod with Go's
// podtemplate.WarmerPodSpec on the same Workspace in warmer mode (built
// with pkg/presets): the chart adds only the image pull policy.
func TestWarmerParityGoVsHelm(t *testing.T) {
	files, _ := filepath.Glob("testdata/parity/*.yaml")
	if len(files) == 0 {
		t.Fatal("no parity cases")
	}
	c, err := Load("prewarm-workspace")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			raw, vals := readValues(t, f)
			manifest, err := Render(c, Options{ReleaseName: "parity", Namespace: "team", Values: vals})
			if err != nil {
				t.Fatalf("helm render: %v", err)
			}
			got := cronJobNamed(t, manifest, "parity-prewarm-workspace-warmer").Spec.JobTemplate.Spec.Template.Spec
			ws := goWorkspace(t, raw, "parity-prewarm-workspace", true)
			want, err := podtemplate.WarmerPodSpec(&ws, podtemplate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range want.InitContainers {
				want.InitContainers[i].ImagePullPolicy = corev1.PullIfNotPresent
			}
			for i := range want.Containers {
				want.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("warmer pod: Go vs Helm (-want +got):\n%s", diff)
			}
		})
	}
}

// conflictCase is testdata/conflicts/<case>.yaml: prewarm-workspace values
// whose presets clash, and the one message both sides must print.
type conflictCase struct {
	Values map[string]any `json:"values"`
	Error  string         `json:"error"`
}

// helmFailure is the prefix Helm puts before a template's fail message.
var helmFailure = regexp.MustCompile(`^(?s:.*)execution error at \([^)]*\): `)

// TestConflictParityGoVsHelm runs each conflict case through the chart and
// through Go (presets.Apply on the same options): both must refuse it with
// exactly the expected message, which names both owners.
func TestConflictParityGoVsHelm(t *testing.T) {
	files, _ := filepath.Glob("testdata/conflicts/*.yaml")
	if len(files) == 0 {
		t.Fatal("no conflict cases")
	}
	c, err := Load("prewarm-workspace")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var cc conflictCase
			if err := yaml.UnmarshalStrict(data, &cc); err != nil {
				t.Fatal(err)
			}
			raw, err := yaml.Marshal(cc.Values)
			if err != nil {
				t.Fatal(err)
			}
			_, herr := Render(c, Options{ReleaseName: "parity", Namespace: "team", Values: cc.Values})
			_, gerr := goWorkspaceErr(raw, "parity-prewarm-workspace", false)
			if herr == nil || gerr == nil {
				t.Fatalf("want both to fail: helm=%v go=%v", herr, gerr)
			}
			helmMsg := helmFailure.ReplaceAllString(herr.Error(), "")
			if diff := cmp.Diff(cc.Error, helmMsg); diff != "" {
				t.Errorf("Helm message (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(cc.Error, gerr.Error()); diff != "" {
				t.Errorf("Go message (-want +got):\n%s", diff)
			}
		})
	}
}

func cronJobNamed(t *testing.T, manifest, name string) batchv1.CronJob {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if !strings.Contains(doc, "\nkind: CronJob\n") {
			continue
		}
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict([]byte(doc), &cj); err != nil {
			t.Fatalf("decode CronJob: %v", err)
		}
		if cj.Name == name {
			return cj
		}
	}
	t.Fatalf("no CronJob %s in render", name)
	return batchv1.CronJob{}
}
