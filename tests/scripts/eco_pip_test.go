package scripts

// prewarm.script.pip against a real pip and a real (local) package index:
// two wheels packed from testdata/pip and served as a PEP 503 simple index
// from an httptest server on 127.0.0.1, so pip downloads and caches them.

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type ecoWheel struct {
	project string // normalized project name, e.g. pwdemo-alpha
	file    string
	data    []byte
	sha256  string
}

// ecoMakeWheel packs testdata/pip/<pkg> into a py3-none-any wheel with the
// METADATA, WHEEL and RECORD files pip checks.
func ecoMakeWheel(t *testing.T, pkg, version string, requires ...string) ecoWheel {
	t.Helper()
	dist := pkg + "-" + version
	files := map[string][]byte{}
	src, err := os.ReadFile(filepath.Join("testdata", "pip", pkg, "__init__.py"))
	if err != nil {
		t.Fatal(err)
	}
	files[pkg+"/__init__.py"] = src
	meta := "Metadata-Version: 2.1\nName: " + strings.ReplaceAll(pkg, "_", "-") + "\nVersion: " + version + "\n"
	for _, r := range requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[dist+".dist-info/METADATA"] = []byte(meta)
	files[dist+".dist-info/WHEEL"] = []byte("Wheel-Version: 1.0\nGenerator: prewarm-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
	var record strings.Builder
	names := []string{pkg + "/__init__.py", dist + ".dist-info/METADATA", dist + ".dist-info/WHEEL"}
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	record.WriteString(dist + ".dist-info/RECORD,,\n")
	names = append(names, dist+".dist-info/RECORD")
	files[dist+".dist-info/RECORD"] = []byte(record.String())
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return ecoWheel{
		project: strings.ReplaceAll(pkg, "_", "-"),
		file:    dist + "-py3-none-any.whl",
		data:    buf.Bytes(),
		sha256:  hex.EncodeToString(sum[:]),
	}
}

// ecoPipIndex serves wheels as a PEP 503 simple index and counts the wheel
// downloads.
type ecoPipIndex struct {
	url    string
	wheels map[string]ecoWheel // by project
	mu     sync.Mutex
	gets   int
}

func (ix *ecoPipIndex) downloads() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.gets
}

func newEcoPipIndex(t *testing.T) *ecoPipIndex {
	t.Helper()
	ix := &ecoPipIndex{wheels: map[string]ecoWheel{}}
	for _, w := range []ecoWheel{
		ecoMakeWheel(t, "pwdemo_alpha", "1.0", "pwdemo-beta (==1.0)"),
		ecoMakeWheel(t, "pwdemo_beta", "1.0"),
	} {
		ix.wheels[w.project] = w
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		w.Header().Set("Content-Type", "text/html")
		if name == "" {
			fmt.Fprint(w, "<!DOCTYPE html><html><body>")
			for p := range ix.wheels {
				fmt.Fprintf(w, `<a href="/simple/%s/">%s</a>`, p, p)
			}
			fmt.Fprint(w, "</body></html>")
			return
		}
		wh, ok := ix.wheels[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="/files/%s#sha256=%s">%s</a></body></html>`, wh.file, wh.sha256, wh.file)
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/files/")
		for _, wh := range ix.wheels {
			if wh.file == name {
				ix.mu.Lock()
				ix.gets++
				ix.mu.Unlock()
				w.Header().Set("Cache-Control", "max-age=31536000, immutable")
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(wh.data)
				return
			}
		}
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
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
			state := ecoCacheState(t, cache)
			r = ecoPipRun(t, sh, append(env, "PREWARM_CACHE_MODE=readOnly"))
			ecoWantResult(t, sh, r, ecoOK(t, sh, r), "snapshot")
			ecoPipImports(t, repo)
			if d := ecoDiffLists(state, ecoCacheState(t, cache)); d != "" {
				t.Errorf("readOnly run changed the cache:\n%s", d)
			}

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
				w["pwdemo-alpha"].sha256, w["pwdemo-beta"].sha256))
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
					strings.Repeat("0", 64), w["pwdemo-beta"].sha256))
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
