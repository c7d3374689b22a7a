package scripts

// prewarm.script.gomod in snapshot mode (PREWARM_SNAPSHOTS=true, the gomod
// preset's snapshots option): per-pod GOMODCACHE and GOCACHE on local disk,
// kept on the cache volume as two sharded snapshots per key. Real go
// against the real module proxy, with a small module (cobra) so each run
// takes seconds.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// ecoGoSmallFiles: a module with one real dependency tree (cobra, pflag,
// mousetrap); go.sum as `go mod tidy` wrote it.
var ecoGoSmallFiles = map[string]string{
	"go.mod": "module example.com/gosmall\n\ngo 1.22\n\nrequire github.com/spf13/cobra v1.10.2\n\nrequire (\n\tgithub.com/inconshreveable/mousetrap v1.1.0 // indirect\n\tgithub.com/spf13/pflag v1.0.9 // indirect\n)\n",
	"go.sum": `github.com/cpuguy83/go-md2man/v2 v2.0.6/go.mod h1:oOW0eioCTA6cOiMLiUPZOpcVxMig6NIQQ7OS05n1F4g=
github.com/inconshreveable/mousetrap v1.1.0 h1:wN+x4NVGpMsO7ErUn/mUI3vEoE6Jt13X2s0bqwp9tc8=
github.com/inconshreveable/mousetrap v1.1.0/go.mod h1:vpF70FUmC8bwa3OWnCshd2FqLfsEA9PFc4w1p2J65bw=
github.com/russross/blackfriday/v2 v2.1.0/go.mod h1:+Rmxgy9KzJVeS9/2gXHxylqXiyQDYRxCVz55jmeOWTM=
github.com/spf13/cobra v1.10.2 h1:DMTTonx5m65Ic0GOoRY2c16WCbHxOOw6xxezuLaBpcU=
github.com/spf13/cobra v1.10.2/go.mod h1:7C1pvHqHw5A4vrJfjNwvOdzYu0Gml16OCs2GRiTUUS4=
github.com/spf13/pflag v1.0.9 h1:9exaQaMOCwffKiiiYk6/BndUBv+iRViNW+4lEMi0PvY=
github.com/spf13/pflag v1.0.9/go.mod h1:McXfInJRrz4CZXVZOBLb0bTZqETkiAhM9Iw0y3An2Bg=
go.yaml.in/yaml/v3 v3.0.4/go.mod h1:DhzuOOF2ATzADvBadXxruRBLzYTpT36CKvDb3+aBEFg=
gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405/go.mod h1:Co6ibVJAznAaIkqp8huTwlJQCZ016jof/cbN4VW5Yz0=
`,
	"main.go": "package main\n\nimport \"github.com/spf13/cobra\"\n\nfunc main() { _ = (&cobra.Command{Use: \"x\"}).Execute() }\n",
}

// ecoGoSnapRun runs the gomod script in snapshot mode on a fresh clone of
// the small module with a fresh HOME; it returns the run and the HOME.
func ecoGoSnapRun(t *testing.T, sh ecoShell, base, name, cache string, extra ...string) (ecoRun, string) {
	t.Helper()
	repo := filepath.Join(base, "repo-"+name)
	home := filepath.Join(base, "home-"+name)
	ecoWriteFiles(t, repo, ecoGoSmallFiles)
	env := append([]string{
		"PREWARM_REPO=" + repo,
		"PREWARM_HOME=" + home,
		"PREWARM_CACHE=" + cache,
		"PREWARM_SNAPSHOTS=true",
	}, extra...)
	return ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, env, 8*time.Minute), home
}

// ecoGoLocal: the per-pod caches of a snapshot-mode run (the readOnly
// paths under HOME, where the preset points the agent).
func ecoGoLocal(home string) (mod, build string) {
	return filepath.Join(home, "go", "pkg", "mod"), filepath.Join(home, ".cache", "go-build")
}

// ecoGoSnapDirs lists the published snapshots (want two per key: mod and
// build) and fails on leftover temps.
func ecoGoSnapDirs(t *testing.T, cache string) []string {
	t.Helper()
	final, temps := ecoSnapshots(t, cache)
	if len(temps) > 0 {
		t.Fatalf("temps left in %s/snapshots: %v", cache, temps)
	}
	return final
}

// ecoGoSnapEachShell runs f under each shell with a fresh base directory
// and its cache directory (base/cache, not created).
func ecoGoSnapEachShell(t *testing.T, f func(t *testing.T, sh ecoShell, base, cache string)) {
	t.Helper()
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			base := ecoTempDir(t)
			f(t, sh, base, filepath.Join(base, "cache"))
		})
	}
}

// ecoGoAgentBuild runs the agent's `go build ./...` with the per-pod
// caches and no network.
func ecoGoAgentBuild(t *testing.T, repo, home string) {
	t.Helper()
	mod, build := ecoGoLocal(home)
	agentHome := filepath.Join(filepath.Dir(home), "agent-"+filepath.Base(home))
	if err := os.MkdirAll(agentHome, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = repo
	cmd.Env = append(ecoBaseEnv(ecoShell{}), "HOME="+agentHome, "GOMODCACHE="+mod, "GOCACHE="+build, "GOFLAGS=-modcacherw", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("agent go build with GOPROXY=off failed: %v\n%s", err, out)
	}
}

// TestGomodSnapshotColdPublishesThenRestores, under dash and busybox: the
// cold run compiles into per-pod caches, publishes a module-cache and a
// build-cache snapshot and fills the volume's module download cache; the
// second run (fresh clone, fresh HOME) restores both (result=snapshot) into
// a tree identical to the first run's, fetches nothing (GOPROXY=off), and
// the agent builds with GOPROXY=off. A readOnly run restores and writes
// nothing to the cache.
func TestGomodSnapshotColdPublishesThenRestores(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	ecoGoSnapEachShell(t, func(t *testing.T, sh ecoShell, base, cache string) {

		r, home1 := ecoGoSnapRun(t, sh, base, "cold", cache)
		s := ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "cold")
		if s["prebuild"] != "build" {
			t.Errorf("want prebuild=build, got %v", s)
		}
		snaps := ecoGoSnapDirs(t, cache)
		if len(snaps) != 2 {
			t.Fatalf("want 2 snapshots (module cache, build cache) after the cold run, got %v\n%s", snaps, r)
		}
		for _, p := range []string{"mod", "build"} {
			if _, err := os.Stat(filepath.Join(cache, p)); p == "build" && err == nil {
				t.Errorf("snapshot mode wrote a build cache on the volume (%s/build)", cache)
			}
		}
		zip := filepath.Join(cache, "mod", "cache", "download", "github.com", "spf13", "cobra", "@v", "v1.10.2.zip")
		if _, err := os.Stat(zip); err != nil {
			t.Errorf("the volume's module download cache was not filled: %v", err)
		}
		if _, err := os.Stat(filepath.Join(cache, "mod", "github.com", "spf13", "cobra@v1.10.2")); err == nil {
			t.Errorf("the volume got an extracted module tree; only download files belong there")
		}
		if temps := ecoTempsUnder(t, cache); len(temps) > 0 {
			t.Errorf("temps left under the cache: %v", temps)
		}
		mod1, build1 := ecoGoLocal(home1)

		r, home2 := ecoGoSnapRun(t, sh, base, "restore", cache, "GOPROXY=off")
		s = ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "snapshot")
		mod2, build2 := ecoGoLocal(home2)
		if d := ecoDiffLists(ecoTreeDigest(t, mod1), ecoTreeDigest(t, mod2)); d != "" {
			t.Errorf("restored module cache differs from the published one:\n%s", d)
		}
		// The build cache: every published entry restored as it was (the
		// prebuild then adds the entries of this clone's main package,
		// whose action depends on its directory).
		if missing := tree.Missing(ecoTreeDigest(t, build1), ecoTreeDigest(t, build2)); len(missing) > 0 {
			t.Errorf("restored build cache lacks %d entries of the published one, e.g. %v", len(missing), missing[:min(len(missing), 5)])
		}
		if got := ecoGoSnapDirs(t, cache); strings.Join(got, " ") != strings.Join(snaps, " ") {
			t.Errorf("a restore changed the snapshots: %v, was %v", got, snaps)
		}
		ecoGoAgentBuild(t, filepath.Join(base, "repo-restore"), home2)

		// readOnly: restores, never publishes, writes nothing.
		unchanged := ecoUnchanged(t, cache)
		r, home3 := ecoGoSnapRun(t, sh, base, "ro", cache, "PREWARM_CACHE_MODE=readOnly", "GOPROXY=off")
		s = ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "snapshot")
		unchanged("readOnly run changed the cache:")
		ecoGoAgentBuild(t, filepath.Join(base, "repo-ro"), home3)
	})
}

// TestGomodSnapshotCorruptFallsBackThenReadOnlyNeverPublishes: a shard of
// the build-cache snapshot with one byte changed is detected by its
// checksum: a warning, the corrupt snapshot removed, a cold build that
// succeeds (result=fallback) and publishes a good one again. A readOnly run
// on an empty cache installs from the proxy and publishes nothing.
func TestGomodSnapshotCorruptFallsBackThenReadOnlyNeverPublishes(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	ecoGoSnapEachShell(t, func(t *testing.T, sh ecoShell, base, cache string) {
		r, _ := ecoGoSnapRun(t, sh, base, "cold", cache)
		ecoWantResult(t, sh, r, ecoOK(t, sh, r), "cold")

		// corrupt every shard of every snapshot: whichever part is
		// read first must be caught
		shards, err := filepath.Glob(filepath.Join(cache, "snapshots", "*.v2", "*.tar"))
		if err != nil || len(shards) == 0 {
			t.Fatalf("no shards to corrupt (%v)", err)
		}
		for _, p := range shards {
			ecoRewrite(t, p, func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b })
		}
		r, home := ecoGoSnapRun(t, sh, base, "corrupt", cache)
		s := ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "fallback")
		if !strings.Contains(r.stderr, "is corrupt") {
			t.Errorf("want a corrupt-snapshot warning\n%s", r)
		}
		mod, build := ecoGoLocal(home)
		for _, d := range []string{mod, build} {
			if _, err := os.Stat(d); err != nil {
				t.Errorf("fallback left no local cache %s: %v", d, err)
			}
		}
		ecoGoAgentBuild(t, filepath.Join(base, "repo-corrupt"), home)
		if got := ecoGoSnapDirs(t, cache); len(got) != 2 {
			t.Errorf("want the fallback run to publish 2 good snapshots again, got %v", got)
		}
		r, _ = ecoGoSnapRun(t, sh, base, "again", cache, "GOPROXY=off")
		ecoWantResult(t, sh, r, ecoOK(t, sh, r), "snapshot")

		// readOnly on an empty cache: cold from the proxy, no publish
		empty := filepath.Join(base, "cache-empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			t.Fatal(err)
		}
		unchanged := ecoUnchanged(t, empty)
		r, _ = ecoGoSnapRun(t, sh, base, "ro-empty", empty, "PREWARM_CACHE_MODE=readOnly")
		ecoWantResult(t, sh, r, ecoOK(t, sh, r), "cold")
		unchanged("readOnly run wrote to the cache:")
	})
}

// TestGomodSnapshotTwoWorkdirsMergeIntoOneCache, under dash and busybox:
// two workdirs (two keys) share the per-pod caches; on the second pod the
// first workdir's restore lands in the empty caches and the second one's is
// merged into them (not replacing them): both result=snapshot, and the
// agent builds both modules with GOPROXY=off.
func TestGomodSnapshotTwoWorkdirsMergeIntoOneCache(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	files := map[string]string{}
	for name, body := range ecoGoSmallFiles {
		files[name] = body
		if name == "go.mod" {
			body = strings.Replace(body, "example.com/gosmall", "example.com/gosmall/two", 1)
		}
		files["two/"+name] = body
	}
	ecoGoSnapEachShell(t, func(t *testing.T, sh ecoShell, base, cache string) {
		runPod := func(name string, extra ...string) (ecoRun, string, string) {
			repo := filepath.Join(base, "repo-"+name)
			home := filepath.Join(base, "home-"+name)
			ecoWriteFiles(t, repo, files)
			env := append([]string{"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + cache,
				"PREWARM_SNAPSHOTS=true", "PREWARM_WORKDIRS=.\ntwo"}, extra...)
			return ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, env, 8*time.Minute), repo, home
		}
		r, _, _ := runPod("cold")
		if r.exitCode != 0 {
			t.Fatalf("cold run failed\n%s", r)
		}
		if got := ecoGoSnapDirs(t, cache); len(got) != 4 {
			t.Fatalf("want 4 snapshots (2 keys x module and build cache), got %v", got)
		}
		r, repo, home := runPod("restore", "GOPROXY=off")
		if r.exitCode != 0 {
			t.Fatalf("restore run failed\n%s", r)
		}
		for _, s := range ecoSummaries(t, r, 2) {
			ecoWantResult(t, sh, r, s, "snapshot")
		}
		ecoGoAgentBuild(t, repo, home)
		ecoGoAgentBuild(t, filepath.Join(repo, "two"), home)
		if temps := ecoTempsUnder(t, home); len(temps) > 0 {
			t.Errorf("merge temps left under HOME: %v", temps)
		}
	})
}
