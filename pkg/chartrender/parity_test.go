package chartrender

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// chartValues is the part of prewarm-workspace's values the Workspace is
// built from; decoding it strictly keeps the test honest about the keys.
type chartValues struct {
	Kelos     map[string]any `json:"kelos"`
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
	ExtraVolumes []v1alpha2.WorkspaceVolume `json:"extraVolumes"`
	ExtraSetup   []v1alpha2.SetupContainer  `json:"extraSetup"`
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
// embedded prewarm-workspace chart) in every kelos.integration and builds
// the same objects in Go with pkg/presets and pkg/podtemplate:
//   - extension: the Workspace with setup/volumes/env;
//   - podOverrides: the plain Workspace and the ConfigMap's podOverrides;
//   - admission: the plain Workspace, and each container, volume, mount and
//     env of Go's podOverrides in the policy's mutations (tests/kelos checks
//     on the API server that the injected objects equal them exactly).
func TestWorkspaceParityGoVsHelm(t *testing.T) {
	eachCase(t, "parity", func(t *testing.T, f string, c *chart.Chart) {
		for _, integration := range []string{"extension", "podOverrides", "admission"} {
			t.Run(integration, func(t *testing.T) {
				raw, vals := readValues(t, f)
				vals["kelos"] = map[string]any{"integration": integration}
				manifest := renderParity(t, c, vals)
				got := workspaceFrom(t, manifest)
				want := goWorkspace(t, raw, "parity-prewarm-workspace", false)
				want.Name = got.Name
				if errs := got.Validate(); len(errs) > 0 {
					t.Errorf("chart rendered an invalid Workspace: %v", errs)
				}
				if integration == "extension" {
					if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
						t.Errorf("Workspace spec: Go vs Helm (-go +helm):\n%s", diff)
					}
					return
				}
				plain, po, err := podtemplate.KelosPodOverrides(&want, podtemplate.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(plain.Spec, got.Spec); diff != "" {
					t.Errorf("plain Workspace spec: Go vs Helm (-go +helm):\n%s", diff)
				}
				if integration == "podOverrides" {
					if diff := cmp.Diff(po, podOverridesFrom(t, manifest)); diff != "" {
						t.Errorf("podOverrides: Go vs Helm (-go +helm):\n%s", diff)
					}
					return
				}
				checkPolicyCarries(t, manifest, po)
			})
		}
	})
}

// eachCase runs fn as a subtest for every testdata/<dir>/*.yaml, with the
// embedded prewarm-workspace chart.
func eachCase(t *testing.T, dir string, fn func(t *testing.T, file string, c *chart.Chart)) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if len(files) == 0 {
		t.Fatalf("no cases in testdata/%s", dir)
	}
	c, err := Load("prewarm-workspace")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) { fn(t, f, c) })
	}
}

// renderParity renders c as release "parity" in namespace "team".
func renderParity(t *testing.T, c *chart.Chart, vals map[string]any) string {
	t.Helper()
	manifest, err := Render(c, Options{ReleaseName: "parity", Namespace: "team", Values: vals})
	if err != nil {
		t.Fatalf("helm render: %v", err)
	}
	return manifest
}

// podOverridesFrom decodes the podOverrides ConfigMap's podOverrides.yaml.
func podOverridesFrom(t *testing.T, manifest string) podtemplate.PodOverrides {
	t.Helper()
	cm := decodeKind[corev1.ConfigMap](t, manifest, "ConfigMap")[0]
	var po podtemplate.PodOverrides
	if err := yaml.UnmarshalStrict([]byte(cm.Data["podOverrides.yaml"]), &po); err != nil {
		t.Fatalf("podOverrides.yaml: %v", err)
	}
	return po
}

// checkPolicyCarries requires the admission policy to add Go's init
// containers in order, and to carry every volume, mount and env value.
func checkPolicyCarries(t *testing.T, manifest string, po podtemplate.PodOverrides) {
	t.Helper()
	policy := docOfKind(t, manifest, "MutatingAdmissionPolicy")
	at := 0
	for _, c := range po.ExtraInitContainers {
		i := strings.Index(policy[at:], fmt.Sprintf(`, name: %q,`, c.Name))
		if i < 0 {
			t.Fatalf("policy does not add init container %s (in order)", c.Name)
		}
		at += i
	}
	var want []string
	for _, v := range po.Volumes {
		want = append(want, fmt.Sprintf("Object.spec.template.spec.volumes{name: %q", v.Name))
	}
	for _, m := range po.VolumeMounts {
		want = append(want, fmt.Sprintf("mountPath: %q, name: %q", m.MountPath, m.Name))
	}
	for _, e := range po.Env {
		if e.ValueFrom == nil {
			want = append(want, fmt.Sprintf("Object.spec.template.spec.containers.env{name: %q, value: %q}", e.Name, e.Value))
		}
	}
	for _, w := range want {
		if !strings.Contains(policy, w) {
			t.Errorf("policy lacks %s", w)
		}
	}
}

func docOfKind(t *testing.T, manifest, kind string) string {
	t.Helper()
	return docsOfKind(t, manifest, kind)[0]
}

// docsOfKind are the documents of kind in manifest, in order; none fails t.
func docsOfKind(t *testing.T, manifest, kind string) []string {
	t.Helper()
	var docs []string
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if strings.Contains(doc, "\nkind: "+kind+"\n") {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("no %s in render:\n%s", kind, manifest)
	}
	return docs
}

// decodeKind decodes each document of kind in manifest strictly into a T.
func decodeKind[T any](t *testing.T, manifest, kind string) []T {
	t.Helper()
	var out []T
	for _, doc := range docsOfKind(t, manifest, kind) {
		var v T
		if err := yaml.UnmarshalStrict([]byte(doc), &v); err != nil {
			t.Fatalf("decode rendered %s: %v", kind, err)
		}
		out = append(out, v)
	}
	return out
}

// readValues reads a values file as helm -f and prewarm render -f do
// (Helm's values.Options), and returns its bytes for strict decoding.
func readValues(t *testing.T, path string) ([]byte, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := (&values.Options{ValueFiles: []string{path}}).MergeValues(getter.Providers{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return raw, vals
}

func workspaceFrom(t *testing.T, manifest string) v1alpha2.Workspace {
	t.Helper()
	return decodeKind[v1alpha2.Workspace](t, manifest, "Workspace")[0]
}

// goWorkspace is the chart's contract written in Go: workspace.* fields,
// presets with the chart's claim names, user env winning over preset env,
// then extraVolumes and extraSetup. For the warmer (warmer true) every
// preset is the trusted writer of a writable cache, and extraSetup is not
// run.
func goWorkspace(t *testing.T, raw []byte, fullname string, warmer bool) v1alpha2.Workspace {
	t.Helper()
	ws, err := goWorkspaceErr(raw, fullname, warmer)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func goWorkspaceErr(raw []byte, fullname string, warmer bool) (v1alpha2.Workspace, error) {
	var v chartValues
	if err := yaml.UnmarshalStrict(raw, &v); err != nil {
		return v1alpha2.Workspace{}, fmt.Errorf("values: %w", err)
	}
	ws := v1alpha2.Workspace{Spec: v1alpha2.WorkspaceSpec{Repo: v.Workspace.Repo, Ref: v.Workspace.Ref}}
	if v.Workspace.SecretRef != "" {
		ws.Spec.SecretRef = &v1alpha2.SecretReference{Name: v.Workspace.SecretRef}
	}
	for _, p := range sortedKeys(v.Workspace.Files) {
		ws.Spec.Files = append(ws.Spec.Files, v1alpha2.WorkspaceFile{Path: p, Content: v.Workspace.Files[p]})
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
		if warmer {
			o.Cache.Mode, o.TrustedWriter = "readWrite", true
		}
		v.Presets[name] = o
	}
	if err := presets.Apply(&ws, v.Presets); err != nil {
		return ws, err
	}
	ws.Spec.Env = overrideEnv(ws.Spec.Env, v.Workspace.Env)
	ws.Spec.Volumes = append(ws.Spec.Volumes, v.ExtraVolumes...)
	if !warmer {
		ws.Spec.Setup = append(ws.Spec.Setup, v.ExtraSetup...)
	}
	return ws, nil
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
