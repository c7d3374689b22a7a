package scripts

// Helpers of the stress, crash and secrets tests: a local npm registry
// (real npm, real HTTP, packages generated in the test), the stress knobs
// (PREWARM_STRESS=1), parallel script runs and snapshot-directory checks.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/run"
)

// stressFull reports PREWARM_STRESS=1: more concurrent npm runs and a
// longer crash loop (see docs/reliability.md for the split).
func stressFull() bool { return os.Getenv("PREWARM_STRESS") == "1" }

// stressPick returns full under PREWARM_STRESS=1, else quick.
func stressPick(quick, full int) int {
	if stressFull() {
		return full
	}
	return quick
}

// stressNpmPkg is one generated package.
type stressNpmPkg struct {
	name, version string
	tgz           []byte
	integrity     string
}

// stressNpmRegistry serves generated packages the way registry.npmjs.org
// does (packument at /<name>, tarball at /<name>/-/<name>-<v>.tgz), and
// records the Authorization headers it sees. With token set, every request
// without "Bearer <token>" gets 401, so a run that succeeds proves npm sent
// the token.
type stressNpmRegistry struct {
	url      string
	pkgs     []stressNpmPkg
	token    string
	failing  atomic.Bool // 500 for every tarball
	tarballs atomic.Int64
	mu       sync.Mutex
	auths    map[string]int
}

// newStressNpmRegistry generates n packages, each with a data file of
// size bytes (incompressible, so snapshots take measurable time to write).
func newStressNpmRegistry(t *testing.T, n, size int, token string) *stressNpmRegistry {
	t.Helper()
	reg := &stressNpmRegistry{token: token, auths: map[string]int{}}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pw-stress-%02d", i)
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		files := map[string][]byte{
			"package/package.json": []byte(fmt.Sprintf(`{"name":%q,"version":"1.0.0","main":"index.js"}`, name)),
			"package/index.js":     []byte(fmt.Sprintf("module.exports = %q;\n", name)),
			"package/data.bin":     data,
		}
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		for _, fn := range []string{"package/package.json", "package/index.js", "package/data.bin"} {
			hdr := &tar.Header{Name: fn, Mode: 0o644, Size: int64(len(files[fn])), ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write(files[fn]); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := gz.Close(); err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum512(buf.Bytes())
		reg.pkgs = append(reg.pkgs, stressNpmPkg{name: name, version: "1.0.0", tgz: buf.Bytes(), integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:])})
	}
	srv := httptest.NewServer(http.HandlerFunc(reg.serve))
	t.Cleanup(srv.Close)
	reg.url = srv.URL + "/"
	return reg
}

func (reg *stressNpmRegistry) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	reg.mu.Lock()
	reg.auths[auth]++
	reg.mu.Unlock()
	if reg.token != "" && auth != "Bearer "+reg.token {
		http.Error(w, `{"error":"authentication required"}`, http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	for _, p := range reg.pkgs {
		tarball := p.name + "/-/" + p.name + "-" + p.version + ".tgz"
		switch path {
		case tarball:
			if reg.failing.Load() {
				http.Error(w, "registry is down", http.StatusInternalServerError)
				return
			}
			reg.tarballs.Add(1)
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(p.tgz)
			return
		case p.name:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"name": p.name, "dist-tags": map[string]string{"latest": p.version},
				"versions": map[string]any{p.version: map[string]any{
					"name": p.name, "version": p.version,
					"dist": map[string]string{"tarball": reg.url + tarball, "integrity": p.integrity},
				}},
			})
			return
		}
	}
	http.NotFound(w, r)
}

// authorizations returns how often each Authorization header was seen.
func (reg *stressNpmRegistry) authorizations() map[string]int {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	out := map[string]int{}
	for k, v := range reg.auths {
		out[k] = v
	}
	return out
}

// writeProject writes package.json and a lockfile v3 that depends on
// every package, resolved to this registry.
func (reg *stressNpmRegistry) writeProject(t *testing.T, dir string) {
	t.Helper()
	deps := map[string]string{}
	pkgs := map[string]any{}
	for _, p := range reg.pkgs {
		deps[p.name] = p.version
		pkgs["node_modules/"+p.name] = map[string]any{
			"version": p.version, "resolved": reg.url + p.name + "/-/" + p.name + "-" + p.version + ".tgz", "integrity": p.integrity,
		}
	}
	pkgs[""] = map[string]any{"name": "stress-app", "version": "1.0.0", "dependencies": deps}
	files := map[string]any{
		"package.json":      map[string]any{"name": "stress-app", "version": "1.0.0", "private": true, "dependencies": deps},
		"package-lock.json": map[string]any{"name": "stress-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": pkgs},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range files {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// stressNpmEnv is the env of a prewarm-npm run against reg (no auth).
// Shards of at least 64 KiB split the generated trees (24 packages of
// 64-256 KiB) into several shards, as a real node_modules is split.
func stressNpmEnv(reg *stressNpmRegistry, repo, home, cache string, extra ...string) []string {
	return append([]string{
		"PREWARM_SNAPSHOT_SHARD_MIN_KB=64",
		"PREWARM_REPO=" + repo,
		"PREWARM_HOME=" + home,
		"PREWARM_CACHE=" + cache,
		"npm_config_registry=" + reg.url,
		"npm_config_fetch_retries=0",
		"npm_config_fetch_timeout=30000",
	}, extra...)
}

// stressParallel runs f(0..n-1) at once and waits.
func stressParallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			f(i)
		}(i)
	}
	close(start)
	wg.Wait()
}

// stressSnapshotsDir checks <cache>/snapshots: every name is a final
// "<64 hex>.v2" snapshot directory that ecoSnapshotValid accepts or a
// ".tmp-*" temp; at most one final per key (trivially, names are keys) and,
// when wantKeys is given, exactly those finals. A final holds nothing but
// its manifest and the shards the manifest lists (no nested publish temp).
// It returns the finals and the temps.
func stressSnapshotsDir(t *testing.T, cache string, wantKeys ...string) (final, temps []string) {
	t.Helper()
	final, temps = ecoSnapshots(t, cache)
	for _, f := range final {
		key, ok := strings.CutSuffix(f, ecoSnapshotSuffix)
		if !ok || len(key) != 64 || strings.Trim(key, "0123456789abcdef") != "" {
			t.Errorf("snapshots/ holds %q, neither <sha256>%s nor .tmp-*", f, ecoSnapshotSuffix)
			continue
		}
		dir := filepath.Join(cache, "snapshots", f)
		if err := ecoSnapshotValid(dir); err != nil {
			t.Errorf("partially written snapshot under its final name %s: %v", f, err)
			continue
		}
		m, _ := ecoReadManifest(dir)
		want := map[string]bool{"manifest": true}
		for _, s := range m.shards {
			want[s] = true
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !want[e.Name()] {
				t.Errorf("snapshot %s holds %s, which its manifest does not list", f, e.Name())
			}
		}
	}
	if wantKeys != nil {
		want := map[string]bool{}
		for _, k := range wantKeys {
			want[k+ecoSnapshotSuffix] = true
		}
		if len(final) != len(want) {
			t.Errorf("snapshots/ holds %v, want exactly one per key %v", final, wantKeys)
		}
		for _, f := range final {
			if !want[f] {
				t.Errorf("unexpected snapshot %s (want keys %v)", f, wantKeys)
			}
		}
	}
	return final, temps
}

// stressFullKey returns the one final snapshot whose name starts with the
// summary's (20-character) key.
func stressFullKey(t *testing.T, cache, short string) string {
	t.Helper()
	final, _ := ecoSnapshots(t, cache)
	var keys []string
	for _, f := range final {
		if strings.HasPrefix(f, short) {
			keys = append(keys, ecoSnapshotKey(f))
		}
	}
	if len(keys) != 1 {
		t.Fatalf("want one snapshot for key %s, have %v", short, final)
	}
	return keys[0]
}

// stressGrepTree returns every file under root whose bytes contain needle.
func stressGrepTree(t *testing.T, root string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return hits
}

// stressRunScript runs `sh -c script name args...` like ecoRunScript but
// never calls t.Fatal, so it may run in a goroutine: a timeout or a start
// failure is exit code -1 with the reason in stderr.
func stressRunScript(sh ecoShell, script, name, dir string, env []string, timeout time.Duration, args ...string) ecoRun {
	argv := append(append(append([]string{}, sh.argv...), "-c", script, name), args...)
	return stressExec(dir, append(ecoBaseEnv(sh), env...), timeout, argv...)
}

// stressExec runs argv in its own process group, killed at timeout.
func stressExec(dir string, env []string, timeout time.Duration, argv ...string) ecoRun {
	r, err := run.Exec(context.Background(), dir, env, timeout, argv...)
	if err != nil {
		r.Code, r.Stderr = -1, r.Stderr+"\n[stress: "+err.Error()+"]"
	}
	return ecoRunOf(r)
}

// stressSummary parses the one summary line of a finished run, or says
// why there is none.
func stressSummary(r ecoRun) (ecoSummary, error) {
	if r.exitCode != 0 {
		return nil, fmt.Errorf("script failed\n%s", r)
	}
	lines := run.SummaryLines(r.stdout)
	if len(lines) != 1 {
		return nil, fmt.Errorf("want exactly one summary line\n%s", r)
	}
	s, ok := run.ParseSummary(ecoSummaryRE, lines[0])
	if !ok {
		return nil, fmt.Errorf("summary %q does not parse\n%s", lines[0], r)
	}
	return ecoSummary(s), nil
}

// stressStarted is a script run in the background (its own process
// group).
type stressStarted struct{ *run.Started }

// stressStart starts `sh -c script name` and returns at once.
func stressStart(t *testing.T, sh ecoShell, script, name, dir string, env []string) stressStarted {
	t.Helper()
	argv := append(append([]string{}, sh.argv...), "-c", script, name)
	s, err := run.Start(dir, append(ecoBaseEnv(sh), env...), argv...)
	if err != nil {
		t.Fatal(err)
	}
	return stressStarted{s}
}

// ended reports whether the run has finished.
func (s stressStarted) ended() bool { return s.Ended() }

// kill SIGKILLs the whole process group (npm, tar, ... included) and
// waits; a run that already ended is just waited for. killed reports
// whether the signal ended it.
func (s stressStarted) kill() (r ecoRun, killed bool) {
	res, killed := s.Kill()
	return ecoRunOf(res), killed
}

// stressWaitFor polls until found() is true (returns true) or the run ends
// or timeout passes (false).
func stressWaitFor(s stressStarted, timeout time.Duration, found func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if found() {
			return true
		}
		if s.ended() {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// stressEntries lists the names in dir with prefix and suffix.
func stressEntries(dir, prefix, suffix string) map[string]bool {
	out := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), suffix) {
			out[e.Name()] = true
		}
	}
	return out
}

// stressHasNewEntry reports whether dir holds a name with prefix and
// suffix that is not in old (leftovers of earlier killed runs).
func stressHasNewEntry(dir, prefix, suffix string, old map[string]bool) bool {
	for n := range stressEntries(dir, prefix, suffix) {
		if !old[n] {
			return true
		}
	}
	return false
}
