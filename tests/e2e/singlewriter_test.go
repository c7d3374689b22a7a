//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// singleWriterCase is one single-writer preset run on the node: its
// toolchain and agent images come from tests/images, its repository is
// in-cluster: Debian's Maven repository, named in the file the preset's
// registrySecret carries (maven, gradle), or the crates.io replacement
// named by the repository's own .cargo/config.toml (cargo).
type singleWriterCase struct {
	preset     string
	agentImage string
	secretKey  string                        // registrySecret key (the preset's default file name); "" for none
	secret     func(mavenRepo string) string // that file, naming the repository
	summary    map[string]string             // summary fields both Tasks print besides mode/published
	agent      string                        // the agent stand-in's offline build line
}

var singleWriterCases = []singleWriterCase{
	{
		// Debian's Maven 3.8.7 + OpenJDK 17; maven.git builds from
		// commons-cli/commons-io of Debian's Maven repository.
		preset: "maven", agentImage: images.AgentMaven, secretKey: "settings.xml",
		secret: func(repo string) string {
			return fmt.Sprintf(`<settings>
  <mirrors>
    <mirror><id>e2e</id><mirrorOf>*</mirrorOf><url>%s/</url></mirror>
  </mirrors>
</settings>
`, repo)
		},
		summary: map[string]string{"build": "ok"},
		agent:   "mvn -o test-compile passed offline",
	},
	{
		// Debian's Gradle 4.4.1 (older than GRADLE_RO_DEP_CACHE, 6.2):
		// a readOnly Task seeds a per-pod copy of the shared modules-2.
		// gradle.git's build.gradle declares the repository as
		// project.property('fixtureRepo').
		preset: "gradle", agentImage: images.AgentGradle, secretKey: "gradle.properties",
		secret:  func(repo string) string { return "fixtureRepo=" + repo + "/\n" },
		summary: map[string]string{"gradle": "4.4.1"},
		agent:   "gradle --offline compileTestJava passed offline",
	},
	{
		// Debian's cargo 0.66 + rustc 1.63; cargo.git's
		// .cargo/config.toml replaces crates.io with a git index of
		// Debian's crate sources (cargo.go). Its six crates, on both
		// Tasks: fetched cold into the per-pod CARGO_HOME, then seeded
		// from the warmer's generation and fetched --offline.
		preset: "cargo", agentImage: images.AgentRust,
		summary: map[string]string{"crates": "6"},
		agent:   "cargo build --frozen passed offline",
	},
}

// TestSingleWriterTasksNeverWriteCache: maven, gradle and cargo are
// single-writer presets (Maven 3.8's local repository and Gradle's
// modules-2 have no cross-process lock a shared volume honours; cargo skips
// its locks on NFS), so a Task pod's cache is readOnly and only the warmer
// writes it. On the node, with each preset's Debian toolchain in the
// images and Debian's Maven repository or crate sources served in-cluster:
//   - Task 1 on an empty cache runs cold (resolving into a per-pod
//     repository, GRADLE_USER_HOME or CARGO_HOME) and leaves the cache
//     volume byte-identical (empty);
//   - a Job from the warmer CronJob fills it;
//   - Task 2 starts warm from it and leaves it byte-identical;
//
// both setups say mode=readOnly published=readOnly, the agent's cache
// mount is read-only, and the agent stand-in builds offline
// (`mvn -o test-compile`, `gradle --offline compileTestJava`,
// `cargo build --frozen`).
func TestSingleWriterTasksNeverWriteCache(t *testing.T) {
	for _, c := range singleWriterCases {
		t.Run(c.preset, func(t *testing.T) { singleWriterTasks(t, c) })
	}
}

func singleWriterTasks(t *testing.T, c singleWriterCase) {
	srv := startServers(t)
	ns := "e2e-" + c.preset
	container := "prewarm-" + c.preset
	secretName := c.preset + "-registry"
	opts := wsOptions{preset: c.preset, cacheUID: images.AgentUID, cacheMode: 0o755}
	if c.secretKey != "" {
		opts.values = fmt.Sprintf("presets:\n  %s:\n    registrySecret: {name: %s, key: %s}\n", c.preset, secretName, c.secretKey)
	}
	w := installWorkspace(t, ns, "app", srv, opts)
	if c.secretKey != "" {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName}, StringData: map[string]string{c.secretKey: c.secret(srv.MavenRepo)}}
		if _, err := kube(t).CoreV1().Secrets(ns).Create(t.Context(), sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	task := func(name, want string) {
		t.Helper()
		before := fingerprint(t, w.cacheDir)
		run := w.runTask(t, name, c.agentImage, nil)
		if run.pod.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("%s: pod %s: %s\nsetup:\n%s\nagent:\n%s", name, run.pod.Name, podSummary(run.pod),
				tailLines(logs(t, ns, run.pod.Name, container), 40), tailLines(logs(t, ns, run.pod.Name, "agent"), 40))
		}
		line := summaryLine(t, ns, run.pod, container)
		checkTerminationMessage(t, run.pod, container, line)
		wantFields := map[string]string{"mode": "readOnly", "published": "readOnly"}
		for k, v := range c.summary {
			wantFields[k] = v
		}
		for k, v := range wantFields {
			if got := field(line, k); got != v {
				t.Errorf("%s: summary %s=%q, want %q: %s", name, k, got, v, line)
			}
		}
		if r := field(line, "result"); !matches(r, want) {
			t.Errorf("%s: result %q, want %s: %s", name, r, want, line)
		}
		agent := logs(t, ns, run.pod.Name, "agent")
		for _, s := range []string{"agent-check: cache /cache/" + c.preset + " ro write=denied", "agent-check: ok", c.agent} {
			if !strings.Contains(agent, s) {
				t.Errorf("%s: agent output lacks %q:\n%s", name, s, agent)
			}
		}
		after := fingerprint(t, w.cacheDir)
		if diff := tree.Diff(before, after, len(before)+len(after)); diff != "" {
			t.Errorf("%s: a readOnly %s Task changed the cache volume:\n%s", name, c.preset, diff)
		}
		t.Logf("%s: %s | cache: %d entries before, %d after", name, line, len(before), len(after))
		addReadyRow(readyRow{c.preset + " (readOnly Task)", name, field(line, "result"), timeToReady(t, run.pod, "agent"), field(line, "seconds")})
	}

	task("task-1", "cold")
	if entries, _ := os.ReadDir(w.cacheDir); len(entries) != 0 {
		t.Fatalf("the cache has %d entries after a cold Task: only the warmer may write it", len(entries))
	}
	pod := w.runCronJob(t, "app-prewarm-workspace-warmer")
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("warmer failed: %s\n%s", podSummary(pod), logs(t, ns, pod.Name, container))
	}
	filled := fingerprint(t, w.cacheDir)
	if len(filled) == 0 {
		t.Fatalf("the warmer left the %s cache empty", c.preset)
	}
	t.Logf("warmer: %s (%d entries on the cache)", strings.TrimSpace(summaryLine(t, ns, pod, container)), len(filled))
	task("task-2", "warm")
}

// fingerprint lists every path under dir with its type, mode, owner, size,
// mtime and (files) sha256: equal lists mean a byte-identical tree.
func fingerprint(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		line := fmt.Sprintf("%s %v %d:%d %d %d", rel, fi.Mode(), st.Uid, st.Gid, fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			line += " " + hex.EncodeToString(h.Sum(nil))
		} else if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
