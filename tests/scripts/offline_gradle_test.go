package scripts

// The gradle preset script. For real: Debian's Gradle 4.4.1 (the only Gradle
// installable here; it runs on Java 17 with Debian's patches) resolving from
// Debian's /usr/share/maven-repo served on 127.0.0.1. Gradle 4.4 predates
// GRADLE_RO_DEP_CACHE (6.2) and --write-verification-metadata, so that real
// run covers the copy-seeding and init-script branch; the Gradle 6.2+ branch
// (read-only cache, dry-run verification metadata) runs with a fake gradle
// that reports 8.10.2 (TestOfflineGradleWithFakeGradle...).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type offlineGradlePod struct{ home, gradleHome string }

func newOfflineGradlePod(t *testing.T) offlineGradlePod {
	d := t.TempDir()
	return offlineGradlePod{home: filepath.Join(d, "home"), gradleHome: filepath.Join(d, "gradle")}
}

func (p offlineGradlePod) env(repo, cache, mode string) []string {
	return []string{
		"PREWARM_REPO=" + repo, "PREWARM_CACHE=" + cache, "PREWARM_HOME=" + p.home,
		"PREWARM_CACHE_MODE=" + mode, "PREWARM_WORKDIRS=hello",
		"GRADLE_USER_HOME=" + p.gradleHome,
	}
}

func TestOfflineGradleColdThenWarmFromSharedCacheWithRemoteStopped(t *testing.T) {
	fx := offlineFixtures(t)
	offlineEachShell(t, func(t *testing.T, sh offlineShell, dir string) {
		srv := offlineServe(t, offlineMavenRepoHandler(fx["MAVEN_REPO"]))
		repo := offlineHello(t, dir, "gradle")
		cache := filepath.Join(t.TempDir(), "cache", "gradle")
		args := []string{"-PfixtureRepo=" + srv.URL + "/"}

		// 1. The trusted writer, cold: downloads, publishes modules-2.
		writer := newOfflineGradlePod(t)
		r := offlineRunScript(t, sh, "gradle", repo, writer.env(repo, cache, "readWrite"), args...)
		s := offlineOK(t, sh.name+" writer cold", r, 1)[0]
		offlineWant(t, "writer cold", r, s, "workdir", "hello", "result", "cold", "mode", "readWrite", "gradle", "4.4.1", "published", "yes")
		if s["fetched"] == "0" || srv.Requests() == 0 {
			t.Fatalf("the cold run fetched nothing (requests %d)\n%s", srv.Requests(), r)
		}
		gen := offlineLinkGeneration(t, filepath.Join(cache, "ro", "modules-2"))
		for _, jar := range []string{"commons-cli-1.5.0.jar", "commons-io-2.11.0.jar"} {
			if len(offlineFind(t, filepath.Join(gen, "files-2.1"), jar)) != 1 {
				t.Errorf("shared cache lacks %s (the init script must resolve artifacts, not only metadata)", jar)
			}
		}
		for _, bad := range []string{"*.lock", "gc.properties"} {
			if left := offlineFind(t, gen, bad); len(left) > 0 {
				t.Errorf("read-only cache holds %s: %v", bad, left)
			}
		}
		offlineNoTemps(t, cache)

		// 2. The remote is gone: a reader (Gradle 4.4: a per-pod copy)
		// resolves everything from the shared cache, writing nothing.
		srv.Stop()
		state := offlineTreeState(t, filepath.Dir(cache))
		reader := newOfflineGradlePod(t)
		r = offlineRunScript(t, sh, "gradle", repo, reader.env(repo, cache, "readOnly"), args...)
		rs := offlineOK(t, sh.name+" reader warm", r, 1)[0]
		offlineWant(t, "reader warm", r, rs, "result", "warm", "mode", "readOnly", "fetched", "0", "published", "readOnly")
		if rs["key"] != s["key"] {
			t.Errorf("key changed between writer and reader: %s vs %s", s["key"], rs["key"])
		}
		if d := offlineDiff(state, offlineTreeState(t, filepath.Dir(cache))); d != "" {
			t.Fatalf("a readOnly run changed the shared cache:\n%s", d)
		}

		// 3. The agent compiles offline with the pod's home.
		agent := offlineEnv(offlineShell{}, "HOME="+reader.home, "GRADLE_USER_HOME="+reader.gradleHome)
		b := offlineExec(t, filepath.Join(repo, "hello"), agent, 3*time.Minute, fx["GRADLE"], "--no-daemon", "--offline", args[0], "compileTestJava")
		if b.exitCode != 0 {
			t.Fatalf("agent: gradle --offline compileTestJava failed\n%s", b)
		}
		if _, err := os.Stat(filepath.Join(repo, "hello", "build", "classes", "java", "test", "dev", "prewarm", "fixture", "HelloTest.class")); err != nil {
			t.Fatalf("agent build produced no test classes: %v\n%s", err, b)
		}

		// 4. The writer again, remote still gone: warm, nothing new, no
		// new generation.
		r = offlineRunScript(t, sh, "gradle", repo, newOfflineGradlePod(t).env(repo, cache, "readWrite"), args...)
		offlineWant(t, "writer warm", r, offlineOK(t, sh.name+" writer warm", r, 1)[0], "result", "warm", "fetched", "0", "published", "unchanged")
		if again := offlineLinkGeneration(t, filepath.Join(cache, "ro", "modules-2")); again != gen {
			t.Errorf("an unchanged cache was republished: %s -> %s", gen, again)
		}
	})
}

// offlineFakeGradle writes a gradle (or, with name "gradlew", a wrapper)
// that reports version and appends "ARGS: ..." and "RO: $GRADLE_RO_DEP_CACHE"
// to log, adds one artifact plus a lock file and gc.properties to
// GRADLE_USER_HOME's modules-2, and writes the dry-run verification
// metadata file when asked to.
func offlineFakeGradle(t *testing.T, dir, name, version, log string) {
	t.Helper()
	script := `#!/bin/sh
for a in "$@"; do
  if [ "$a" = --version ]; then
    printf '\n------------------------------------------------------------\nGradle %s\n------------------------------------------------------------\n' "` + version + `"
    exit 0
  fi
done
{
  printf 'TOOL: %s\n' "$0"
  printf 'ARGS:'
  printf ' [%s]' "$@"
  printf '\nRO: %s\n' "${GRADLE_RO_DEP_CACHE-unset}"
} >>"` + log + `"
m=$GRADLE_USER_HOME/caches/modules-2
mkdir -p "$m/files-2.1/org.example/lib/1.0/abc" "$m/metadata-2.107"
: >"$m/files-2.1/org.example/lib/1.0/abc/lib-1.0.jar"
: >"$m/modules-2.lock"
: >"$m/gc.properties"
: >"$m/metadata-2.107/descriptors.bin"
for a in "$@"; do
  if [ "$a" = --dry-run ]; then
    mkdir -p gradle && : >gradle/verification-metadata.dryrun.xml
  fi
done
`
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o755)
	if name == "gradlew" {
		mode = 0o644 // as after a checkout without the x bit: run with sh
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), mode); err != nil {
		t.Fatal(err)
	}
}

func TestOfflineGradleWithFakeGradle8UsesReadOnlyCacheAndDryRunVerificationMetadata(t *testing.T) {
	offlineEachShell(t, func(t *testing.T, sh offlineShell, dir string) {
		repo := offlineHello(t, dir, "gradle")
		cache := filepath.Join(dir, "cache")
		log := filepath.Join(dir, "gradle.log")
		bin := filepath.Join(dir, "bin")
		offlineFakeGradle(t, bin, "gradle", "8.10.2", log)
		run := func(env []string, args ...string) offlineRun {
			t.Helper()
			return offlineRunFake(t, sh, "gradle", repo, bin, env, args...)
		}
		calls := func() []string {
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		}
		ro := filepath.Join(cache, "ro")

		// Writer: no GRADLE_RO_DEP_CACHE for its own run, dry-run
		// verification metadata, publish without locks.
		w := newOfflineGradlePod(t)
		r := run(w.env(repo, cache, "readWrite"), "--offline", "-Pa=b c")
		offlineWant(t, "fake writer", r, offlineOK(t, sh.name+" fake writer", r, 1)[0], "result", "cold", "gradle", "8.10.2", "fetched", "1", "published", "yes")
		c := calls()
		if c[1] != "ARGS: [--no-daemon] [--write-verification-metadata] [sha256] [help] [--dry-run] [--offline] [-Pa=b c]" || c[2] != "RO: unset" {
			t.Fatalf("writer call:\n%s", strings.Join(c, "\n"))
		}
		gen := offlineLinkGeneration(t, filepath.Join(ro, "modules-2"))
		if got := offlineFind(t, gen, "*"); strings.Join(got, ",") != ".,files-2.1,files-2.1/org.example,files-2.1/org.example/lib,files-2.1/org.example/lib/1.0,files-2.1/org.example/lib/1.0/abc,files-2.1/org.example/lib/1.0/abc/lib-1.0.jar,metadata-2.107,metadata-2.107/descriptors.bin" {
			t.Errorf("published modules-2 = %v (no *.lock, no gc.properties)", got)
		}
		if _, err := os.Stat(filepath.Join(repo, "hello", "gradle")); !os.IsNotExist(err) {
			t.Errorf("the dry-run file (and the gradle/ dir it created) must be removed: %v", err)
		}

		// Reader: Gradle 6.2+ reads the shared cache in place, nothing
		// is copied; the shared tree is untouched.
		state := offlineTreeState(t, cache)
		rd := newOfflineGradlePod(t)
		props := filepath.Join(dir, "secret", "gradle.properties")
		if err := os.MkdirAll(filepath.Dir(props), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(props, []byte("repoUser=u\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r = run(append(rd.env(repo, cache, "readOnly"), "PREWARM_GRADLE_PROPERTIES="+props))
		offlineWant(t, "fake reader", r, offlineOK(t, sh.name+" fake reader", r, 1)[0], "result", "warm", "mode", "readOnly", "published", "readOnly")
		c = calls()
		if c[5] != "RO: "+ro {
			t.Errorf("reader must run with GRADLE_RO_DEP_CACHE=%s, got %q", ro, c[5])
		}
		if target, err := os.Readlink(filepath.Join(rd.gradleHome, "gradle.properties")); err != nil || target != props {
			t.Errorf("GRADLE_USER_HOME/gradle.properties should link to the Secret file: %q %v", target, err)
		}
		if r := run(append(newOfflineGradlePod(t).env(repo, cache, "readOnly"), "PREWARM_GRADLE_PROPERTIES="+props+".missing")); r.exitCode == 0 || len(offlineLines(r.stderr, "is not a readable file")) != 1 {
			t.Errorf("a missing Secret file must fail the step clearly\n%s", r)
		}
		if len(offlineLines(r.stderr, "copied")) != 0 {
			t.Errorf("a Gradle 8 reader must not copy the shared cache\n%s", r)
		}
		if d := offlineDiff(state, offlineTreeState(t, cache)); d != "" {
			t.Fatalf("a readOnly run changed the shared cache:\n%s", d)
		}

		// PREWARM_GRADLE_TASKS, and ./gradlew (not executable) before
		// gradle on PATH; an existing dry-run file is kept.
		offlineFakeGradle(t, filepath.Join(repo, "hello"), "gradlew", "8.10.2", log)
		keep := filepath.Join(repo, "hello", "gradle", "verification-metadata.dryrun.xml")
		if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = run(append(newOfflineGradlePod(t).env(repo, cache, "readOnly"), "PREWARM_GRADLE_TASKS=compileJava  --dry-run"))
		offlineOK(t, sh.name+" tasks", r, 1)
		c = calls()
		if c[6] != "TOOL: ./gradlew" || c[7] != "ARGS: [--no-daemon] [compileJava] [--dry-run]" {
			t.Errorf("tasks call:\n%s", strings.Join(c[6:], "\n"))
		}
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("a dry-run file that was there before must stay: %v", err)
		}

		// A broken shared cache (modules-2 is a file): warning, fallback.
		broken := filepath.Join(dir, "broken")
		if err := os.MkdirAll(filepath.Join(broken, "ro"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(broken, "ro", "modules-2"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = run(newOfflineGradlePod(t).env(repo, broken, "readOnly"))
		offlineWant(t, "fake broken", r, offlineOK(t, sh.name+" fake broken", r, 1)[0], "result", "fallback")
	})
}

func TestOfflineGradleScriptLint(t *testing.T) {
	offlineLint(t, "gradle")
}
