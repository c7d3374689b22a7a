package scripts

// prewarm.script.artifacts against a real HTTP server on 127.0.0.1 (no hub
// is reachable here): under dash with the system's curl and under busybox
// sh with busybox's wget only.

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

type artServer struct {
	*httptest.Server
	hits atomic.Int64
}

// newArtServer serves /model.bin and /data/train.csv; /private.bin only
// with "Authorization: Bearer s3cret".
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

func runArtifacts(t *testing.T, sh pruneShell, cacheDir, dir, home, list string, extra ...string) pruneResult {
	t.Helper()
	script, err := templatesgoExecute("prewarm.script.artifacts")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh.argv[0], append(append([]string{}, sh.argv[1:]...), "-c", script, "prewarm-artifacts")...)
	cmd.Env = append([]string{
		"PATH=" + sh.path, "PREWARM_CACHE=" + cacheDir, "PREWARM_ARTIFACTS_DIR=" + dir,
		"PREWARM_HOME=" + home, "PREWARM_ARTIFACTS=" + list, "TMPDIR=" + t.TempDir(),
	}, extra...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	t.Logf("%s stderr:\n%s", sh.name, errb.String())
	return pruneResult{stdout: out.String(), stderr: errb.String(), err: err}
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

			// pod 1: everything fetched
			r := runArtifacts(t, sh, cacheDir, filepath.Join(base, "pod1"), filepath.Join(base, "home1"), list, env)
			if r.err != nil {
				t.Fatalf("run 1: %v\n%s", r.err, r.stderr)
			}
			if !strings.Contains(r.stdout, "result=cold") || !strings.Contains(r.stdout, "artifacts=3 fetched=3 cached=0") {
				t.Errorf("run 1 summary: %s", r.stdout)
			}
			for p, want := range map[string][]byte{"pod1/data/train.csv": csv, "pod1/tools/private.bin": private,
				"cache/hf/hub/models--acme--tiny/snapshots/" + commit + "/onnx/model.bin": model} {
				got, err := os.ReadFile(filepath.Join(base, p))
				if err != nil || string(got) != string(want) {
					t.Errorf("%s: %v, content ok=%v", p, err, string(got) == string(want))
				}
			}
			// the hub layout: relative link into blobs/<sha256>, refs/main
			hub := filepath.Join(cacheDir, "hf", "hub", "models--acme--tiny")
			if l, _ := os.Readlink(filepath.Join(hub, "snapshots", commit, "onnx", "model.bin")); l != "../../../blobs/"+sha(model) {
				t.Errorf("snapshot link = %q, want ../../../blobs/<sha256>", l)
			}
			if ref, _ := os.ReadFile(filepath.Join(hub, "refs", "main")); string(ref) != commit {
				t.Errorf("refs/main = %q, want %s", ref, commit)
			}
			// read-only content
			fi, err := os.Stat(filepath.Join(cacheDir, "blobs", "sha256", sha(csv)))
			if err != nil || fi.Mode().Perm() != 0o444 {
				t.Errorf("blob mode: %v %v, want 0444", fi, err)
			}
			hits := srv.hits.Load()

			// pod 2: nothing fetched, everything there
			r = runArtifacts(t, sh, cacheDir, filepath.Join(base, "pod2"), filepath.Join(base, "home2"), list, env)
			if r.err != nil {
				t.Fatalf("run 2: %v\n%s", r.err, r.stderr)
			}
			if !strings.Contains(r.stdout, "result=warm") || !strings.Contains(r.stdout, "fetched=0 cached=3") || srv.hits.Load() != hits {
				t.Errorf("run 2 must reuse the downloads: %s (server hits %d -> %d)", r.stdout, hits, srv.hits.Load())
			}
			if got, _ := os.ReadFile(filepath.Join(base, "pod2", "data", "train.csv")); string(got) != string(csv) {
				t.Error("pod 2 does not see train.csv")
			}

			// a wrong sha256: fails naming the URL, places nothing anywhere
			bad := strings.Repeat("0", 64)
			badList := sha(csv) + " data/train.csv " + srv.URL + "/data/train.csv\n" + bad + " data/other.csv " + srv.URL + "/model.bin"
			r = runArtifacts(t, sh, cacheDir, filepath.Join(base, "pod3"), filepath.Join(base, "home3"), badList)
			if r.err == nil || !strings.Contains(r.stderr, srv.URL+"/model.bin has sha256 "+sha(model)+", want "+bad) {
				t.Errorf("wrong sha256: err=%v, stderr must name the URL and both hashes", r.err)
			}
			if exists(filepath.Join(base, "pod3")) || exists(filepath.Join(cacheDir, "blobs", "sha256", bad)) {
				t.Error("a failed run placed something or stored the wrong blob")
			}
			if m, _ := filepath.Glob(filepath.Join(cacheDir, "blobs", "sha256", ".tmp-*")); len(m) > 0 {
				t.Errorf("temporaries left: %v", m)
			}

			// without the auth header the private file is refused, by URL
			r = runArtifacts(t, sh, filepath.Join(base, "cache2"), filepath.Join(base, "pod4"), filepath.Join(base, "home4"),
				sha(private)+" tools/private.bin "+srv.URL+"/private.bin")
			if r.err == nil || !strings.Contains(r.stderr, "downloading "+srv.URL+"/private.bin failed") {
				t.Errorf("no headers: err=%v", r.err)
			}

			// bad input names the field
			for in, msg := range map[string]string{
				"abc data/x " + srv.URL:                          "sha256 'abc' must be 64 lower-case hex digits",
				sha(csv) + " ../x " + srv.URL:                    "'.' and '..' are not allowed",
				sha(csv) + " /etc/x " + srv.URL:                  "the target must be a relative path",
				sha(csv) + " x ftp://h/x":                        "url 'ftp://h/x' must start with http:// or https://",
				sha(csv) + " hf:acme/tiny " + srv.URL + "/m.bin": "a hub target is hf:<org>/<name>@<commit>:<file>",
			} {
				r = runArtifacts(t, sh, cacheDir, filepath.Join(base, "pod5"), filepath.Join(base, "home5"), in)
				if r.err == nil || !strings.Contains(r.stderr, msg) {
					t.Errorf("%q: err=%v, want %q", in, r.err, msg)
				}
			}
		})
	}
}

func templatesgoExecute(name string) (string, error) {
	return templatesgo.Execute(name, map[string]any{})
}

func TestArtifactsShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: run `make deps`")
	}
	script, err := templatesgoExecute("prewarm.script.artifacts")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "artifacts.sh")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sc, "-s", "sh", "-S", "style", p).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck -s sh: %v\n%s", err, out)
	}
}
