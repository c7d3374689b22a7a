package v1alpha2_test

// FuzzWorkspaceValidate: arbitrary YAML or JSON is decoded into a
// Workspace; Validate must not panic, must be deterministic, must name a
// spec.* field in every error and may only be relaxed (never tightened) by
// the hostPath opt-in. When it accepts, podtemplate.Render must succeed and
// every container of the Job must carry the restricted securityContext.
//
// Seeds: every case of testdata/validate plus hostile hand-written ones
// (f.Add) and testdata/fuzz/FuzzWorkspaceValidate/*. A short CI run:
//
//	go test -run '^$' -fuzz '^FuzzWorkspaceValidate$' -fuzztime 10s ./pkg/api/v1alpha2

import (
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

var fuzzSeeds = []string{
	"",
	"{}",
	"null",
	"[]",
	"spec: []",
	"apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata: {name: w}\nspec: {repo: 'https://x/$(touch /tmp/pwned).git'}\n",
	"spec: {repo: git@x:y.git, files: [{path: '../../etc/passwd', content: x}, {path: '/abs'}]}",
	"spec: {repo: https://x.git, setup: [{name: 'a;b', image: ''}, {name: a;b}], volumes: [{name: workspace, mountPath: /workspace/., source: {}}]}",
	"spec: {repo: https://x.git, volumes: [{name: h, mountPath: /h, source: {hostPath: {path: /}}}, {name: n, mountPath: /n, source: {nfs: {server: s, path: /}}}]}",
	"spec: {repo: https://x.git, volumes: [{name: e, mountPath: /e, subPath: '../x', source: {emptyDir: {sizeLimit: -1Gi}, configMap: {}}}]}",
	"spec: {repo: https://x.git, env: [{name: 'A=B'}, {name: ''}, {name: X, valueFrom: {secretKeyRef: {key: k}}}], setup: [{name: s, image: i, resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}}]}",
	`{"spec":{"repo":"ssh://h/r","setup":[{"name":"s","image":"i","workingDir":"rel","env":[{"name":"P","value":"$(id)"},{"name":"P"}]}]}}`,
	"spec: {repo: https://x.git, volumes: [{name: p, mountPath: /p, source: {persistentVolumeClaim: {claimName: ''}}}, {name: c, mountPath: /c, source: {csi: {driver: ''}}}, {name: q, mountPath: /q, source: {ephemeral: {}}}]}",
}

func FuzzWorkspaceValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, ws := range fuzzCaseWorkspaces(f) {
		b, err := yaml.Marshal(ws)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ws v1alpha2.Workspace
		if err := yaml.Unmarshal(data, &ws); err != nil {
			return
		}
		checkWorkspace(t, &ws)
	})
}

// checkWorkspace holds the properties every decoded Workspace must have.
func checkWorkspace(t *testing.T, ws *v1alpha2.Workspace) {
	t.Helper()
	if cp := ws.DeepCopy(); !reflect.DeepEqual(cp, ws) {
		t.Fatalf("DeepCopy differs from the original")
	}
	errs := ws.Validate()
	if again := ws.Validate(); !reflect.DeepEqual(fuzzMessages(errs), fuzzMessages(again)) {
		t.Fatalf("Validate is not deterministic:\n%v\n%v", errs, again)
	}
	for _, e := range errs {
		if e.Field != "spec" && !strings.HasPrefix(e.Field, "spec.") && e.Field != "metadata.name" {
			t.Errorf("error does not name a spec field or metadata.name: %q (%v)", e.Field, e)
		}
	}
	relaxed := ws.ValidateWith(v1alpha2.ValidationOptions{AllowHostPath: true})
	strict := map[string]bool{}
	for _, m := range fuzzMessages(errs) {
		strict[m] = true
	}
	for _, m := range fuzzMessages(relaxed) {
		if !strict[m] {
			t.Errorf("the hostPath opt-in added an error Validate() does not report: %s", m)
		}
	}
	if len(errs) > 0 {
		return
	}
	task := &v1alpha2.Task{
		ObjectMeta: metav1.ObjectMeta{Name: "t1"},
		Spec:       v1alpha2.TaskSpec{Type: "claude-code", Prompt: "p", Branch: "b", WorkspaceRef: &v1alpha2.WorkspaceReference{Name: ws.Name}},
	}
	job, err := podtemplate.Render(ws, task, podtemplate.Options{})
	if err != nil {
		t.Fatalf("Validate() accepts the Workspace but Render fails: %v", err)
	}
	pod := job.Spec.Template.Spec
	if n := len(pod.InitContainers); n < 2+len(ws.Spec.Setup) {
		t.Fatalf("%d init containers for %d setup entries", n, len(ws.Spec.Setup))
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("pod securityContext does not enforce runAsNonRoot: %+v", pod.SecurityContext)
	}
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		if msg := restricted.Problem(c.SecurityContext); msg != "" {
			t.Errorf("container %s: %s", c.Name, msg)
		}
	}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			t.Errorf("volume %s is a hostPath although Validate() ran without the opt-in", v.Name)
		}
	}
}

func fuzzMessages(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// fuzzCaseWorkspaces reads the Workspaces of testdata/validate/*.yaml.
func fuzzCaseWorkspaces(f *testing.F) []v1alpha2.Workspace {
	files, err := filepath.Glob("testdata/validate/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no validation cases: %v", err)
	}
	var out []v1alpha2.Workspace
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var cases []struct {
			Workspace v1alpha2.Workspace `json:"workspace"`
		}
		if err := yaml.Unmarshal(raw, &cases); err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		for _, c := range cases {
			out = append(out, c.Workspace)
		}
	}
	return out
}
