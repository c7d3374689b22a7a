package kelos

// kelos.integration=admission on released Kelos: the chart's
// MutatingAdmissionPolicy must add exactly prewarm's setup to the Jobs Kelos'
// job builder makes for the chart's Workspace, and nothing to any other.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/chartrender"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

var workspaceGVR = schema.GroupVersionResource{Group: "kelos.dev", Version: "v1alpha2", Resource: "workspaces"}

// release is one prewarm-workspace install for a Workspace of jobs/*.in.yaml.
type release struct {
	name, workspace, repo string
	presets               []string
}

func (r release) values(integration string) map[string]any {
	p := map[string]any{}
	for _, eco := range r.presets {
		p[eco] = map[string]any{"enabled": true}
	}
	return map[string]any{
		"kelos":     map[string]any{"integration": integration, "admission": map[string]any{"failurePolicy": "Fail"}},
		"workspace": map[string]any{"name": r.workspace, "repo": r.repo},
		"presets":   p,
		"warmer":    map[string]any{"enabled": false},
		"pruner":    map[string]any{"enabled": false},
	}
}

func (r release) setArgs(integration string) []string {
	args := []string{"--set", "kelos.integration=" + integration, "--set", "kelos.admission.failurePolicy=Fail",
		"--set", "workspace.name=" + r.workspace, "--set", "workspace.repo=" + r.repo,
		"--set", "warmer.enabled=false", "--set", "pruner.enabled=false"}
	for _, eco := range r.presets {
		args = append(args, "--set", "presets."+eco+".enabled=true")
	}
	return args
}

// wantAdditions is what Go (pkg/presets + pkg/podtemplate) says the Job of
// r's Workspace gets: the extension's Workspace split for released Kelos.
func wantAdditions(t *testing.T, r release, ns string) podtemplate.PodOverrides {
	t.Helper()
	c, err := chartrender.Load("prewarm-workspace")
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := chartrender.Render(c, chartrender.Options{ReleaseName: r.name, Namespace: ns, Values: r.values("extension")})
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if !strings.Contains(doc, "\nkind: Workspace\n") {
			continue
		}
		var ws v1alpha2.Workspace
		if err := yaml.UnmarshalStrict([]byte(doc), &ws); err != nil {
			t.Fatal(err)
		}
		_, po, err := podtemplate.KelosPodOverrides(&ws, podtemplate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return po
	}
	t.Fatal("no Workspace rendered")
	return podtemplate.PodOverrides{}
}

func readJob(t *testing.T, name string) *batchv1.Job {
	t.Helper()
	job, err := fixtures.ReadKelosJob(name)
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// createJob creates job in ns (as the Kelos controller would) and returns
// what the API server stored.
func createJob(t *testing.T, job *batchv1.Job, ns, name string) *batchv1.Job {
	t.Helper()
	j := job.DeepCopy()
	j.Namespace, j.Name = ns, name
	if name == "" {
		j.GenerateName = job.Name + "-"
	}
	got, err := clientset(t).BatchV1().Jobs(ns).Create(t.Context(), j, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("create Job %s/%s: %v", ns, name, err)
	}
	return got
}

// normalize drops what differs between two creations of the same Job: its
// identity and the controller-uid the API server derives from it.
func normalize(j *batchv1.Job) *batchv1.Job {
	j = j.DeepCopy()
	j.ObjectMeta = metav1.ObjectMeta{Name: j.Name, Labels: j.Labels, Annotations: j.Annotations}
	for _, l := range []map[string]string{j.Labels, j.Spec.Template.Labels} {
		for k := range l {
			if strings.Contains(k, "controller-uid") || k == "job-name" || k == "batch.kubernetes.io/job-name" {
				delete(l, k)
			}
		}
	}
	j.Spec.Selector = nil
	return j
}

// split removes from got what prewarm added (init containers after
// Kelos' own, volumes, the agent's mounts and env, none of which base
// has) and returns them.
func split(t *testing.T, got, base *batchv1.Job) (rest *batchv1.Job, added podtemplate.PodOverrides) {
	t.Helper()
	rest = got.DeepCopy()
	ps, bs := &rest.Spec.Template.Spec, &base.Spec.Template.Spec
	n := len(bs.InitContainers)
	if len(ps.InitContainers) < n {
		t.Fatalf("Job lost init containers: %d, Kelos made %d", len(ps.InitContainers), n)
	}
	if len(ps.InitContainers) > n {
		added.ExtraInitContainers = ps.InitContainers[n:]
	}
	ps.InitContainers = ps.InitContainers[:n]
	for i := range added.ExtraInitContainers {
		// defaults the API server sets on every container
		added.ExtraInitContainers[i].TerminationMessagePath = ""
		added.ExtraInitContainers[i].ImagePullPolicy = ""
	}
	ps.Volumes, added.Volumes = partition(ps.Volumes, bs.Volumes, func(v corev1.Volume) string { return v.Name })
	agent, bagent := container(t, ps, "kelos-agent"), container(t, bs, "kelos-agent")
	agent.VolumeMounts, added.VolumeMounts = partition(agent.VolumeMounts, bagent.VolumeMounts, func(m corev1.VolumeMount) string { return m.MountPath })
	agent.Env, added.Env = partition(agent.Env, bagent.Env, func(e corev1.EnvVar) string { return e.Name })
	return rest, added
}

// partition keeps the items of got whose key base has, in got's order, and
// returns the others (nil when none).
func partition[T any](got, base []T, key func(T) string) (kept, others []T) {
	keys := map[string]bool{}
	for _, b := range base {
		keys[key(b)] = true
	}
	for _, g := range got {
		if keys[key(g)] {
			kept = append(kept, g)
		} else {
			others = append(others, g)
		}
	}
	return kept, others
}

func container(t *testing.T, s *corev1.PodSpec, name string) *corev1.Container {
	t.Helper()
	for i := range s.Containers {
		if s.Containers[i].Name == name {
			return &s.Containers[i]
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

// TestAdmissionInjectsIntoKelosJobs installs prewarm-workspace
// (kelos.integration=admission, failurePolicy Fail so a broken expression
// shows) for Workspaces app (npm, gomod) and platform (npm, gomod) in
// namespace agents, creates every Job of tests/testdata/kelos/jobs through
// the API server, and compares each with the same Job created in a
// namespace no policy is bound to.
func TestAdmissionInjectsIntoKelosJobs(t *testing.T) {
	const ns, baseNS = "agents", "baseline"
	loadKelosCRDs(t)
	// baseline is what Kelos' namespace can enforce: Kelos' own git-clone
	// and kelos-agent do not meet restricted.
	ensureNamespace(t, ns, map[string]string{"pod-security.kubernetes.io/enforce": "baseline"})
	ensureNamespace(t, baseNS, nil)
	h := newHelm(t)
	app := release{name: "app", workspace: "app", repo: "https://github.com/example/app.git", presets: []string{"npm", "gomod"}}
	platform := release{name: "platform", workspace: "platform", repo: "https://github.com/example/platform.git", presets: []string{"npm", "gomod"}}
	for _, r := range []release{app, platform} {
		h.must(t, append([]string{"install", r.name, h.chart(), "-n", ns}, r.setArgs("admission")...)...)
		t.Cleanup(func() { _, _ = h.run("uninstall", r.name, "-n", ns) })
	}
	// The API server loads new policies within seconds: wait until a probe
	// Job for each Workspace is injected.
	for _, probe := range []string{"01-plain.job.yaml", "03-podoverrides.job.yaml"} {
		job := readJob(t, probe)
		if probe == "03-podoverrides.job.yaml" { // without the podOverrides' setup
			job.Spec.Template.Spec.InitContainers = job.Spec.Template.Spec.InitContainers[:2]
		}
		waitForInits(t, func() []string {
			var out []string
			for _, c := range createJob(t, job, ns, "").Spec.Template.Spec.InitContainers {
				out = append(out, c.Name)
			}
			return out[max(0, len(out)-2):]
		}, []string{"prewarm-npm", "prewarm-gomod"})
	}
	// The stored Workspace is Kelos' plain v1alpha2 one.
	ws, err := dynamicClient(t).Resource(workspaceGVR).Namespace(ns).Get(t.Context(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"repo": app.repo}, ws.Object["spec"]); diff != "" {
		t.Errorf("stored Workspace spec (-want +got):\n%s", diff)
	}
	wantApp := wantAdditions(t, app, ns)
	wantApp.Labels = nil // the label is podOverrides' own, never injected

	cases := []struct {
		job, name string
		want      *podtemplate.PodOverrides // nil: untouched
	}{
		{"01-plain.job.yaml", "fix-issue-7", &wantApp},
		{"01-plain.job.yaml", "fix-issue-8", &wantApp},      // a second Task on app: injected once too
		{"02-branch-files-ref.job.yaml", "feature-12", nil}, // another repository
		{"03-podoverrides.job.yaml", "upgrade-deps", nil},   // already has prewarm-npm/gomod from podOverrides
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := readJob(t, c.job)
			got := normalize(createJob(t, job, ns, c.name))
			base := normalize(createJob(t, job, baseNS, c.name))
			rest, added := split(t, got, base)
			if diff := cmp.Diff(base, rest); diff != "" {
				t.Errorf("besides prewarm's additions the Job changed (-kelos +stored):\n%s", diff)
			}
			want := podtemplate.PodOverrides{}
			if c.want != nil {
				want = *c.want
			}
			if diff := cmp.Diff(want, added); diff != "" {
				t.Errorf("added to the Job (-want +got):\n%s", diff)
			}
			if c.want != nil {
				var names []string
				for _, ic := range got.Spec.Template.Spec.InitContainers {
					names = append(names, ic.Name)
				}
				if !slices.Equal(names[len(names)-2:], []string{"prewarm-npm", "prewarm-gomod"}) || names[0] != "git-clone" {
					t.Errorf("init order %v: want Kelos' own first, then prewarm-npm, prewarm-gomod", names)
				}
			}
			for _, e := range added.Env {
				if e.Name == "HOME" {
					t.Errorf("prewarm set the agent's HOME=%q", e.Value)
				}
			}
			dryRunPod(t, got, ns)
		})
	}
}

// dryRunPod has the API server admit the Job's pod in ns (Pod Security
// baseline enforced there), without creating it.
func dryRunPod(t *testing.T, job *batchv1.Job, ns string) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-pod", Namespace: ns, Labels: job.Spec.Template.Labels}, Spec: job.Spec.Template.Spec}
	if _, err := clientset(t).CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}); err != nil {
		t.Errorf("API server refused the pod of Job %s: %v", job.Name, err)
	}
}

// TestAdmissionUpgradeUninstall: an upgrade changes what new Jobs get, an
// uninstall removes the policy (new Jobs run as Kelos made them) and the
// plain Workspace.
func TestAdmissionUpgradeUninstall(t *testing.T) {
	const ns = "adm-lifecycle"
	loadKelosCRDs(t)
	ensureNamespace(t, ns, nil)
	h := newHelm(t)
	r := release{name: "app", workspace: "app", repo: "https://github.com/example/app.git", presets: []string{"npm"}}
	h.must(t, append([]string{"install", r.name, h.chart(), "-n", ns}, r.setArgs("admission")...)...)
	t.Cleanup(func() { _, _ = h.run("uninstall", r.name, "-n", ns) })
	job := readJob(t, "01-plain.job.yaml")
	inits := func(name string) []string {
		var out []string
		for _, c := range createJob(t, job, ns, name).Spec.Template.Spec.InitContainers {
			out = append(out, c.Name)
		}
		return out
	}
	waitForInits(t, func() []string { return inits("") }, []string{"git-clone", "prewarm-npm"})
	h.must(t, append([]string{"upgrade", r.name, h.chart(), "-n", ns, "--set", "presets.gomod.enabled=true"}, r.setArgs("admission")...)...)
	waitForInits(t, func() []string { return inits("") }, []string{"git-clone", "prewarm-npm", "prewarm-gomod"})
	h.must(t, "uninstall", r.name, "-n", ns)
	waitForInits(t, func() []string { return inits("") }, []string{"git-clone"})
	if _, err := dynamicClient(t).Resource(workspaceGVR).Namespace(ns).Get(t.Context(), "app", metav1.GetOptions{}); err == nil {
		t.Error("Workspace still there after uninstall")
	}
}

// waitForInits creates Jobs until one has want (the API server reloads
// policies within a second or two), failing after 30 tries.
func waitForInits(t *testing.T, create func() []string, want []string) {
	t.Helper()
	var got []string
	for range 30 {
		if got = create(); slices.Equal(got, want) {
			return
		}
		time.Sleep(time.Second)
	}
	t.Errorf("init containers %v, want %v", got, want)
}
