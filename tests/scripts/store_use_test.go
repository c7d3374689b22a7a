package scripts

// Setups mark the store entries their install used (npm.sh.tpl
// pw_npm_mark_used, gomod.sh.tpl pw_go_mark_used, pip.sh.tpl
// pw_pip_mark_used), so an entry's mtime is
// its last use and the pruner's "oldest mtime first" trims what no setup
// used lately, not what was fetched longest ago. Real npm against the npm
// registry, real go against the Go module proxy, real pip against local
// PEP 503 indexes (PyPI is not reachable here); the setup under dash and
// busybox, the pruner under the matching shell.
//
// Each test: project "used" and project "unused" install into one cache
// (cold); then the used one's entries are dated as fetched 10 days ago and
// the unused one's 1 day ago; a warm install of "used" (the setup, no
// snapshot) must make its entries the newest, and a pruner that has to free
// about the unused project's bytes removes the unused entries and none of
// the used ones. Without the mark (npm with a lockfile that has resolved
// and integrity reads content by digest and rewrites no index bucket; go
// never rewrites a fetched module; pip reads an immutable cached wheel
// without rewriting its entry) the used entries are the oldest and go
// first. The npm test also installs through a registry mirror on
// 127.0.0.1 (npm_config_registry): npm keys its buckets by the mirror's
// url, and the mark must compute the same.
//
// testdata/storeuse: npm-{used,unused} lockfiles written by npm 11.19.1
// (`npm install --package-lock-only --omit-lockfile-registry-resolved=false`),
// go-{used,unused} go.sum written by go 1.26 (`go get`), 2026-11-30; the
// pip projects are written by the test (wheels packed from testdata/pip).

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/prewarm-dev/prewarm/tests/internal/offline"
)

const (
	storeUseOld    = 10 * 24 * time.Hour // "fetched long ago"
	storeUseRecent = 24 * time.Hour      // "fetched yesterday"
)

// storeUseProject copies testdata/storeuse/<name> to base/<clone>.
func storeUseProject(t *testing.T, base, name, clone string) string {
	t.Helper()
	repo := filepath.Join(base, clone)
	ecoCopyTree(t, filepath.Join("testdata", "storeuse", name), repo)
	return repo
}

// The _cacache layout, computed here independently of the script:
// index-v5/<sha256 of "make-fetch-happen:request-cache:<url>" split
// 2/2/rest> and content-v2/<algo>/<hex of the integrity digest split
// 2/2/rest>.
func cacacheSplit(h string) string { return filepath.Join(h[:2], h[2:4], h[4:]) }

func npmBucket(cacache, u string) string {
	sum := sha256.Sum256([]byte("make-fetch-happen:request-cache:" + u))
	return filepath.Join(cacache, "index-v5", cacacheSplit(hex.EncodeToString(sum[:])))
}

type npmLockPackage struct{ resolved, algo, hex string }

func (p npmLockPackage) content(cacache string) string {
	return filepath.Join(cacache, "content-v2", p.algo, cacacheSplit(p.hex))
}

// npmLockPackages: the packages of a lockfile (all with resolved and integrity).
func npmLockPackages(t *testing.T, lockfile string) []npmLockPackage {
	t.Helper()
	data, err := os.ReadFile(lockfile)
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Resolved  string `json:"resolved"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	var out []npmLockPackage
	for k, p := range lock.Packages {
		if k == "" {
			continue
		}
		if p.Resolved == "" || p.Integrity == "" {
			t.Fatalf("%s: package %s has no resolved or integrity", lockfile, k)
		}
		algo, b64, _ := strings.Cut(p.Integrity, "-")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("integrity %q: %v", p.Integrity, err)
		}
		out = append(out, npmLockPackage{p.Resolved, algo, hex.EncodeToString(raw)})
	}
	return out
}

// npmLockEntries: the index bucket and content file of each package.
func npmLockEntries(t *testing.T, cacache, lockfile string) []string {
	t.Helper()
	var out []string
	for _, p := range npmLockPackages(t, lockfile) {
		out = append(out, npmBucket(cacache, p.resolved), p.content(cacache))
	}
	return out
}

// goModEscape escapes a module path or version as the module cache does.
func goModEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goSumEntries: the module cache names of go.sum's modules (those present:
// a go.mod-only line has no zip): the extracted directory and the
// download files.
func goSumEntries(t *testing.T, modcache, gosum string) []string {
	t.Helper()
	data, err := os.ReadFile(gosum)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		mod, ver := goModEscape(f[0]), goModEscape(strings.TrimSuffix(f[1], "/go.mod"))
		for _, p := range []string{
			filepath.Join(modcache, mod+"@"+ver),
			filepath.Join(modcache, "cache", "download", mod, "@v", ver+".info"),
			filepath.Join(modcache, "cache", "download", mod, "@v", ver+".mod"),
			filepath.Join(modcache, "cache", "download", mod, "@v", ver+".zip"),
			filepath.Join(modcache, "cache", "download", mod, "@v", ver+".ziphash"),
		} {
			if !seen[p] && exists(p) {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// ageAll sets the mtime of every name under root (directories too) to age ago.
func ageAll(t *testing.T, root string, age time.Duration) {
	t.Helper()
	when := time.Now().Add(-age)
	if err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, when, when)
	}); err != nil {
		t.Fatal(err)
	}
}

func ageEach(t *testing.T, paths []string, age time.Duration) {
	t.Helper()
	for _, p := range paths {
		setAge(t, p, age)
	}
}

func blocksOf(t *testing.T, paths []string) int64 {
	t.Helper()
	var n int64
	for _, p := range paths {
		n += duBytes(t, p)
	}
	return n
}

// wantMarked: every path's mtime is at or after since (the mark ran).
func wantMarked(t *testing.T, what string, paths []string, since time.Time) {
	t.Helper()
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if st.ModTime().Before(since.Add(-time.Second)) {
			t.Errorf("%s %s: mtime %s is before the warm install (%s): the setup did not mark it used", what, p, st.ModTime().Format(time.RFC3339), since.Format(time.RFC3339))
		}
	}
}

// prunePair: the pruner under the shell matching the setup's.
func prunePair(t *testing.T, sh ecoShell) pruneShell {
	t.Helper()
	for _, p := range pruneShells(t) {
		if p.name == sh.name {
			return p
		}
	}
	t.Fatalf("no pruner shell %q", sh.name)
	return pruneShell{}
}

// trimAndCheck prunes root with a budget that needs about the unused
// entries' bytes (the pruner's usage file, one block, included) and checks
// that every used entry stayed and unused ones went.
func trimAndCheck(t *testing.T, sh ecoShell, root string, used, unused []string) {
	t.Helper()
	budget := duBytes(t, root) + 4096 - blocksOf(t, unused)
	res := runPrune(t, prunePair(t, sh), root, strconv.FormatInt(budget, 10))
	if res.err != nil {
		t.Fatalf("prune: %v\n%s", res.err, res.stderr)
	}
	s := parsePruneSummary(t, res.stdout)
	if s.stores != 1 || s.entries == 0 || s.after > budget {
		t.Errorf("prune summary %+v: want one store trimmed to <= %d", s, budget)
	}
	for _, p := range used {
		if !exists(p) {
			t.Errorf("the pruner removed %s, which the last install used (fetched long ago, used now), while entries nobody used since yesterday were there", p)
		}
	}
	gone := 0
	for _, p := range unused {
		if !exists(p) {
			gone++
		}
	}
	if gone == 0 {
		t.Errorf("the pruner removed none of the unused project's %d entries %v", len(unused), unused)
	}
}

// TestStoreUseNpmWarmInstallMarksWhatItUsed: real npm (registry), the npm
// setup under dash and busybox, then through a mirror (dash).
func TestStoreUseNpmWarmInstallMarksWhatItUsed(t *testing.T) {
	shells := ecoShells(t)
	base := ecoTempDir(t)
	seed := filepath.Join(base, "seed")
	for _, name := range []string{"npm-unused", "npm-used"} {
		repo := storeUseProject(t, base, name, "seed-"+name)
		r := ecoNpmRun(t, shells[0], base, repo, seed, "PREWARM_SNAPSHOTS=false")
		ecoWantResult(t, shells[0], r, ecoOK(t, shells[0], r), map[bool]string{true: "cold", false: "warm"}[name == "npm-unused"])
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			root := filepath.Join(base, "cache-"+sh.name)
			ecoCopyTree(t, seed, root)
			cc := filepath.Join(root, "store", "_cacache")
			used := npmLockEntries(t, cc, filepath.Join("testdata", "storeuse", "npm-used", "package-lock.json"))
			unused := npmLockEntries(t, cc, filepath.Join("testdata", "storeuse", "npm-unused", "package-lock.json"))
			// the key and content formats computed here are npm's: every
			// name exists after npm's own install
			for _, p := range append(append([]string{}, used...), unused...) {
				if !exists(p) {
					t.Fatalf("npm did not write %s: the computed cacache layout is wrong", p)
				}
			}
			ageAll(t, cc, storeUseRecent)
			ageEach(t, used, storeUseOld)

			start := time.Now()
			repo := storeUseProject(t, base, "npm-used", "warm-"+sh.name)
			r := ecoNpmRun(t, sh, base, repo, root, "PREWARM_SNAPSHOTS=false")
			ecoWantResult(t, sh, r, ecoOK(t, sh, r), "warm")
			wantMarked(t, "npm entry", used, start)
			trimAndCheck(t, sh, root, used, unused)
		})
	}

	// A mirror: npm requests a registry.npmjs.org "resolved" from the
	// configured registry (replace-registry-host), so its index buckets are
	// keyed by the mirror's url; the mark must compute the same. The mirror
	// on 127.0.0.1 serves the tarballs npm fetched above (content-v2 holds
	// them byte for byte).
	t.Run("mirror", func(t *testing.T) {
		sh := shells[0]
		lock := filepath.Join("testdata", "storeuse", "npm-used", "package-lock.json")
		tarballs := map[string]string{} // url path -> content file
		for _, e := range npmLockPackages(t, lock) {
			u, err := url.Parse(e.resolved)
			if err != nil {
				t.Fatal(err)
			}
			tarballs[u.Path] = e.content(filepath.Join(seed, "store", "_cacache"))
		}
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, ok := tarballs[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			hits.Add(1)
			http.ServeFile(w, r, f)
		}))
		defer srv.Close()
		root := filepath.Join(base, "cache-mirror")
		reg := "npm_config_registry=" + srv.URL + "/"
		repo := storeUseProject(t, base, "npm-used", "mirror-cold")
		r := ecoNpmRun(t, sh, base, repo, root, "PREWARM_SNAPSHOTS=false", reg)
		ecoWantResult(t, sh, r, ecoOK(t, sh, r), "cold")
		if hits.Load() != int64(len(tarballs)) {
			t.Fatalf("the mirror served %d tarballs, want %d", hits.Load(), len(tarballs))
		}
		cc := filepath.Join(root, "store", "_cacache")
		var buckets []string
		for _, e := range npmLockPackages(t, lock) {
			u, _ := url.Parse(e.resolved)
			b := npmBucket(cc, srv.URL+u.Path)
			if !exists(b) {
				t.Fatalf("npm did not write the mirror's bucket %s for %s", b, srv.URL+u.Path)
			}
			buckets = append(buckets, b)
		}
		ageAll(t, cc, storeUseOld)
		start := time.Now()
		repo = storeUseProject(t, base, "npm-used", "mirror-warm")
		r = ecoNpmRun(t, sh, base, repo, root, "PREWARM_SNAPSHOTS=false", reg)
		ecoWantResult(t, sh, r, ecoOK(t, sh, r), "warm")
		wantMarked(t, "mirror bucket", buckets, start)
	})
}

// TestStoreUseGomodWarmInstallMarksWhatItUsed: real go (module proxy), the
// gomod setup under dash and busybox; github.com/BurntSushi/toml checks
// the case escaping (mod/github.com/!burnt!sushi/toml@v1.4.0).
func TestStoreUseGomodWarmInstallMarksWhatItUsed(t *testing.T) {
	shells := ecoShells(t)
	base := ecoTempDir(t)
	seed := filepath.Join(base, "seed")
	env := func(repo, root, tag string) []string {
		return []string{
			"PREWARM_REPO=" + repo, "PREWARM_HOME=" + filepath.Join(base, "home-"+tag), "PREWARM_CACHE=" + root,
			"PREWARM_WORKDIRS=.", "PREWARM_PREBUILD=none", "GOTOOLCHAIN=local", "GOFLAGS=",
			// the build cache elsewhere: this test is about mod/
			"GOCACHE=" + filepath.Join(base, "gocache-"+tag),
		}
	}
	for _, name := range []string{"go-unused", "go-used"} {
		repo := storeUseProject(t, base, name, "seed-"+name)
		r := ecoRunScript(t, shells[0], ecoScript(t, "gomod"), "prewarm-gomod", repo, env(repo, seed, name), 5*time.Minute)
		ecoOK(t, shells[0], r)
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			root := filepath.Join(base, "cache-"+sh.name)
			ecoCopyTree(t, seed, root)
			mod := filepath.Join(root, "mod")
			used := goSumEntries(t, mod, filepath.Join("testdata", "storeuse", "go-used", "go.sum"))
			unused := goSumEntries(t, mod, filepath.Join("testdata", "storeuse", "go-unused", "go.sum"))
			if !exists(filepath.Join(mod, "github.com", "!burnt!sushi", "toml@v1.4.0")) || len(used) != 5 || len(unused) != 5 {
				t.Fatalf("go did not extract and download what the go.sum files name: used %v, unused %v", used, unused)
			}
			ageAll(t, mod, storeUseRecent)
			ageEach(t, used, storeUseOld)

			start := time.Now()
			repo := storeUseProject(t, base, "go-used", "warm-"+sh.name)
			r := ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", repo, env(repo, root, sh.name), 5*time.Minute)
			ecoWantResult(t, sh, r, ecoOK(t, sh, r), "warm")
			wantMarked(t, "module cache entry", used, start)
			trimAndCheck(t, sh, root, used, unused)
		})
	}
}

// pipHTTPEntry: the pip HTTP cache file of a response, computed here
// independently of the script: <cache>/http-v2/<h0>/<h1>/<h2>/<h3>/<h4>/<h>
// (pip >= 23.3, with <h>.body beside it) or http/... (older pip), h the
// sha224 of the request URL. The one that exists, else "".
func pipHTTPEntry(pipCache, u string) []string {
	sum := sha256.Sum224([]byte(u))
	h := hex.EncodeToString(sum[:])
	for _, d := range []string{"http-v2", "http"} {
		p := filepath.Join(pipCache, d, h[:1], h[1:2], h[2:3], h[3:4], h[4:5], h)
		if exists(p) {
			out := []string{p}
			if exists(p + ".body") {
				out = append(out, p+".body")
			}
			return out
		}
	}
	return nil
}

// TestStoreUsePipWarmInstallMarksWhatItUsed: real pip (the interpreter's
// bundled one, in the setup's venv) against two local PEP 503 indexes on
// 127.0.0.1 (offline.PipIndex; PyPI is not reachable here): "used"
// installs pwdemo-alpha 1.0 (+ pwdemo-beta 1.0) from one, "unused"
// pwdemo-alpha 2.0 (+ pwdemo-beta 2.0) from the other. The wheels are
// served immutable (max-age), so pip reads them from its cache on the warm
// install without a request and without rewriting the entry; only the
// setup's mark (pip.sh pw_pip_mark_used, from `pip install --report`)
// dates them. The setup under dash and busybox.
func TestStoreUsePipWarmInstallMarksWhatItUsed(t *testing.T) {
	shells := ecoShells(t)
	base := ecoTempDir(t)
	seed := filepath.Join(base, "seed")
	src := filepath.Join("testdata", "pip")
	used, err := offline.DemoWheels()
	if err != nil {
		t.Fatal(err)
	}
	alpha2, err := offline.MakeWheel(src, "pwdemo_alpha", "2.0", "pwdemo-beta (==2.0)")
	if err != nil {
		t.Fatal(err)
	}
	beta2, err := offline.MakeWheel(src, "pwdemo_beta", "2.0")
	if err != nil {
		t.Fatal(err)
	}
	var gets atomic.Int64
	count := func() { gets.Add(1) }
	usedSrv := httptest.NewServer(offline.PipIndex(used, count))
	t.Cleanup(usedSrv.Close)
	unusedSrv := httptest.NewServer(offline.PipIndex([]offline.Wheel{alpha2, beta2}, count))
	t.Cleanup(unusedSrv.Close)
	projects := map[string]struct {
		srv    *httptest.Server
		req    string
		wheels []offline.Wheel
	}{
		"used":   {usedSrv, "pwdemo-alpha==1.0\n", used},
		"unused": {unusedSrv, "pwdemo-alpha==2.0\n", []offline.Wheel{alpha2, beta2}},
	}
	run := func(sh ecoShell, name, root, tag string) ecoRun {
		t.Helper()
		p := projects[name]
		b := filepath.Join(base, tag)
		ecoPipRepo(t, b, p.req)
		ix := &ecoPipIndex{url: p.srv.URL + "/simple/"}
		return ecoPipRun(t, sh, ecoPipEnv(ix, b, root, "PREWARM_SNAPSHOTS=false"))
	}
	entries := func(t *testing.T, root, name string) []string {
		t.Helper()
		var out []string
		for _, w := range projects[name].wheels {
			u := projects[name].srv.URL + "/files/" + w.File
			e := pipHTTPEntry(filepath.Join(root, "store"), u)
			if e == nil {
				t.Fatalf("pip did not cache %s where the computed key says: the computed http cache layout is wrong", u)
			}
			out = append(out, e...)
		}
		return out
	}
	for _, name := range []string{"unused", "used"} {
		r := run(shells[0], name, seed, "seed-"+name)
		ecoWantResult(t, shells[0], r, ecoOK(t, shells[0], r), map[bool]string{true: "cold", false: "warm"}[name == "unused"])
	}
	if gets.Load() != 4 {
		t.Fatalf("the seed installs downloaded %d wheels, want 4", gets.Load())
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			root := filepath.Join(base, "cache-"+sh.name)
			ecoCopyTree(t, seed, root)
			usedEntries, unusedEntries := entries(t, root, "used"), entries(t, root, "unused")
			ageAll(t, filepath.Join(root, "store"), storeUseRecent)
			ageEach(t, usedEntries, storeUseOld)

			before := gets.Load()
			start := time.Now()
			r := run(sh, "used", root, "warm-"+sh.name)
			ecoWantResult(t, sh, r, ecoOK(t, sh, r), "warm")
			if gets.Load() != before {
				t.Fatalf("the warm install downloaded %d wheels, want 0 (read from the cache)", gets.Load()-before)
			}
			ecoPipImports(t, filepath.Join(base, "warm-"+sh.name, "repo"))
			if left, _ := filepath.Glob(filepath.Join(base, "warm-"+sh.name, "home", ".tmp-prewarm-pip-report-*")); len(left) > 0 {
				t.Errorf("the setup left its install report behind: %v", left)
			}
			wantMarked(t, "pip http cache entry", usedEntries, start)
			trimAndCheck(t, sh, root, usedEntries, unusedEntries)
		})
	}
}
