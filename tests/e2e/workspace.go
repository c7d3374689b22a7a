//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/tests/images"
)

// workspace is one prewarm-workspace release installed in a namespace.
type workspace struct {
	ns, release string
	preset      string
	file        string // the Workspace object, for `prewarm pod`
	cacheDir    string // host folder behind the cache PV
	objects     []*unstructured.Unstructured
}

// wsOptions shape a release beyond the npm defaults.
type wsOptions struct {
	preset    string      // npm (default), gomod, pip, maven, gradle or cargo
	cacheUID  int         // owner of the cache volume root
	cacheMode os.FileMode // its mode
	values    string      // extra values YAML, merged after the defaults
	target    string      // kelos.integration: extension (default) or admission
}

// installWorkspace renders the prewarm-workspace chart with the local
// images and servers (prewarm render, the CLI from this checkout), binds
// its cache PVC to a hostPath PV over a folder owned as opts say, and
// creates every object: PVC, CronJobs and the Workspace (our CRD).
func installWorkspace(t *testing.T, ns, release string, srv Servers, opts wsOptions) *workspace {
	t.Helper()
	namespace(t, ns)
	preset := opts.preset
	if preset == "" {
		preset = "npm"
	}
	w := &workspace{ns: ns, release: release, preset: preset, cacheDir: hostDir(t, ns+"-"+release+"-"+preset, opts.cacheUID, opts.cacheMode)}
	// One repository and toolchain image per preset; the servers' URLs
	// reach the setup (and the agent) through workspace.env.
	repoName, image, env := "app.git", images.Node, "    npm_config_registry: "+srv.NpmRegistry
	switch preset {
	case "gomod":
		repoName, image, env = "go.git", images.Go, "    GOPROXY: "+srv.GoProxy+"\n    GOTOOLCHAIN: local"
	case "pip":
		// Plain http on the pod network: pip wants the host named trusted.
		u, err := url.Parse(srv.PipIndex)
		if err != nil {
			t.Fatal(err)
		}
		repoName, image, env = "pip.git", images.Python, "    PIP_INDEX_URL: "+srv.PipIndex+"\n    PIP_TRUSTED_HOST: "+u.Hostname()
	case "maven": // the repository comes through registrySecret (settings.xml)
		repoName, image, env = "maven.git", images.Maven, "    {}"
	case "gradle": // the repository comes through registrySecret (gradle.properties)
		repoName, image, env = "gradle.git", images.Gradle, "    {}"
	case "cargo": // the registry comes through the repository's .cargo/config.toml
		repoName, image, env = "cargo.git", images.Rust, "    {}"
	}
	values := fmt.Sprintf(`workspace:
  name: %[1]s
  repo: %[2]s/%[10]s
  env:
%[3]s
presets:
  %[11]s:
    enabled: true
    image: {repository: %[4]s, tag: %[5]s}
caches:
  %[11]s:
    storageClass: "-"
images:
  git: {repository: %[6]s, tag: %[7]s}
  pruner: {repository: %[8]s, tag: %[9]s}
`, release, srv.GitURL, env, repo(image), tag(image), repo(images.Git), tag(images.Git), repo(images.Busybox), tag(images.Busybox), repoName, preset)
	files := []string{writeFile(t, ns+"-"+release+"-values.yaml", values)}
	if opts.values != "" {
		files = append(files, writeFile(t, ns+"-"+release+"-extra.yaml", opts.values))
	}
	target := opts.target
	if target == "" {
		target = "extension"
	}
	args := []string{"render", "--target", target, "--release", release, "--namespace", ns}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	rendered := prewarmCLI(t, nil, args...)
	var wsDoc []byte
	for _, doc := range bytes.Split(rendered, []byte("\n---\n")) {
		if bytes.Contains(doc, []byte("\nkind: Workspace\n")) {
			wsDoc = doc
		}
	}
	if wsDoc == nil {
		t.Fatalf("prewarm render made no Workspace:\n%s", rendered)
	}
	w.file = writeFile(t, ns+"-"+release+"-workspace.yaml", string(wsDoc))
	w.createPV(t, release+"-prewarm-workspace-"+preset+"-cache")
	w.objects = apply(t, ns, rendered)
	return w
}

// createPV makes the hostPath PV the cache PVC binds to (pre-bound by
// claimRef): what a cluster's storage gives, here a folder on the node.
func (w *workspace) createPV(t *testing.T, claim string) {
	t.Helper()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: w.ns + "-" + claim},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("100Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "",
			ClaimRef:                      &corev1.ObjectReference{Namespace: w.ns, Name: claim},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: w.cacheDir}},
		},
	}
	if _, err := kube(t).CoreV1().PersistentVolumes().Create(t.Context(), pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// taskRun is one Task pod that ran to the end.
type taskRun struct {
	name string
	pod  *corev1.Pod
}

// runTask renders the Task's Job with `prewarm pod` (git and agent images
// swapped for the local ones), creates it and waits for its pod to finish.
func (w *workspace) runTask(t *testing.T, name, agentImage string, mutate func(*batchv1.Job)) taskRun {
	t.Helper()
	task := writeFile(t, w.ns+"-"+name+"-task.yaml", fmt.Sprintf(`apiVersion: kelos.dev/v1alpha2
kind: Task
metadata:
  name: %s
  namespace: %s
spec:
  type: claude-code
  prompt: Run the e2e checks.
  branch: kelos/%s
  workspaceRef:
    name: %s
`, name, w.ns, name, w.release))
	out := prewarmCLI(t, nil, "pod", "--workspace", w.file, "--task", task,
		"--git-image", images.Git, "--agent-image", agentImage)
	var job batchv1.Job
	if err := yaml.UnmarshalStrict(out, &job); err != nil {
		t.Fatalf("prewarm pod output is not a Job: %v\n%s", err, out)
	}
	if mutate != nil {
		mutate(&job)
	}
	job.Namespace = w.ns
	if _, err := kube(t).BatchV1().Jobs(w.ns).Create(t.Context(), &job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, w.ns, jobPod(t, w.ns, job.Name), 5*time.Minute, finished)
	recordTaskPod(pod, w.release)
	return taskRun{name: name, pod: pod}
}

// summary returns the setup's "prewarm: <eco> ... result=..." line.
func summaryLine(t *testing.T, ns string, pod *corev1.Pod, container string) string {
	t.Helper()
	for _, line := range strings.Split(logs(t, ns, pod.Name, container), "\n") {
		if strings.HasPrefix(line, "prewarm: ") && strings.Contains(line, " result=") {
			return line
		}
	}
	t.Fatalf("no summary line in %s logs:\n%s", container, logs(t, ns, pod.Name, container))
	return ""
}

func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

func prewarmCLI(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(prewarm, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("prewarm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(work, "files", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func repo(ref string) string { return ref[:strings.LastIndex(ref, ":")] }
func tag(ref string) string  { return ref[strings.LastIndex(ref, ":")+1:] }
