package scripts

// The pruner trims an over-budget store entry by entry (prune.sh.tpl step
// 3): oldest mtime first, never by atime, an extracted Go module whole,
// only as much as the budget needs, and nothing while a running setup
// holds a lease. Real files under dash and busybox; the last test fills
// the store with the real gomod setup and the real go command.

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

// setTimes sets path's atime and mtime separately.
func setTimes(t *testing.T, path string, atime, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(path, atime, mtime); err != nil {
		t.Fatal(err)
	}
}

// entryFixture is a cache whose npm store has eight 64 KiB content files,
// mtimes 8h (c0) to 1h (c7) ago, and atimes the other way round (the oldest
// file was read last: a pruner that read atime would keep it); a gomod
// tree with two extracted modules (read-only, as go leaves them) and
// their download files; use records naming both stores.
type entryFixture struct {
	root    string
	content []string // oldest first
	modA    string   // extracted module, 10h old
	modB    string   // extracted module, 30 min old
}

func newEntryFixture(t *testing.T) entryFixture {
	t.Helper()
	root := filepath.Join(t.TempDir(), "cache")
	f := entryFixture{root: root}
	now := time.Now()
	for i := 0; i < 8; i++ {
		p := filepath.Join(root, "store", "_cacache", "content-v2", "sha512", "0"+strconv.Itoa(i), "c"+strconv.Itoa(i))
		writeAged(t, p, 64<<10, 0)
		setTimes(t, p, now.Add(-time.Duration(i)*time.Minute), now.Add(-time.Duration(8-i)*time.Hour))
		f.content = append(f.content, p)
	}
	f.modA = filepath.Join(root, "mod", "example.com", "a@v1.0.0")
	f.modB = filepath.Join(root, "mod", "example.com", "b@v1.0.0")
	for _, m := range []struct {
		dir string
		age time.Duration
	}{{f.modA, 10 * time.Hour}, {f.modB, 30 * time.Minute}} {
		for _, n := range []string{"go.mod", "a.go", "sub/b.go"} {
			writeAged(t, filepath.Join(m.dir, n), 16<<10, m.age)
		}
		zip := filepath.Join(root, "mod", "cache", "download", "example.com", filepath.Base(m.dir)[:1], "@v", "v1.0.0.zip")
		writeAged(t, zip, 32<<10, m.age)
		// go extracts modules read-only
		for _, d := range []string{filepath.Join(m.dir, "sub"), m.dir} {
			for _, n := range []string{"go.mod", "a.go", "b.go"} {
				_ = os.Chmod(filepath.Join(d, n), 0o444)
			}
			if err := os.Chmod(d, 0o555); err != nil {
				t.Fatal(err)
			}
			setAge(t, d, m.age)
		}
	}
	t.Cleanup(func() { _ = exec.Command("chmod", "-R", "u+w", root).Run() })
	useRecord(t, root, 'a', "store", 2*time.Hour)
	useRecord(t, root, 'b', "mod", 20*time.Minute)
	return f
}

func TestPruneTrimsAStoreEntryByEntryOldestFirstNotByAtime(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newEntryFixture(t)
			// budget: everything but the three oldest content files
			budget := duBytes(t, f.root) - 3*duBytes(t, f.content[0]) + 16384 // slack: the pruner's own records
			res := runPrune(t, sh, f.root, strconv.FormatInt(budget, 10))
			if res.err != nil {
				t.Fatalf("prune: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			if s.stores != 1 || s.entries != 3 || s.removed != 0 {
				t.Errorf("summary %+v: want stores=1 entries=3 removed=0", s)
			}
			if s.after > budget || s.after != duBytes(t, f.root) {
				t.Errorf("after=%d: want <= budget %d and = du %d", s.after, budget, duBytes(t, f.root))
			}
			for i, p := range f.content {
				if got, want := exists(p), i >= 3; got != want {
					t.Errorf("content c%d (mtime %dh ago) exists=%v, want %v", i, 8-i, got, want)
				}
			}
			if !exists(f.modA) || !exists(f.modB) {
				t.Error("the gomod store (used more recently) was touched though the npm store sufficed")
			}
			if !strings.Contains(res.stderr, "prune: trimmed store store: removed 3 entries") {
				t.Errorf("stderr does not report the trim:\n%s", res.stderr)
			}
			if exists(filepath.Join(f.root, "store", "_cacache", "content-v2", "sha512", "00")) {
				t.Error("an emptied directory was left")
			}
			if tmps := ecoTempsUnder(t, f.root); len(tmps) != 0 || exists(filepath.Join(f.root, cache.LockDir)) {
				t.Errorf("left temporaries %v or the lock", tmps)
			}

			// every npm entry gone: the gomod store is next, its oldest
			// entries first, the old module whole, read-only or not
			budget = duBytes(t, f.root) - duBytes(t, filepath.Join(f.root, "store")) - duBytes(t, f.modA) + 16384
			res = runPrune(t, sh, f.root, strconv.FormatInt(budget, 10))
			if res.err != nil {
				t.Fatalf("prune: %v\n%s", res.err, res.stderr)
			}
			s = parsePruneSummary(t, res.stdout)
			if s.stores != 2 || s.after > budget {
				t.Errorf("summary %+v: want stores=2 and after <= %d", s, budget)
			}
			if exists(filepath.Join(f.root, "store")) {
				t.Error("the npm store is not empty")
			}
			if exists(f.modA) {
				t.Error("module a (10h old) is still there")
			}
			var left []string
			_ = filepath.Walk(f.modB, func(p string, _ os.FileInfo, _ error) error { left = append(left, p); return nil })
			if len(left) != 5 {
				t.Errorf("module b must be whole (5 names), has %d: %v", len(left), left)
			}
			if tmps := ecoTempsUnder(t, f.root); len(tmps) != 0 {
				t.Errorf("left temporaries %v", tmps)
			}
		})
	}
}

// TestPruneTrimsNoEntryUnderALease: a store over the budget while a setup
// holds a live lease is left byte for byte; the run says which setups.
// Once the lease is stale (a crashed setup), the store is trimmed.
func TestPruneTrimsNoEntryUnderALease(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			f := newEntryFixture(t)
			lease := filepath.Join(f.root, cache.LeasesDir, "npm-pod-3-41")
			writeAged(t, lease, 0, time.Minute)
			before := ecoTreeDigest(t, filepath.Join(f.root, "store"))
			beforeMod := ecoTreeDigest(t, filepath.Join(f.root, "mod"))
			res := runPrune(t, sh, f.root, "1")
			if res.err != nil {
				t.Fatalf("prune: %v\n%s", res.err, res.stderr)
			}
			if s := parsePruneSummary(t, res.stdout); s.stores != 0 || s.entries != 0 {
				t.Errorf("summary %+v: want no store trimmed under a lease", s)
			}
			if d := ecoDiffLists(before, ecoTreeDigest(t, filepath.Join(f.root, "store"))) + ecoDiffLists(beforeMod, ecoTreeDigest(t, filepath.Join(f.root, "mod"))); d != "" {
				t.Errorf("a store changed under a lease:\n%s", d)
			}
			if !strings.Contains(res.stderr, "1 running setups hold leases on "+f.root+" (npm-pod-3-41)") {
				t.Errorf("stderr does not name the lease:\n%s", res.stderr)
			}
			setAge(t, lease, (cache.LeaseStaleMinutes+1)*time.Minute)
			res = runPrune(t, sh, f.root, "1")
			if s := parsePruneSummary(t, res.stdout); s.stores != 2 || s.entries != 8+2+2 {
				t.Errorf("stale lease: %+v, want both stores trimmed (8 files; 2 modules and 2 zips)\n%s", s, res.stderr)
			}
		})
	}
}

// TestPruneTrimsARealGoBuildCache: the real gomod setup (dash) fills
// GOCACHE (build/) on the cache with the real go command; the pruner
// (busybox) takes the cache to 60% of its size entry by entry — build/ is
// trimmed, not removed — and the next setup and the agent's `go build`
// (GOPROXY=off) work on what is left. (A store under a running setup:
// prune_stores_test.go TestPruneNeverRemovesAStoreUnderARunningSetup runs
// this same trim against a live lease.)
func TestPruneTrimsARealGoBuildCache(t *testing.T) {
	g := newRealGoPrune(t)
	dash, prune, base, repo, root := g.dash, g.prune, g.base, g.repo, g.root
	r := ecoRunScript(t, dash, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, filepath.Join(base, "home1")), 5*time.Minute)
	ecoWantResult(t, dash, r, ecoOK(t, dash, r), "cold")
	files := func() int {
		n := 0
		_ = filepath.WalkDir(filepath.Join(root, "build"), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	before := files()
	total := duBytes(t, root)
	budget := total * 6 / 10
	res := runPrune(t, prune, root, strconv.FormatInt(budget, 10))
	if res.err != nil {
		t.Fatalf("prune: %v\n%s", res.err, res.stderr)
	}
	s := parsePruneSummary(t, res.stdout)
	after := files()
	t.Logf("GOCACHE: %d bytes, %d files; budget %d: %+v; %d files left", total, before, budget, s, after)
	if s.after > budget || s.stores != 1 || s.entries == 0 || int(s.entries) != before-after {
		t.Errorf("%+v: want after <= %d, one store trimmed, entries = files removed (%d)", s, budget, before-after)
	}
	if after == 0 || s.after < budget/2 {
		t.Errorf("%d files left, after=%d: the trim took far more than the budget %d needs", after, s.after, budget)
	}
	if tmps := ecoTempsUnder(t, root); len(tmps) != 0 {
		t.Errorf("left temporaries %v", tmps)
	}
	// (no dependencies, so no mod/: the setup reports cold either way)
	r = ecoRunScript(t, dash, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, filepath.Join(base, "home2")), 5*time.Minute)
	ecoOK(t, dash, r)
	build := exec.Command("go", "build", "./...")
	build.Dir = repo
	build.Env = append(ecoBaseEnv(ecoShell{}), "HOME="+filepath.Join(base, "home2"), "GOMODCACHE="+filepath.Join(root, "mod"),
		"GOCACHE="+filepath.Join(root, "build"), "GOFLAGS=-modcacherw", "GOPROXY=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("agent go build with GOPROXY=off after the trim: %v\n%s", err, out)
	}
}

// TestPruneTrimsARealNpmStoreAndTheNextInstallIsWhole: the real npm setup
// (dash) installs the npm-medium fixture from the registry; the pruner
// (busybox) removes the snapshot and then trims the npm store (_cacache)
// entry by entry to about half; a fresh clone's setup installs from what
// is left (fetching what went) into a node_modules identical, file for
// file, to the first one: a trimmed _cacache costs fetches, never a Task.
func TestPruneTrimsARealNpmStoreAndTheNextInstallIsWhole(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed")
	}
	dash := ecoShellNamed(t, "dash")
	prune := pruneShells(t)[1]
	base := ecoTempDir(t)
	root := filepath.Join(base, "cache")
	repo := ecoNpmRepo(t, base, "repo-1")
	r := ecoNpmRun(t, dash, base, repo, root)
	ecoWantResult(t, dash, r, ecoOK(t, dash, r), "cold")
	want := ecoTreeDigest(t, filepath.Join(repo, "node_modules"))

	store := duBytes(t, filepath.Join(root, "store"))
	budget := duBytes(t, root) - duBytes(t, filepath.Join(root, "snapshots")) - store/2
	res := runPrune(t, prune, root, strconv.FormatInt(budget, 10))
	if res.err != nil {
		t.Fatalf("prune: %v\n%s", res.err, res.stderr)
	}
	s := parsePruneSummary(t, res.stdout)
	left := duBytes(t, filepath.Join(root, "store"))
	t.Logf("npm store %d bytes, budget %d: %+v; store now %d bytes", store, budget, s, left)
	if s.removed != 1 || s.stores != 1 || s.after > budget || left == 0 || left > store*6/10 {
		t.Fatalf("%+v: want the snapshot removed and the store trimmed to about half (%d of %d bytes left)", s, left, store)
	}

	repo2 := ecoNpmRepo(t, base, "repo-2")
	r = ecoNpmRun(t, dash, base, repo2, root)
	s2 := ecoOK(t, dash, r)
	t.Logf("after the trim: %v", s2)
	if d := ecoDiffLists(want, ecoTreeDigest(t, filepath.Join(repo2, "node_modules"))); d != "" {
		t.Errorf("node_modules after the trim differs from the first install:\n%s", d)
	}
}

// TestPruneTrimsTheNpmCacheIndexFirst: in cacache's layout (what npm
// writes: index-v5 buckets of JSON lines naming content-v2 files by
// integrity) the pruner removes content no bucket names first, then
// buckets oldest first, each with the content only it names — so no bucket
// that stays ever names a content file that went (npm fails on that one,
// TestPruneTrimsARealNpmStoreAndTheNextInstallIsWhole).
func TestPruneTrimsTheNpmCacheIndexFirst(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache")
			cc := filepath.Join(root, "store", "_cacache")
			content := map[string]string{} // name -> path
			integrity := map[string]string{}
			for i, name := range []string{"orphan", "x", "y", "z"} {
				data := make([]byte, 64<<10)
				for j := range data {
					data[j] = byte(i*31 + j*7)
				}
				sum := sha512.Sum512(data)
				h := hex.EncodeToString(sum[:])
				p := filepath.Join(cc, "content-v2", "sha512", h[:2], h[2:4], h[4:])
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o444); err != nil {
					t.Fatal(err)
				}
				setAge(t, p, 10*time.Hour) // all old: the buckets decide
				content[name], integrity[name] = p, "sha512-"+base64.StdEncoding.EncodeToString(sum[:])
			}
			buckets := map[string]string{}
			for _, b := range []struct {
				name  string
				age   time.Duration
				names []string
			}{{"b1", 3 * time.Hour, []string{"x"}}, {"b2", 2 * time.Hour, []string{"x", "y"}}, {"b3", time.Hour, []string{"z"}}} {
				var text strings.Builder
				for _, n := range b.names {
					fmt.Fprintf(&text, "0123456789abcdef\t{\"key\":\"make-fetch-happen:request-cache:https://registry.example/%s\",\"integrity\":\"%s\",\"time\":1,\"size\":65536,\"metadata\":{}}\n", n, integrity[n])
				}
				p := filepath.Join(cc, "index-v5", b.name[:2], "aa", b.name)
				writeAgedText(t, p, text.String(), b.age)
				buckets[b.name] = p
			}
			useRecord(t, root, 'a', "store", time.Hour)
			total := duBytes(t, root)
			budget := total - 64<<10 - 64<<10 - 16<<10
			res := runPrune(t, sh, root, strconv.FormatInt(budget, 10))
			if res.err != nil {
				t.Fatalf("prune: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			if s.after > budget {
				t.Errorf("%+v: over the budget %d", s, budget)
			}
			for name, want := range map[string]bool{"orphan": false, "x": false, "y": false, "z": true} {
				if got := exists(content[name]); got != want {
					t.Errorf("content %s exists=%v, want %v", name, got, want)
				}
			}
			for name, want := range map[string]bool{"b1": false, "b2": false, "b3": true} {
				if got := exists(buckets[name]); got != want {
					t.Errorf("bucket %s exists=%v, want %v", name, got, want)
				}
			}
			// orphan, b1, b2, x, y: one entry each
			if s.entries != 5 {
				t.Errorf("entries=%d, want 5 (orphan, b1, b2, x, y)", s.entries)
			}
		})
	}
}

func writeAgedText(t *testing.T, path, text string, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	setAge(t, path, age)
}

// TestPruneTrimsPipHTTPCacheMetadataWithBody: pip's http-v2 cache keeps a
// response as <hash> (metadata) and <hash>.body; pip's vendored
// cachecontrol reads metadata whose body file is gone as an empty
// response. So the two are one entry, the metadata removed first, sized
// together: no metadata that stays is ever without its body.
func TestPruneTrimsPipHTTPCacheMetadataWithBody(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache")
			var metas []string
			for i := 0; i < 4; i++ {
				meta := filepath.Join(root, "store", "http-v2", "a", "b", "c", "d", "e", "h"+strconv.Itoa(i))
				writeAged(t, meta, 2<<10, time.Duration(5-i)*time.Hour)
				// the bodies look newer: the metadata's mtime decides
				writeAged(t, meta+".body", 60<<10, time.Minute)
				metas = append(metas, meta)
			}
			useRecord(t, root, 'f', "store", time.Hour)
			// two responses' worth (metadata + body) must go
			budget := duBytes(t, root) - 2*(duBytes(t, metas[0])+duBytes(t, metas[0]+".body")) + 16384 // slack: the pruner's own records
			res := runPrune(t, sh, root, strconv.FormatInt(budget, 10))
			if res.err != nil {
				t.Fatalf("prune: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			if s.entries != 2 || s.after > budget {
				t.Errorf("%+v: want 2 entries (two responses) and after <= %d", s, budget)
			}
			for i, m := range metas {
				want := i >= 2
				if exists(m) != want || exists(m+".body") != want {
					t.Errorf("response h%d: metadata exists=%v, body exists=%v; want both %v", i, exists(m), exists(m+".body"), want)
				}
			}
		})
	}
}
