package scripts

// prewarm.script.artifacts against a real HTTP server on 127.0.0.1 (no hub
// is reachable here): under dash with the system's curl and under busybox
// sh with busybox's wget only. The server counts requests, so "reused" is
// a count, not a log line.

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

type artServer struct {
	*httptest.Server
	hits atomic.Int64
}

// newArtServer serves files by URL path; /private* only with
// "Authorization: Bearer s3cret".
func newArtServer(t *testing.T, files map[string][]byte) *artServer {
	s := &artServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if strings.HasPrefix(r.URL.Path, "/private") && r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// artPod is one pod's view: the shared cache and its own workspace.
type artPod struct {
	cache, dir, home, mode string
}

func newArtPod(base, cache, name, mode string) artPod {
	return artPod{cache: cache, dir: filepath.Join(base, name, "artifacts"), home: filepath.Join(base, name, "home"), mode: mode}
}

func (p artPod) hfHub() string { return filepath.Join(p.home, ".cache", "huggingface", "hub") }

func runArtifacts(t *testing.T, sh pruneShell, p artPod, list string, extra ...string) pruneResult {
	t.Helper()
	return pruneExec(t, sh, ecoScript(t, "artifacts"), "prewarm-artifacts", append([]string{
		"PREWARM_CACHE=" + p.cache, "PREWARM_ARTIFACTS_DIR=" + p.dir,
		"PREWARM_HOME=" + p.home, "PREWARM_ARTIFACTS=" + list, "PREWARM_CACHE_MODE=" + p.mode, "TMPDIR=" + t.TempDir(),
	}, extra...)...)
}

func readAll(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Errorf("read %s: %v", p, err)
	}
	return string(b)
}

func TestArtifactsFetchOnceVerifyAndLayOut(t *testing.T) {
	model := []byte(strings.Repeat("weights", 5000))
	csv := []byte("a,b\n1,2\n")
	private := []byte("private toolchain")
	for _, sh := range pruneShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			srv := newArtServer(t, map[string][]byte{"/model.bin": model, "/data/train.csv": csv, "/private.bin": private})
			base := t.TempDir()
			cacheDir := filepath.Join(base, "cache")
			headers := filepath.Join(base, "headers")
			if err := os.WriteFile(headers, []byte("Authorization: Bearer s3cret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			commit := strings.Repeat("9", 40)
			list := strings.Join([]string{
				sha(model) + " hf:acme/tiny@" + commit + ":onnx/model.bin " + srv.URL + "/model.bin",
				sha(csv) + " data/train.csv " + srv.URL + "/data/train.csv",
				"# a comment",
				sha(private) + " tools/private.bin " + srv.URL + "/private.bin",
			}, "\n")
			env := "PREWARM_ARTIFACTS_HEADERS=" + headers
			store := filepath.Join(cacheDir, "blobs", "sha256")

			// the writer (the warmer): everything fetched into the store
			w := newArtPod(base, cacheDir, "writer", "readWrite")
			r := runArtifacts(t, sh, w, list, env)
			if r.err != nil {
				t.Fatalf("writer: %v\n%s", r.err, r.stderr)
			}
			if !strings.Contains(r.stdout, "result=cold") || !strings.Contains(r.stdout, "artifacts=3 fetched=3 cached=0") {
				t.Errorf("writer summary: %s", r.stdout)
			}
			if got := srv.hits.Load(); got != 3 {
				t.Errorf("writer made %d requests, want 3", got)
			}
			for _, b := range [][]byte{model, csv, private} {
				fi, err := os.Stat(filepath.Join(store, sha(b)))
				if err != nil || fi.Mode().Perm() != 0o444 {
					t.Errorf("store blob %s: %v %v, want mode 0444", sha(b), fi, err)
				}
			}
			if l, _ := os.Readlink(filepath.Join(w.dir, "data", "train.csv")); l != filepath.Join(store, sha(csv)) {
				t.Errorf("writer's data/train.csv -> %q, want the store blob", l)
			}
			hits := srv.hits.Load()

			// a Task pod: the cache read-only; nothing fetched, nothing
			// written to the cache, every file there (through links into
			// the store)
			before := ecoCacheState(t, cacheDir)
			p := newArtPod(base, cacheDir, "pod1", "readOnly")
			r = runArtifacts(t, sh, p, list, env)
			if r.err != nil {
				t.Fatalf("pod1: %v\n%s", r.err, r.stderr)
			}
			if !strings.Contains(r.stdout, "result=warm") || !strings.Contains(r.stdout, "fetched=0 cached=3") || srv.hits.Load() != hits {
				t.Errorf("pod1 must reuse the downloads: %s (server hits %d -> %d)", r.stdout, hits, srv.hits.Load())
			}
			if after := ecoCacheState(t, cacheDir); strings.Join(after, "\n") != strings.Join(before, "\n") {
				t.Errorf("a readOnly pod changed the cache:\nbefore %v\nafter  %v", before, after)
			}
			if readAll(t, filepath.Join(p.dir, "data", "train.csv")) != string(csv) || readAll(t, filepath.Join(p.dir, "tools", "private.bin")) != string(private) {
				t.Error("pod1 does not see its files")
			}
			if l, _ := os.Readlink(filepath.Join(p.dir, "tools", "private.bin")); l != filepath.Join(store, sha(private)) {
				t.Errorf("pod1's tools/private.bin -> %q, want the shared store's blob (read-only mount)", l)
			}
			if readAll(t, filepath.Join(p.hfHub(), "models--acme--tiny", "snapshots", commit, "onnx", "model.bin")) != string(model) {
				t.Error("pod1 does not see the hub file")
			}

			// a second Task pod: again no request
			p2 := newArtPod(base, cacheDir, "pod2", "readOnly")
			if r = runArtifacts(t, sh, p2, list, env); r.err != nil || srv.hits.Load() != hits {
				t.Errorf("pod2: err=%v, server hits %d -> %d, want no request", r.err, hits, srv.hits.Load())
			}

			// a Task pod on a cold cache: fetches into its own store (fail
			// open), still writes nothing to the cache
			cold := filepath.Join(base, "cold-cache")
			if err := os.MkdirAll(cold, 0o755); err != nil {
				t.Fatal(err)
			}
			p3 := newArtPod(base, cold, "pod3", "readOnly")
			r = runArtifacts(t, sh, p3, sha(csv)+" data/train.csv "+srv.URL+"/data/train.csv")
			if r.err != nil || !strings.Contains(r.stdout, "result=cold") || !strings.Contains(r.stdout, "cache=readonly") {
				t.Errorf("cold readOnly pod: err=%v stdout=%s", r.err, r.stdout)
			}
			if readAll(t, filepath.Join(p3.dir, "data", "train.csv")) != string(csv) {
				t.Error("cold readOnly pod does not see train.csv")
			}
			if ents, _ := os.ReadDir(cold); len(ents) != 0 {
				t.Errorf("a readOnly pod wrote %v into the cache", ents)
			}

			// without the auth header the private file is refused, by URL
			r = runArtifacts(t, sh, newArtPod(base, filepath.Join(base, "cache2"), "pod4", "readWrite"),
				sha(private)+" tools/private.bin "+srv.URL+"/private.bin")
			if r.err == nil || !strings.Contains(r.stderr, "downloading "+srv.URL+"/private.bin failed") {
				t.Errorf("no headers: err=%v", r.err)
			}

			// bad input names the line's target and what is allowed
			for in, msg := range map[string]string{
				"abc data/x " + srv.URL:                          "sha256 'abc' must be 64 lower-case hex digits",
				sha(csv) + " ../x " + srv.URL:                    "'.' and '..' are not allowed",
				sha(csv) + " /etc/x " + srv.URL:                  "the target must be a relative path",
				sha(csv) + " x ftp://h/x":                        "url 'ftp://h/x' must start with http:// or https://",
				sha(csv) + " hf:acme/tiny " + srv.URL + "/m.bin": "a hub target is hf:<org>/<name>@<commit>:<file>",
			} {
				r = runArtifacts(t, sh, newArtPod(base, cacheDir, "pod5", "readWrite"), in)
				if r.err == nil || !strings.Contains(r.stderr, msg) {
					t.Errorf("%q: err=%v, want %q", in, r.err, msg)
				}
			}
		})
	}
}

// TestArtifactsWrongSHA256 is the Must-show: a wrong sha256 fails the step
// naming the URL, and nothing is left under any final path (not even the
// good artifacts listed before it), nor in the store.
func TestArtifactsWrongSHA256(t *testing.T) {
	model := []byte(strings.Repeat("weights", 5000))
	csv := []byte("a,b\n1,2\n")
	for _, sh := range pruneShells(t) {
		for _, mode := range []string{"readWrite", "readOnly"} {
			t.Run(sh.name+"/"+mode, func(t *testing.T) {
				srv := newArtServer(t, map[string][]byte{"/model.bin": model, "/data/train.csv": csv})
				base := t.TempDir()
				cacheDir := filepath.Join(base, "cache")
				if err := os.MkdirAll(cacheDir, 0o755); err != nil {
					t.Fatal(err)
				}
				bad := strings.Repeat("0", 64)
				list := sha(csv) + " data/train.csv " + srv.URL + "/data/train.csv\n" +
					bad + " hf:acme/tiny@" + strings.Repeat("1", 40) + ":model.bin " + srv.URL + "/model.bin"
				p := newArtPod(base, cacheDir, "pod", mode)
				r := runArtifacts(t, sh, p, list)
				if r.err == nil {
					t.Fatal("a wrong sha256 must fail the step")
				}
				if want := srv.URL + "/model.bin has sha256 " + sha(model) + ", want " + bad; !strings.Contains(r.stderr, want) {
					t.Errorf("stderr must name the URL and both hashes (%q)", want)
				}
				for _, final := range []string{p.dir, filepath.Join(p.home, ".cache", "huggingface")} {
					if exists(final) {
						t.Errorf("a failed run left %s", final)
					}
				}
				var left []string
				_ = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
					if err == nil && (strings.Contains(d.Name(), bad) || strings.HasPrefix(d.Name(), ".tmp-")) {
						left = append(left, path)
					}
					return nil
				})
				if len(left) > 0 {
					t.Errorf("the wrong blob or temporaries were left: %v", left)
				}
			})
		}
	}
}

// TestArtifactsHubLayout checks the tree Hugging Face documents for its
// hub cache (huggingface.co/docs/hub/local-cache): under $HF_HOME/hub,
// models--<org>--<name>/snapshots/<commit>/<file> is a relative link into
// ../../blobs/, refs/main holds the commit; two files of one repo share the
// tree, and a blob is named by the file's sha256 (as for LFS files).
func TestArtifactsHubLayout(t *testing.T) {
	weights := []byte(strings.Repeat("w", 4096))
	config := []byte(`{"model_type": "bert"}`)
	sh := pruneShells(t)[0]
	srv := newArtServer(t, map[string][]byte{"/w": weights, "/c": config})
	base := t.TempDir()
	commit := "0123456789abcdef0123456789abcdef01234567"
	list := sha(weights) + " hf:acme/tiny-bert@" + commit + ":onnx/model.onnx " + srv.URL + "/w\n" +
		sha(config) + " hf:acme/tiny-bert@" + commit + ":config.json " + srv.URL + "/c"
	p := newArtPod(base, filepath.Join(base, "cache"), "pod", "readWrite")
	if r := runArtifacts(t, sh, p, list); r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	repo := filepath.Join(p.hfHub(), "models--acme--tiny-bert")
	for file, b := range map[string][]byte{"onnx/model.onnx": weights, "config.json": config} {
		snap := filepath.Join(repo, "snapshots", commit, filepath.FromSlash(file))
		l, err := os.Readlink(snap)
		want := strings.Repeat("../", strings.Count(file, "/")+2) + "blobs/" + sha(b)
		if err != nil || l != want {
			t.Errorf("%s -> %q (%v), want %q", file, l, err, want)
		}
		if readAll(t, snap) != string(b) {
			t.Errorf("%s: wrong content through the links", file)
		}
		if fi, err := os.Stat(filepath.Join(repo, "blobs", sha(b))); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("blobs/%s does not resolve to a file: %v", sha(b), err)
		}
	}
	if ref := readAll(t, filepath.Join(repo, "refs", "main")); ref != commit {
		t.Errorf("refs/main = %q, want %s", ref, commit)
	}
	ents, _ := os.ReadDir(p.hfHub())
	if len(ents) != 1 || ents[0].Name() != "models--acme--tiny-bert" {
		t.Errorf("hub holds %v, want only models--acme--tiny-bert", ents)
	}
}

func TestArtifactsShellcheck(t *testing.T) {
	scriptShellcheck(t, "artifacts", ecoScript(t, "artifacts"))
}
