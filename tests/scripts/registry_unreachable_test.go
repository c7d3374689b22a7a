package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNpmRegistryUnreachable: while the registry fails every tarball, a
// warm store still installs (snapshots off, so npm really runs) without a
// single fetch, and a cold store fails fast with an error naming the
// registry. Real npm against a registry served on 127.0.0.1.
func TestNpmRegistryUnreachable(t *testing.T) {
	t.Parallel()
	sh := ecoShellNamed(t, "dash")
	base := ecoTempDir(t)
	reg := newStressNpmRegistry(t, 3, 1024, "")
	warmCache := filepath.Join(base, "warm-cache")
	run := func(name, cache string, extra ...string) ecoRun {
		repo := filepath.Join(base, name)
		reg.writeProject(t, repo)
		env := stressNpmEnv(reg, repo, filepath.Join(base, "home-"+name), cache, append([]string{"PREWARM_SNAPSHOTS=false"}, extra...)...)
		return ecoRunScript(t, sh, ecoScript(t, "npm"), "prewarm-npm", repo, env, 3*time.Minute)
	}

	r := run("fill", warmCache)
	ecoWantResult(t, sh, r, ecoOK(t, sh, r), "cold")
	reg.failing.Store(true)
	before := reg.tarballs.Load()
	r = run("warm-offline", warmCache)
	ecoWantResult(t, sh, r, ecoOK(t, sh, r), "warm")
	if n := reg.tarballs.Load() - before; n != 0 {
		t.Errorf("the warm install fetched %d tarballs from the failing registry", n)
	}

	host := strings.TrimSuffix(strings.TrimPrefix(reg.url, "http://"), "/")
	start := time.Now()
	coldCache := filepath.Join(base, "cold-cache")
	r = run("cold-offline", coldCache)
	if r.exitCode == 0 {
		t.Fatalf("cold install with a failing registry succeeded\n%s", r)
	}
	if !strings.Contains(r.stderr, host) {
		t.Errorf("the error does not name the registry %s\n%s", host, r)
	}
	if !strings.Contains(r.stderr, "prewarm: error: npm install failed") {
		t.Errorf("no prewarm error line\n%s", r)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("a failed install printed a summary line: %q", r.stdout)
	}
	if d := time.Since(start); d > 2*time.Minute {
		t.Errorf("the failing install took %s; network steps must time out", d)
	}
	if entries, _ := os.ReadDir(filepath.Join(coldCache, "snapshots")); len(entries) > 0 {
		t.Errorf("a failed install left snapshot files: %v", entries)
	}
}
