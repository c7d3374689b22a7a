//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/tests/images"
)

// TestArtifactsWarmerThenReadOnlyTasks: the artifacts preset on the real
// node. A file server pod (busybox httpd, which logs one line per request)
// serves a data file and a model file; a Job made from the warmer CronJob
// fetches each once into the cache and checks it; two Task pods then start
// with result=warm, make no request, leave the cache unchanged, and their
// agent reads the files (same sha256) through links into a read-only
// mount: writing the blob or the cache fails, /proc/mounts says ro, and
// the model is where HF_HOME and refs/main say, with HF_HUB_OFFLINE=1.
func TestArtifactsWarmerThenReadOnlyTasks(t *testing.T) {
	srv := startServers(t)
	files := hostDir(t, "artifacts-files", 0, 0o755)
	data := []byte(strings.Repeat("a,b\n1,2\n", 1000))
	config := []byte(`{"model_type": "bert", "hidden_size": 8}`)
	for name, b := range map[string][]byte{"train.csv": data, "config.json": config} {
		if err := os.WriteFile(filepath.Join(files, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ip := serverPod(t, "artifacts-files", images.Busybox, 8080, map[string]string{"/srv": files}, "httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
	requests := func() int {
		return strings.Count(logs(t, serversNS, "artifacts-files", "artifacts-files"), "response:")
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	values := fmt.Sprintf(`presets:
  artifacts:
    image: {repository: %s, tag: %s}
    allowHTTP: true
    files:
      - {url: "http://%[3]s:8080/train.csv", sha256: %[4]s, path: data/train.csv}
      - {url: "http://%[3]s:8080/config.json", sha256: %[5]s, hub: {repo: acme/tiny, revision: %[6]s, file: config.json}}
`, repo(images.Busybox), tag(images.Busybox), ip, sum(data), sum(config), rev)
	w := installWorkspace(t, "e2e-artifacts", "app", srv, wsOptions{preset: "artifacts", cacheUID: images.AgentUID, cacheMode: 0o755, values: values})

	pod := w.runCronJob(t, "app-prewarm-workspace-warmer")
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("warmer failed: %s\n%s", podSummary(pod), logs(t, w.ns, pod.Name, "prewarm-artifacts"))
	}
	line := summaryLine(t, w.ns, pod, "prewarm-artifacts")
	t.Logf("warmer: %s", line)
	if field(line, "result") != "cold" || field(line, "fetched") != "2" || field(line, "cache") != "writable" {
		t.Errorf("warmer: want result=cold fetched=2 cache=writable: %s", line)
	}
	if n := requests(); n != 2 {
		t.Errorf("the warmer made %d requests, want 2 (one per file)", n)
	}
	before := listTree(t, w.cacheDir)

	check := `set -u
f=/workspace/artifacts/data/train.csv
echo "art: data $(sha256sum <"$f" | cut -d' ' -f1)"
blob=$(readlink -f "$f")
echo "art: blob $blob"
if (echo x >>"$blob") 2>/dev/null; then echo "art: blob-write=ok"; else echo "art: blob-write=denied"; fi
if (: >/cache/artifacts/agent-probe) 2>/dev/null; then echo "art: cache-write=ok"; else echo "art: cache-write=denied"; fi
awk '$2 == "/cache/artifacts" { split($4, o, ","); print "art: mount " o[1] }' /proc/mounts
h=$HF_HOME/hub/models--acme--tiny
echo "art: hub $(sha256sum <"$h/snapshots/$(cat "$h/refs/main")/config.json" | cut -d' ' -f1) offline=$HF_HUB_OFFLINE"
`
	agentCheck := func(job *batchv1.Job) {
		for i := range job.Spec.Template.Spec.Containers {
			if c := &job.Spec.Template.Spec.Containers[i]; c.Name == "agent" {
				c.Command, c.Args = []string{"sh", "-c", check}, nil
			}
		}
	}
	for _, name := range []string{"task-1", "task-2"} {
		run := w.runTask(t, name, images.Busybox, agentCheck)
		if run.pod.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("%s failed: %s", name, podSummary(run.pod))
		}
		line := summaryLine(t, w.ns, run.pod, "prewarm-artifacts")
		t.Logf("%s: %s", name, line)
		if field(line, "result") != "warm" || field(line, "fetched") != "0" || field(line, "cached") != "2" || field(line, "cache") != "readonly" {
			t.Errorf("%s: want result=warm fetched=0 cached=2 cache=readonly: %s", name, line)
		}
		agent := logs(t, w.ns, run.pod.Name, "agent")
		for _, want := range []string{
			"art: data " + sum(data),
			"art: blob /cache/artifacts/blobs/sha256/" + sum(data),
			"art: blob-write=denied",
			"art: cache-write=denied",
			"art: mount ro",
			"art: hub " + sum(config) + " offline=1",
		} {
			if !strings.Contains(agent, want+"\n") {
				t.Errorf("%s: the agent's output lacks %q:\n%s", name, want, agent)
			}
		}
	}
	t.Logf("file server requests after the warmer and two Task pods: %d", requests())
	if n := requests(); n != 2 {
		t.Errorf("after two Task pods the server saw %d requests, want still 2 (nothing fetched again)", n)
	}
	if after := listTree(t, w.cacheDir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("a Task pod changed the artifacts cache:\nbefore %v\nafter  %v", before, after)
	}
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
