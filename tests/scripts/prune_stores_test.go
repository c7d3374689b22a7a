package scripts

// The pruner's store trimming (prune.sh.tpl step 3) and the lease/lock
// protocol it shares with the setup scripts (lib.sh.tpl pw_lease_take,
// pw_record_use) and with `prewarm cache clear` (pkg/cache). Real scripts,
// real files; the concurrent setup is the real gomod setup script running
// the real go command.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

// useRecord writes .prewarm/used/<key> as pw_record_use does, last used age ago.
func useRecord(t *testing.T, root string, key byte, stores string, age time.Duration) {
	t.Helper()
	p := filepath.Join(root, cache.UsedDir, snapKey(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	text := "preset=npm\nworkdir=.\nstores=" + stores + "\ncreated=1700000000\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	setAge(t, p, age)
}

// storeFixture: three stores of 256 KiB; "store" last used 3h ago,
// "pnpm-store" 1h ago, "yarn" named by no record; one snapshot.
func storeFixture(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "cache")
	writeAged(t, filepath.Join(root, "store", "_cacache", "content"), snapSize, 48*time.Hour)
	writeAged(t, filepath.Join(root, "pnpm-store", "v3", "files"), snapSize, 48*time.Hour)
	writeAged(t, filepath.Join(root, "yarn", "cache"), snapSize, 48*time.Hour)
	writeAged(t, filepath.Join(root, "snapshots", snapKey('1')+".tar"), 16<<10, time.Hour)
	useRecord(t, root, 'a', "store", 3*time.Hour)
	useRecord(t, root, 'b', "pnpm-store", time.Hour)
	useRecord(t, root, 'c', "", 10*time.Minute) // a restore: no store
	// hostile records: never a store
	useRecord(t, root, 'd', "snapshots .prewarm ../x", 9*time.Hour)
	return root
}

func TestPruneTrimsStoresLeastRecentlyUsedFirst(t *testing.T) {
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			root := storeFixture(t)
			// budget: everything but one store and the snapshot (+ slack)
			budget := duBytes(t, root) - duBytes(t, filepath.Join(root, "store")) - duBytes(t, filepath.Join(root, "snapshots")) + 4096*4
			res := runPrune(t, sh, root, strconv.FormatInt(budget, 10))
			if res.err != nil {
				t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
			}
			s := parsePruneSummary(t, res.stdout)
			if s.removed != 1 || s.stores != 1 {
				t.Errorf("summary %+v: want removed=1 (the snapshot) stores=1", s)
			}
			if s.after > budget || s.after != duBytes(t, root) {
				t.Errorf("after=%d: want <= budget %d and = du %d", s.after, budget, duBytes(t, root))
			}
			for name, want := range map[string]bool{"store": false, "pnpm-store": true, "yarn": true, "snapshots": true, cache.MetaDir: true} {
				if got := exists(filepath.Join(root, name)); got != want {
					t.Errorf("%s exists=%v, want %v", name, got, want)
				}
			}
			if !strings.Contains(res.stderr, "prune: trimmed store store: removed 1 entries") {
				t.Errorf("stderr does not report the store")
			}
			if b, _ := os.ReadFile(filepath.Join(root, cache.BudgetFile)); strings.TrimSpace(string(b)) != strconv.FormatInt(budget, 10) {
				t.Errorf(".prewarm/budget = %q, want %d", b, budget)
			}
			if exists(filepath.Join(root, cache.LockDir)) {
				t.Error("the lock was left behind")
			}
			// a budget of 1 byte takes every named store, never yarn
			res = runPrune(t, sh, root, "1")
			if s := parsePruneSummary(t, res.stdout); s.stores != 1 || exists(filepath.Join(root, "pnpm-store")) || !exists(filepath.Join(root, "yarn")) {
				t.Errorf("tiny budget: %+v; pnpm-store must go (stores=1), yarn (no record) must stay", s)
			}
		})
	}
}

func TestPruneKeepsStoresUnderLeasesAndLocks(t *testing.T) {
	cases := []struct {
		name       string
		prepare    func(t *testing.T, root string)
		wantStores int64
		stderr     string
	}{
		{
			name: "live lease",
			prepare: func(t *testing.T, root string) {
				writeAged(t, filepath.Join(root, cache.LeasesDir, "gomod-pod-1"), 0, (cache.LeaseStaleMinutes-5)*time.Minute)
			},
			wantStores: 0, stderr: "1 running setups hold leases",
		},
		{
			name: "stale lease",
			prepare: func(t *testing.T, root string) {
				writeAged(t, filepath.Join(root, cache.LeasesDir, "gomod-pod-1"), 0, (cache.LeaseStaleMinutes+5)*time.Minute)
			},
			wantStores: 2, stderr: "removed the stale lease gomod-pod-1",
		},
		{
			name: "live lock",
			prepare: func(t *testing.T, root string) {
				if _, err := cache.AcquireLock(root, "prewarm-cache-clear laptop pid 7"); err != nil {
					t.Fatal(err)
				}
			},
			wantStores: 0, stderr: "lock is held (prewarm-cache-clear laptop pid 7)",
		},
		{
			name: "stale lock",
			prepare: func(t *testing.T, root string) {
				if _, err := cache.AcquireLock(root, "crashed"); err != nil {
					t.Fatal(err)
				}
				setAge(t, filepath.Join(root, cache.LockDir), (cache.LockStaleMinutes+5)*time.Minute)
			},
			wantStores: 2, stderr: "removing the stale lock",
		},
	}
	for _, sh := range pruneShells(t) {
		for _, c := range cases {
			t.Run(sh.name+"/"+c.name, func(t *testing.T) {
				root := storeFixture(t)
				c.prepare(t, root)
				res := runPrune(t, sh, root, "1")
				if res.err != nil {
					t.Fatalf("prune failed: %v\n%s", res.err, res.stderr)
				}
				s := parsePruneSummary(t, res.stdout)
				if s.stores != c.wantStores {
					t.Errorf("stores=%d, want %d", s.stores, c.wantStores)
				}
				if s.removed != 1 {
					t.Errorf("removed=%d: snapshots need no lock and must go", s.removed)
				}
				if !strings.Contains(res.stderr, c.stderr) {
					t.Errorf("stderr does not say %q", c.stderr)
				}
				if c.wantStores == 0 && !(exists(filepath.Join(root, "store")) && exists(filepath.Join(root, "pnpm-store"))) {
					t.Error("a store was removed")
				}
			})
		}
	}
}

// gomodRepo is a module without dependencies; its build fills GOCACHE.
func gomodRepo(t *testing.T, base string) string {
	t.Helper()
	repo := filepath.Join(base, "repo")
	ecoWriteFiles(t, repo, map[string]string{
		"go.mod":  "module example.com/leased\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println() }\n",
	})
	return repo
}

// gomodSetupHoldingLease starts a real gomod setup in the background and
// waits (up to 2 minutes) until it holds its one lease and has created
// build/ on the cache root; it returns the run and the lease's path.
func gomodSetupHoldingLease(t *testing.T, sh ecoShell, repo, root, home string) (stressStarted, string) {
	t.Helper()
	s := stressStart(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, home))
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(root, cache.LeasesDir, "gomod-*")); len(m) == 1 && exists(filepath.Join(root, "build")) {
			return s, m[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	r, _ := s.kill()
	t.Fatalf("the setup never took a lease and filled build/\n%s", r)
	return s, ""
}

// realGoPrune is where the real-go pruner tests start: dash for the gomod
// setup, busybox for the pruner (as in the pruner image), a Go module repo
// and the cache root under one temp dir.
type realGoPrune struct {
	dash             ecoShell
	prune            pruneShell
	base, repo, root string
}

func newRealGoPrune(t *testing.T) realGoPrune {
	t.Helper()
	ecoNeedsGo(t)
	base := ecoTempDir(t)
	return realGoPrune{
		dash:  ecoShellNamed(t, "dash"),
		prune: pruneShells(t)[1], // busybox, as in the pruner image
		base:  base,
		repo:  gomodRepo(t, base),
		root:  filepath.Join(base, "cache"),
	}
}

func gomodEnv(repo, cacheDir, home string) []string {
	return []string{
		"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + cacheDir,
		"PREWARM_WORKDIRS=.", "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=",
	}
}

// TestPruneNeverRemovesAStoreUnderARunningSetup: a real gomod setup (go
// build filling GOCACHE on the cache) holds its lease while the pruner runs
// with a 1-byte budget: no store goes and the setup succeeds with its store
// on the volume. Once it exited (lease gone, use record written), the next
// prune removes the store; the next setup runs cold and fills them again.
// The other way round, a setup that starts while a trimmer holds the lock
// falls back to a per-pod cache and leaves the volume alone.
func TestPruneNeverRemovesAStoreUnderARunningSetup(t *testing.T) {
	g := newRealGoPrune(t)
	sh, prune, base, repo, root := g.dash, g.prune, g.base, g.repo, g.root

	// An earlier setup recorded that it used both stores, so the pruner
	// would trim them.
	rec := filepath.Join(root, cache.UsedDir, snapKey('e'))
	if err := os.MkdirAll(filepath.Dir(rec), 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, []byte("preset=gomod\nworkdir=.\nstores=mod build\ncreated=1700000000\n"), 0o664); err != nil {
		t.Fatal(err)
	}

	// 1. setup in the background; prune while its lease is there
	setup, lease := gomodSetupHoldingLease(t, sh, repo, root, filepath.Join(base, "home1"))
	leases := filepath.Join(root, cache.LeasesDir)
	res := runPrune(t, prune, root, "1")
	if res.err != nil {
		t.Fatalf("prune: %v\n%s", res.err, res.stderr)
	}
	if s := parsePruneSummary(t, res.stdout); s.stores != 0 {
		t.Fatalf("the pruner removed %d stores under a running setup", s.stores)
	}
	if setup.ended() {
		t.Fatal("the setup finished before the prune did: no overlap, the test proves nothing; make the build longer")
	}
	if !strings.Contains(res.stderr, "running setups hold leases") {
		t.Errorf("prune stderr does not name the lease:\n%s", res.stderr)
	}
	r1 := ecoRunOf(setup.Wait())
	if r1.exitCode != 0 {
		t.Fatalf("setup failed\n%s", r1)
	}
	// (no dependencies: go creates no mod/; the build fills build/)
	if !strings.Contains(r1.stdout, "result=cold") || !exists(filepath.Join(root, "build")) {
		t.Fatalf("setup: want result=cold with build/ on the cache\nstdout: %s", r1.stdout)
	}
	if exists(lease) {
		t.Error("the setup left its lease behind")
	}
	// its use record names both stores and the key of the summary line
	key := strings.TrimPrefix(strings.Fields(r1.stdout)[2], "key=")
	recs, _ := filepath.Glob(filepath.Join(root, cache.UsedDir, key+"*"))
	if len(recs) != 1 {
		t.Fatalf("no use record for key %s: %v", key, recs)
	}
	inv, err := cache.Scan(root, "gomod")
	if err != nil {
		t.Fatal(err)
	}
	r := inv.Records[filepath.Base(recs[0])]
	if r.Preset != "gomod" || r.Workdir != "." || strings.Join(r.Stores, " ") != "mod build" {
		t.Errorf("use record %+v: want preset gomod, workdir ., stores mod build", r)
	}

	// 2. no setup running: the store goes
	res = runPrune(t, prune, root, "1")
	if s := parsePruneSummary(t, res.stdout); s.stores != 1 || exists(filepath.Join(root, "build")) {
		t.Fatalf("idle prune: %+v, want stores=1 and no build/\n%s", s, res.stderr)
	}

	// 3. a trimmer holds the lock: the setup falls back, the volume stays empty
	lock, err := cache.AcquireLock(root, "prewarm-cache-clear test")
	if err != nil {
		t.Fatal(err)
	}
	r3 := ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, filepath.Join(base, "home3")), 5*time.Minute)
	s3 := ecoOK(t, sh, r3)
	ecoWantResult(t, sh, r3, s3, "fallback")
	if !strings.Contains(r3.stderr, "is being trimmed (prewarm-cache-clear test)") {
		t.Errorf("setup stderr does not say the cache is being trimmed:\n%s", r3.stderr)
	}
	if exists(filepath.Join(root, "build")) || exists(filepath.Join(root, "mod")) {
		t.Error("a setup wrote a store while the trim lock was held")
	}
	if m, _ := filepath.Glob(filepath.Join(leases, "*")); len(m) != 0 {
		t.Errorf("leases left: %v", m)
	}
	_ = lock.Release()

	// 4. lock released: the next setup republishes the stores
	r4 := ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, filepath.Join(base, "home4")), 5*time.Minute)
	ecoWantResult(t, sh, r4, ecoOK(t, sh, r4), "cold")
	if !exists(filepath.Join(root, "build")) {
		t.Error("build/ was not filled again")
	}
}
