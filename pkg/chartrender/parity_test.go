package chartrender

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha1"
	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// chartValues is the part of prewarm-workspace's values the Workspace is
// built from; decoding it strictly keeps the test honest about the keys.
type chartValues struct {
	Workspace struct {
		Name      string            `json:"name"`
		Repo      string            `json:"repo"`
		Ref       string            `json:"ref"`
		SecretRef string            `json:"secretRef"`
		Files     map[string]string `json:"files"`
		Env       map[string]string `json:"env"`
	} `json:"workspace"`
	Presets      map[string]presets.Options `json:"presets"`
	Caches       map[string]cacheValues     `json:"caches"`
	ExtraVolumes []v1alpha1.WorkspaceVolume `json:"extraVolumes"`
	ExtraSetup   []v1alpha1.SetupContainer  `json:"extraSetup"`
}

// cacheValues mirrors caches.<preset>; only existingClaim reaches the Workspace.
type cacheValues struct {
	Size          string            `json:"size"`
	StorageClass  string            `json:"storageClass"`
	AccessModes   []string          `json:"accessModes"`
	ExistingClaim string            `json:"existingClaim"`
	Keep          *bool             `json:"keep"`
	Annotations   map[string]string `json:"annotations"`
}

// TestWorkspaceParityGoVsHelm renders each values file through Helm (the
// embedded prewarm-workspace chart) and builds the same Workspace in Go
// with pkg/presets; the two must be the same object.
func TestWorkspaceParityGoVsHelm(t *testing.T) {
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
			got := workspaceFrom(t, manifest)
			want := goWorkspace(t, raw, "parity-prewarm-workspace")
			if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
				t.Errorf("Workspace spec: Go vs Helm (-go +helm):\n%s", diff)
			}
			if errs := got.Validate(); len(errs) > 0 {
				t.Errorf("chart rendered an invalid Workspace: %v", errs)
			}
		})
	}
}

func readValues(t *testing.T, path string) ([]byte, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	if err := yaml.Unmarshal(raw, &vals); err != nil {
		t.Fatal(err)
	}
	return raw, vals
}

func workspaceFrom(t *testing.T, manifest string) v1alpha1.Workspace {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if !strings.Contains(doc, "\nkind: Workspace\n") {
			continue
		}
		var ws v1alpha1.Workspace
		if err := yaml.UnmarshalStrict([]byte(doc), &ws); err != nil {
			t.Fatalf("decode rendered Workspace: %v", err)
		}
		return ws
	}
	t.Fatalf("no Workspace in render:\n%s", manifest)
	return v1alpha1.Workspace{}
}

// goWorkspace is the chart's contract written in Go: workspace.* fields,
// presets with the chart's claim names, user env winning over preset env,
// then extraVolumes and extraSetup.
func goWorkspace(t *testing.T, raw []byte, fullname string) v1alpha1.Workspace {
	t.Helper()
	var v chartValues
	if err := yaml.UnmarshalStrict(raw, &v); err != nil {
		t.Fatalf("values: %v", err)
	}
	ws := v1alpha1.Workspace{Spec: v1alpha1.WorkspaceSpec{Repo: v.Workspace.Repo, Ref: v.Workspace.Ref}}
	if v.Workspace.SecretRef != "" {
		ws.Spec.SecretRef = &v1alpha1.SecretReference{Name: v.Workspace.SecretRef}
	}
	for _, p := range sortedKeys(v.Workspace.Files) {
		ws.Spec.Files = append(ws.Spec.Files, v1alpha1.WorkspaceFile{Path: p, Content: v.Workspace.Files[p]})
	}
	for name, o := range v.Presets {
		if o.Cache == nil {
			o.Cache = &presets.Cache{}
		}
		if o.Cache.ClaimName == "" {
			o.Cache.ClaimName = v.Caches[name].ExistingClaim
		}
		if o.Cache.ClaimName == "" {
			o.Cache.ClaimName = fmt.Sprintf("%s-%s-cache", fullname, name)
		}
		v.Presets[name] = o
	}
	if err := presets.Apply(&ws, v.Presets); err != nil {
		t.Fatalf("presets.Apply: %v", err)
	}
	ws.Spec.Env = overrideEnv(ws.Spec.Env, v.Workspace.Env)
	ws.Spec.Volumes = append(ws.Spec.Volumes, v.ExtraVolumes...)
	ws.Spec.Setup = append(ws.Spec.Setup, v.ExtraSetup...)
	return ws
}

func overrideEnv(env []corev1.EnvVar, user map[string]string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range env {
		if _, ok := user[e.Name]; !ok {
			out = append(out, e)
		}
	}
	for _, name := range sortedKeys(user) {
		out = append(out, corev1.EnvVar{Name: name, Value: user[name]})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
