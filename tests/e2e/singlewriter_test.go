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
)

// TestSingleWriterMavenTasksNeverWriteCache: maven is a single-writer
// preset (Maven 3.8's local repository has no cross-process lock), so a
// Task pod's cache is readOnly and only the warmer writes it. On the node,
// with Debian's Maven 3.8.7 + OpenJDK 17 in the images and Debian's Maven
// repository served in-cluster:
//   - Task 1 on an empty cache runs cold (resolving into a per-pod
//     repository) and leaves the cache volume byte-identical (empty);
//   - a Job from the warmer CronJob fills it;
//   - Task 2 starts warm from it and leaves it byte-identical;
//
// both setups say mode=readOnly published=readOnly, the agent's cache
// mount is read-only, and the agent stand-in's `mvn -o test-compile`
// passes offline.
func TestSingleWriterMavenTasksNeverWriteCache(t *testing.T) {
	srv := startServers(t)
	const ns = "e2e-maven"
	w := installWorkspace(t, ns, "app", srv, wsOptions{preset: "maven", cacheUID: images.AgentUID, cacheMode: 0o755,
		values: "presets:\n  maven:\n    registrySecret: {name: maven-settings, key: settings.xml}\n"})
	settings := fmt.Sprintf(`<settings>
  <mirrors>
    <mirror><id>e2e</id><mirrorOf>*</mirrorOf><url>%s/</url></mirror>
  </mirrors>
</settings>
`, srv.MavenRepo)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "maven-settings"}, StringData: map[string]string{"settings.xml": settings}}
	if _, err := kube(t).CoreV1().Secrets(ns).Create(t.Context(), sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	task := func(name, want string) {
		t.Helper()
		before := fingerprint(t, w.cacheDir)
		run := w.runTask(t, name, images.AgentMaven, nil)
		if run.pod.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("%s: pod %s: %s\nagent:\n%s", name, run.pod.Name, podSummary(run.pod), tailLines(logs(t, ns, run.pod.Name, "agent"), 40))
		}
		line := summaryLine(t, ns, run.pod, "prewarm-maven")
		checkTerminationMessage(t, run.pod, "prewarm-maven", line)
		for k, v := range map[string]string{"mode": "readOnly", "published": "readOnly", "build": "ok"} {
			if got := field(line, k); got != v {
				t.Errorf("%s: summary %s=%q, want %q: %s", name, k, got, v, line)
			}
		}
		if r := field(line, "result"); !matches(r, want) {
			t.Errorf("%s: result %q, want %s: %s", name, r, want, line)
		}
		agent := logs(t, ns, run.pod.Name, "agent")
		for _, s := range []string{"agent-check: cache /cache/maven ro write=denied", "agent-check: ok", "mvn -o test-compile passed offline"} {
			if !strings.Contains(agent, s) {
				t.Errorf("%s: agent output lacks %q:\n%s", name, s, agent)
			}
		}
		after := fingerprint(t, w.cacheDir)
		if diff := diffLines(before, after); diff != "" {
			t.Errorf("%s: a readOnly maven Task changed the cache volume:\n%s", name, diff)
		}
		t.Logf("%s: %s | cache unchanged (%d entries)", name, line, len(after))
		addReadyRow(readyRow{"maven (readOnly Task)", name, field(line, "result"), timeToReady(t, run.pod, "agent"), field(line, "seconds")})
	}

	task("task-1", "cold")
	if entries, _ := os.ReadDir(w.cacheDir); len(entries) != 0 {
		t.Fatalf("the cache has %d entries after a cold Task: only the warmer may write it", len(entries))
	}
	pod := w.runCronJob(t, "app-prewarm-workspace-warmer")
	if pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("warmer failed: %s\n%s", podSummary(pod), logs(t, ns, pod.Name, "prewarm-maven"))
	}
	filled := fingerprint(t, w.cacheDir)
	if len(filled) == 0 {
		t.Fatal("the warmer left the maven cache empty")
	}
	t.Logf("warmer: %s (%d entries on the cache)", strings.TrimSpace(summaryLine(t, ns, pod, "prewarm-maven")), len(filled))
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

// diffLines names the lines only in a or only in b (order kept), "" when
// the two are equal.
func diffLines(a, b []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var d []string
	for _, x := range a {
		if !mb[x] {
			d = append(d, "- "+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			d = append(d, "+ "+x)
		}
	}
	return strings.Join(d, "\n")
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
