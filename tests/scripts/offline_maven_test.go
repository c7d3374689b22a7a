package scripts

// The maven preset script against the real Maven of this machine (Debian's
// 3.8.7) and Debian's /usr/share/maven-repo served from 127.0.0.1 as the
// only remote repository (a mirror of * in settings.xml, handed to the
// script the way a registry Secret is: PREWARM_MAVEN_SETTINGS). The Maven
// 3.9+ branch (maven.repo.local.tail, file locks) is checked with a fake
// mvn that reports 3.9.9, because no Maven 3.9 is installable here.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/offline"
)

// offlineMavenProject copies testdata/maven/hello into repo/hello and
// writes settings.xml mirroring everything to url. It fails when Debian's
// plugin versions differ from the ones the pom pins.
func offlineMavenProject(t *testing.T, fx offlineFixtureEnv, url string) (repo, settings string) {
	t.Helper()
	pom, err := os.ReadFile(filepath.Join("testdata", "maven", "hello", "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{fx["MAVEN_COMPILER_PLUGIN_VERSION"], fx["MAVEN_RESOURCES_PLUGIN_VERSION"]} {
		if !strings.Contains(string(pom), "<version>"+v+"</version>") {
			t.Fatalf("testdata/maven/hello/pom.xml must pin the plugin versions Debian ships (compiler %s, resources %s)", fx["MAVEN_COMPILER_PLUGIN_VERSION"], fx["MAVEN_RESOURCES_PLUGIN_VERSION"])
		}
	}
	dir := t.TempDir()
	repo = offlineHello(t, dir, "maven")
	settings = filepath.Join(dir, "secret", "settings.xml")
	if err := os.MkdirAll(filepath.Dir(settings), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settings, []byte(offline.MavenSettings(url)), 0o644); err != nil {
		t.Fatal(err)
	}
	return repo, settings
}

type offlineMavenPod struct{ home string }

func newOfflineMavenPod(t *testing.T) offlineMavenPod {
	return offlineMavenPod{home: filepath.Join(t.TempDir(), "home")}
}

func (p offlineMavenPod) env(repo, cache, mode, settings string) []string {
	return []string{
		"PREWARM_REPO=" + repo, "PREWARM_CACHE=" + cache, "PREWARM_HOME=" + p.home,
		"PREWARM_CACHE_MODE=" + mode, "PREWARM_WORKDIRS=hello",
		"PREWARM_MAVEN_SETTINGS=" + settings,
	}
}

func TestOfflineMavenColdThenWarmFromSharedRepositoryWithRemoteStopped(t *testing.T) {
	fx := offlineFixtures(t)
	offlineEachShell(t, func(t *testing.T, sh offlineShell, _ string) {
		srv := offlineServe(t, offlineMavenRepoHandler(fx["MAVEN_REPO"]))
		repo, settings := offlineMavenProject(t, fx, srv.URL)
		cache := filepath.Join(t.TempDir(), "cache", "maven")
		args := []string{"-DprewarmMarker=two words"}

		// 1. The trusted writer, cold: resolves from the remote, then
		// publishes its repository as the shared one.
		writer := newOfflineMavenPod(t)
		r := offlineRunScript(t, sh, "maven", repo, writer.env(repo, cache, "readWrite", settings), args...)
		s := offlineOK(t, sh.name+" writer cold", r, 1)[0]
		offlineWant(t, "writer cold", r, s, "workdir", "hello", "result", "cold", "mode", "readWrite", "maven", "3.8.7", "build", "ok", "published", "yes")
		if s["fetched"] == "0" || srv.Requests() == 0 {
			t.Fatalf("the cold run fetched nothing (requests %d)\n%s", srv.Requests(), r)
		}
		if bad := offlineLines(r.stderr, "Could not validate integrity"); len(bad) > 0 {
			t.Errorf("downloads without a valid checksum: %v", bad[:min(len(bad), 3)])
		}
		marker, err := os.ReadFile(filepath.Join(repo, "hello", "target", "classes", "marker.properties"))
		if err != nil || strings.TrimSpace(string(marker)) != "marker=two words" {
			t.Fatalf("extra args did not reach mvn unchanged: marker.properties = %q (%v)", marker, err)
		}
		gen := offlineLinkGeneration(t, filepath.Join(cache, "repository"))
		if jars := offlineFind(t, filepath.Join(gen, "commons-cli"), "commons-cli-1.5.0.jar"); len(jars) != 1 {
			t.Fatalf("shared repository lacks commons-cli-1.5.0.jar: %v", jars)
		}
		for _, bad := range []string{"*.lastUpdated", "*.part", "*.lock"} {
			if left := offlineFind(t, gen, bad); len(left) > 0 {
				t.Errorf("published repository holds %s: %v", bad, left)
			}
		}
		offlineNoTemps(t, cache)

		// 2. The remote is gone: a reader resolves from the shared
		// repository alone (Maven 3.8: a per-pod copy), writing
		// nothing to it.
		srv.Stop()
		if err := os.RemoveAll(filepath.Join(repo, "hello", "target")); err != nil {
			t.Fatal(err)
		}
		state := offlineTreeState(t, filepath.Dir(cache))
		reader := newOfflineMavenPod(t)
		r = offlineRunScript(t, sh, "maven", repo, reader.env(repo, cache, "readOnly", settings), args...)
		rs := offlineOK(t, sh.name+" reader warm", r, 1)[0]
		offlineWant(t, "reader warm", r, rs, "result", "warm", "mode", "readOnly", "fetched", "0", "build", "ok", "published", "readOnly")
		if rs["key"] != s["key"] {
			t.Errorf("key changed between writer and reader: %s vs %s", s["key"], rs["key"])
		}
		if len(offlineLines(r.stderr, "copied the shared repository")) != 1 {
			t.Errorf("Maven 3.8 reader: want one log line about copying the shared repository\n%s", r)
		}
		if d := offlineDiff(state, offlineTreeState(t, filepath.Dir(cache))); d != "" {
			t.Fatalf("a readOnly run changed the shared cache:\n%s", d)
		}

		// 3. The agent: mvn -o with only -Duser.home (the local
		// repository is Maven's default under it) compiles and runs.
		agent := offlineEnv(offlineShell{}, "HOME="+reader.home)
		b := offlineExec(t, filepath.Join(repo, "hello"), agent, 3*time.Minute, fx["MVN"], "-o", "-B", "-ntp", "-Duser.home="+reader.home, "-s", settings, "test-compile")
		if b.exitCode != 0 {
			t.Fatalf("agent: mvn -o test-compile failed\n%s", b)
		}
		cp := strings.Join([]string{
			filepath.Join(repo, "hello", "target", "classes"),
			filepath.Join(repo, "hello", "target", "test-classes"),
			filepath.Join(reader.home, ".m2", "repository", "commons-cli", "commons-cli", "1.5.0", "commons-cli-1.5.0.jar"),
			filepath.Join(reader.home, ".m2", "repository", "commons-io", "commons-io", "2.11.0", "commons-io-2.11.0.jar"),
		}, ":")
		if j := offlineExec(t, repo, agent, time.Minute, "java", "-cp", cp, "dev.prewarm.fixture.HelloTest"); j.exitCode != 0 {
			t.Fatalf("compiled fixture does not run\n%s", j)
		}

		// 4. A workdir that does not compile: the step still succeeds
		// (the agent may be there to fix it), build=failed.
		broken := filepath.Join(repo, "hello", "src", "main", "java", "dev", "prewarm", "fixture", "Broken.java")
		if err := os.WriteFile(broken, []byte("package dev.prewarm.fixture;\nclass Broken { int x = ; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = offlineRunScript(t, sh, "maven", repo, newOfflineMavenPod(t).env(repo, cache, "readOnly", settings))
		offlineWant(t, "broken build", r, offlineOK(t, sh.name+" broken build", r, 1)[0], "result", "warm", "build", "failed")
		if len(offlineLines(r.stderr, "does not compile")) != 1 {
			t.Errorf("want a warning about the compile failure\n%s", r)
		}
		if err := os.Remove(broken); err != nil {
			t.Fatal(err)
		}

		// 5. Any other mvn failure fails the step: a goal that does not
		// exist offline.
		r = offlineRunScript(t, sh, "maven", repo, append(newOfflineMavenPod(t).env(repo, cache, "readOnly", settings), "PREWARM_MAVEN_GOALS=no-such-phase"))
		if r.exitCode == 0 || len(offlineLines(r.stderr, "prewarm: error: mvn failed")) != 1 {
			t.Fatalf("an unknown phase must fail the step with a clear error\n%s", r)
		}
	})
}

// offlineFakeMaven writes an mvn that reports version and appends its
// arguments (one per line, then "--") to log; it creates one jar in the
// repository that -Dmaven.repo.local names.
func offlineFakeMaven(t *testing.T, version, log string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
if [ "$1" = -B ] && [ "$2" = -v ]; then
  printf 'Apache Maven %s (fake)\nMaven home: /fake\nJava version: 21.0.2, vendor: Fake\n' "` + version + `"
  exit 0
fi
repo=
for a in "$@"; do
  printf '%s\n' "$a" >>"` + log + `"
  case $a in -Dmaven.repo.local=*) repo=${a#-Dmaven.repo.local=} ;; esac
done
printf -- '--\n' >>"` + log + `"
mkdir -p "$repo/org/example/lib/1.0" && : >"$repo/org/example/lib/1.0/lib-1.0.jar"
`
	if err := os.WriteFile(filepath.Join(bin, "mvn"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func offlineFakeArgs(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var runs [][]string
	var cur []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l == "--" {
			runs = append(runs, cur)
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	return runs
}

func TestOfflineMavenWithFakeMaven39UsesTailForReadersAndFileLocksForTheWriter(t *testing.T) {
	offlineEachShell(t, func(t *testing.T, sh offlineShell, dir string) {
		repo := offlineHello(t, dir, "maven")
		cache := filepath.Join(dir, "cache")
		log := filepath.Join(dir, "mvn.log")
		bin := offlineFakeMaven(t, "3.9.9", log)
		shared := filepath.Join(cache, "repository")
		pod := func(mode string, extra ...string) []string {
			home := filepath.Join(t.TempDir(), "home")
			env := []string{"PREWARM_REPO=" + repo, "PREWARM_CACHE=" + cache, "PREWARM_HOME=" + home,
				"PREWARM_CACHE_MODE=" + mode, "PREWARM_WORKDIRS=hello", "PREWARM_MAVEN_GOALS=-Dx=1 verify"}
			return append(env, extra...)
		}
		run := func(env []string, args ...string) offlineRun {
			t.Helper()
			return offlineRunFake(t, sh, "maven", repo, bin, env, args...)
		}

		// Writer: the shared repository directly, with file locks.
		r := run(pod("readWrite"), "-Pci", "a b")
		offlineWant(t, "fake writer", r, offlineOK(t, sh.name+" fake writer", r, 1)[0], "result", "cold", "maven", "3.9.9", "fetched", "1", "published", "yes")
		w := offlineFakeArgs(t, log)[0]
		for _, want := range []string{"-B", "-ntp", "-Dmaven.repo.local=" + shared, "-Daether.syncContext.named.factory=file-lock", "-Daether.syncContext.named.nameMapper=file-gav", "-Dx=1", "verify", "-Pci", "a b"} {
			if !slices.Contains(w, want) {
				t.Errorf("writer args %q lack %q", w, want)
			}
		}
		if w[len(w)-2] != "-Pci" || w[len(w)-1] != "a b" {
			t.Errorf("extra args must come last and unchanged: %q", w)
		}
		if fi, err := os.Lstat(shared); err != nil || !fi.IsDir() {
			t.Fatalf("Maven 3.9 writer writes the shared repository in place: %v", err)
		}

		// Reader: per-pod head, shared tail; the shared tree untouched.
		state := offlineTreeState(t, cache)
		home := filepath.Join(t.TempDir(), "home")
		env := pod("readOnly")
		env = append(env, "PREWARM_HOME="+home)
		r = run(env)
		offlineWant(t, "fake reader", r, offlineOK(t, sh.name+" fake reader", r, 1)[0], "result", "warm", "mode", "readOnly", "fetched", "1", "published", "readOnly")
		rd := offlineFakeArgs(t, log)[1]
		for _, want := range []string{"-Dmaven.repo.local=" + filepath.Join(home, ".m2", "repository"), "-Dmaven.repo.local.tail=" + shared, "-Duser.home=" + home} {
			if !slices.Contains(rd, want) {
				t.Errorf("reader args %q lack %q", rd, want)
			}
		}
		for _, a := range rd {
			if strings.Contains(a, "file-lock") {
				t.Errorf("a reader needs no file locks: %q", rd)
			}
		}
		if d := offlineDiff(state, offlineTreeState(t, cache)); d != "" {
			t.Fatalf("a readOnly run changed the shared cache:\n%s", d)
		}

		// Reader on an empty cache: no tail, result=cold.
		r = run(pod("readOnly", "PREWARM_CACHE="+filepath.Join(dir, "empty")))
		offlineWant(t, "fake reader cold", r, offlineOK(t, sh.name+" fake reader cold", r, 1)[0], "result", "cold")
		for _, a := range offlineFakeArgs(t, log)[2] {
			if strings.HasPrefix(a, "-Dmaven.repo.local.tail=") {
				t.Errorf("no tail for an absent shared repository: %q", a)
			}
		}
	})
}

func TestOfflineMavenScriptLint(t *testing.T) {
	offlineLint(t, "maven")
}
