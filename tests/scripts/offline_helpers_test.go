package scripts

// Helpers of the offline script tests (cargo, maven, gradle): the real tools
// run against Debian packages served from 127.0.0.1 by a Go HTTP server,
// because crates.io and Maven Central are not reachable here. The machine is
// prepared by testdata/build-offline-fixtures.sh (idempotent; apt-get
// installs what is missing when run as root). Every script runs under dash
// and under busybox sh, as a pod runs it: `sh -c SCRIPT NAME ARGS...`.

import (
	"bufio"
	"context"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/offline"
	"github.com/prewarm-dev/prewarm/tests/internal/run"
	"github.com/prewarm-dev/prewarm/tests/internal/shells"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// offlineFixtureEnv holds what build-offline-fixtures.sh wrote.
type offlineFixtureEnv map[string]string

// offlineFixtures runs the fixture builder once per test binary and returns
// its key=value output. A failure (missing packages without root, no cargo)
// fails the test with the builder's own instructions.
func offlineFixtures(t *testing.T) offlineFixtureEnv {
	t.Helper()
	fx, err := offlineFixturesOnce()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

var offlineFixturesOnce = sync.OnceValues(func() (offlineFixtureEnv, error) {
	out := os.Getenv("PREWARM_OFFLINE_FIXTURES")
	if out == "" {
		out = filepath.Join(offline.ScriptsTestdata(), "..", "..", "..", ".cache", "fixtures")
	}
	return offline.Fixtures(context.Background(), out, 8*time.Minute)
})

// offlineShell is one shell the scripts must run under (as ecoShell).
type offlineShell = ecoShell

// offlineShells returns dash and busybox sh; a missing one fails the test
// (apt-get install dash busybox), it is never skipped.
func offlineShells(t *testing.T) []offlineShell {
	t.Helper()
	return ecoShells(t)
}

// offlineEachShell runs f as a subtest under each shell, with a fresh
// directory of its own (t.TempDir).
func offlineEachShell(t *testing.T, f func(t *testing.T, sh offlineShell, dir string)) {
	t.Helper()
	for _, sh := range offlineShells(t) {
		t.Run(sh.name, func(t *testing.T) { f(t, sh, t.TempDir()) })
	}
}

// offlineHello copies the testdata/<eco>/hello project to dir/repo/hello
// and returns dir/repo, the checkout a script runs in.
func offlineHello(t *testing.T, dir, eco string) string {
	t.Helper()
	repo := filepath.Join(dir, "repo")
	offlineCopyTree(t, filepath.Join("testdata", eco, "hello"), filepath.Join(repo, "hello"))
	return repo
}

// offlineScript renders prewarm.script.<eco> as the presets do.
func offlineScript(t *testing.T, eco string) string {
	t.Helper()
	return ecoScript(t, eco)
}

// offlineEnv is a clean environment: PATH (busybox applets first for
// busybox, the Rust toolchain last), the toolchain locations the tools
// need, and extra.
func offlineEnv(sh offlineShell, extra ...string) []string {
	path := os.Getenv("PATH")
	cargoBin, rustupHome := shells.Rust()
	if cargoBin != "" {
		path = path + ":" + cargoBin
	}
	if sh.pathHead != "" {
		path = sh.pathHead + ":" + path
	}
	env := []string{"PATH=" + path, "LANG=C.UTF-8", "TMPDIR=" + os.TempDir()}
	// rustup's proxies find their toolchains through RUSTUP_HOME (the rust
	// image sets it too); HOME is the script's own.
	if rustupHome != "" {
		env = append(env, "RUSTUP_HOME="+rustupHome)
	}
	if v := os.Getenv("JAVA_HOME"); v != "" {
		env = append(env, "JAVA_HOME="+v)
	}
	return append(env, extra...)
}

// offlineRun is one script or tool run.
type offlineRun = ecoRun

// offlineRunScript runs the rendered script like a setup container:
// `sh -c SCRIPT prewarm-ECO ARGS...` in dir.
func offlineRunScript(t *testing.T, sh offlineShell, eco, dir string, env []string, args ...string) offlineRun {
	t.Helper()
	argv := append(append(append([]string{}, sh.argv...), "-c", offlineScript(t, eco), "prewarm-"+eco), args...)
	return offlineExec(t, dir, offlineEnv(sh, env...), 5*time.Minute, argv...)
}

// offlineRunFake runs the script like offlineRunScript, with a minute's
// timeout and bin (a fake tool) first on PATH.
func offlineRunFake(t *testing.T, sh offlineShell, eco, dir, bin string, env []string, args ...string) offlineRun {
	t.Helper()
	argv := append(append(append([]string{}, sh.argv...), "-c", offlineScript(t, eco), "prewarm-"+eco), args...)
	e := offlineEnv(sh, env...)
	for i, kv := range e {
		if strings.HasPrefix(kv, "PATH=") {
			e[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	return offlineExec(t, dir, e, time.Minute, argv...)
}

// offlineSummary is one parsed summary line.
type offlineSummary map[string]string

var offlineSummaryRE = regexp.MustCompile(`^prewarm: (cargo|maven|gradle) key=([0-9a-f]{16,64}) result=(cold|warm|snapshot|fallback) seconds=([0-9]+(?:\.[0-9]+)?) workdir=(\S+)((?: [a-zA-Z_]+=\S*)*)$`)

// offlineOK requires exit 0 and exactly one summary line per workdir on
// stdout (tool output goes to stderr) and returns them.
func offlineOK(t *testing.T, what string, r offlineRun, want int) []offlineSummary {
	t.Helper()
	if r.exitCode != 0 {
		t.Fatalf("%s: script failed\n%s", what, r)
	}
	lines := run.SummaryLines(r.stdout)
	if len(lines) != want {
		t.Fatalf("%s: stdout has %d lines, want exactly %d summary lines\n%s", what, len(lines), want, r)
	}
	var res []offlineSummary
	for _, l := range lines {
		s, ok := run.ParseSummary(offlineSummaryRE, l)
		if !ok {
			t.Fatalf("%s: summary line %q does not match %s\n%s", what, l, offlineSummaryRE, r)
		}
		res = append(res, offlineSummary(s))
	}
	return res
}

// offlineWant fails when summary field k is not v.
func offlineWant(t *testing.T, what string, r offlineRun, s offlineSummary, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if s[kv[i]] != kv[i+1] {
			t.Fatalf("%s: %s=%q, want %q\n%s", what, kv[i], s[kv[i]], kv[i+1], r)
		}
	}
}

// offlineServe serves h on 127.0.0.1 (counting requests) until the test
// ends or Stop.
func offlineServe(t *testing.T, h http.Handler) *offline.Server {
	t.Helper()
	s, err := offline.Serve(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// offlineCopyTree copies a fixture directory (regular files and dirs).
func offlineCopyTree(t *testing.T, src, dst string) { t.Helper(); ecoCopyTree(t, src, dst) }

// offlineTreeState lists every path under root with type, size and mtime
// (symlink targets too), to prove that a read-only run wrote nothing.
func offlineTreeState(t *testing.T, root string) []string { t.Helper(); return ecoCacheState(t, root) }

// offlineFind lists the paths under root (following a symlinked root)
// whose base name matches pattern, relative to root.
func offlineFind(t *testing.T, root, pattern string) []string {
	t.Helper()
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatalf("resolve %s: %v", root, err)
	}
	var out []string
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, _ := filepath.Match(pattern, d.Name()); ok {
			rel, _ := filepath.Rel(real, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", real, err)
	}
	sort.Strings(out)
	return out
}

// offlineNoTemps fails when a ".tmp-" name is left anywhere under root.
func offlineNoTemps(t *testing.T, root string) {
	t.Helper()
	for _, p := range tree.Temps(root) {
		t.Errorf("temporary left behind: %s", p)
	}
}

// offlineLinkGeneration checks that link is a relative symlink into
// link.d/<generation> and returns the generation's absolute path.
func offlineLinkGeneration(t *testing.T, link string) string {
	t.Helper()
	target, err := os.Readlink(link)
	if err != nil {
		t.Fatalf("%s should be a symbolic link to its current generation: %v", link, err)
	}
	base := filepath.Base(link)
	if !strings.HasPrefix(target, base+".d/") || strings.Count(target, "/") != 1 {
		t.Fatalf("%s -> %q, want %s.d/<generation>", link, target, base)
	}
	return filepath.Join(filepath.Dir(link), target)
}

// offlineGenerations lists the generation directories in link.d.
func offlineGenerations(t *testing.T, link string) []string {
	t.Helper()
	entries, err := os.ReadDir(link + ".d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// offlineLines returns the lines of s that contain sub.
func offlineLines(s, sub string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1024*1024), 1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// offlineLint runs shellcheck -s sh, dash -n and busybox sh -n on the
// rendered script of eco.
func offlineLint(t *testing.T, eco string) {
	t.Helper()
	script := offlineScript(t, eco)
	if !strings.HasPrefix(script, "#!/bin/sh\n") {
		t.Fatalf("prewarm.script.%s must start with #!/bin/sh, starts with %q", eco, script[:min(len(script), 40)])
	}
	if strings.Contains(script, "{{") || strings.Contains(script, "}}") {
		t.Fatalf("prewarm.script.%s: rendered text still holds template braces", eco)
	}
	f := scriptShellcheck(t, eco, script)
	for _, sh := range offlineShells(t) {
		if out, err := exec.Command(sh.argv[0], "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n prewarm.script.%s: %v\n%s", sh.name, eco, err, out)
		}
	}
}

// scriptShellcheck writes script (prewarm.script.<name>) to a file, runs
// `shellcheck -s sh -S style` on it and returns the file's path.
func scriptShellcheck(t *testing.T, name, script string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name+".sh")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install -y shellcheck (run `make deps`, or tests/scripts/testdata/build-offline-fixtures.sh as root)")
	}
	if out, err := exec.Command(sc, "-s", "sh", "-S", "style", f).CombinedOutput(); err != nil {
		t.Errorf("shellcheck -s sh prewarm.script.%s: %v\n%s", name, err, out)
	}
	return f
}

// offlineDiff reports what differs between two sorted listings ("" if
// nothing).
func offlineDiff(a, b []string) string { return tree.Diff(a, b, 30) }

// offlineMavenRepoHandler serves a Maven repository directory like a
// remote one (see offline.MavenRepoHandler).
func offlineMavenRepoHandler(root string) http.Handler { return offline.MavenRepoHandler(root) }
