package live

import (
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// TestArtifactsReadOnlyForTheAgent: the artifacts preset's cache is read
// only for everything in a Task pod (the agent reads the pinned files
// through that mount and cannot change what other pods trust) and writable
// for the warmer's setup container, which fills it. Checked on what the
// API server returns from a dry-run create (defaulted, validated, admitted
// under Pod Security "restricted"), for the chart's render (the ML example)
// and for the Go API (presets.Apply).
func TestArtifactsReadOnlyForTheAgent(t *testing.T) {
	installCRDs(t)
	const ns = "artifacts"
	ensureNamespace(t, ns, restrictedLabels)
	cs := clientset(t, cp.Config())
	opts := metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"}

	t.Run("chart", func(t *testing.T) {
		objs := readObjects(t, filepath.Join("..", "..", "examples", "ml-project", "rendered.yaml"))
		var warmer *batchv1.CronJob
		var ws *v1alpha2.Workspace
		for _, obj := range objs {
			switch {
			case obj.GetKind() == "Workspace":
				ws = toWorkspace(t, obj)
			case obj.GetKind() == "CronJob" && strings.HasSuffix(obj.GetName(), "-warmer"):
				warmer = &batchv1.CronJob{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, warmer); err != nil {
					t.Fatal(err)
				}
			}
		}
		if ws == nil || warmer == nil {
			t.Fatal("the ML example renders no Workspace or no warmer CronJob")
		}
		ws.Namespace = ns
		checkTaskPodReadOnly(t, cs, podFor(render(t, ws)))

		warmer.Namespace = ns
		got, err := cs.BatchV1().CronJobs(ns).Create(t.Context(), warmer, opts)
		if err != nil {
			t.Fatalf("API server rejected the warmer CronJob: %v", err)
		}
		spec := got.Spec.JobTemplate.Spec.Template.Spec
		c := findContainer(spec.InitContainers, "prewarm-artifacts")
		if c == nil {
			t.Fatal("the warmer runs no prewarm-artifacts container")
		}
		m := findMount(c.VolumeMounts, "/cache/artifacts")
		if m == nil || m.ReadOnly {
			t.Errorf("the warmer's prewarm-artifacts must mount /cache/artifacts writable (it fills the store): %+v", m)
		}
		if e := envValue(c.Env, "PREWARM_CACHE_MODE"); e != "readWrite" {
			t.Errorf("the warmer's PREWARM_CACHE_MODE = %q, want readWrite", e)
		}
	})

	t.Run("go", func(t *testing.T) {
		ws := &v1alpha2.Workspace{
			ObjectMeta: metav1.ObjectMeta{Name: "ml", Namespace: ns},
			Spec:       v1alpha2.WorkspaceSpec{Repo: "https://github.com/example/ml.git"},
		}
		var o presets.Options
		if err := yaml.UnmarshalStrict([]byte(`
enabled: true
files:
- url: https://huggingface.co/acme/tiny/resolve/0123456789abcdef0123456789abcdef01234567/model.safetensors
  sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  hub: {repo: acme/tiny, revision: 0123456789abcdef0123456789abcdef01234567, file: model.safetensors}
`), &o); err != nil {
			t.Fatal(err)
		}
		if err := presets.Apply(ws, map[string]presets.Options{"artifacts": o}); err != nil {
			t.Fatal(err)
		}
		pod := checkTaskPodReadOnly(t, cs, podFor(render(t, ws)))
		agent := findContainer(pod.Spec.Containers, "agent")
		if agent == nil {
			t.Fatal("no agent container")
		}
		if envValue(agent.Env, "HF_HOME") != "/workspace/.home/.cache/huggingface" || envValue(agent.Env, "HF_HUB_OFFLINE") != "1" {
			t.Errorf("the agent must get HF_HOME (the per-pod hub tree) and HF_HUB_OFFLINE=1: %v", agent.Env)
		}
	})
}

// checkTaskPodReadOnly dry-runs the Task pod and checks, on the API
// server's answer, that every container mounts the artifacts cache
// read-only and that the agent has it at all.
func checkTaskPodReadOnly(t *testing.T, cs kubernetes.Interface, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	got, err := cs.CoreV1().Pods(pod.Namespace).Create(t.Context(), pod, metav1.CreateOptions{DryRun: dryRun, FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("API server rejected the Task pod: %v", err)
	}
	agent := findContainer(got.Spec.Containers, "agent")
	if agent == nil {
		t.Fatal("the Task pod has no agent container")
	}
	if m := findMount(agent.VolumeMounts, "/cache/artifacts"); m == nil || !m.ReadOnly {
		t.Errorf("the agent must mount /cache/artifacts read-only: %+v", m)
	}
	for _, c := range append(append([]corev1.Container{}, got.Spec.InitContainers...), got.Spec.Containers...) {
		if m := findMount(c.VolumeMounts, "/cache/artifacts"); m != nil && !m.ReadOnly {
			t.Errorf("container %s of a Task pod mounts the artifacts cache writable", c.Name)
		}
	}
	setup := findContainer(got.Spec.InitContainers, "prewarm-artifacts")
	if setup == nil {
		t.Fatal("the Task pod has no prewarm-artifacts setup container")
	}
	if mode := envValue(setup.Env, "PREWARM_CACHE_MODE"); mode != "readOnly" {
		t.Errorf("the Task pod's prewarm-artifacts runs with PREWARM_CACHE_MODE=%q, want readOnly", mode)
	}
	return got
}

func findContainer(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func findMount(ms []corev1.VolumeMount, path string) *corev1.VolumeMount {
	for i := range ms {
		if ms[i].MountPath == path {
			return &ms[i]
		}
	}
	return nil
}

func envValue(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}
