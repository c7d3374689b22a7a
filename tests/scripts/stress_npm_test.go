package scripts

// prewarm.script.npm under concurrency and SIGKILL: real npm against a
// local registry (packages generated in the test, incompressible data so
// a snapshot takes measurable time to write), all runs on one cache.
// 4 concurrent runs and 6 crash iterations by default; PREWARM_STRESS=1
// raises them to 8 and 24.

import (
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
)

// stressNpmVerify runs `npm cache verify` on the store and fails unless it
// verifies at least minContent entries and removes nothing as corrupt.
func stressNpmVerify(t *testing.T, store string, minContent int) {
	t.Helper()
	cmd := exec.Command("npm", "cache", "verify")
	cmd.Env = append(ecoBaseEnv(ecoShell{}), "npm_config_cache="+store, "HOME="+t.TempDir(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm cache verify: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Content verified: (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("npm cache verify printed no content count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < minContent {
		t.Errorf("npm cache verify found %d content entries, want at least %d:\n%s", n, minContent, out)
	}
	if regexp.MustCompile(`Corrupted content removed: [1-9]`).Match(out) {
		t.Errorf("npm cache verify removed corrupted content:\n%s", out)
	}
}

// TestStressNpmConcurrentRunsShareOneCacheAndOneSnapshot: N runs start at
// once on an empty cache (half dash, half busybox; the snapshot codecs
// none, zstd and lz4 taking turns), all install the same lockfile and race
// to publish the same key. Then: every run succeeded
// with one summary, all report the same key, snapshots/ holds exactly one
// valid snapshot and no temp names, every node_modules is the same tree,
// `npm cache verify` is clean, and a second wave of N concurrent runs all
// restore that snapshot into the same tree.
func TestStressNpmConcurrentRunsShareOneCacheAndOneSnapshot(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed")
	}
	n := stressPick(4, 8)
	reg := newStressNpmRegistry(t, 24, 64<<10, "")
	shells := ecoShells(t)
	script := ecoScript(t, "npm")
	base := ecoTempDir(t)
	cache := filepath.Join(base, "cache")

	wave := func(label string) ([]ecoSummary, []string) {
		t.Helper()
		repos := make([]string, n)
		for i := range repos {
			repos[i] = filepath.Join(base, fmt.Sprintf("%s-%d", label, i))
			reg.writeProject(t, repos[i])
		}
		runs := make([]ecoRun, n)
		start := time.Now()
		stressParallel(n, func(i int) {
			env := stressNpmEnv(reg, repos[i], filepath.Join(base, "home-"+label+strconv.Itoa(i)), cache,
				"PREWARM_SNAPSHOT_COMPRESSION="+ecoCodecs[i%len(ecoCodecs)])
			runs[i] = stressRunScript(shells[i%len(shells)], script, "prewarm-npm", repos[i], env, 5*time.Minute)
		})
		sums := make([]ecoSummary, n)
		var digest []string
		for i, r := range runs {
			s, err := stressSummary(r)
			if err != nil {
				t.Fatalf("%s run %d (%s): %v", label, i, shells[i%len(shells)].name, err)
			}
			sums[i] = s
			d := ecoTreeDigest(t, filepath.Join(repos[i], "node_modules"))
			if i == 0 {
				digest = d
			} else if diff := ecoDiffLists(digest, d); diff != "" {
				t.Errorf("%s run %d: node_modules differs from run 0:\n%s", label, i, diff)
			}
			if s["key"] != sums[0]["key"] {
				t.Errorf("%s run %d: key %s, run 0 had %s", label, i, s["key"], sums[0]["key"])
			}
		}
		t.Logf("%s: %d concurrent runs in %s, results %v", label, n, time.Since(start).Round(time.Millisecond), stressResults(sums))
		return sums, digest
	}

	sums, digest := wave("cold")
	for i, s := range sums {
		if s["result"] != "cold" && s["result"] != "warm" && s["result"] != "snapshot" {
			t.Errorf("cold wave run %d: result=%s, want cold, warm or snapshot", i, s["result"])
		}
	}
	key := stressFullKey(t, cache, sums[0]["key"])
	if _, temps := stressSnapshotsDir(t, cache, key); len(temps) != 0 {
		t.Errorf("temp names left after runs that all ended normally: %v", temps)
	}
	if m, err := ecoReadManifest(filepath.Join(cache, "snapshots", key+ecoSnapshotSuffix)); err == nil {
		t.Logf("the one snapshot is %s-compressed", m.codec)
	}
	stressNpmVerify(t, filepath.Join(cache, "store"), len(reg.pkgs))
	snap := filepath.Join(cache, "snapshots", key+ecoSnapshotSuffix)
	before := ecoTreeDigest(t, snap)

	sums, digest2 := wave("restore")
	for i, s := range sums {
		if s["result"] != "snapshot" {
			t.Errorf("restore wave run %d: result=%s, want snapshot", i, s["result"])
		}
	}
	if d := ecoDiffLists(digest, digest2); d != "" {
		t.Errorf("restored trees differ from the installed ones:\n%s", d)
	}
	if d := ecoDiffLists(before, ecoTreeDigest(t, snap)); d != "" {
		t.Errorf("concurrent restores changed the snapshot's files:\n%s", d)
	}
	if _, temps := stressSnapshotsDir(t, cache, key); len(temps) != 0 {
		t.Errorf("temp names left: %v", temps)
	}
}

func stressResults(sums []ecoSummary) map[string]int {
	m := map[string]int{}
	for _, s := range sums {
		m[s["result"]]++
	}
	return m
}

// TestStressNpmCrashDuringInstallPublishOrRestoreNeverRestoresAPartial:
// a seeded loop of runs killed with SIGKILL (the whole process group)
// during one of three phases, rotating:
//   - install: at a random moment of `npm ci` on a new key;
//   - publish: as soon as snapshots/.tmp-<key>-<pid>.v2 appears, plus a
//     random delay of up to 25 ms (mid plan, shard tar, checksum, sync or
//     rename);
//   - restore: as soon as the checkout's .tmp-prewarm-node_modules-<pid>
//     appears (mid extraction).
//
// The snapshot codec rotates too (iteration i publishes with none, zstd
// or lz4: ecoCodecs[(i+i/3)%3], so every phase meets every codec; the
// snapshot the restore phase kills is zstd).
// After each kill, snapshots/ holds only valid finals and .tmp-* names;
// then a new pod (fresh checkout, same cache) must succeed with result
// snapshot, warm or cold and the exact reference node_modules, and leave
// exactly one valid snapshot for the key. At the end `npm cache verify` is
// clean. Every phase must have been hit at least once.
func TestStressNpmCrashDuringInstallPublishOrRestoreNeverRestoresAPartial(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed")
	}
	iters := stressPick(6, 24)
	rng := rand.New(rand.NewPCG(20260612, 61100))
	reg := newStressNpmRegistry(t, 24, 256<<10, "")
	shells := ecoShells(t)
	script := ecoScript(t, "npm")
	base := ecoTempDir(t)
	cache := filepath.Join(base, "cache")
	snapDir := filepath.Join(cache, "snapshots")
	env := func(repo, salt, codec string) []string {
		return stressNpmEnv(reg, repo, filepath.Join(base, "home-"+filepath.Base(repo)), cache, "PREWARM_KEY_SALT="+salt, "PREWARM_SNAPSHOT_COMPRESSION="+codec)
	}
	project := func(name string) string {
		repo := filepath.Join(base, name)
		reg.writeProject(t, repo)
		return repo
	}

	// The reference tree, and a snapshot for the restore phase.
	repo := project("reference")
	r := ecoRunScript(t, shells[0], script, "prewarm-npm", repo, env(repo, "restore", "zstd"), 5*time.Minute)
	ecoWantResult(t, shells[0], r, ecoOK(t, shells[0], r), "cold")
	want := ecoTreeDigest(t, filepath.Join(repo, "node_modules"))

	caught := map[string]int{}
	iteration := func(i int, phase string) {
		t.Helper()
		sh := shells[rng.IntN(len(shells))]
		codec := ecoCodecs[(i+i/3)%len(ecoCodecs)]
		salt := fmt.Sprintf("crash-%d", i)
		if phase == "restore" {
			salt = "restore"
		}
		repo := project(fmt.Sprintf("killed-%02d", i))
		oldTemps := stressEntries(snapDir, ".tmp-", ecoSnapshotSuffix)
		run := stressStart(t, sh, script, "prewarm-npm", repo, env(repo, salt, codec))
		switch phase {
		case "install":
			time.Sleep(time.Duration(60+rng.IntN(400)) * time.Millisecond)
		case "publish":
			if stressWaitFor(run, 3*time.Minute, func() bool { return stressHasNewEntry(snapDir, ".tmp-", ecoSnapshotSuffix, oldTemps) }) {
				time.Sleep(time.Duration(rng.IntN(25)) * time.Millisecond)
			}
		case "restore":
			stressWaitFor(run, 3*time.Minute, func() bool { return stressHasNewEntry(repo, ".tmp-prewarm-node_modules-", "", nil) })
		}
		killed, hit := run.kill()
		if hit {
			caught[phase]++
		}
		t.Logf("iteration %d (%s, %s, %s): killed=%v exit=%d after %s", i, phase, sh.name, codec, hit, killed.exitCode, killed.elapsed.Round(time.Millisecond))
		if !hit && killed.exitCode != 0 {
			t.Fatalf("iteration %d: the run failed on its own\n%s", i, killed)
		}
		stressSnapshotsDir(t, cache)

		// The next pod: fresh checkout, same cache, same key.
		next := project(fmt.Sprintf("recovered-%02d", i))
		r := ecoRunScript(t, sh, script, "prewarm-npm", next, env(next, salt, codec), 5*time.Minute)
		s := ecoOK(t, sh, r)
		switch s["result"] {
		case "snapshot", "warm", "cold":
		default:
			t.Errorf("iteration %d (%s): the next run says result=%s (a damaged snapshot under a final name?)\n%s", i, phase, s["result"], r)
		}
		if d := ecoDiffLists(want, ecoTreeDigest(t, filepath.Join(next, "node_modules"))); d != "" {
			t.Fatalf("iteration %d (%s): the next run's node_modules (result=%s) is not the reference tree:\n%s", i, phase, s["result"], d)
		}
		stressSnapshotsDir(t, cache)
		stressFullKey(t, cache, s["key"]) // exactly one final for the key
	}
	phases := []string{"install", "publish", "restore"}
	for i := 0; i < iters; i++ {
		iteration(i, phases[i%3])
	}
	// A phase the seeded delays happened to miss gets a few more tries, so
	// the loop always tests all three.
	extra := iters
	for _, phase := range phases {
		for k := 0; caught[phase] == 0 && k < 6; k++ {
			iteration(extra, phase)
			extra++
		}
	}
	t.Logf("kills that landed inside the phase: %v of %d iterations", caught, extra)
	for _, phase := range []string{"install", "publish", "restore"} {
		if caught[phase] == 0 {
			t.Errorf("no kill landed during %s: the loop did not test it", phase)
		}
	}
	final, temps := stressSnapshotsDir(t, cache)
	for _, tmp := range temps {
		if !regexp.MustCompile(`^\.tmp-[0-9a-f]{64}-\d+\.(v2|plan|plan\.1|v2\.failed)$`).MatchString(tmp) {
			t.Errorf("unexpected leftover in snapshots/: %s", tmp)
		}
	}
	t.Logf("snapshots/: %d finals, %d leftovers of killed publishers (removed by the pruner): %s", len(final), len(temps), strings.Join(temps, " "))
	stressNpmVerify(t, filepath.Join(cache, "store"), len(reg.pkgs))
}

// TestStressNpmCompressedSnapshotWithoutTheToolIsAColdInstall: the real npm
// script publishes a zstd snapshot; the npm store is then cleared (as
// `prewarm cache clear --part stores` does), and a pod whose image has no
// zstd (a real PATH without it) installs cold: result=cold, exactly one
// warning naming zstd, the reference node_modules, the snapshot intact; a
// pod with zstd then restores it (result=snapshot). Per shell.
func TestStressNpmCompressedSnapshotWithoutTheToolIsAColdInstall(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed")
	}
	reg := newStressNpmRegistry(t, 8, 64<<10, "")
	script := ecoScript(t, "npm")
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			cache := filepath.Join(base, "cache")
			pod := func(name string, extra ...string) (ecoRun, ecoSummary, string) {
				t.Helper()
				repo := filepath.Join(base, name)
				reg.writeProject(t, repo)
				env := stressNpmEnv(reg, repo, filepath.Join(base, "home-"+name), cache, append([]string{"PREWARM_SNAPSHOT_COMPRESSION=zstd"}, extra...)...)
				r := ecoRunScript(t, sh, script, "prewarm-npm", repo, env, 5*time.Minute)
				return r, ecoOK(t, sh, r), repo
			}
			r, s, repo := pod("publisher")
			ecoWantResult(t, sh, r, s, "cold")
			want := ecoTreeDigest(t, filepath.Join(repo, "node_modules"))
			key := stressFullKey(t, cache, s["key"])
			snap := filepath.Join(cache, "snapshots", key+ecoSnapshotSuffix)
			if m, err := ecoReadManifest(snap); err != nil || m.codec != "zstd" {
				t.Fatalf("want a zstd snapshot, manifest %+v (err %v)", m, err)
			}
			if err := os.RemoveAll(filepath.Join(cache, "store")); err != nil {
				t.Fatal(err)
			}
			r, s, repo = pod("no-zstd", "PATH="+ecoPathWithout(t, sh, "zstd"))
			ecoWantResult(t, sh, r, s, "cold")
			var warnings []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "prewarm: warning:") {
					warnings = append(warnings, l)
				}
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "is compressed with zstd, which this image lacks; installing instead") {
				t.Errorf("want exactly one warning naming zstd, got %q\n%s", warnings, r)
			}
			if d := ecoDiffLists(want, ecoTreeDigest(t, filepath.Join(repo, "node_modules"))); d != "" {
				t.Errorf("node_modules of the pod without zstd differs:\n%s", d)
			}
			if err := ecoSnapshotValid(snap); err != nil {
				t.Fatalf("the zstd snapshot did not survive the pod without zstd: %v", err)
			}
			r, s, repo = pod("with-zstd")
			ecoWantResult(t, sh, r, s, "snapshot")
			if d := ecoDiffLists(want, ecoTreeDigest(t, filepath.Join(repo, "node_modules"))); d != "" {
				t.Errorf("restored node_modules differs:\n%s", d)
			}
		})
	}
}
