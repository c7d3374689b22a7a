package presets

// FuzzPresetOptions: random options JSON/YAML for a preset goes through
// DecodeOptions and Validate. Validate must not panic and must name a
// presets.<name>.* field in every error. When it accepts:
//   - Render succeeds (the one documented exception: tokenSecretRef.env
//     naming a variable the preset sets itself, refused by Render);
//   - the setup container's command is exactly [sh, -c, Script(name),
//     prewarm-<name>]: no option value ever reaches the script text;
//   - extraArgs are the container's args, byte for byte, and workdirs and
//     keySalt reach it only as PREWARM_WORKDIRS / PREWARM_KEY_SALT env;
//   - Apply on a valid Workspace gives a Workspace that Validate accepts,
//     whose Task pod renders with the restricted securityContext.
//
// A short CI run:
//
//	go test -run '^$' -fuzz '^FuzzPresetOptions$' -fuzztime 10s ./pkg/presets

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/internal/restricted"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
)

var fuzzOptionSeeds = []string{
	`{}`,
	`{"enabled":true}`,
	`{"enabled":true,"workdirs":[".","web","$(touch /tmp/pwned)","a;b|c&d>e<f"],"extraArgs":["$(touch /tmp/pwned)","; rm -rf /","'\"\\","--x\ny"],"keySalt":"'$(id)'"}`,
	`{"workdirs":["../x","/abs","-rf","a/./b",""],"extraArgs":["\u0000"]}`,
	`{"cache":{"claimName":"Bad_Name","subPath":"../x","mountPath":"/workspace","mode":"readWrite"},"trustedWriter":false}`,
	`{"cache":{"claimName":"team.caches","subPath":"npm/$(id)","mountPath":"/cache/$(id) x","mode":"readOnly"}}`,
	`{"image":{"repository":"node;rm","tag":"-x","digest":"sha256:zz"}}`,
	`{"image":{"repository":"registry.example.com:5000/team/node","tag":"22","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}`,
	`{"registrySecret":{"name":"npm-registry","key":".npmrc","mountPath":"/etc/npm"},"tokenSecretRef":{"name":"tok","key":"token","env":"NPM_TOKEN"}}`,
	`{"tokenSecretRef":{"name":"tok","key":"k","env":"PATH"}}`,
	`{"tokenSecretRef":{"name":"tok","key":"k","env":"GOFLAGS"}}`,
	`{"prebuild":"test","goals":["-DskipTests","verify"],"tasks":["build","--offline"],"snapshots":false}`,
	`{"goals":["a b","*"],"tasks":["$(id)"]}`,
	`{"resources":{"requests":{"cpu":"2","memory":"1Gi"},"limits":{"cpu":"1"}}}`,
	`{"resources":{"requests":{"cpu":"-1"}}}`,
	`{"trustedWriter":true,"cache":{"mode":"readWrite"}}`,
	"workdirs: [web]\nextraArgs: ['--omit=dev; echo not a shell']\n",
}

func FuzzPresetOptions(f *testing.F) {
	for i := range names {
		for _, s := range fuzzOptionSeeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	for _, s := range fuzzRenderSeeds(f) {
		f.Add(s.which, s.data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := names[int(which)%len(names)]
		o, err := DecodeOptions(data)
		if err != nil {
			return
		}
		checkOptions(t, name, o)
	})
}

func checkOptions(t *testing.T, name string, o Options) {
	t.Helper()
	// Validated as Apply sees it: enabled (the artifacts preset needs
	// files only then).
	o.Enabled = true
	p := field.NewPath("presets", name)
	errs := o.Validate(name, p)
	for _, e := range errs {
		if !strings.HasPrefix(e.Field, p.String()+".") {
			t.Errorf("error does not name a field under %s: %v", p, e)
		}
	}
	if len(errs) > 0 {
		return
	}
	a, err := Render(name, o)
	if err != nil {
		if o.TokenSecretRef != nil && strings.Contains(err.Error(), "env "+o.TokenSecretRef.Env+" is set twice") {
			return // documented: Render refuses a token env the preset sets itself
		}
		t.Fatalf("Validate accepts %s options %s but Render fails: %v", name, fuzzJSONOf(o), err)
	}
	script, err := Script(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Setup) != 1 {
		t.Fatalf("want one setup container, got %d", len(a.Setup))
	}
	c := a.Setup[0]
	if want := []string{"sh", "-c", script, "prewarm-" + name}; !reflect.DeepEqual(c.Command, want) {
		t.Fatalf("command is not [sh -c Script(%s) prewarm-%s]: an option reached the script text\n%q", name, name, c.Command)
	}
	if len(c.Args) != len(o.ExtraArgs) || (len(o.ExtraArgs) > 0 && !reflect.DeepEqual(c.Args, o.ExtraArgs)) {
		t.Errorf("args %q, want the extraArgs %q literally", c.Args, o.ExtraArgs)
	}
	workdirs := o.Workdirs
	if len(workdirs) == 0 {
		workdirs = []string{"."}
	}
	wantEnv(t, c.Env, "PREWARM_WORKDIRS", strings.Join(workdirs, "\n"))
	wantEnv(t, c.Env, "PREWARM_KEY_SALT", o.KeySalt)
	if o.TokenSecretRef != nil {
		for _, e := range a.Env {
			if e.Name == o.TokenSecretRef.Env && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("token env %s is not a pure Secret reference: %+v", e.Name, e)
			}
		}
	}

	ws := &v1alpha2.Workspace{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec:       v1alpha2.WorkspaceSpec{Repo: "https://github.com/example/app.git"},
	}
	if err := Apply(ws, map[string]Options{name: o}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if errs := ws.Validate(); len(errs) > 0 {
		t.Fatalf("valid %s options %s give an invalid Workspace: %v", name, fuzzJSONOf(o), errs.ToAggregate())
	}
	task := &v1alpha2.Task{ObjectMeta: metav1.ObjectMeta{Name: "t1"}, Spec: v1alpha2.TaskSpec{Type: "claude-code", Prompt: "p"}}
	job, err := podtemplate.Render(ws, task, podtemplate.Options{})
	if err != nil {
		t.Fatalf("Render of the applied Workspace: %v", err)
	}
	pod := job.Spec.Template.Spec
	for _, p := range restricted.Problems(pod) {
		t.Errorf("not restricted: %s", p)
	}
}

func wantEnv(t *testing.T, env []corev1.EnvVar, name, value string) {
	t.Helper()
	for _, e := range env {
		if e.Name == name {
			if e.Value != value {
				t.Errorf("env %s = %q, want the literal %q", name, e.Value, value)
			}
			return
		}
	}
	t.Errorf("no env %s", name)
}

func fuzzJSONOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type fuzzSeed struct {
	which uint8
	data  []byte
}

// fuzzRenderSeeds are the options of testdata/render/*.yaml, as JSON.
func fuzzRenderSeeds(f *testing.F) []fuzzSeed {
	files, _ := filepath.Glob("testdata/render/*.yaml")
	var out []fuzzSeed
	for _, file := range files {
		if strings.HasSuffix(file, ".golden.yaml") {
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var c struct {
			Preset  string         `json:"preset"`
			Options map[string]any `json:"options"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		for i, n := range names {
			if n == c.Preset {
				b, _ := json.Marshal(c.Options)
				out = append(out, fuzzSeed{uint8(i), b})
			}
		}
	}
	if len(out) == 0 {
		f.Fatal("no render cases to seed from")
	}
	return out
}
