package scripts

// Shared helpers of the ecosystem script tests (npm, gomod, pip and the
// library): render a script, run it as a pod would (`sh -c SCRIPT NAME
// ARGS...`) under dash and under busybox sh, parse the summary line and
// fingerprint trees. Everything runs for real; nothing is mocked.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"

	"github.com/prewarm-dev/prewarm/tests/internal/run"
	"github.com/prewarm-dev/prewarm/tests/internal/shells"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// ecoShell is one shell the scripts must run under (see shells.Shell):
// argv starts it, pathHead goes first on PATH (busybox applet links, so
// tar, gzip, sha256sum, awk, sed ... are busybox's as in an alpine image).
type ecoShell struct {
	name     string
	argv     []string
	pathHead string // prepended to PATH ("" for none)
}

// ecoShells returns dash and busybox sh. A missing shell fails the test: CI
// installs both (tests/install-deps.sh), and skipping would hide a gap.
func ecoShells(t *testing.T) []ecoShell {
	t.Helper()
	all, err := shells.All()
	if err != nil {
		t.Fatal(err)
	}
	var out []ecoShell
	for _, sh := range all {
		out = append(out, ecoShell{name: sh.Name, argv: sh.Argv, pathHead: sh.PathHead})
	}
	return out
}

// ecoShellNamed returns the shell called name ("dash" or "busybox").
func ecoShellNamed(t *testing.T, name string) ecoShell {
	t.Helper()
	for _, sh := range ecoShells(t) {
		if sh.name == name {
			return sh
		}
	}
	t.Fatalf("no shell %q", name)
	return ecoShell{}
}

var (
	ecoScriptMu    sync.Mutex
	ecoScriptCache = map[string]string{}
)

// ecoScript renders the define block prewarm.script.<name> with empty data,
// as the presets do.
func ecoScript(t *testing.T, name string) string {
	t.Helper()
	ecoScriptMu.Lock()
	defer ecoScriptMu.Unlock()
	if s, ok := ecoScriptCache[name]; ok {
		return s
	}
	s, err := templatesgo.Execute("prewarm.script."+name, map[string]any{})
	if err != nil {
		t.Fatalf("render prewarm.script.%s: %v", name, err)
	}
	ecoScriptCache[name] = s
	return s
}

// ecoBaseEnv is the process environment without anything that would steer
// the tools away from what a test sets (caches, proxies, indexes, HOME).
func ecoBaseEnv(sh ecoShell) []string { return shells.BaseEnv(sh.pathHead) }

// ecoRun is one script or tool run (a run.Result with the field names the
// script tests use).
type ecoRun struct {
	stdout, stderr string
	exitCode       int
	elapsed        time.Duration
}

func ecoRunOf(r run.Result) ecoRun {
	return ecoRun{stdout: r.Stdout, stderr: r.Stderr, exitCode: r.Code, elapsed: r.Elapsed}
}

func (r ecoRun) String() string {
	return run.Result{Stdout: r.stdout, Stderr: r.stderr, Code: r.exitCode, Elapsed: r.elapsed}.String()
}

// ecoRunScript runs script as `sh -c script name args...` with the base
// environment plus env, in dir, killing the process group at timeout.
func ecoRunScript(t *testing.T, sh ecoShell, script, name, dir string, env []string, timeout time.Duration, args ...string) ecoRun {
	t.Helper()
	argv := append(append(append([]string{}, sh.argv...), "-c", script, name), args...)
	return offlineExec(t, dir, append(ecoBaseEnv(sh), env...), timeout, argv...)
}

// offlineExec runs argv in dir with exactly env, killing its process group
// after timeout (which fails the test, as does a failure to start).
func offlineExec(t *testing.T, dir string, env []string, timeout time.Duration, argv ...string) ecoRun {
	t.Helper()
	r, err := run.Exec(context.Background(), dir, env, timeout, argv...)
	if err != nil {
		t.Fatalf("%v\n%s", err, ecoRunOf(r))
	}
	return ecoRunOf(r)
}

// ecoSummary is one parsed summary line.
type ecoSummary map[string]string

var ecoSummaryRE = regexp.MustCompile(`^prewarm: (npm|gomod|pip) key=([0-9a-f]{16,64}) result=(cold|warm|snapshot|fallback) seconds=([0-9]+(?:\.[0-9]+)?) workdir=(\S+)((?: [a-z_]+=\S*)*)$`)

// ecoSummaries parses stdout, which must hold exactly want summary lines and
// nothing else.
func ecoSummaries(t *testing.T, r ecoRun, want int) []ecoSummary {
	t.Helper()
	lines := run.SummaryLines(r.stdout)
	if len(lines) != want {
		t.Fatalf("stdout has %d lines, want exactly %d summary lines\n%s", len(lines), want, r)
	}
	var res []ecoSummary
	for _, l := range lines {
		s, ok := run.ParseSummary(ecoSummaryRE, l)
		if !ok {
			t.Fatalf("summary line %q does not match %s", l, ecoSummaryRE)
		}
		res = append(res, ecoSummary(s))
	}
	return res
}

// ecoOK requires a zero exit and one summary line and returns it.
func ecoOK(t *testing.T, sh ecoShell, r ecoRun) ecoSummary {
	t.Helper()
	if r.exitCode != 0 {
		t.Fatalf("%s: script failed\n%s", sh.name, r)
	}
	return ecoSummaries(t, r, 1)[0]
}

// ecoWantResult fails unless the summary's result is want.
func ecoWantResult(t *testing.T, sh ecoShell, r ecoRun, s ecoSummary, want string) {
	t.Helper()
	if s["result"] != want {
		t.Fatalf("%s: result=%s, want %s\n%s", sh.name, s["result"], want, r)
	}
}

// ecoWantOutcome checks one case of a table: with msg set, the run must
// fail saying msg on stderr; without, it must succeed printing stdout.
func ecoWantOutcome(t *testing.T, what string, r ecoRun, stdout, msg string) {
	t.Helper()
	switch {
	case msg != "" && (r.exitCode == 0 || !strings.Contains(r.stderr, msg)):
		t.Errorf("%s: want a failure saying %q\n%s", what, msg, r)
	case msg == "" && (r.exitCode != 0 || r.stdout != stdout):
		t.Errorf("%s: got %q, want %q\n%s", what, r.stdout, stdout, r)
	}
}

// ecoTempDir is a fresh directory that any user can enter (t.TempDir's
// are 0700, which locks out the `nobody` runs).
func ecoTempDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for p := d; p != os.TempDir() && p != "/" && p != "."; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(p) == os.TempDir() {
			break
		}
	}
	return d
}

// ecoCopyTree copies a directory of regular files and dirs (fixtures),
// making everything writable.
func ecoCopyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := tree.Copy(src, dst); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// ecoWriteFiles writes each relative path of files under dir with its
// content, creating the directories.
func ecoWriteFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := tree.WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
}

// ecoTreeDigest lists every entry under root as "path type detail", sorted:
// sha256 for files, the target for symlinks, nothing for directories.
func ecoTreeDigest(t *testing.T, root string) []string {
	t.Helper()
	return ecoList(t, "digest", tree.Digest, root)
}

// ecoDiffLists reports the first differences of two sorted lists.
func ecoDiffLists(a, b []string) string { return tree.Diff(a, b, 30) }

// ecoNeedsGo fails the test when go is not on PATH.
func ecoNeedsGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not installed")
	}
}

// ecoUnchanged records root's state (ecoCacheState) now; the function it
// returns fails the test, with the message and the difference, when root
// has changed since.
func ecoUnchanged(t *testing.T, root string) func(format string, args ...any) {
	t.Helper()
	before := ecoCacheState(t, root)
	return func(format string, args ...any) {
		t.Helper()
		if d := ecoDiffLists(before, ecoCacheState(t, root)); d != "" {
			t.Errorf(format+"\n%s", append(args, d)...)
		}
	}
}

// ecoCacheState lists every path under root with mode, size, mtime and
// symlink target, to prove a read-only run wrote nothing.
func ecoCacheState(t *testing.T, root string) []string {
	t.Helper()
	return ecoList(t, "list", tree.State, root)
}

// ecoList is list(root); an error fails the test, naming verb and root.
func ecoList(t *testing.T, verb string, list func(string) ([]string, error), root string) []string {
	t.Helper()
	out, err := list(root)
	if err != nil {
		t.Fatalf("%s %s: %v", verb, root, err)
	}
	return out
}

// ecoSnapshots lists the final snapshot files and the temp names in
// <cache>/snapshots.
func ecoSnapshots(t *testing.T, cache string) (final, temps []string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "snapshots"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			temps = append(temps, e.Name())
		} else {
			final = append(final, e.Name())
		}
	}
	return final, temps
}

// ecoTempsUnder lists ".tmp-*" names anywhere under root.
func ecoTempsUnder(t *testing.T, root string) []string { return tree.Temps(root) }

// snapshot corruptions: each must be detected by restore.
type ecoCorruption struct {
	name  string
	apply func(t *testing.T, path string)
}

// ecoCorruptions damage a snapshot directory (layout v2) the ways a volume
// can: a truncated or bit-flipped shard, a manifest whose recorded checksum
// is wrong while the data is intact, a shard gone.
var ecoCorruptions = []ecoCorruption{
	{"truncated", func(t *testing.T, dir string) {
		p := ecoBiggestShard(t, dir)
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, info.Size()*2/3); err != nil {
			t.Fatal(err)
		}
	}},
	{"bit-flipped", func(t *testing.T, dir string) {
		ecoRewrite(t, ecoBiggestShard(t, dir), func(b []byte) []byte {
			b[len(b)/2] ^= 0x10
			return b
		})
	}},
	{"checksum-mismatch", func(t *testing.T, dir string) {
		// The data stays intact; only the first shard's recorded value
		// ("shard FILE VALUE" in the manifest) is wrong.
		ecoRewrite(t, filepath.Join(dir, "manifest"), func(b []byte) []byte {
			i := bytes.Index(b, []byte("\nshard "))
			if i < 0 {
				t.Fatalf("no shard line in %s", b)
			}
			i += bytes.IndexByte(b[i+len("\nshard "):], ' ') + len("\nshard ") + 1
			if b[i] == '1' {
				b[i] = '2'
			} else {
				b[i] = '1'
			}
			return b
		})
	}},
	{"shard-missing", func(t *testing.T, dir string) {
		if err := os.Remove(ecoBiggestShard(t, dir)); err != nil {
			t.Fatal(err)
		}
	}},
	{"manifest-truncated", func(t *testing.T, dir string) {
		// the "end shards=N" line is gone (a torn write; a publish never
		// renames such a directory into place, a damaged volume might)
		ecoRewrite(t, filepath.Join(dir, "manifest"), func(b []byte) []byte {
			i := bytes.LastIndex(b, []byte("\nend "))
			if i < 0 {
				t.Fatalf("no end line in %s", b)
			}
			return b[:i+1]
		})
	}},
}

// ecoRewrite replaces the content of the file at p with edit(content).
func ecoRewrite(t *testing.T, p string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ecoRunScriptPid starts the script like ecoRunScript, sends its pid (also
// its process group) on pidc and returns when it ends, however it ends. It
// never calls t.Fatal, so it may run in a goroutine.
func ecoRunScriptPid(t *testing.T, sh ecoShell, script, dir string, env []string, pidc chan<- int, args ...string) ecoRun {
	argv := append(append(append([]string{}, sh.argv...), "-c", script, "prewarm-libtest"), args...)
	s, err := run.Start(dir, append(ecoBaseEnv(sh), env...), argv...)
	if err != nil {
		pidc <- 0
		return ecoRun{stderr: err.Error(), exitCode: -1}
	}
	pidc <- s.Pid
	return ecoRunOf(s.Wait())
}
