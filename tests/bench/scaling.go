package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// npmCacheScaling installs N distinct lockfile versions (npm-small, then one
// more dependency each: testdata/npm-versions/v2..v5) in turn into two cache
// volumes and records their size after each: one never pruned, one pruned
// by prewarm.script.prune after every version with a budget of "the volume
// after version 1 plus 1.5 snapshots" (room for the store and about two
// snapshots).
func (b *bench) npmCacheScaling() error {
	td := filepath.Join(b.cfg.root, "tests", "bench", "testdata")
	versions := []string{filepath.Join(td, "npm-small")}
	for i := 2; i <= 5; i++ {
		versions = append(versions, filepath.Join(td, "npm-versions", fmt.Sprintf("v%d", i)))
	}
	dir, err := b.workdir("npm-cache-scaling")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	plain, pruned := filepath.Join(dir, "cache-plain"), filepath.Join(dir, "cache-pruned")
	cs := &CacheScaling{Set: "npm-small, then one more dependency per version: tests/bench/testdata/npm-versions"}
	b.res.Cache = cs
	for i, v := range versions {
		r := &npmRig{set: npmSet{fmt.Sprintf("v%d", i+1), v}, dir: dir, repo: filepath.Join(dir, "ws", "repo"), home: filepath.Join(dir, "ws", "home")}
		want := "warm"
		if i == 0 {
			want = "cold"
		}
		pt := CachePoint{Version: i + 1}
		for _, cache := range []string{plain, pruned} {
			secs, sum, err := b.npmInstall(r, "dash", cache, want)
			if err != nil {
				return fmt.Errorf("version %d: %w", i+1, err)
			}
			pt.Packages, _ = strconv.Atoi(sum["packages"])
			logf("   cache        v%d %-14s %7.2fs", i+1, filepath.Base(cache), secs)
		}
		var err error
		if pt.Bytes, err = duBytes(plain); err != nil {
			return err
		}
		pt.StoreBytes, _ = duBytes(filepath.Join(plain, "store"))
		pt.Snapshots = countSnapshots(plain)
		if i == 0 {
			snap, _, err := oneSnapshot(pruned)
			if err != nil {
				return fmt.Errorf("after version 1: %w", err)
			}
			before, err := duBytes(pruned)
			if err != nil {
				return err
			}
			snapBytes, _ := duBytes(snap)
			cs.BudgetBytes = before + snapBytes*3/2
			cs.BudgetNote = fmt.Sprintf("the volume after version 1 (%s) plus 1.5 × its snapshot (%s)", human(before), human(snapBytes))
		}
		line, err := b.prune(pruned, cs.BudgetBytes)
		if err != nil {
			return err
		}
		pt.PruneLine = line
		if pt.PrunedBytes, err = duBytes(pruned); err != nil {
			return err
		}
		pt.PrunedSnapshots = countSnapshots(pruned)
		logf("   cache        v%d: %d packages, plain %s (%d snapshots), pruned %s (%d snapshots, budget %s)",
			pt.Version, pt.Packages, human(pt.Bytes), pt.Snapshots, human(pt.PrunedBytes), pt.PrunedSnapshots, human(cs.BudgetBytes))
		cs.Points = append(cs.Points, pt)
	}
	return nil
}

// prune runs prewarm.script.prune on cache with budget bytes; it returns
// the script's summary line.
func (b *bench) prune(cache string, budget int64) (string, error) {
	script, err := b.script("prune")
	if err != nil {
		return "", err
	}
	env := append(baseEnv(""), "PREWARM_CACHE="+cache, "PREWARM_PRUNE_MAX_BYTES="+strconv.FormatInt(budget, 10),
		"PREWARM_HOME="+filepath.Join(filepath.Dir(cache), "prune-home"))
	p, err := b.mustExec(filepath.Dir(cache), env, 5*time.Minute, "dash", "-c", script, "prune")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(p.Stdout, "\n") {
		if strings.HasPrefix(l, "prewarm: prune ") {
			return l, nil
		}
	}
	return "", fmt.Errorf("prune printed no summary line\n%s", p)
}

func countSnapshots(cache string) int {
	entries, err := os.ReadDir(filepath.Join(cache, "snapshots"))
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n
}
