package scripts

// The cargo preset script against a real cargo and a real sparse registry:
// Debian's librust-*-dev crate sources packed into .crate files, indexed and
// served from 127.0.0.1, replacing crates.io through the repo's
// .cargo/config.toml (as a private mirror would).

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// offlineCargoCrates are the crates testdata/cargo/{hello,tool} use; each
// comes from a librust-<name>-dev package (build-offline-fixtures.sh).
var offlineCargoCrates = []string{"itoa", "ryu", "cfg-if", "fnv", "either", "scopeguard", "static_assertions"}

// offlineCargoRegistry is a sparse registry on disk: index/<path> and
// crates/<name>/<version>/download.
type offlineCargoRegistry struct {
	root   string
	crates map[string]string // name -> version
}

var (
	offlineCargoRegOnce sync.Once
	offlineCargoRegVal  *offlineCargoRegistry
	offlineCargoRegErr  error
)

func offlineCargoRegistryFor(t *testing.T) *offlineCargoRegistry {
	t.Helper()
	fx := offlineFixtures(t)
	offlineCargoRegOnce.Do(func() {
		offlineCargoRegVal, offlineCargoRegErr = offlineBuildCargoRegistry(fx["CRATES_DIR"], fx["CARGO"])
	})
	if offlineCargoRegErr != nil {
		t.Fatal(offlineCargoRegErr)
	}
	return offlineCargoRegVal
}

// offlineBuildCargoRegistry packs each crate directory deterministically
// (sorted entries, fixed mtime and modes, no gzip name or time) so the same
// Debian package always gives the same checksum.
func offlineBuildCargoRegistry(cratesDir, cargo string) (*offlineCargoRegistry, error) {
	root, err := os.MkdirTemp("", "prewarm-cargo-registry-")
	if err != nil {
		return nil, err
	}
	reg := &offlineCargoRegistry{root: root, crates: map[string]string{}}
	for _, name := range offlineCargoCrates {
		matches, _ := filepath.Glob(filepath.Join(cratesDir, name+"-[0-9]*"))
		if len(matches) != 1 {
			return nil, fmt.Errorf("want exactly one %s/%s-<version> (librust-%s-dev), found %v; run tests/scripts/testdata/build-offline-fixtures.sh as root", cratesDir, name, strings.ReplaceAll(name, "_", "-"), matches)
		}
		dir := matches[0]
		version := strings.TrimPrefix(filepath.Base(dir), name+"-")
		data, err := offlinePackCrate(dir, name+"-"+version)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		entry, err := offlineIndexEntry(cargo, dir, root, hex.EncodeToString(sum[:]))
		if err != nil {
			return nil, err
		}
		dl := filepath.Join(root, "crates", name, version, "download")
		if err := os.MkdirAll(filepath.Dir(dl), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dl, data, 0o644); err != nil {
			return nil, err
		}
		idx := filepath.Join(root, "index", offlineIndexPath(name))
		if err := os.MkdirAll(filepath.Dir(idx), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(idx, append(entry, '\n'), 0o644); err != nil {
			return nil, err
		}
		reg.crates[name] = version
	}
	return reg, nil
}

// offlineIndexPath is the sparse index path of a crate name.
func offlineIndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

func offlinePackCrate(dir, prefix string) ([]byte, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		// Debian's checksum file describes the crates.io archive, not ours.
		if rel == ".cargo-checksum.json" || rel == "debian" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var buf strings.Builder
	gz, _ := gzip.NewWriterLevel(&offlineWriter{&buf}, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	mtime := time.Unix(1700000000, 0)
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: prefix + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}

type offlineWriter struct{ b *strings.Builder }

func (w *offlineWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

// offlineIndexEntry builds the index line of the crate in dir from
// `cargo metadata --no-deps` (cargo parses the manifest; no TOML here).
func offlineIndexEntry(cargo, dir, scratch, cksum string) ([]byte, error) {
	cmd := offlineCommand(cargo, "metadata", "--offline", "--no-deps", "--format-version", "1", "--manifest-path", filepath.Join(dir, "Cargo.toml"))
	cmd.Env = append(offlineEnv(offlineShell{}), "CARGO_HOME="+filepath.Join(scratch, ".cargo-home"), "HOME="+scratch)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cargo metadata %s: %v %s", dir, err, offlineStderr(err))
	}
	var meta struct {
		Packages []struct {
			Name         string              `json:"name"`
			Version      string              `json:"version"`
			Features     map[string][]string `json:"features"`
			Links        *string             `json:"links"`
			RustVersion  *string             `json:"rust_version"`
			Dependencies []struct {
				Name                string   `json:"name"`
				Req                 string   `json:"req"`
				Kind                *string  `json:"kind"`
				Rename              *string  `json:"rename"`
				Optional            bool     `json:"optional"`
				UsesDefaultFeatures bool     `json:"uses_default_features"`
				Features            []string `json:"features"`
				Target              *string  `json:"target"`
			} `json:"dependencies"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(out, &meta); err != nil || len(meta.Packages) != 1 {
		return nil, fmt.Errorf("cargo metadata %s: unexpected output (%v)", dir, err)
	}
	p := meta.Packages[0]
	type dep struct {
		Name            string   `json:"name"`
		Req             string   `json:"req"`
		Features        []string `json:"features"`
		Optional        bool     `json:"optional"`
		DefaultFeatures bool     `json:"default_features"`
		Target          *string  `json:"target"`
		Kind            string   `json:"kind"`
		Registry        *string  `json:"registry"`
		Package         *string  `json:"package,omitempty"`
	}
	deps := []dep{}
	for _, d := range p.Dependencies {
		x := dep{Name: d.Name, Req: d.Req, Features: d.Features, Optional: d.Optional, DefaultFeatures: d.UsesDefaultFeatures, Target: d.Target, Kind: "normal"}
		if x.Features == nil {
			x.Features = []string{}
		}
		if d.Kind != nil {
			x.Kind = *d.Kind
		}
		if d.Rename != nil {
			real := d.Name
			x.Name, x.Package = *d.Rename, &real
		}
		deps = append(deps, x)
	}
	// Features using "dep:" or "?/" go to features2 (index format v2).
	features, features2 := map[string][]string{}, map[string][]string{}
	for k, v := range p.Features {
		v2 := false
		for _, f := range v {
			if strings.HasPrefix(f, "dep:") || strings.Contains(f, "?/") {
				v2 = true
			}
		}
		if v2 {
			features2[k] = v
		} else {
			features[k] = v
		}
	}
	entry := map[string]any{
		"name": p.Name, "vers": p.Version, "deps": deps, "cksum": cksum,
		"features": features, "yanked": false, "links": p.Links,
	}
	if len(features2) > 0 {
		entry["features2"] = features2
		entry["v"] = 2
	}
	if p.RustVersion != nil {
		entry["rust_version"] = *p.RustVersion
	}
	return json.Marshal(entry)
}

// handler serves the registry; config.json names this server's address.
func (reg *offlineCargoRegistry) handler() http.Handler {
	files := http.FileServer(http.Dir(reg.root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index/config.json" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"dl":"http://%s/crates/{crate}/{version}/download","api":null}`, r.Host)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// offlineCargoRepo lays out a repo with the hello and tool crates, a
// .cargo/config.toml replacing crates.io with the registry at url, and a
// Cargo.lock per crate generated against it (throwaway CARGO_HOME).
func offlineCargoRepo(t *testing.T, fx offlineFixtureEnv, url string) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "repo")
	for _, c := range []string{"hello", "tool"} {
		offlineCopyTree(t, filepath.Join("testdata", "cargo", c), filepath.Join(repo, c))
	}
	cfg := fmt.Sprintf("[source.crates-io]\nreplace-with = \"prewarm-fixture\"\n\n[source.prewarm-fixture]\nregistry = \"sparse+%s/index/\"\n\n[net]\nretry = 0\n", url)
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
	for _, sh := range offlineShells(t) {
		t.Run(sh.name, func(t *testing.T) {
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
			if len(crates) != len(offlineCargoCrates) {
				t.Fatalf("shared cache holds %d .crate files, want %d: %v", len(crates), len(offlineCargoCrates), crates)
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
}

func TestOfflineCargoScriptLint(t *testing.T) {
	offlineLint(t, "cargo")
}
