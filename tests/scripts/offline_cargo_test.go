package scripts

// The cargo preset script against a real cargo and a real sparse registry:
// Debian's librust-*-dev crate sources packed into .crate files, indexed and
// served from 127.0.0.1, replacing crates.io through the repo's
// .cargo/config.toml (as a private mirror would).

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/offline"
)

// offlineCargoRegistry is a sparse registry on disk: index/<path> and
// crates/<name>/<version>/download (built by offline.BuildCargoRegistry).
type offlineCargoRegistry struct {
	root   string
	crates map[string]string // name -> version
}

// offlineCargoRegistryFor builds the registry once per test binary.
func offlineCargoRegistryFor(t *testing.T) *offlineCargoRegistry {
	t.Helper()
	offlineFixtures(t) // fails the test with the builder's instructions
	reg, err := offlineCargoRegOnce()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

var offlineCargoRegOnce = sync.OnceValues(func() (*offlineCargoRegistry, error) {
	fx, err := offlineFixturesOnce()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "prewarm-cargo-registry-")
	if err != nil {
		return nil, err
	}
	crates, err := offline.BuildCargoRegistry(fx["CRATES_DIR"], fx["CARGO"], root, offlineEnv(offlineShell{}))
	return &offlineCargoRegistry{root: root, crates: crates}, err
})

// handler serves the registry; config.json names this server's address.
func (reg *offlineCargoRegistry) handler() http.Handler { return offline.CargoHandler(reg.root) }

// offlineCargoRepo lays out a repo with the hello and tool crates, a
// .cargo/config.toml replacing crates.io with the registry at url, and a
// Cargo.lock per crate generated against it (throwaway CARGO_HOME).
func offlineCargoRepo(t *testing.T, fx offlineFixtureEnv, url string) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "repo")
	for _, c := range []string{"hello", "tool"} {
		offlineCopyTree(t, filepath.Join("testdata", "cargo", c), filepath.Join(repo, c))
	}
	cfg := offline.CargoConfig(url)
	if err := os.MkdirAll(filepath.Join(repo, ".cargo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".cargo", "config.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	for _, c := range []string{"hello", "tool"} {
		r := offlineExec(t, filepath.Join(repo, c), offlineEnv(offlineShell{}, "CARGO_HOME="+filepath.Join(scratch, "cargo"), "HOME="+scratch), 2*time.Minute, fx["CARGO"], "generate-lockfile")
		if r.exitCode != 0 {
			t.Fatalf("cargo generate-lockfile in %s against %s:\n%s", c, url, r)
		}
	}
	return repo
}

// offlineCargoPod is the per-pod part of a run: HOME, CARGO_HOME and
// CARGO_TARGET_DIR on "the workspace volume".
type offlineCargoPod struct{ home, cargoHome, target string }

func newOfflineCargoPod(t *testing.T) offlineCargoPod {
	d := t.TempDir()
	return offlineCargoPod{home: filepath.Join(d, "home"), cargoHome: filepath.Join(d, "cargo"), target: filepath.Join(d, "target")}
}

func (p offlineCargoPod) env(repo, cache, mode, workdirs string) []string {
	return []string{
		"PREWARM_REPO=" + repo, "PREWARM_CACHE=" + cache, "PREWARM_HOME=" + p.home,
		"PREWARM_CACHE_MODE=" + mode, "PREWARM_WORKDIRS=" + workdirs,
		"CARGO_HOME=" + p.cargoHome, "CARGO_TARGET_DIR=" + p.target,
	}
}

func TestOfflineCargoColdThenWarmFromSharedCacheWithRegistryStopped(t *testing.T) {
	fx := offlineFixtures(t)
	reg := offlineCargoRegistryFor(t)
	offlineEachShell(t, func(t *testing.T, sh offlineShell, _ string) {
		srv := offlineServe(t, reg.handler())
		repo := offlineCargoRepo(t, fx, srv.URL)
		cache := filepath.Join(t.TempDir(), "cache", "cargo")
		args := []string{"--config", "net.git-fetch-with-cli=false"}

		// 1. The trusted writer, cold: downloads everything, publishes.
		before := srv.Requests()
		writer := newOfflineCargoPod(t)
		// Two workdirs, one summary line each; each publishes what it
		// added as a new generation (the previous one is kept).
		r := offlineRunScript(t, sh, "cargo", repo, writer.env(repo, cache, "readWrite", "tool\nhello\n"), args...)
		sums := offlineOK(t, sh.name+" writer cold", r, 2)
		offlineWant(t, "writer cold tool", r, sums[0], "workdir", "tool", "result", "cold", "mode", "readWrite", "crates", "2", "fetched", "2", "published", "yes")
		offlineWant(t, "writer cold hello", r, sums[1], "workdir", "hello", "result", "cold", "crates", "7", "fetched", "5", "published", "yes")
		if srv.Requests() == before {
			t.Fatalf("the cold run made no request to the registry\n%s", r)
		}
		if gens := offlineGenerations(t, filepath.Join(cache, "home")); len(gens) != 2 {
			t.Errorf("want the current and the previous generation, have %v", gens)
		}
		gen := offlineLinkGeneration(t, filepath.Join(cache, "home"))
		crates := offlineFind(t, gen, "*.crate")
		if len(crates) != len(offline.CargoCrates) {
			t.Fatalf("shared cache holds %d .crate files, want %d: %v", len(crates), len(offline.CargoCrates), crates)
		}
		for _, top := range []string{"registry/src", ".package-cache", "bin"} {
			if _, err := os.Lstat(filepath.Join(gen, top)); err == nil {
				t.Errorf("shared cache must not hold %s", top)
			}
		}
		if _, err := os.Stat(filepath.Join(gen, "registry", "index")); err != nil {
			t.Errorf("shared cache has no registry/index: %v", err)
		}
		offlineNoTemps(t, cache)

		// 2. A broken shared cache (home is a file) falls back to a cold
		// fetch with a warning; it does not fail the pod.
		broken := filepath.Join(t.TempDir(), "cache")
		if err := os.MkdirAll(broken, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(broken, "home"), []byte("not a directory"), 0o644); err != nil {
			t.Fatal(err)
		}
		fb := newOfflineCargoPod(t)
		creds := filepath.Join(t.TempDir(), "credentials.toml")
		if err := os.WriteFile(creds, []byte("[registries]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r = offlineRunScript(t, sh, "cargo", repo, append(fb.env(repo, broken, "readOnly", "hello"), "PREWARM_CARGO_CREDENTIALS="+creds))
		offlineWant(t, "broken cache", r, offlineOK(t, sh.name+" broken cache", r, 1)[0], "result", "fallback", "fetched", "7", "published", "readOnly")
		if len(offlineLines(r.stderr, "prewarm: warning:")) == 0 {
			t.Errorf("fallback without a warning\n%s", r)
		}
		if target, err := os.Readlink(filepath.Join(fb.cargoHome, "credentials.toml")); err != nil || target != creds {
			t.Errorf("CARGO_HOME/credentials.toml should link to the Secret file %s: %q %v", creds, target, err)
		}

		// 3. The registry is gone: a reader is served by the shared
		// cache alone and writes nothing to it.
		srv.Stop()
		state := offlineTreeState(t, filepath.Join(cache, ".."))
		reader := newOfflineCargoPod(t)
		r = offlineRunScript(t, sh, "cargo", repo, reader.env(repo, cache, "readOnly", "hello"), args...)
		s := offlineOK(t, sh.name+" reader warm", r, 1)[0]
		offlineWant(t, "reader warm", r, s, "result", "warm", "mode", "readOnly", "crates", "7", "fetched", "0", "published", "readOnly")
		if s["key"] != sums[1]["key"] {
			t.Errorf("key changed between writer and reader: %s vs %s", sums[1]["key"], s["key"])
		}
		if d := offlineDiff(state, offlineTreeState(t, filepath.Join(cache, ".."))); d != "" {
			t.Fatalf("a readOnly run changed the shared cache:\n%s", d)
		}

		// 4. The agent builds offline with what setup left.
		agent := offlineEnv(offlineShell{}, "HOME="+reader.home, "CARGO_HOME="+reader.cargoHome, "CARGO_TARGET_DIR="+reader.target)
		b := offlineExec(t, filepath.Join(repo, "hello"), agent, 3*time.Minute, fx["CARGO"], "build", "--frozen", "--offline")
		if b.exitCode != 0 {
			t.Fatalf("agent: cargo build --frozen --offline failed\n%s", b)
		}
		bin := offlineExec(t, repo, agent, time.Minute, filepath.Join(reader.target, "debug", "prewarm-offline-hello"))
		if bin.exitCode != 0 || !strings.Contains(bin.stdout, "offline-hello unix 2 42") {
			t.Fatalf("built binary:\n%s", bin)
		}

		// 5. The writer again, registry still gone: warm, nothing new,
		// the generation stays.
		writer2 := newOfflineCargoPod(t)
		r = offlineRunScript(t, sh, "cargo", repo, writer2.env(repo, cache, "readWrite", "hello"), args...)
		offlineWant(t, "writer warm", r, offlineOK(t, sh.name+" writer warm", r, 1)[0], "result", "warm", "fetched", "0", "published", "unchanged")
		if again := offlineLinkGeneration(t, filepath.Join(cache, "home")); again != gen {
			t.Errorf("an unchanged cache was republished: %s -> %s", gen, again)
		}
	})
}

func TestOfflineCargoScriptLint(t *testing.T) {
	offlineLint(t, "cargo")
}
