package scripts

// prewarm.script.npm against the real npm registry with the
// tests/testdata/fixtures/npm-medium lockfile (446 packages). One real cold
// install; every later run restores the snapshot or installs from the warm
// store.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
	"github.com/prewarm-dev/prewarm/tests/internal/shells"
)

func ecoNpmFixture(t *testing.T) string {
	t.Helper()
	dir, err := fixtures.Path(fixtures.NpmMedium)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// ecoNpmRepo copies the fixture to a new repo dir under base.
func ecoNpmRepo(t *testing.T, base, name string) string {
	t.Helper()
	repo := filepath.Join(base, name)
	ecoCopyTree(t, ecoNpmFixture(t), repo)
	return repo
}

func ecoNpmRun(t *testing.T, sh ecoShell, base, repo, cache string, extra ...string) ecoRun {
	t.Helper()
	env := append([]string{
		"PREWARM_REPO=" + repo,
		"PREWARM_HOME=" + filepath.Join(base, "home-"+filepath.Base(repo)),
		"PREWARM_CACHE=" + cache,
		"npm_config_fetch_timeout=60000",
		"npm_config_fetch_retries=2",
	}, extra...)
	return ecoRunScript(t, sh, ecoScript(t, "npm"), "prewarm-npm", repo, env, 6*time.Minute)
}

// TestNpmColdInstallThenSnapshotRestoresIdenticalNodeModules: run 1 installs
// from the registry (result=cold) and publishes a snapshot; runs on fresh
// clones under dash and busybox restore it (result=snapshot) into a
// node_modules identical to the installed one, file for file; a read-only
// consumer restores it without writing to the cache; a truncated and a
// bit-flipped snapshot each fall back to an install from the warm store
// (result=fallback) that replaces the snapshot.
func TestNpmColdInstallThenSnapshotRestoresIdenticalNodeModules(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed")
	}
	shells := ecoShells(t)
	base := ecoTempDir(t)
	cache := filepath.Join(base, "cache")

	repo := ecoNpmRepo(t, base, "repo-cold")
	r := ecoNpmRun(t, shells[0], base, repo, cache)
	s := ecoOK(t, shells[0], r)
	ecoWantResult(t, shells[0], r, s, "cold")
	if s["pm"] != "npm" || s["packages"] != "446" {
		t.Errorf("want pm=npm packages=446, got %v", s)
	}
	cold := s["seconds"]
	want := ecoTreeDigest(t, filepath.Join(repo, "node_modules"))
	final, temps := ecoSnapshots(t, cache)
	if len(final) != 1 || len(temps) != 0 || !strings.HasPrefix(final[0], s["key"]) {
		t.Fatalf("want exactly one snapshot named by key %s, have %v (temps %v)", s["key"], final, temps)
	}
	snap := filepath.Join(cache, "snapshots", final[0])
	if err := ecoSnapshotValid(snap); err != nil {
		t.Fatalf("published snapshot: %v", err)
	}

	for _, sh := range shells {
		repo := ecoNpmRepo(t, base, "repo-"+sh.name)
		r := ecoNpmRun(t, sh, base, repo, cache)
		s := ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "snapshot")
		if s["packages"] != "446" {
			t.Errorf("%s: snapshot run reports packages=%s, want 446", sh.name, s["packages"])
		}
		if d := ecoDiffLists(want, ecoTreeDigest(t, filepath.Join(repo, "node_modules"))); d != "" {
			t.Fatalf("%s: restored node_modules differs from the installed one:\n%s", sh.name, d)
		}
		t.Logf("%s: npm cold %ss, snapshot %ss (script total, incl. node/npm --version and key)", sh.name, cold, s["seconds"])
	}

	// Restore speed against plain `tar -x` of the same tree, alternating,
	// median of three (logged, not asserted: shared CI machines are noisy).
	plain := filepath.Join(base, "plain.tar")
	if out, err := exec.Command("tar", "-cf", plain, "-C", filepath.Join(repo, "node_modules"), ".").CombinedOutput(); err != nil {
		t.Fatalf("tar -c: %v\n%s", err, out)
	}
	key := ecoSnapshotKey(final[0])
	var tarTimes, restoreTimes []float64
	for i := 0; i < 3; i++ {
		dst := filepath.Join(base, fmt.Sprintf("bench-tar-%d", i))
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if out, err := exec.Command("tar", "-xf", plain, "-C", dst).CombinedOutput(); err != nil {
			t.Fatalf("tar -x: %v\n%s", err, out)
		}
		tarTimes = append(tarTimes, time.Since(start).Seconds())
		target := filepath.Join(base, fmt.Sprintf("bench-restore-%d", i), "node_modules")
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		r := ecoLib(t, shells[0], base, []string{"PREWARM_CACHE=" + cache, "PREWARM_HOME=" + filepath.Join(base, "home-bench"), "PREWARM_CACHE_MODE=readOnly"}, "pw_snapshot_restore", key, target)
		if r.exitCode != 0 {
			t.Fatalf("pw_snapshot_restore: %s", r)
		}
		restoreTimes = append(restoreTimes, r.elapsed.Seconds())
	}
	sort.Float64s(tarTimes)
	sort.Float64s(restoreTimes)
	t.Logf("node_modules: plain tar -x %.2fs, pw_snapshot_restore (checksum + extract + rename) %.2fs: %.2fx (medians of 3)",
		tarTimes[1], restoreTimes[1], restoreTimes[1]/tarTimes[1])

	// A read-only consumer: restores, writes nothing to the cache.
	bb := ecoShellNamed(t, "busybox")
	unchanged := ecoUnchanged(t, cache)
	repo = ecoNpmRepo(t, base, "repo-readonly")
	r = ecoNpmRun(t, bb, base, repo, cache, "PREWARM_CACHE_MODE=readOnly")
	ecoWantResult(t, bb, r, ecoOK(t, bb, r), "snapshot")
	unchanged("readOnly run changed the cache:")

	// Corrupt snapshots: warn, install from the warm store, republish.
	for i, c := range ecoCorruptions[:2] {
		sh := shells[i%len(shells)]
		c.apply(t, snap)
		repo := ecoNpmRepo(t, base, "repo-"+c.name)
		r := ecoNpmRun(t, sh, base, repo, cache)
		s := ecoOK(t, sh, r)
		if s["result"] != "fallback" || !strings.Contains(r.stderr, "prewarm: warning: snapshot") || !strings.Contains(r.stderr, "corrupt") {
			t.Fatalf("%s: %s snapshot: want result=fallback and a corrupt-snapshot warning\n%s", sh.name, c.name, r)
		}
		if d := ecoDiffLists(want, ecoTreeDigest(t, filepath.Join(repo, "node_modules"))); d != "" {
			t.Errorf("%s: node_modules after the fallback install differs:\n%s", sh.name, d)
		}
		if err := ecoSnapshotValid(snap); err != nil {
			t.Errorf("%s: after the %s snapshot there is no valid replacement: %v", sh.name, c.name, err)
		}
		t.Logf("%s: fallback (warm store) after a %s snapshot: %ss", sh.name, c.name, s["seconds"])
	}
}

// ecoPath is the PATH a run under sh gets.
func ecoPath(sh ecoShell) string {
	for _, kv := range ecoBaseEnv(sh) {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return p
		}
	}
	return ""
}

// TestNpmScriptInstallsPnpmAndYarnClassicLockfilesThenRestoresSnapshots:
// a pnpm-lock.yaml selects `pnpm install --frozen-lockfile` (store on the
// cache), a yarn.lock selects yarn classic's --frozen-lockfile (cache folder
// on the cache); each installs cold, then a fresh clone restores the
// snapshot into the same node_modules. pnpm 9 and yarn 1 come from the npm
// registry (the image's corepack cannot verify current signatures). Yarn
// berry is not covered.
func TestNpmScriptInstallsPnpmAndYarnClassicLockfilesThenRestoresSnapshots(t *testing.T) {
	t.Parallel()
	tools := ecoTempDir(t)
	cmd := exec.Command("npm", "install", "--prefix", tools, "--no-audit", "--no-fund", "--no-save", "pnpm@9.15.9", "yarn@1.22.22")
	cmd.Env = append(ecoBaseEnv(ecoShell{}), "HOME="+tools, "npm_config_cache="+filepath.Join(tools, ".npm"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("installing pnpm and yarn from the registry: %v\n%s", err, out)
	}
	bin := filepath.Join(tools, "node_modules", ".bin")
	for _, c := range []struct{ pm, shell string }{{"pnpm", "dash"}, {"yarn", "busybox"}} {
		t.Run(c.pm, func(t *testing.T) {
			sh := ecoShellNamed(t, c.shell)
			base := ecoTempDir(t)
			cache := filepath.Join(base, "cache")
			path := "PATH=" + bin + ":" + ecoPath(sh)
			var want []string
			for i, result := range []string{"cold", "snapshot"} {
				repo := filepath.Join(base, fmt.Sprintf("repo%d", i))
				ecoCopyTree(t, filepath.Join("testdata", c.pm), repo)
				r := ecoNpmRun(t, sh, base, repo, cache, path)
				s := ecoOK(t, sh, r)
				ecoWantResult(t, sh, r, s, result)
				if s["pm"] != c.pm {
					t.Fatalf("want pm=%s, got %v\n%s", c.pm, s, r)
				}
				check := exec.Command("node", "-e", "if (!require('is-number')(7)) process.exit(1)")
				check.Dir = repo
				if out, err := check.CombinedOutput(); err != nil {
					t.Fatalf("run %d: require('is-number') fails: %v\n%s", i, err, out)
				}
				store := map[string]string{"pnpm": "pnpm-store", "yarn": "yarn"}[c.pm]
				if len(ecoCacheState(t, filepath.Join(cache, store))) < 3 {
					t.Errorf("the %s store %s on the cache is empty", c.pm, store)
				}
				got := ecoTreeDigest(t, filepath.Join(repo, "node_modules"))
				if want == nil {
					want = got
				} else if d := ecoDiffLists(want, got); d != "" {
					t.Fatalf("restored node_modules differs:\n%s", d)
				}
			}
		})
	}
}

// npmFunc is the text of the npm script's shell function name, so a lib
// driver can call it alone.
func npmFunc(t *testing.T, name string) string {
	t.Helper()
	f := shells.Func(ecoScript(t, "npm"), name)
	if f == "" {
		t.Fatalf("no function %s in the npm script", name)
	}
	return f
}

// TestNpmVersionIsReadFromNpmsPackageJSON: the npm key's version of npm
// comes from npm's package.json, read by the shell (pw_npm_version), and
// must be what `npm --version` prints, so the key is the one a release
// that asked node computed (its snapshots still hit). An npm whose
// package.json is not npm's, or has none, gives nothing (the script then
// asks npm).
func TestNpmVersionIsReadFromNpmsPackageJSON(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is not installed")
	}
	out, err := exec.Command("npm", "--version").Output()
	if err != nil {
		t.Fatalf("npm --version: %v", err)
	}
	want := strings.TrimSpace(string(out))
	driver := "#!/bin/sh\n" + ecoScript(t, "lib") + "\n" + npmFunc(t, "pw_npm_version") + "\npw_init npm\npw_npm_version\n"

	// fake npm installs laid out as npm's own: bin/npm -> lib/node_modules/npm/bin/npm-cli.js
	base := ecoTempDir(t)
	fake := func(name, pkg string) string {
		root := filepath.Join(base, name)
		cli := filepath.Join(root, "lib", "node_modules", "npm", "bin", "npm-cli.js")
		if err := os.MkdirAll(filepath.Dir(cli), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cli, []byte("#!/usr/bin/env node\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if pkg != "" {
			if err := os.WriteFile(filepath.Join(root, "lib", "node_modules", "npm", "package.json"), []byte(pkg), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		bin := filepath.Join(root, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", filepath.Join(bin, "npm")); err != nil {
			t.Fatal(err)
		}
		return bin
	}
	cases := []struct {
		name, bin, want string
	}{
		{"the npm on PATH", "", want},
		{"name after version, nested versions ignored", fake("later", "{\n  \"version\": \"10.9.3-pre.1\",\n  \"engines\": {\n    \"version\": \"0.0.1\"\n  },\n  \"name\": \"npm\",\n  \"x\": 1\n}\n"), "10.9.3-pre.1"},
		{"not npm's package.json", fake("other", "{\n  \"name\": \"not-npm\",\n  \"version\": \"1.2.3\"\n}\n"), ""},
		{"no package.json", fake("none", ""), ""},
		{"a version with odd characters", fake("odd", "{\n  \"name\": \"npm\",\n  \"version\": \"1.2.3 $(x)\"\n}\n"), ""},
	}
	for _, sh := range ecoShells(t) {
		for _, c := range cases {
			t.Run(sh.name+"/"+c.name, func(t *testing.T) {
				dir := ecoTempDir(t)
				env := ecoLibEnv(dir)
				if c.bin != "" {
					for _, kv := range ecoBaseEnv(sh) {
						if strings.HasPrefix(kv, "PATH=") {
							env = append(env, "PATH="+c.bin+":"+strings.TrimPrefix(kv, "PATH="))
						}
					}
				}
				r := ecoRunScript(t, sh, driver, "prewarm-npmtest", dir, env, time.Minute)
				if r.exitCode != 0 || strings.TrimSpace(r.stdout) != c.want {
					t.Errorf("pw_npm_version = %q, want %q\n%s", strings.TrimSpace(r.stdout), c.want, r)
				}
			})
		}
	}
}
