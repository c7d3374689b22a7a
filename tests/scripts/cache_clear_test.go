package scripts

// `prewarm cache invalidate|clear` (pkg/cache) racing the real setup
// scripts: a restore never leaves a partial tree, a store is never removed
// under a running setup, and the next setup publishes again.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/pkg/cache"
)

// TestCacheInvalidateDuringRestoresNeverLeavesAPartialTree: while Go
// invalidates the snapshot and publishes it again (same ln protocol as the
// library) in a loop, the library restores it over and over. Every restore
// either gives the whole tree (exit 0) or reports a miss/failure (1, 2)
// with no target and no temporaries left; never a partial tree.
func TestCacheInvalidateDuringRestoresNeverLeavesAPartialTree(t *testing.T) {
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base, src, env := ecoPublishedSample(t, sh, func(src string) {
				writeAged(t, filepath.Join(src, "big", "blob"), 4<<20, 0) // a restore takes a while
			})
			root := filepath.Join(base, "cache")
			// the sharded layout: snapshots/<key>.v2/ (a manifest and shards)
			snap := filepath.Join(root, "snapshots", ecoTestKey+".v2")
			pristine := filepath.Join(base, "pristine.v2")
			if err := linkTree(snap, pristine); err != nil {
				t.Fatal(err)
			}
			want := ecoTreeDigest(t, src)

			var stop atomic.Bool
			var invalidations atomic.Int64
			var wg sync.WaitGroup
			var loopErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; !stop.Load(); i++ {
					if _, err := cache.Invalidate(root, "npm", ecoTestKey[:20]); err != nil && !strings.Contains(err.Error(), "no snapshot") {
						loopErr = err
						return
					}
					invalidations.Add(1)
					time.Sleep(time.Duration(i%7) * 3 * time.Millisecond)
					// publish again as the library does: a temp directory,
					// then one rename to the final name (refused while one exists)
					tmp := filepath.Join(root, "snapshots", fmt.Sprintf(".tmp-%s-%d.v2", ecoTestKey, i))
					if err := linkTree(pristine, tmp); err != nil {
						loopErr = err
						return
					}
					if err := os.Rename(tmp, snap); err != nil {
						_ = os.RemoveAll(tmp)
					}
					// a sharded restore opens each shard on its own and takes
					// longer than one tar: leave some windows it fits in
					time.Sleep(time.Duration(i%5) * 40 * time.Millisecond)
				}
			}()
			target := filepath.Join(base, "repo", "node_modules")
			outcomes := map[int]int{}
			// restore until both sides of the race were seen (a whole tree
			// and a miss) at least a few times each; how many restores that
			// takes depends on the machine's load, so it is capped, not fixed
			raced := func() bool { return outcomes[0] >= 3 && outcomes[1]+outcomes[2] >= 3 }
			for i := 0; i < 400 && (i < 25 || !raced()); i++ {
				_ = os.RemoveAll(target)
				r := ecoLib(t, sh, base, env, "pw_snapshot_restore", ecoTestKey, target)
				outcomes[r.exitCode]++
				switch r.exitCode {
				case 0:
					if d := ecoDiffLists(want, ecoTreeDigest(t, target)); d != "" {
						t.Fatalf("restore %d: exit 0 but the tree differs:\n%s", i, d)
					}
				case 1, 2:
					if exists(target) {
						t.Fatalf("restore %d: exit %d left %s behind\n%s", i, r.exitCode, target, r)
					}
				default:
					t.Fatalf("restore %d: exit %d\n%s", i, r.exitCode, r)
				}
				if tmp := ecoTempsUnder(t, filepath.Join(base, "repo")); len(tmp) != 0 {
					t.Fatalf("restore %d left temporaries: %v", i, tmp)
				}
			}
			stop.Store(true)
			wg.Wait()
			if loopErr != nil {
				t.Fatal(loopErr)
			}
			t.Logf("restores by exit code: %v; invalidations: %d", outcomes, invalidations.Load())
			if !raced() {
				t.Errorf("the race was not exercised: outcomes %v, %d invalidations", outcomes, invalidations.Load())
			}
			// invalidated for good: the next publish (a setup's) puts it back
			if _, err := cache.Invalidate(root, "npm", ecoTestKey); err != nil && !strings.Contains(err.Error(), "no snapshot") {
				t.Fatal(err)
			}
			if r := ecoLib(t, sh, base, env, "pw_snapshot_publish", ecoTestKey, src); r.exitCode != 0 || !exists(snap) {
				t.Fatalf("republish: %s", r)
			}
		})
	}
}

// TestCacheClearStoresNeverRacesARunningSetup: `cache clear --part stores`
// refuses while a real gomod setup holds its lease, waits for it with
// --wait (a setup starting meanwhile falls back to a per-pod cache), then
// removes the store; the next setup fills it again.
func TestCacheClearStoresNeverRacesARunningSetup(t *testing.T) {
	ecoNeedsGo(t)
	sh := ecoShellNamed(t, "dash")
	base := ecoTempDir(t)
	repo := gomodRepo(t, base)
	root := filepath.Join(base, "cache")
	setup1, _ := gomodSetupHoldingLease(t, sh, repo, root, filepath.Join(base, "home1"))
	// no --wait: refused, naming the setup
	_, err := cache.Clear(root, "gomod", cache.ClearOptions{Part: cache.ClearStores})
	var le *cache.LeaseError
	if !errors.As(err, &le) || !strings.HasPrefix(le.Leases[0].Name, "gomod-") {
		t.Fatalf("clear under a running setup: err=%v, want a LeaseError naming the gomod lease", err)
	}
	if setup1.ended() {
		t.Fatal("the setup finished before the clear was refused: no overlap")
	}
	// --wait: the clear holds the lock while it waits; a second setup that
	// starts now falls back, and the first one finishes with its store
	type res struct {
		r   cache.Result
		err error
	}
	cleared := make(chan res, 1)
	go func() {
		r, err := cache.Clear(root, "gomod", cache.ClearOptions{Part: cache.ClearStores, Wait: 5 * time.Minute, Owner: "test clear"})
		cleared <- res{r, err}
	}()
	for !exists(filepath.Join(root, cache.LockDir)) {
		time.Sleep(10 * time.Millisecond)
	}
	r2 := ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, filepath.Join(base, "home2")), 5*time.Minute)
	ecoWantResult(t, sh, r2, ecoOK(t, sh, r2), "fallback")
	r1 := ecoRunOf(setup1.Wait())
	if r1.exitCode != 0 {
		t.Fatalf("the first setup failed\n%s", r1)
	}
	if !strings.Contains(r1.stdout, "result=cold") || strings.Contains(r1.stdout, "prebuild=failed") {
		t.Fatalf("first setup: %s", r1.stdout)
	}
	c := <-cleared
	if c.err != nil {
		t.Fatal(c.err)
	}
	if strings.Join(c.r.Removed, " ") != "build" || exists(filepath.Join(root, "build")) {
		t.Fatalf("clear removed %v; build/ must be gone", c.r.Removed)
	}
	// the next setup fills the store again
	r3 := ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, gomodEnv(repo, root, filepath.Join(base, "home3")), 5*time.Minute)
	ecoWantResult(t, sh, r3, ecoOK(t, sh, r3), "cold")
	if !exists(filepath.Join(root, "build")) {
		t.Error("build/ not filled again")
	}
}

// linkTree recreates the directory tree src at dst with hard links to its
// files (a snapshot's manifest and shards), so republishing costs no copy.
func linkTree(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), fi.Mode().Perm())
		}
		return os.Link(p, filepath.Join(dst, rel))
	})
}
