package scripts

// Registry credentials: a token only ever exists as a Secret reference in
// what prewarm renders, and the npm setup script, given a real token in the
// env (as kubelet would resolve tokenSecretRef) and an .npmrc that uses it
// (as registrySecret would mount it), authenticates with it but writes it
// nowhere: not to stdout/stderr, not to the cache volume (npm store,
// snapshots), not to HOME (npm's logs) or the checkout.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	"github.com/prewarm-dev/prewarm/pkg/presets"

	"github.com/prewarm-dev/prewarm/tests/internal/prewarmcli"
)

const secretFakeToken = "prewarm-fake-token-XYZ"

// TestSecretsRenderOnlyAsSecretReferences: for every preset, Go and the
// chart render tokenSecretRef as an env var whose only source is a
// secretKeyRef and registrySecret as a read-only secret volume; the Task
// pod gets GITHUB_TOKEN from spec.secretRef the same way; and no option or
// values key can carry a literal token (each candidate key is refused).
func TestSecretsRenderOnlyAsSecretReferences(t *testing.T) {
	tokenEnv := map[string]bool{"GITHUB_TOKEN": true}
	values := map[string]any{}
	for _, name := range presets.Names() {
		env := "PW_TOKEN_" + strings.ToUpper(name)
		tokenEnv[env] = true
		o := presets.Options{
			Enabled:        true,
			RegistrySecret: &presets.RegistrySecret{Name: "reg-" + name},
			TokenSecretRef: &presets.TokenSecretRef{Name: "tok-" + name, Key: "token", Env: env},
		}
		pv := map[string]any{
			"enabled":        true,
			"registrySecret": map[string]any{"name": "reg-" + name},
			"tokenSecretRef": map[string]any{"name": "tok-" + name, "key": "token", "env": env},
		}
		if name == "artifacts" { // headers come only from registrySecret; it needs a file
			o.TokenSecretRef = nil
			o.Files = []presets.ArtifactFile{{URL: "https://example.com/m.bin", SHA256: strings.Repeat("a", 64), Path: "m.bin"}}
			delete(pv, "tokenSecretRef")
			pv["files"] = []any{map[string]any{"url": "https://example.com/m.bin", "sha256": strings.Repeat("a", 64), "path": "m.bin"}}
		}
		a, err := presets.Render(name, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		secretCheckEnv(t, "preset "+name, a.Env, tokenEnv)
		for _, c := range a.Setup {
			secretCheckEnv(t, "preset "+name+" setup "+c.Name, c.Env, tokenEnv)
		}
		found := false
		for _, v := range a.Volumes {
			if s := v.Source.Secret; s != nil {
				found = true
				if s.SecretName != "reg-"+name || !v.ReadOnly || s.DefaultMode == nil || *s.DefaultMode&0o007 != 0 {
					t.Errorf("preset %s: registry volume %s: want secret reg-%s, read-only, no world bits; got %+v readOnly=%v", name, v.Name, name, s, v.ReadOnly)
				}
			}
		}
		if !found {
			t.Errorf("preset %s: registrySecret rendered no secret volume", name)
		}
		values[name] = pv
	}

	// The chart: Workspace, warmer CronJob and PVCs, every env checked.
	manifest, err := secretChartRender(t, map[string]any{
		"workspace": map[string]any{"repo": "https://github.com/example/app.git", "secretRef": "github-token",
			"env": map[string]any{"NPM_CONFIG_TOKEN_FROM": map[string]any{"valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "npm", "key": "token"}}}}},
		"presets": values,
	})
	if err != nil {
		t.Fatalf("chart render: %v", err)
	}
	tokenEnv["NPM_CONFIG_TOKEN_FROM"] = true
	var ws *v1alpha2.Workspace
	envs := 0
	for _, doc := range secretDocs(t, manifest) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		secretWalkEnv(obj, func(list []any) {
			raw, _ := yaml.Marshal(list)
			var env []corev1.EnvVar
			if err := yaml.UnmarshalStrict(raw, &env); err != nil {
				t.Fatalf("env list: %v", err)
			}
			envs += len(env)
			secretCheckEnv(t, fmt.Sprintf("chart %v/%v", obj["kind"], secretName(obj)), env, tokenEnv)
		})
		if obj["kind"] == "Workspace" {
			ws = &v1alpha2.Workspace{}
			if err := yaml.UnmarshalStrict(doc, ws); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ws == nil || envs < 20 {
		t.Fatalf("chart render has no Workspace or too few env entries (%d)", envs)
	}

	// The Task pod of that Workspace.
	job, err := podtemplate.Render(ws, &v1alpha2.Task{ObjectMeta: metav1.ObjectMeta{Name: "t1"}, Spec: v1alpha2.TaskSpec{Type: "claude-code", Prompt: "p", Branch: "b"}}, podtemplate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pod := job.Spec.Template.Spec
	sawGitHub := false
	for _, ctr := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		secretCheckEnv(t, "job container "+ctr.Name, ctr.Env, tokenEnv)
		for _, e := range ctr.Env {
			sawGitHub = sawGitHub || e.Name == "GITHUB_TOKEN"
		}
	}
	if !sawGitHub {
		t.Error("spec.secretRef did not give git-clone a GITHUB_TOKEN from the Secret")
	}

	// No place for a literal token: Options has no such field, and every
	// candidate key is refused by DecodeOptions and by the chart schema.
	for _, path := range secretStringFields(reflect.TypeOf(presets.Options{}), "") {
		if regexp.MustCompile(`(?i)token|passw|auth|credential|secret`).MatchString(path) &&
			!map[string]bool{"registrySecret.name": true, "registrySecret.key": true, "registrySecret.mountPath": true,
				"tokenSecretRef.name": true, "tokenSecretRef.key": true, "tokenSecretRef.env": true}[path] {
			t.Errorf("presets.Options has a string field %s that could hold a literal credential", path)
		}
	}
	for _, doc := range []string{
		`{"token":"` + secretFakeToken + `"}`,
		`{"npmToken":"` + secretFakeToken + `"}`,
		`{"authToken":"` + secretFakeToken + `"}`,
		`{"password":"` + secretFakeToken + `"}`,
		`{"tokenSecretRef":{"name":"t","key":"k","env":"E","value":"` + secretFakeToken + `"}}`,
		`{"registrySecret":{"name":"r","content":"//registry/:_authToken=` + secretFakeToken + `"}}`,
	} {
		if _, err := presets.DecodeOptions([]byte(doc)); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("DecodeOptions(%s) = %v, want an unknown-field error", doc, err)
		}
		var opts map[string]any
		if err := yaml.Unmarshal([]byte(doc), &opts); err != nil {
			t.Fatal(err)
		}
		opts["enabled"] = true
		out, err := secretChartRender(t, map[string]any{
			"workspace": map[string]any{"repo": "https://github.com/example/app.git"},
			"presets":   map[string]any{"npm": opts},
		})
		if err == nil || !strings.Contains(err.Error(), "additional properties") || strings.Contains(out, secretFakeToken) {
			t.Errorf("chart values presets.npm=%s: want a schema refusal, got err=%v", doc, err)
		}
	}
}

var secretCLI = prewarmcli.Build

// secretChartRender renders the prewarm-workspace chart with values
// through `prewarm render` (Helm's engine, the chart's strict schema); the
// error carries stderr.
func secretChartRender(t *testing.T, values map[string]any) (string, error) {
	t.Helper()
	bin, err := secretCLI()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := yaml.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "render", "--release", "sec", "--namespace", "team", "-f", f)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// secretCheckEnv fails for an env var in tokenEnv that carries a literal
// value or any source other than a secretKeyRef, and for any value that
// holds the fake token.
func secretCheckEnv(t *testing.T, where string, env []corev1.EnvVar, tokenEnv map[string]bool) {
	t.Helper()
	for _, e := range env {
		if strings.Contains(e.Value, secretFakeToken) {
			t.Errorf("%s: env %s holds the token literally", where, e.Name)
		}
		if !tokenEnv[e.Name] {
			continue
		}
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name == "" ||
			e.ValueFrom.ConfigMapKeyRef != nil || e.ValueFrom.FieldRef != nil || e.ValueFrom.ResourceFieldRef != nil {
			t.Errorf("%s: credential env %s is not a pure secretKeyRef: %+v", where, e.Name, e)
		}
	}
}

func secretDocs(t *testing.T, manifest string) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(doc)) > 0 && !bytes.Equal(bytes.TrimSpace(doc), []byte("---")) {
			out = append(out, doc)
		}
	}
	return out
}

func secretName(obj map[string]any) any {
	md, _ := obj["metadata"].(map[string]any)
	return md["name"]
}

// secretWalkEnv calls f with every "env" list in obj.
func secretWalkEnv(v any, f func([]any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if l, ok := c.([]any); ok && k == "env" {
				f(l)
			}
			secretWalkEnv(c, f)
		}
	case []any:
		for _, c := range x {
			secretWalkEnv(c, f)
		}
	}
}

// secretStringFields lists the JSON paths of string fields in t.
func secretStringFields(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String {
			return []string{strings.TrimSuffix(prefix, ".")}
		}
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return []string{strings.TrimSuffix(prefix, ".")}
	case reflect.Struct:
	default:
		return nil
	}
	if t.PkgPath() != reflect.TypeOf(presets.Options{}).PkgPath() {
		return nil // corev1 resources: quantities, not free text
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		out = append(out, secretStringFields(f.Type, prefix+name+".")...)
	}
	return out
}

// TestSecretsNpmTokenNeverWritten runs prewarm.script.npm against a local
// npm registry that answers 401 to any request without "Bearer
// prewarm-fake-token-XYZ". The env and files come from the npm preset
// rendered with registrySecret and tokenSecretRef: NPM_TOKEN holds the
// token (as kubelet resolves the secretKeyRef), npm_config_userconfig
// points at the mounted .npmrc, which says
// //127.0.0.1:PORT/:_authToken=${NPM_TOKEN}. A cold install (dash), a
// snapshot restore (busybox) and an install against a failing registry
// must each leave the token out of stdout, stderr and every file under the
// cache, HOME and the checkout.
func TestSecretsNpmTokenNeverWritten(t *testing.T) {
	t.Parallel()
	reg := newStressNpmRegistry(t, 3, 4<<10, secretFakeToken)
	a, err := presets.Render("npm", presets.Options{
		RegistrySecret: &presets.RegistrySecret{Name: "npm-registry"},
		TokenSecretRef: &presets.TokenSecretRef{Name: "npm-token", Key: "token", Env: "NPM_TOKEN"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var secretMount string
	for _, v := range a.Volumes {
		if v.Source.Secret != nil {
			secretMount = v.MountPath
		}
	}
	if secretMount == "" || len(a.Setup) != 1 {
		t.Fatalf("npm preset: no registry secret volume or not one setup container: %+v", a)
	}
	base := ecoTempDir(t)
	secretDir := filepath.Join(base, "secret-mount")
	host := strings.TrimSuffix(strings.TrimPrefix(reg.url, "http:"), "/")
	npmrc := "registry=" + reg.url + "\n" + host + "/:_authToken=${NPM_TOKEN}\n"
	if err := os.MkdirAll(secretDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secretDir, ".npmrc"), []byte(npmrc), 0o440); err != nil {
		t.Fatal(err)
	}
	cache, home := filepath.Join(base, "cache"), filepath.Join(base, "home")

	// The pod's env: spec.env then the container's, paths moved under base,
	// the secretKeyRef resolved the way kubelet does.
	podEnv := func(repo string, extra ...string) []string {
		remap := strings.NewReplacer("/workspace/repo", repo, "/workspace/.home", home, "/cache/npm", cache, secretMount, secretDir)
		var env []string
		sawToken := false
		for _, e := range append(append([]corev1.EnvVar{}, a.Env...), a.Setup[0].Env...) {
			switch {
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				env = append(env, e.Name+"="+secretFakeToken)
				sawToken = true
			case e.ValueFrom != nil:
				t.Fatalf("unexpected env source %+v", e)
			default:
				env = append(env, e.Name+"="+remap.Replace(e.Value))
			}
		}
		if !sawToken {
			t.Fatal("the rendered preset has no secretKeyRef env")
		}
		// No retries: a failing registry must fail fast.
		return append(append(env, "npm_config_fetch_retries=0"), extra...)
	}
	script := a.Setup[0].Command[2]
	check := func(what string, r ecoRun, roots ...string) {
		t.Helper()
		if strings.Contains(r.stdout, secretFakeToken) || strings.Contains(r.stderr, secretFakeToken) {
			t.Errorf("%s: the token appears in the script's output\n%s", what, r)
		}
		for _, root := range roots {
			if hits := stressGrepTree(t, root, []byte(secretFakeToken)); len(hits) > 0 {
				t.Errorf("%s: the token was written to %v", what, hits)
			}
		}
	}

	dash, bb := ecoShellNamed(t, "dash"), ecoShellNamed(t, "busybox")
	repo := filepath.Join(base, "repo-cold")
	reg.writeProject(t, repo)
	r := ecoRunScript(t, dash, script, "prewarm-npm", repo, podEnv(repo), 3*time.Minute)
	s := ecoOK(t, dash, r)
	ecoWantResult(t, dash, r, s, "cold")
	if got := reg.authorizations()["Bearer "+secretFakeToken]; got < len(reg.pkgs) || reg.tarballs.Load() < int64(len(reg.pkgs)) {
		t.Fatalf("npm did not authenticate with the token (%d authorized requests, %d tarballs): the test proves nothing", got, reg.tarballs.Load())
	}
	if final, _ := ecoSnapshots(t, cache); len(final) != 1 {
		t.Fatalf("want one published snapshot, have %v", final)
	}
	check("cold install", r, cache, home, repo)

	repo = filepath.Join(base, "repo-snapshot")
	reg.writeProject(t, repo)
	r = ecoRunScript(t, bb, script, "prewarm-npm", repo, podEnv(repo), 3*time.Minute)
	ecoWantResult(t, bb, r, ecoOK(t, bb, r), "snapshot")
	check("snapshot restore", r, cache, home, repo)

	// A registry that fails, on a fresh cache: npm's error report and its
	// debug log must not carry the token either.
	reg.failing.Store(true)
	cache2 := filepath.Join(base, "cache-failing")
	repo = filepath.Join(base, "repo-failing")
	reg.writeProject(t, repo)
	env := podEnv(repo)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PREWARM_CACHE=") {
			env[i] = "PREWARM_CACHE=" + cache2
		}
	}
	r = ecoRunScript(t, dash, script, "prewarm-npm", repo, append(env, "npm_config_cache="+filepath.Join(cache2, "store")), 3*time.Minute)
	if r.exitCode == 0 || !strings.Contains(r.stderr, "prewarm: error: npm install failed") {
		t.Fatalf("want the install to fail against a failing registry\n%s", r)
	}
	logs := stressGrepTree(t, filepath.Join(home, ".npm", "_logs"), []byte("GET"))
	check("failed install", r, cache2, home, repo)
	t.Logf("npm authenticated %d requests with the token; %d npm debug logs scanned; the token is in none of stdout, stderr, cache, HOME or the checkout",
		reg.authorizations()["Bearer "+secretFakeToken], len(logs))
}
