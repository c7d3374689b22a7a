package cache

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// All tests here run on real files in a temp dir and compare with what the
// system's du says about the same files.

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func key(c byte) string { return strings.Repeat(string(c), 64) }

// write creates path with size bytes (parents too) and sets its mtime.
func write(t *testing.T, path string, size int, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b := bytes.Repeat([]byte{'x'}, size)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func record(t *testing.T, root, k, preset, workdir, stores string, created, used time.Time) {
	t.Helper()
	p := filepath.Join(root, UsedDir, k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	text := "preset=" + preset + "\nworkdir=" + workdir + "\nstores=" + stores + "\ncreated=" + strconv.FormatInt(created.Unix(), 10) + "\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, used, used); err != nil {
		t.Fatal(err)
	}
}

// npmCache builds an npm cache: three snapshots (one sharded, one with a
// hard link from an unfinished publish), two stores, temps, metadata.
func npmCache(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "npm")
	s := filepath.Join(root, SnapshotsDir)
	write(t, filepath.Join(s, key('a')+".tar"), 100_000, t0.Add(-3*time.Hour))
	write(t, filepath.Join(s, key('b')+".tar"), 50_000, t0.Add(-1*time.Hour))
	// sharded layout of key c: a directory of shards and a manifest
	write(t, filepath.Join(s, key('c'), "0.tar"), 30_000, t0.Add(-2*time.Hour))
	write(t, filepath.Join(s, key('c'), "1.tar"), 30_000, t0.Add(-2*time.Hour))
	write(t, filepath.Join(s, key('c')+".manifest"), 200, t0.Add(-2*time.Hour))
	if err := os.Chtimes(filepath.Join(s, key('c')), t0.Add(-2*time.Hour), t0.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// a publish in progress, hard-linked to b's data: counted once per part
	if err := os.Link(filepath.Join(s, key('b')+".tar"), filepath.Join(s, ".tmp-"+key('b')+"-42.tar")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(s, "README"), 10, t0)
	write(t, filepath.Join(root, "store", "_cacache", "content-v2", "sha512", "aa"), 70_000, t0.Add(-48*time.Hour))
	write(t, filepath.Join(root, "store", "_cacache", "index-v5", "bb"), 1_000, t0.Add(-48*time.Hour))
	write(t, filepath.Join(root, "pnpm-store", "v3", "files", "00"), 20_000, t0.Add(-72*time.Hour))
	write(t, filepath.Join(root, ".tmp-probe-7"), 1, t0)
	write(t, filepath.Join(root, "lost+found", "x"), 5, t0)
	// key a restored 10 minutes ago (record), created long before
	record(t, root, key('a'), "npm", "services/web", "store", t0.Add(-30*24*time.Hour), t0.Add(-10*time.Minute))
	record(t, root, key('d'), "npm", ".", "pnpm-store", t0.Add(-5*time.Hour), t0.Add(-5*time.Hour))
	if err := os.WriteFile(filepath.Join(root, BudgetFile), []byte("400000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// duB1 is GNU du's disk usage in bytes of paths together (hard links once).
func duB1(t *testing.T, paths ...string) int64 {
	t.Helper()
	if len(paths) == 0 {
		return 0
	}
	out, err := exec.Command("du", append([]string{"-scB1"}, paths...)...).Output()
	if err != nil {
		t.Fatalf("du %v: %v", paths, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	n, err := strconv.ParseInt(strings.Fields(lines[len(lines)-1])[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUsageMatchesDu(t *testing.T) {
	root := npmCache(t)
	inv, err := Scan(root, "npm")
	if err != nil {
		t.Fatal(err)
	}
	u := inv.Usage(0)
	s := filepath.Join(root, SnapshotsDir)
	cases := []struct {
		name string
		got  int64
		want int64
	}{
		{"snapshots", u.Snapshots, duB1(t, glob(t, filepath.Join(s, "[a-f]*"))...)},
		{"stores", u.Stores, duB1(t, filepath.Join(root, "store"), filepath.Join(root, "pnpm-store"))},
		{"store npm", u.ByStore["store"], duB1(t, filepath.Join(root, "store"))},
		// the temp publish is a hard link of b's data: du counts it again
		// when it is measured alone, and so does a per-part sum
		{"temp", u.Temp, duB1(t, filepath.Join(s, ".tmp-"+key('b')+"-42.tar")) + duB1(t, filepath.Join(root, ".tmp-probe-7"))},
		{"other", u.Other, duB1(t, filepath.Join(root, MetaDir)) + duB1(t, filepath.Join(root, "lost+found")) + duB1(t, filepath.Join(s, "README"))},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %d bytes, du says %d", c.name, c.got, c.want)
		}
		if c.got == 0 {
			t.Errorf("%s = 0: the fixture must make every part non-empty", c.name)
		}
	}
	if u.Budget != 400000 {
		t.Errorf("budget = %d, want the recorded 400000", u.Budget)
	}
	if got := inv.Usage(123).Budget; got != 123 {
		t.Errorf("a given budget %d must override the recorded one, got %d", 123, got)
	}
}

func TestSnapshotsGroupedAndLeastRecentlyUsedFirst(t *testing.T) {
	root := npmCache(t)
	inv, err := Scan(root, "npm")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Key      string
		Entries  int
		Workdir  string
		Created  time.Time
		LastUsed time.Time
	}
	var got []row
	for _, s := range inv.Snapshots() {
		got = append(got, row{s.Key[:1], len(s.Entries), s.Workdir, s.Created.UTC(), s.LastUsed.UTC()})
	}
	want := []row{
		// c: two names (dir of shards + manifest), no record: mtimes
		{"c", 2, "", t0.Add(-2 * time.Hour), t0.Add(-2 * time.Hour)},
		{"b", 1, "", t0.Add(-1 * time.Hour), t0.Add(-1 * time.Hour)},
		// a: its record says used 10 min ago, created 30 days ago
		{"a", 1, "services/web", t0.Add(-30 * 24 * time.Hour), t0.Add(-10 * time.Minute)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("snapshots (-want +got):\n%s", d)
	}
	for _, s := range inv.Snapshots() {
		var paths []string
		for _, e := range s.Entries {
			paths = append(paths, filepath.Join(root, e))
		}
		if want := duB1(t, paths...); s.Bytes != want {
			t.Errorf("snapshot %s: %d bytes, du says %d", s.Key[:1], s.Bytes, want)
		}
	}
}

func TestSnapshotKey(t *testing.T) {
	cases := map[string]string{
		key('a') + ".tar":       key('a'),
		key('a'):                key('a'),
		key('a') + ".3.tar":     key('a'),
		key('a') + ".manifest":  key('a'),
		".tmp-" + key('a'):      "",
		"README":                "",
		strings.Repeat("A", 64): "",
		key('a')[:63] + ".tar":  "",
	}
	for name, want := range cases {
		if got := SnapshotKey(name); got != want {
			t.Errorf("SnapshotKey(%q) = %q, want %q", name, got, want)
		}
	}
}

// left lists the names left in root and in its snapshots/ (not .prewarm),
// sorted, with each 64-digit key shortened to its first digit and "…".
func left(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*", SnapshotsDir + "/*"} {
		for _, p := range glob(t, filepath.Join(root, pat)) {
			rel, _ := filepath.Rel(root, p)
			if rel == SnapshotsDir || rel == MetaDir {
				continue
			}
			out = append(out, keyRun.ReplaceAllStringFunc(rel, func(k string) string { return k[:1] + "…" }))
		}
	}
	sort.Strings(out)
	return out
}

// removeFromNpmCache runs remove (Clear or Invalidate) on a fresh npmCache
// and checks its error against want (a substring; "" wants none) and,
// without one, how many names it removed. ok is false when the case ends
// with its wanted error.
func removeFromNpmCache(t *testing.T, remove func(root string) (Result, error), want string, removed int) (root string, res Result, ok bool) {
	t.Helper()
	root = npmCache(t)
	res, err := remove(root)
	if wantErr(t, err, want) {
		return root, res, false
	}
	if len(res.Removed) != removed {
		t.Errorf("removed %d names %v, want %d", len(res.Removed), res.Removed, removed)
	}
	return root, res, true
}

var keyRun = regexp.MustCompile(`[0-9a-f]{64}`)

func TestClear(t *testing.T) {
	cases := []struct {
		name    string
		opts    ClearOptions
		removed int
		left    []string
		records int
		err     string
	}{
		{
			name: "everything", opts: ClearOptions{}, removed: 6,
			left:    []string{".tmp-probe-7", "lost+found", "snapshots/.tmp-b…-42.tar", "snapshots/README"},
			records: 0,
		},
		{
			name: "snapshots", opts: ClearOptions{Part: ClearSnapshots}, removed: 4,
			left:    []string{".tmp-probe-7", "lost+found", "pnpm-store", "snapshots/.tmp-b…-42.tar", "snapshots/README", "store"},
			records: 2,
		},
		{
			name: "stores", opts: ClearOptions{Part: ClearStores}, removed: 2,
			left:    []string{".tmp-probe-7", "lost+found", "snapshots/.tmp-b…-42.tar", "snapshots/README", "snapshots/a….tar", "snapshots/b….tar", "snapshots/c…", "snapshots/c….manifest"},
			records: 2,
		},
		{
			name: "one store", opts: ClearOptions{Part: ClearStores, Store: "pnpm-store"}, removed: 1,
			left:    []string{".tmp-probe-7", "lost+found", "snapshots/.tmp-b…-42.tar", "snapshots/README", "snapshots/a….tar", "snapshots/b….tar", "snapshots/c…", "snapshots/c….manifest", "store"},
			records: 2,
		},
		{name: "bad part", opts: ClearOptions{Part: "caches"}, err: `part "caches" is not one of all, snapshots, stores`},
		{name: "store without part", opts: ClearOptions{Store: "store"}, err: `needs the part stores`},
		{name: "not a store", opts: ClearOptions{Part: ClearStores, Store: "mod"}, err: `"mod" is not a store of preset npm (stores: store, pnpm-store, yarn)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root, _, ok := removeFromNpmCache(t, func(root string) (Result, error) { return Clear(root, "npm", c.opts) }, c.err, c.removed)
			if !ok {
				return
			}
			if d := cmp.Diff(c.left, left(t, root)); d != "" {
				t.Errorf("left (-want +got):\n%s", d)
			}
			recs, _ := os.ReadDir(filepath.Join(root, UsedDir))
			if len(recs) != c.records {
				t.Errorf("%d use records left, want %d", len(recs), c.records)
			}
			// nothing of a removal stays behind under a temp name
			if trash := glob(t, filepath.Join(root, "*", ".tmp-trash-*")); len(trash) > 0 {
				t.Errorf("trash left: %v", trash)
			}
			if _, err := os.Stat(filepath.Join(root, LockDir)); err == nil {
				t.Error("the lock was not released")
			}
		})
	}
}

func lease(t *testing.T, root, name string, age time.Duration) {
	t.Helper()
	write(t, filepath.Join(root, LeasesDir, name), 0, time.Now().Add(-age))
}

func TestClearStoresRespectsLeasesAndLocks(t *testing.T) {
	t.Run("live lease refuses", func(t *testing.T) {
		root := npmCache(t)
		lease(t, root, "npm-pod1-12", time.Minute)
		_, err := Clear(root, "npm", ClearOptions{Part: ClearStores})
		var le *LeaseError
		if !errors.As(err, &le) || len(le.Leases) != 1 || le.Leases[0].Name != "npm-pod1-12" {
			t.Fatalf("err = %v, want a LeaseError naming npm-pod1-12", err)
		}
		if !isDir(filepath.Join(root, "store")) {
			t.Error("the store was removed under a live lease")
		}
		if _, err := os.Stat(filepath.Join(root, LockDir)); err == nil {
			t.Error("the lock was not released after refusing")
		}
	})
	t.Run("stale lease is removed and ignored", func(t *testing.T) {
		root := npmCache(t)
		lease(t, root, "npm-crashed-9", (LeaseStaleMinutes+1)*time.Minute)
		if _, err := Clear(root, "npm", ClearOptions{Part: ClearStores}); err != nil {
			t.Fatal(err)
		}
		if isDir(filepath.Join(root, "store")) {
			t.Error("store kept")
		}
		if _, err := os.Stat(filepath.Join(root, LeasesDir, "npm-crashed-9")); err == nil {
			t.Error("stale lease kept")
		}
	})
	t.Run("wait for the lease to go", func(t *testing.T) {
		root := npmCache(t)
		lease(t, root, "npm-pod2-13", 0)
		go func() {
			time.Sleep(700 * time.Millisecond)
			_ = os.Remove(filepath.Join(root, LeasesDir, "npm-pod2-13"))
		}()
		if _, err := Clear(root, "npm", ClearOptions{Part: ClearStores, Wait: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if isDir(filepath.Join(root, "store")) {
			t.Error("store kept")
		}
	})
	t.Run("the lock stays fresh while waiting", func(t *testing.T) {
		root := npmCache(t)
		lease(t, root, "npm-pod4-15", 0)
		lockDir := filepath.Join(root, LockDir)
		fresh := make(chan bool, 1)
		go func() {
			for !isDir(lockDir) {
				time.Sleep(10 * time.Millisecond)
			}
			old := time.Now().Add(-2 * LockStaleMinutes * time.Minute)
			_ = os.Chtimes(lockDir, old, old)
			time.Sleep(1200 * time.Millisecond)
			fi, err := os.Stat(lockDir)
			fresh <- err == nil && time.Since(fi.ModTime()) < time.Minute
			_ = os.Remove(filepath.Join(root, LeasesDir, "npm-pod4-15"))
		}()
		if _, err := Clear(root, "npm", ClearOptions{Part: ClearStores, Wait: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if !<-fresh {
			t.Error("a waiting clear let its lock go stale: setups would take it for a crash's and use the stores")
		}
	})
	t.Run("live lock refuses", func(t *testing.T) {
		root := npmCache(t)
		l, err := AcquireLock(root, "prune pod-x")
		if err != nil {
			t.Fatal(err)
		}
		_, err = Clear(root, "npm", ClearOptions{Part: ClearStores})
		var le *LockError
		if !errors.As(err, &le) || le.Owner != "prune pod-x" {
			t.Fatalf("err = %v, want a LockError naming prune pod-x", err)
		}
		_ = l.Release()
	})
	t.Run("stale lock is taken over", func(t *testing.T) {
		root := npmCache(t)
		if _, err := AcquireLock(root, "crashed"); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-(LockStaleMinutes + 1) * time.Minute)
		if err := os.Chtimes(filepath.Join(root, LockDir), old, old); err != nil {
			t.Fatal(err)
		}
		if _, err := Clear(root, "npm", ClearOptions{Part: ClearStores}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("snapshots need no lock", func(t *testing.T) {
		root := npmCache(t)
		lease(t, root, "npm-pod3-14", 0)
		if _, err := AcquireLock(root, "someone"); err != nil {
			t.Fatal(err)
		}
		if _, err := Clear(root, "npm", ClearOptions{Part: ClearSnapshots}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInvalidate(t *testing.T) {
	cases := []struct {
		name, key, err string
		removed        int
	}{
		{name: "full key", key: key('a'), removed: 2},
		{name: "20 digits", key: key('c')[:20], removed: 2},
		{name: "record only", key: key('d')[:12], removed: 1},
		{name: "too short", key: "aaaa", err: "must be 12 to 64 lower-case hex digits"},
		{name: "upper case", key: strings.ToUpper(key('a')[:20]), err: "must be 12 to 64 lower-case hex digits"},
		{name: "unknown", key: key('e')[:20], err: "no snapshot or use record for key eeeeeeeeeeeeeeeeeeee"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root, res, ok := removeFromNpmCache(t, func(root string) (Result, error) { return Invalidate(root, "npm", c.key) }, c.err, c.removed)
			if !ok {
				return
			}
			for _, n := range res.Removed {
				if _, err := os.Lstat(filepath.Join(root, n)); err == nil {
					t.Errorf("%s still there", n)
				}
			}
			inv, _ := Scan(root, "npm")
			for _, s := range inv.Snapshots() {
				if strings.HasPrefix(s.Key, c.key) {
					t.Errorf("snapshot %s survived", s.Key)
				}
			}
		})
	}
	t.Run("ambiguous", func(t *testing.T) {
		root := npmCache(t)
		write(t, filepath.Join(root, SnapshotsDir, strings.Repeat("a", 20)+strings.Repeat("f", 44)+".tar"), 10, t0)
		_, err := Invalidate(root, "npm", strings.Repeat("a", 20))
		if err == nil || !strings.Contains(err.Error(), "matches 2 keys") {
			t.Fatalf("err = %v, want an ambiguity error", err)
		}
	})
}

func TestResolve(t *testing.T) {
	base := t.TempDir()
	write(t, filepath.Join(base, "multi", "npm", "store", "_cacache", "x"), 1, t0)
	write(t, filepath.Join(base, "multi", "gomod", "mod", "cache", "x"), 1, t0)
	write(t, filepath.Join(base, "pip", "uv", "x"), 1, t0)
	write(t, filepath.Join(base, "npmonly", "store", "_cacache", "x"), 1, t0)
	write(t, filepath.Join(base, "plain", "x"), 1, t0)
	record(t, filepath.Join(base, "plain"), key('a'), "pip", ".", "store", t0, t0)
	cases := []struct {
		path, preset string
		want         []Target
		err          string
	}{
		{path: "multi", want: []Target{{"multi/gomod", "gomod"}, {"multi/npm", "npm"}}},
		{path: "multi", preset: "npm", want: []Target{{"multi/npm", "npm"}}},
		{path: "pip", want: []Target{{"pip", "pip"}}},
		{path: "npmonly", want: []Target{{"npmonly", "npm"}}},
		{path: "plain", want: []Target{{"plain", "pip"}}},
		{path: "npmonly", preset: "rust", err: `unknown preset "rust"`},
		{path: "nope", err: "no such file or directory"},
		{path: "", err: "--path is required"},
	}
	for _, c := range cases {
		p := c.path
		if p != "" {
			p = filepath.Join(base, p)
		}
		got, err := Resolve(p, c.preset)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Resolve(%q, %q) err = %v, want %q", c.path, c.preset, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q, %q): %v", c.path, c.preset, err)
			continue
		}
		for i := range got {
			got[i].Root, _ = filepath.Rel(base, got[i].Root)
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Resolve(%q, %q) (-want +got):\n%s", c.path, c.preset, d)
		}
	}
}

// TestStoresCoverEveryPreset: the store table has an entry for each preset
// of the one list (pkg/presets) and for nothing else.
func TestStoresCoverEveryPreset(t *testing.T) {
	for _, p := range presets.Names() {
		if len(stores[p]) == 0 {
			t.Errorf("preset %s has no entry in the store table", p)
		}
	}
	for p := range stores {
		if !presets.Known(p) {
			t.Errorf("store table names %q, which is not a preset", p)
		}
	}
}

// TestClearRefusesInPlaceStores: artifacts' blobs are read in place by
// running Task pods, which hold no lease; clear refuses them and leaves
// every blob, whatever the part (snapshots alone is allowed: there are none).
func TestClearRefusesInPlaceStores(t *testing.T) {
	root := t.TempDir()
	blob := filepath.Join(root, "blobs", "sha256", strings.Repeat("a", 64))
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, []byte("weights"), 0o444); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"", ClearAll, ClearStores} {
		_, err := Clear(root, "artifacts", ClearOptions{Part: part})
		if err == nil || !strings.Contains(err.Error(), "read in place by running Task pods") {
			t.Errorf("part %q: err = %v, want the in-place refusal", part, err)
		}
		if _, err := os.Stat(blob); err != nil {
			t.Fatalf("part %q removed %s", part, blob)
		}
	}
	if _, err := Clear(root, "artifacts", ClearOptions{Part: ClearSnapshots}); err != nil {
		t.Errorf("snapshots of artifacts: %v", err)
	}
}

// wantErr fails the test unless err is what a case wants: an error
// containing want, or none when want is "". It reports whether an error was
// wanted (the case ends there).
func wantErr(t *testing.T, err error, want string) bool {
	t.Helper()
	switch {
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("err = %v, want %q", err, want)
	case want == "" && err != nil:
		t.Fatal(err)
	}
	return want != ""
}
