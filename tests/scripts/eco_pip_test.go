package scripts

// prewarm.script.pip against a real pip and a real (local) package index:
// two wheels packed from testdata/pip and served as a PEP 503 simple index
// from an httptest server on 127.0.0.1, so pip downloads and caches them.

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/offline"
)

// ecoPipIndex serves the two wheels of testdata/pip as a PEP 503 simple
// index (offline.PipIndex) and counts the wheel downloads.
type ecoPipIndex struct {
	url    string
	wheels map[string]offline.Wheel // by project
	gets   atomic.Int64
}

func (ix *ecoPipIndex) downloads() int { return int(ix.gets.Load()) }

func newEcoPipIndex(t *testing.T) *ecoPipIndex {
	t.Helper()
	wheels, err := offline.DemoWheels()
	if err != nil {
		t.Fatal(err)
	}
	ix := &ecoPipIndex{wheels: map[string]offline.Wheel{}}
	for _, w := range wheels {
		ix.wheels[w.Project] = w
	}
	srv := httptest.NewServer(offline.PipIndex(wheels, func() { ix.gets.Add(1) })) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	ix.url = srv.URL + "/simple/"
	return ix
}

// ecoPipRepo (re)creates base/repo with a requirements file.
func ecoPipRepo(t *testing.T, base, requirements string) string {
	t.Helper()
	repo := filepath.Join(base, "repo")
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "requirements.txt"), []byte(requirements), 0o644); err != nil {
		t.Fatal(err)
	}
	return repo
}

// ecoPipImports runs the package from the venv as the agent would.
func ecoPipImports(t *testing.T, repo string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(repo, ".venv", "bin", "python"), "-c", "import pwdemo_alpha; print(pwdemo_alpha.hello())").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello from alpha via beta" {
		t.Fatalf("the venv cannot import the installed package: %v\n%s", err, out)
	}
}

func ecoPipEnv(ix *ecoPipIndex, base, cache string, extra ...string) []string {
	return append([]string{
		"PREWARM_REPO=" + filepath.Join(base, "repo"),
		"PREWARM_HOME=" + filepath.Join(base, "home"),
		"PREWARM_CACHE=" + cache,
		"PIP_INDEX_URL=" + ix.url,
		// pip caches plain-http downloads only from trusted hosts.
		"PIP_TRUSTED_HOST=127.0.0.1",
		"PIP_DEFAULT_TIMEOUT=20",
		"PIP_RETRIES=0",
		"PIP_NO_INPUT=1",
	}, extra...)
}

func ecoPipRun(t *testing.T, sh ecoShell, env []string, args ...string) ecoRun {
	t.Helper()
	return ecoRunScript(t, sh, ecoScript(t, "pip"), "prewarm-pip", "/", env, 3*time.Minute, args...)
}

// ecoPipCorruptionsFor splits the corruption kinds between the shells (the
// library tests run every kind under both): dash gets truncated and
// checksum-mismatch, busybox gets bit-flipped.
func ecoPipCorruptionsFor(sh ecoShell) []ecoCorruption {
	if sh.name == "dash" {
		return []ecoCorruption{ecoCorruptions[0], ecoCorruptions[2]}
	}
	return []ecoCorruption{ecoCorruptions[1]}
}

// TestPipColdSnapshotReadOnlyCorruptFallbackAndWarmHashedInstall walks one
// cache through the protocol under each shell: a cold install that
// downloads both wheels; a snapshot restore on a fresh clone that downloads
// nothing; a read-only consumer that restores and writes nothing; corrupt
// snapshots that each end in a successful install (result=fallback) and a
// fresh valid snapshot; with snapshots off, a --hash pinned requirements
// file installed from the warm pip cache (result=warm, no downloads); and a
// wrong hash, which fails the script because only a failing install may.
func TestPipColdSnapshotReadOnlyCorruptFallbackAndWarmHashedInstall(t *testing.T) {
	t.Parallel()
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			ix := newEcoPipIndex(t)
			base := ecoTempDir(t)
			cache := filepath.Join(base, "cache")
			env := ecoPipEnv(ix, base, cache)
			const req = "pwdemo-alpha==1.0\n"

			repo := ecoPipRepo(t, base, req)
			r := ecoPipRun(t, sh, env)
			s := ecoOK(t, sh, r)
			ecoWantResult(t, sh, r, s, "cold")
			cold := s["seconds"]
			if s["tool"] != "pip" || !strings.Contains(r.stderr, "needs the same interpreter at the same path") {
				t.Errorf("want tool=pip and the interpreter warning\n%s", r)
			}
			if got := ix.downloads(); got != 2 {
				t.Errorf("cold install downloaded %d wheels from the index, want 2", got)
			}
			ecoPipImports(t, repo)
			final, _ := ecoSnapshots(t, cache)
			if len(final) != 1 || !strings.HasPrefix(final[0], s["key"]) {
				t.Fatalf("want one snapshot named by the key %s after the cold run, have %v", s["key"], final)
			}
			snap := filepath.Join(cache, "snapshots", final[0])

			repo = ecoPipRepo(t, base, req)
			before := ix.downloads()
			r = ecoPipRun(t, sh, env)
			s = ecoOK(t, sh, r)
			ecoWantResult(t, sh, r, s, "snapshot")
			if got := ix.downloads() - before; got != 0 {
				t.Errorf("snapshot run downloaded %d wheels, want 0", got)
			}
			ecoPipImports(t, repo)
			t.Logf("%s: pip cold %ss, snapshot %ss", sh.name, cold, s["seconds"])

			repo = ecoPipRepo(t, base, req)
			unchanged := ecoUnchanged(t, cache)
			r = ecoPipRun(t, sh, append(env, "PREWARM_CACHE_MODE=readOnly"))
			ecoWantResult(t, sh, r, ecoOK(t, sh, r), "snapshot")
			ecoPipImports(t, repo)
			unchanged("readOnly run changed the cache:")

			for _, c := range ecoPipCorruptionsFor(sh) {
				c.apply(t, snap)
				repo = ecoPipRepo(t, base, req)
				r = ecoPipRun(t, sh, env)
				s = ecoOK(t, sh, r)
				if s["result"] != "fallback" || !strings.Contains(r.stderr, "prewarm: warning: snapshot") || !strings.Contains(r.stderr, "corrupt") {
					t.Fatalf("%s snapshot: want result=fallback and a corrupt-snapshot warning\n%s", c.name, r)
				}
				ecoPipImports(t, repo)
				if err := ecoSnapshotValid(snap); err != nil {
					t.Fatalf("after the %s snapshot the cache holds no valid replacement: %v", c.name, err)
				}
				if _, temps := ecoSnapshots(t, cache); len(temps) != 0 {
					t.Errorf("temporary names left in snapshots/: %v", temps)
				}
			}

			w := ix.wheels
			repo = ecoPipRepo(t, base, fmt.Sprintf("pwdemo-alpha==1.0 --hash=sha256:%s\npwdemo-beta==1.0 --hash=sha256:%s\n",
				w["pwdemo-alpha"].SHA256, w["pwdemo-beta"].SHA256))
			before = ix.downloads()
			nosnap := append(env, "PREWARM_SNAPSHOTS=false")
			r = ecoPipRun(t, sh, nosnap)
			ecoWantResult(t, sh, r, ecoOK(t, sh, r), "warm")
			if got := ix.downloads() - before; got != 0 {
				t.Errorf("warm run downloaded %d wheels, want 0 (served from PIP_CACHE_DIR)", got)
			}
			ecoPipImports(t, repo)
			if final, _ := ecoSnapshots(t, cache); len(final) != 1 {
				t.Errorf("PREWARM_SNAPSHOTS=false published a snapshot: %v", final)
			}

			if sh.name == "busybox" {
				ecoPipRepo(t, base, fmt.Sprintf("pwdemo-alpha==1.0 --hash=sha256:%s\npwdemo-beta==1.0 --hash=sha256:%s\n",
					strings.Repeat("0", 64), w["pwdemo-beta"].SHA256))
				r = ecoPipRun(t, sh, nosnap)
				if r.exitCode == 0 || !strings.Contains(r.stderr, "prewarm: error: pip install failed") || r.stdout != "" {
					t.Fatalf("a wrong --hash must fail the script with an error and no summary\n%s", r)
				}
			}
		})
	}
}

// TestPipUnusableOrFullCacheFallsBackToPerPodCache: a cache path that cannot
// be created (below a regular file; the tests run as root, so permissions
// would not stop them) and a cache with less free space than
// PREWARM_CACHE_MIN_FREE_MB both still install, with result=fallback, a
// warning, and nothing written to the full cache.
func TestPipUnusableOrFullCacheFallsBackToPerPodCache(t *testing.T) {
	t.Parallel()
	ix := newEcoPipIndex(t)
	for _, sh := range ecoShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			base := ecoTempDir(t)
			file := filepath.Join(base, "not-a-dir")
			if err := os.WriteFile(file, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name, cache string
				extra       []string
			}{
				{"unwritable", filepath.Join(file, "cache"), nil},
				{"full", filepath.Join(base, "full-cache"), []string{"PREWARM_CACHE_MIN_FREE_MB=999999999"}},
			}
			for _, c := range cases {
				repo := ecoPipRepo(t, base, "pwdemo-alpha==1.0\n")
				r := ecoPipRun(t, sh, ecoPipEnv(ix, base, c.cache, c.extra...))
				s := ecoOK(t, sh, r)
				ecoWantResult(t, sh, r, s, "fallback")
				if !strings.Contains(r.stderr, "prewarm: warning: cache") {
					t.Errorf("%s: want a warning about the cache\n%s", c.name, r)
				}
				ecoPipImports(t, repo)
			}
			if st := ecoCacheState(t, filepath.Join(base, "full-cache")); len(st) != 1 {
				t.Errorf("the full cache was written to: %v", st)
			}
		})
	}
}

// TestPipUvAndPoetryLockfilesNameTheMissingTool: uv.lock selects `uv sync
// --locked` and poetry.lock `poetry install --no-root`; without the tool in
// the image the script fails with an error that names it.
func TestPipUvAndPoetryLockfilesNameTheMissingTool(t *testing.T) {
	for _, tool := range []string{"uv", "poetry"} {
		if _, err := exec.LookPath(tool); err == nil {
			t.Logf("%s is installed here; its missing-tool case is not checked", tool)
			continue
		}
		for _, sh := range ecoShells(t) {
			base := ecoTempDir(t)
			repo := filepath.Join(base, "repo")
			for f, c := range map[string]string{tool + ".lock": "# lock\n", "pyproject.toml": "[project]\nname = \"x\"\nversion = \"0\"\n"} {
				if err := os.MkdirAll(repo, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(repo, f), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := ecoRunScript(t, sh, ecoScript(t, "pip"), "prewarm-pip", "/", []string{
				"PREWARM_REPO=" + repo, "PREWARM_HOME=" + filepath.Join(base, "home"), "PREWARM_CACHE=" + filepath.Join(base, "cache"),
			}, time.Minute)
			want := "has " + tool + "'s lockfile but " + tool + " is not installed"
			if r.exitCode == 0 || !strings.Contains(r.stderr, want) || r.stdout != "" {
				t.Errorf("%s: %s.lock without %s: want a failure saying %q\n%s", sh.name, tool, tool, want, r)
			}
		}
	}
}
