package scripts

// prewarm.script.gomod against the real Go module proxy with the
// tests/testdata/fixtures/go-medium module (cobra, client-go, yaml), plus a
// second, dependency-free workdir to prove the per-workdir protocol.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// ecoGoRepo builds base/<name>: the fixture at the root and a tiny module
// in tools/ (its own workdir).
func ecoGoRepo(t *testing.T, base, name string) string {
	t.Helper()
	fixture, err := fixtures.Path(fixtures.GoMedium)
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(base, name)
	ecoCopyTree(t, fixture, repo)
	ecoWriteFiles(t, repo, map[string]string{
		"tools/go.mod":  "module example.com/tools\n\ngo 1.22\n",
		"tools/main.go": "package main\n\nfunc main() {}\n",
		// PREWARM_PREBUILD=test compiles this but must not run it.
		"tools/main_test.go": "package main\n\nimport \"testing\"\n\nfunc TestMustNotRun(t *testing.T) { t.Fatal(\"prebuild ran a test\") }\n",
		"broken/go.mod":      "module example.com/broken\n\ngo 1.22\n",
		"broken/main.go":     "package main\n\nfunc main() { undefined() }\n",
	})
	return repo
}

func ecoGoRun(t *testing.T, sh ecoShell, base, repo, cache, home string, extra []string, args ...string) ecoRun {
	t.Helper()
	env := append([]string{
		"PREWARM_REPO=" + repo,
		"PREWARM_HOME=" + home,
		"PREWARM_CACHE=" + cache,
		"PREWARM_WORKDIRS=.\ntools",
	}, extra...)
	return ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, env, 8*time.Minute, args...)
}

// TestGomodColdThenWarmThenAgentBuildsWithProxyOff: run 1 downloads modules
// and compiles (result=cold), run 2 on a fresh clone under the other shell
// finds the store (result=warm; prebuild=test compiles tests without running
// them, a broken workdir only warns), and the agent's `go build ./...` with the
// cache env and GOPROXY=off succeeds. Then read-only consumers (both shells)
// get their modules from the volume through the file GOPROXY, with the
// network proxy off, and write nothing to the cache; a consumer that cannot
// write the cache (running as nobody) falls back to a per-pod cache seeded
// the same way; and extra args reach `go mod download` literally.
func TestGomodColdThenWarmThenAgentBuildsWithProxyOff(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	dash, bb := ecoShellNamed(t, "dash"), ecoShellNamed(t, "busybox")
	base := ecoTempDir(t)
	cache := filepath.Join(base, "cache")

	repo := ecoGoRepo(t, base, "repo-cold")
	r := ecoGoRun(t, dash, base, repo, cache, filepath.Join(base, "home-cold"), nil)
	if r.exitCode != 0 {
		t.Fatalf("cold run failed\n%s", r)
	}
	lines := ecoSummaries(t, r, 2)
	ecoWantResult(t, dash, r, lines[0], "cold")
	if lines[0]["workdir"] != "." || lines[1]["workdir"] != "tools" || lines[0]["prebuild"] != "build" {
		t.Errorf("want workdirs . and tools with prebuild=build, got %v", lines)
	}
	t.Logf("dash: go cold (download + build) %ss", lines[0]["seconds"])
	for _, d := range []string{"mod/cache/download", "build"} {
		if _, err := os.Stat(filepath.Join(cache, d)); err != nil {
			t.Fatalf("cache has no %s after the cold run: %v", d, err)
		}
	}

	repo = ecoGoRepo(t, base, "repo-warm")
	r = ecoGoRun(t, bb, base, repo, cache, filepath.Join(base, "home-warm"), nil)
	if r.exitCode != 0 {
		t.Fatalf("warm run failed\n%s", r)
	}
	lines = ecoSummaries(t, r, 2)
	for _, s := range lines {
		ecoWantResult(t, bb, r, s, "warm")
	}
	t.Logf("busybox: go warm %ss", lines[0]["seconds"])

	// PREWARM_PREBUILD=test compiles tests without running them; a workdir
	// that does not compile is a warning (prebuild=failed), not a failure.
	r = ecoGoRun(t, bb, base, repo, cache, filepath.Join(base, "home-warm"), []string{"PREWARM_PREBUILD=test", "PREWARM_WORKDIRS=tools\nbroken"})
	if r.exitCode != 0 {
		t.Fatalf("prebuild=test run failed\n%s", r)
	}
	lines = ecoSummaries(t, r, 2)
	if lines[0]["workdir"] != "tools" || lines[0]["prebuild"] != "test" || lines[1]["workdir"] != "broken" || lines[1]["prebuild"] != "failed" {
		t.Errorf("want tools prebuild=test and broken prebuild=failed, got %v\n%s", lines, r)
	}
	if strings.Contains(r.stderr, "prebuild ran a test") || !strings.Contains(r.stderr, "prewarm: warning: prebuild (test) failed") {
		t.Errorf("want the test compiled but not run, and a prebuild warning for broken\n%s", r)
	}

	// The agent: same env as the preset gives it, no network.
	agentHome := filepath.Join(base, "agent-home")
	if err := os.MkdirAll(agentHome, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = repo
	build.Env = append(ecoBaseEnv(ecoShell{}),
		"HOME="+agentHome,
		"GOMODCACHE="+filepath.Join(cache, "mod"),
		"GOCACHE="+filepath.Join(cache, "build"),
		"GOFLAGS=-modcacherw",
		"GOPROXY=off",
	)
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("agent go build with GOPROXY=off failed: %v\n%s", err, out)
	}
	t.Logf("agent go build ./... on the warm cache: %.1fs", time.Since(start).Seconds())

	// Read-only consumers: modules come from file://<cache>/mod/cache/download
	// (GOPROXY=off behind it proves nothing else served them).
	for _, sh := range []ecoShell{dash, bb} {
		unchanged := ecoUnchanged(t, cache)
		repo := ecoGoRepo(t, base, "repo-ro-"+sh.name)
		home := filepath.Join(base, "home-ro-"+sh.name)
		r := ecoGoRun(t, sh, base, repo, cache, home, []string{"PREWARM_CACHE_MODE=readOnly", "GOPROXY=off", "PREWARM_PREBUILD=none"})
		if r.exitCode != 0 {
			t.Fatalf("%s: readOnly run failed\n%s", sh.name, r)
		}
		for _, s := range ecoSummaries(t, r, 2) {
			ecoWantResult(t, sh, r, s, "warm")
		}
		unchanged("%s: readOnly run changed the cache:", sh.name)
		if _, err := os.Stat(filepath.Join(home, "go", "pkg", "mod", "cache", "download", "github.com", "spf13", "cobra")); err != nil {
			t.Errorf("%s: readOnly run did not fill the per-pod module cache: %v", sh.name, err)
		}
	}

	// A cache the pod cannot write (readWrite mode, owned by root, run as
	// nobody): fallback to per-pod caches fed by the file proxy.
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatal("setpriv (util-linux) is not installed")
	}
	nobody := ecoShell{name: "busybox-as-nobody", argv: append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, bb.argv...), pathHead: bb.pathHead}
	repo = ecoGoRepo(t, base, "repo-nobody")
	home := filepath.Join(base, "home-nobody")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	unchanged := ecoUnchanged(t, cache)
	r = ecoGoRun(t, nobody, base, repo, cache, home, []string{"GOPROXY=off", "PREWARM_PREBUILD=none"})
	if r.exitCode != 0 {
		t.Fatalf("%s: run with an unwritable cache failed\n%s", nobody.name, r)
	}
	for _, s := range ecoSummaries(t, r, 2) {
		ecoWantResult(t, nobody, r, s, "fallback")
	}
	if !strings.Contains(r.stderr, "prewarm: warning: cache") {
		t.Errorf("want a warning about the unwritable cache\n%s", r)
	}
	unchanged("the unwritable cache changed:")

	// Extra args go to `go mod download` as literal words, never as shell.
	r = ecoGoRun(t, dash, base, repo, cache, filepath.Join(base, "home-args"), []string{"PREWARM_PREBUILD=none"}, "bad module;echo INJECTED")
	if r.exitCode == 0 || !strings.Contains(r.stderr, "bad module;echo INJECTED") || strings.Contains(r.stderr, "\nINJECTED") || r.stdout != "" {
		t.Fatalf("want go to reject the literal argument and the script to fail without a summary\n%s", r)
	}
	if !strings.Contains(r.stderr, "prewarm: error: go mod download failed") {
		t.Errorf("want the script's error line\n%s", r)
	}
}
