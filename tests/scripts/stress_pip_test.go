package scripts

// prewarm.script.pip under concurrency: real pip against the local PEP 503
// index of eco_pip_test.go, 8 pods on one cache.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStressPipConcurrentRunsShareOneCache: 8 runs start at once on an
// empty cache (half dash, half busybox), each in its own checkout path (a
// venv is not relocatable, so the path is part of the key: 8 keys). All
// succeed and import the package; snapshots/ holds exactly one valid
// snapshot per key and no temp names. A second wave on the same paths
// (venvs removed) restores all 8 at once with no download; a new path
// installs from the shared pip cache without downloading (result=warm):
// the concurrent writers left the wheel cache usable.
func TestStressPipConcurrentRunsShareOneCache(t *testing.T) {
	t.Parallel()
	const n = 8
	ix := newEcoPipIndex(t)
	shells := ecoShells(t)
	script := ecoScript(t, "pip")
	root := ecoTempDir(t)
	cache := filepath.Join(root, "cache")
	const req = "pwdemo-alpha==1.0\n"
	bases := make([]string, n)
	for i := range bases {
		bases[i] = filepath.Join(root, fmt.Sprintf("pod-%d", i))
		ecoPipRepo(t, bases[i], req)
	}
	wave := func(label string) []ecoSummary {
		t.Helper()
		runs := make([]ecoRun, n)
		start := time.Now()
		stressParallel(n, func(i int) {
			runs[i] = stressRunScript(shells[i%len(shells)], script, "prewarm-pip", "/", ecoPipEnv(ix, bases[i], cache), 5*time.Minute)
		})
		sums := make([]ecoSummary, n)
		for i, r := range runs {
			s, err := stressSummary(r)
			if err != nil {
				t.Fatalf("%s run %d (%s): %v", label, i, shells[i%len(shells)].name, err)
			}
			sums[i] = s
			ecoPipImports(t, filepath.Join(bases[i], "repo"))
		}
		t.Logf("%s: %d concurrent runs in %s, results %v", label, n, time.Since(start).Round(time.Millisecond), stressResults(sums))
		return sums
	}

	sums := wave("cold")
	keys := make([]string, n)
	seen := map[string]bool{}
	for i, s := range sums {
		if s["result"] != "cold" && s["result"] != "warm" {
			t.Errorf("cold wave run %d: result=%s", i, s["result"])
		}
		keys[i] = stressFullKey(t, cache, s["key"])
		if seen[keys[i]] {
			t.Errorf("two checkout paths share key %s", keys[i])
		}
		seen[keys[i]] = true
	}
	if _, temps := stressSnapshotsDir(t, cache, keys...); len(temps) != 0 {
		t.Errorf("temp names left after runs that all ended normally: %v", temps)
	}

	for _, b := range bases {
		if err := os.RemoveAll(filepath.Join(b, "repo", ".venv")); err != nil {
			t.Fatal(err)
		}
	}
	before := ix.downloads()
	for i, s := range wave("restore") {
		if s["result"] != "snapshot" {
			t.Errorf("restore wave run %d: result=%s, want snapshot", i, s["result"])
		}
	}
	if got := ix.downloads() - before; got != 0 {
		t.Errorf("the restore wave downloaded %d wheels, want 0", got)
	}
	if _, temps := stressSnapshotsDir(t, cache, keys...); len(temps) != 0 {
		t.Errorf("temp names left: %v", temps)
	}

	fresh := filepath.Join(root, "fresh")
	ecoPipRepo(t, fresh, req)
	before = ix.downloads()
	r := ecoRunScript(t, shells[0], script, "prewarm-pip", "/", ecoPipEnv(ix, fresh, cache), 5*time.Minute)
	ecoWantResult(t, shells[0], r, ecoOK(t, shells[0], r), "warm")
	if got := ix.downloads() - before; got != 0 {
		t.Errorf("a new checkout downloaded %d wheels; the shared pip cache should have served them", got)
	}
	ecoPipImports(t, filepath.Join(fresh, "repo"))
}
