package scripts

// Runs templates-go/scripts/prune.sh.tpl ("prewarm.script.prune") for real,
// under dash with the system tools and under busybox sh with only busybox
// applets on PATH (what the pruner image has), against temp caches with
// fake snapshots of known sizes and ages.

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// pruneShell is one shell the script must run under.
type pruneShell struct {
	name string
	argv []string // the shell; "-c SCRIPT prune" is appended
	path string   // PATH for the run
}

func pruneScript(t *testing.T) string {
	t.Helper()
	return ecoScript(t, "prune")
}

// pruneShells returns dash (system tools) and busybox sh with a PATH that
// holds nothing but busybox applets, so `sh`, find, du, ls, awk and rm inside
// the script are busybox's as in the pruner image.
func pruneShells(t *testing.T) []pruneShell {
	t.Helper()
	var out []pruneShell
	for _, sh := range ecoShells(t) {
		path := sh.pathHead
		if path == "" {
			path = os.Getenv("PATH")
		}
		out = append(out, pruneShell{name: sh.name, argv: sh.argv, path: path})
	}
	return out
}

type pruneResult struct {
	stdout, stderr string
	err            error
}

func runPrune(t *testing.T, sh pruneShell, cache, maxBytes string) pruneResult {
	t.Helper()
	return pruneExec(t, sh, pruneScript(t), "prune",
		"PREWARM_CACHE="+cache, "PREWARM_PRUNE_MAX_BYTES="+maxBytes, "TMPDIR="+t.TempDir())
}

// pruneExec runs `sh -c script name` with sh's PATH and env only, logging
// its stderr.
func pruneExec(t *testing.T, sh pruneShell, script, name string, env ...string) pruneResult {
	t.Helper()
	cmd := exec.Command(sh.argv[0], append(append([]string{}, sh.argv[1:]...), "-c", script, name)...)
	cmd.Env = append([]string{"PATH=" + sh.path}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("%s stderr:\n%s", sh.name, stderr.String())
	return pruneResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

var pruneSummaryRE = regexp.MustCompile(`^prewarm: prune cache=(\S+) before=(\d+) after=(\d+) removed=(\d+) budget=(\d+) stores=(\d+) entries=(\d+)$`)

type pruneSummary struct {
	cache                                  string
	before, after, removed, budget, stores int64
	entries                                int64 // store entries removed
}

// parsePruneSummary requires stdout to be exactly one summary line.
func parsePruneSummary(t *testing.T, stdout string) pruneSummary {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout has %d lines, want exactly the summary line:\n%s", len(lines), stdout)
	}
	m := pruneSummaryRE.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("summary line %q does not match %s", lines[0], pruneSummaryRE)
	}
	n := func(s string) int64 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return pruneSummary{cache: m[1], before: n(m[2]), after: n(m[3]), removed: n(m[4]), budget: n(m[5]), stores: n(m[6]), entries: n(m[7])}
}

// duBytes is what the script counts: `du -s -k` * 1024.
func duBytes(t *testing.T, path string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-s", "-k", path).Output()
	if err != nil {
		t.Fatalf("du %s: %v", path, err)
	}
	k, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return k * 1024
}

// writeAged writes size incompressible bytes to path (parents created) and
// sets its atime and mtime to age ago.
func writeAged(t *testing.T, path string, size int, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(size), uint64(len(path))))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, age)
}

// age2 sets path's atime and mtime to age ago (without following a link's
// target only matters for dirs/files here).
func setAge(t *testing.T, path string, age time.Duration) {
	t.Helper()
	when := time.Now().Add(-age)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// snapKey is a fake sha256 key: 64 hex digits made of c.
func snapKey(c byte) string { return strings.Repeat(string(c), 64) }

const snapSize = 256 << 10 // 256 KiB per snapshot

// pruneFixture is a cache with five snapshots, last used 5h..1h ago (key
// "1" oldest), a sidecar on the oldest, a tool store and temporaries.
type pruneFixture struct {
	root, snaps string
	outside     string // a directory outside the cache, reached by a link
}

func newPruneFixture(t *testing.T) pruneFixture {
	t.Helper()
	base := t.TempDir()
	f := pruneFixture{root: filepath.Join(base, "cache"), outside: filepath.Join(base, "outside")}
	f.snaps = filepath.Join(f.root, "snapshots")
	// Key "1" was published first but restored 1h ago (restore touches the
	// snapshot), so it is the most recently used one.
	ages := map[byte]time.Duration{'1': 1 * time.Hour, '2': 5 * time.Hour, '3': 4 * time.Hour, '4': 3 * time.Hour, '5': 2 * time.Hour}
	for c, age := range ages {
		writeAged(t, filepath.Join(f.snaps, snapKey(c)+".tar.gz"), snapSize, age)
	}
	// A checksum sidecar belongs to its snapshot and goes with it.
	writeAged(t, filepath.Join(f.snaps, snapKey('2')+".sha256"), 100, 5*time.Hour)
	// An earlier run's usage record (pw_prune_record replaces it in place,
	// so the volume's block count does not change by the run's own record).
	writeAged(t, filepath.Join(f.root, ".prewarm-usage"), 80, 24*time.Hour)
	// The tool's store: never pruned, whatever its age.
	writeAged(t, filepath.Join(f.root, "store", "index", "old-entry"), 64<<10, 30*24*time.Hour)
	// Temporaries: a crashed publish (2h) goes, a publish in progress (5 min)
	// stays, a crashed write probe (3h) goes.
	writeAged(t, filepath.Join(f.snaps, ".tmp-"+snapKey('8')+"-123.tar.gz"), 128<<10, 2*time.Hour)
	writeAged(t, filepath.Join(f.snaps, ".tmp-"+snapKey('9')+"-456.tar.gz"), 128<<10, 5*time.Minute)
	writeAged(t, filepath.Join(f.root, ".tmp-probe-99"), 1, 3*time.Hour)
	// A stale copy temp with a read-only subdirectory (like a Go module
	// cache) goes; an old temp dir with recent content (a long copy) stays.
	writeAged(t, filepath.Join(f.root, "mod", ".tmp-gomod-77", "ro", "file"), 4<<10, 2*time.Hour)
	setAge(t, filepath.Join(f.root, "mod", ".tmp-gomod-77", "ro"), 2*time.Hour)
	if err := os.Chmod(filepath.Join(f.root, "mod", ".tmp-gomod-77", "ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	setAge(t, filepath.Join(f.root, "mod", ".tmp-gomod-77"), 2*time.Hour)
	writeAged(t, filepath.Join(f.root, "mod", ".tmp-gomod-78", "new"), 4<<10, time.Minute)
	setAge(t, filepath.Join(f.root, "mod", ".tmp-gomod-78"), 2*time.Hour)
	// An old .tmp- name inside a live temp tree is part of that tree.
	writeAged(t, filepath.Join(f.root, "mod", ".tmp-gomod-78", ".tmp-inner"), 10, 9*time.Hour)
	setAge(t, filepath.Join(f.root, "mod", ".tmp-gomod-78"), 2*time.Hour)
	// Outside the cache, reached through links inside it: never touched.
	writeAged(t, filepath.Join(f.outside, ".tmp-outside"), 10, 9*time.Hour)
	writeAged(t, filepath.Join(f.outside, "data"), 10, 9*time.Hour)
	if err := os.Symlink(f.outside, filepath.Join(f.root, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(f.outside, "data"), filepath.Join(f.snaps, snapKey('6')+".tar.gz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.outside, filepath.Join(f.root, ".tmp-link-out")); err != nil {
		t.Fatal(err)
	}
	lchtimesOld(t, filepath.Join(f.root, ".tmp-link-out"))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(f.root, "mod", ".tmp-gomod-77", "ro"), 0o755) })
	return f
}

// lchtimesOld ages a symlink itself (touch -h), so find sees a stale link.
func lchtimesOld(t *testing.T, path string) {
	t.Helper()
	stamp := time.Now().Add(-10 * time.Hour).Format("200601021504.05")
	if out, err := exec.Command("touch", "-h", "-t", stamp, path).CombinedOutput(); err != nil {
		t.Fatalf("touch -h %s: %v: %s", path, err, out)
	}
}

func (f pruneFixture) checkUntouched(t *testing.T) {
	t.Helper()
	for _, p := range []string{
		filepath.Join(f.outside, ".tmp-outside"),
		filepath.Join(f.outside, "data"),
		filepath.Join(f.root, "store", "index", "old-entry"),
		filepath.Join(f.snaps, ".tmp-"+snapKey('9')+"-456.tar.gz"),
		filepath.Join(f.root, "mod", ".tmp-gomod-78", "new"),
		filepath.Join(f.root, "mod", ".tmp-gomod-78", ".tmp-inner"),
	} {
		if !exists(p) {
			t.Errorf("%s was removed; it must stay", p)
		}
	}
	for _, p := range []string{
		filepath.Join(f.snaps, ".tmp-"+snapKey('8')+"-123.tar.gz"),
		filepath.Join(f.root, ".tmp-probe-99"),
		filepath.Join(f.root, "mod", ".tmp-gomod-77"),
		filepath.Join(f.root, ".tmp-link-out"),
	} {
		if exists(p) {
			t.Errorf("stale temporary %s was kept", p)
		}
	}
}

func snapshotsLeft(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			keys = append(keys, e.Name()[:1]+strings.TrimPrefix(e.Name(), snapKey(e.Name()[0])))
		}
	}
	return keys
}

func TestPruneShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: run `make deps`")
	}
	path := filepath.Join(t.TempDir(), "prune.sh")
	if err := os.WriteFile(path, []byte(pruneScript(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sc, "-s", "sh", "-S", "style", path).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck -s sh: %v\n%s", err, out)
	}
}

// TestPruneRemovesLeastRecentlyUsedFirst: over budget by a bit more than one
// snapshot, the two least recently used go (with the sidecar), the rest
// stay, the stale temporaries go and nothing outside the cache is touched.
func TestPruneRemovesLeastRecentlyUsedFirst(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newPruneFixture(t)
			before := duBytes(t, f.root)
			stale := duBytes(t, filepath.Join(f.snaps, ".tmp-"+snapKey('8')+"-123.tar.gz")) +
				duBytes(t, filepath.Join(f.root, ".tmp-probe-99")) +
				duBytes(t, filepath.Join(f.root, "mod", ".tmp-gomod-77"))
			snap := duBytes(t, filepath.Join(f.snaps, snapKey('3')+".tar.gz"))
			// after the temps go, 1.5 snapshots too many: two must go
			budget := before - stale - snap - snap/2
			res := runPrune(t, sh, f.root+"/", strconv.FormatInt(budget, 10))
			if res.err != nil {
				t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			want := pruneSummary{cache: f.root, before: before, after: duBytes(t, f.root), removed: 2, budget: budget}
			if s != want {
				t.Errorf("summary = %+v, want %+v", s, want)
			}
			if s.after > budget {
				t.Errorf("after=%d is over the budget %d", s.after, budget)
			}
			got := strings.Join(snapshotsLeft(t, f.snaps), " ")
			if wantLeft := "1.tar.gz 4.tar.gz 5.tar.gz 6.tar.gz"; got != wantLeft {
				t.Errorf("snapshots left: %s, want %s (2 with its sidecar and 3 are the least recently used)", got, wantLeft)
			}
			f.checkUntouched(t)
		})
	}
}

// TestPruneUnderBudgetKeepsSnapshots: under budget only stale temps go.
func TestPruneUnderBudgetKeepsSnapshots(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newPruneFixture(t)
			before := duBytes(t, f.root)
			res := runPrune(t, sh, f.root, "0"+strconv.FormatInt(before*10, 10))
			if res.err != nil {
				t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			if s.removed != 0 || s.before != before || s.budget != before*10 || s.after >= before {
				t.Errorf("summary = %+v; want removed=0 before=%d budget=%d and after < before (stale temps gone)", s, before, before*10)
			}
			if got := len(snapshotsLeft(t, f.snaps)); got != 7 {
				t.Errorf("%d snapshot files left, want all 7", got)
			}
			f.checkUntouched(t)
		})
	}
}

// TestPruneTinyBudgetRemovesEverySnapshotButNotStores: a budget below what
// the stores use removes every snapshot, warns, and still keeps the store
// and a snapshot being published.
func TestPruneTinyBudgetRemovesEverySnapshotButNotStores(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newPruneFixture(t)
			res := runPrune(t, sh, f.root, "1")
			if res.err != nil {
				t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			if s.removed != 6 {
				t.Errorf("removed=%d, want 6 (every snapshot, the link too)", s.removed)
			}
			if left := snapshotsLeft(t, f.snaps); len(left) != 0 {
				t.Errorf("snapshots left: %v", left)
			}
			if !strings.Contains(res.stderr, "over the budget") {
				t.Errorf("no over-budget warning on stderr")
			}
			f.checkUntouched(t)
		})
	}
}

// TestPruneFollowsSymlinkedRoot: PREWARM_CACHE may itself be a link.
func TestPruneFollowsSymlinkedRoot(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newPruneFixture(t)
			link := filepath.Join(t.TempDir(), "cache-link")
			if err := os.Symlink(f.root, link); err != nil {
				t.Fatal(err)
			}
			res := runPrune(t, sh, link, "1")
			if res.err != nil {
				t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
			}
			if s := parsePruneSummary(t, res.stdout); s.cache != link || s.removed != 6 {
				t.Errorf("summary = %+v, want cache=%s removed=6", s, link)
			}
			f.checkUntouched(t)
		})
	}
}

// TestPruneRefuses: bad roots and budgets fail before anything is removed.
func TestPruneRefuses(t *testing.T) {
	linkToRoot := filepath.Join(t.TempDir(), "root-link")
	if err := os.Symlink("/", linkToRoot); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, cache, budget, msg string
	}{
		{"empty cache", "", "1000", "PREWARM_CACHE is empty"},
		{"root", "/", "1000", "PREWARM_CACHE is '/'"},
		{"root slashes", "///", "1000", "PREWARM_CACHE is '/'"},
		{"relative", "cache", "1000", "must be an absolute path"},
		{"dotdot", "CACHE/../..", "1000", "'.' or '..' components"},
		{"dot", "CACHE/.", "1000", "'.' or '..' components"},
		{"missing", "CACHE/nope", "1000", "is not a directory"},
		{"link to root", linkToRoot, "1000", "resolves to '/'"},
		{"empty budget", "CACHE", "", "PREWARM_PRUNE_MAX_BYTES must be a positive integer"},
		{"negative budget", "CACHE", "-5", "PREWARM_PRUNE_MAX_BYTES must be a positive integer"},
		{"unit budget", "CACHE", "10Gi", "PREWARM_PRUNE_MAX_BYTES must be a positive integer"},
		{"zero budget", "CACHE", "000", "PREWARM_PRUNE_MAX_BYTES must be greater than 0"},
		{"huge budget", "CACHE", "1234567890123456789", "too large"},
	}
	for _, sh := range pruneShells(t) {
		for _, c := range cases {
			t.Run(sh.name+"/"+c.name, func(t *testing.T) {
				f := newPruneFixture(t)
				cache := strings.ReplaceAll(c.cache, "CACHE", f.root)
				res := runPrune(t, sh, cache, c.budget)
				var exit *exec.ExitError
				if !errors.As(res.err, &exit) {
					t.Fatalf("prune with PREWARM_CACHE=%q PREWARM_PRUNE_MAX_BYTES=%q: err=%v, want a non-zero exit", cache, c.budget, res.err)
				}
				if !strings.Contains(res.stderr, c.msg) {
					t.Errorf("stderr does not say %q:\n%s", c.msg, res.stderr)
				}
				if res.stdout != "" {
					t.Errorf("stdout = %q, want nothing", res.stdout)
				}
				if got := len(snapshotsLeft(t, f.snaps)); got != 7 {
					t.Errorf("%d snapshot files left, want all 7", got)
				}
				if !exists(filepath.Join(f.snaps, ".tmp-"+snapKey('8')+"-123.tar.gz")) {
					t.Errorf("a temporary was removed despite the refusal")
				}
			})
		}
	}
}

// TestPruneFailureExitsNonZero: a snapshot that cannot be removed (its
// directory is read-only) is reported and fails the run, after the summary.
func TestPruneFailureExitsNonZero(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newPruneFixture(t)
			if err := os.Chmod(f.snaps, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(f.snaps, 0o755) })
			res := runPrune(t, sh, f.root, "1")
			if res.err == nil {
				t.Fatal("prune succeeded, want a failure")
			}
			s := parsePruneSummary(t, res.stdout)
			if s.removed != 0 {
				t.Errorf("removed=%d, want 0", s.removed)
			}
			if !strings.Contains(res.stderr, "cannot remove") {
				t.Errorf("stderr does not report the failure")
			}
		})
	}
}

func TestPruneScriptIsDeterministic(t *testing.T) {
	a := pruneScript(t)
	b, err := templatesgo.Execute("prewarm.script.prune", map[string]any{"ignored": true})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("the script depends on its template data")
	}
	if !strings.HasPrefix(a, "#!/bin/sh\n") {
		t.Errorf("script starts with %q, want #!/bin/sh", fmt.Sprint(a[:min(len(a), 20)]))
	}
}

// TestPruneRootNamedLikeATemp: a cache root that itself is called ".tmp-*"
// and is old is the cache, never a stale temporary.
func TestPruneRootNamedLikeATemp(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), ".tmp-cache")
			writeAged(t, filepath.Join(root, "snapshots", snapKey('1')+".tar.gz"), 4<<10, 5*time.Hour)
			setAge(t, filepath.Join(root, "snapshots"), 5*time.Hour)
			setAge(t, root, 5*time.Hour)
			res := runPrune(t, sh, root, "1000000000")
			if res.err != nil {
				t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
			}
			if s := parsePruneSummary(t, res.stdout); s.removed != 0 {
				t.Errorf("removed=%d, want 0", s.removed)
			}
			if !exists(filepath.Join(root, "snapshots", snapKey('1')+".tar.gz")) {
				t.Error("the cache root was removed as a stale temporary")
			}
		})
	}
}

// TestPruneRemovesShardedSnapshotsWholeLeastRecentlyUsedFirst: real
// sharded snapshots (snapshots/<key>.v2/, published by the library) are
// pruned as one entry each, with a v1 <key>.tar of the same key alongside:
// the least recently used key goes entirely (directory and .tar), the
// newest stays complete and still restores.
func TestPruneRemovesShardedSnapshotsWholeLeastRecentlyUsedFirst(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			cache := filepath.Join(base, "cache")
			env := ecoLibEnv(base)
			snaps := filepath.Join(cache, "snapshots")
			dash := ecoShellNamed(t, "dash")
			for i, c := range []byte{'1', '2', '3'} {
				src := filepath.Join(base, "src"+string(c))
				ecoSampleTree(t, src, "prune-"+string(c))
				ecoBigTree(t, filepath.Join(src, "blobs"), 1)
				if r := ecoLib(t, dash, base, env, "pw_snapshot_publish", snapKey(c), src); r.exitCode != 0 {
					t.Fatal(r)
				}
				setAge(t, filepath.Join(snaps, snapKey(c)+".v2"), time.Duration(3-i)*time.Hour)
			}
			writeAged(t, filepath.Join(snaps, snapKey('1')+".tar"), 64<<10, 4*time.Hour)
			one := duBytes(t, filepath.Join(snaps, snapKey('3')+".v2"))
			// room for the stores and about one snapshot
			budget := duBytes(t, cache) - 2*one
			r := runPrune(t, sh, cache, strconv.FormatInt(budget, 10))
			if r.err != nil {
				t.Fatalf("prune: %v\n%s", r.err, r.stderr)
			}
			for _, gone := range []string{snapKey('1') + ".v2", snapKey('1') + ".tar", snapKey('2') + ".v2"} {
				if exists(filepath.Join(snaps, gone)) {
					t.Errorf("%s survived the prune", gone)
				}
			}
			stressSnapshotsDir(t, cache, snapKey('3'))
			target := filepath.Join(base, "repo", "node_modules")
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			if r := ecoLib(t, dash, base, env, "pw_snapshot_restore", snapKey('3'), target); r.exitCode != 0 {
				t.Fatalf("restore after the prune: %s", r)
			}
			if d := ecoDiffLists(ecoTreeDigest(t, filepath.Join(base, "src3")), ecoTreeDigest(t, target)); d != "" {
				t.Fatalf("restored tree differs:\n%s", d)
			}
		})
	}
}
