package main

// pip, cargo and maven on the offline fixtures the script tests use
// (tests/scripts): PyPI, crates.io and Maven Central are not reachable here,
// so the real tools fetch from servers on 127.0.0.1 — two wheels packed from
// tests/scripts/testdata/pip, Debian's librust-*-dev crate sources as a
// sparse registry, Debian's /usr/share/maven-repo as a remote repository.
// The builders below repeat the script tests' (they are unexported _test
// code); tests/scripts/testdata/build-offline-fixtures.sh prepares the
// machine.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// server is an HTTP server on 127.0.0.1 that counts requests.
type server struct {
	URL      string
	srv      *http.Server
	requests atomic.Int64
}

func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.requests.Add(1)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *server) Close() { _ = s.srv.Close() }

// counted wraps each step so the requests it made to srv are remembered per
// mode; requestInfo summarises them for the report.
func counted(srv *server, steps []step, seen map[string][]int64) []step {
	out := make([]step, len(steps))
	for i, st := range steps {
		st := st
		out[i] = step{st.name, func(round int) (float64, error) {
			before := srv.requests.Load()
			secs, err := st.run(round)
			seen[st.name] = append(seen[st.name], srv.requests.Load()-before)
			return secs, err
		}}
	}
	return out
}

func requestInfo(g *Group, seen map[string][]int64) {
	var parts []string
	for _, m := range g.Modes {
		if v, ok := seen[m.Name]; ok && len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", m.Name, v[len(v)-1]))
		}
	}
	if len(parts) > 0 {
		g.Info = append(g.Info, "HTTP requests to the fixture server in the last run of each mode: "+strings.Join(parts, ", "))
	}
}

// offlineFixtures runs the script tests' fixture builder (idempotent) and
// returns its key=value output.
func (b *bench) offlineFixtures() (map[string]string, error) {
	builder := filepath.Join(b.cfg.root, "tests", "scripts", "testdata", "build-offline-fixtures.sh")
	out := filepath.Join(b.cfg.work, "offline-fixtures")
	p, err := b.exec(b.cfg.root, os.Environ(), 10*time.Minute, "bash", builder, out)
	if err != nil {
		return nil, err
	}
	if p.code != 0 {
		return nil, fmt.Errorf("%s failed (it installs the Debian packages the offline fixtures need; run it as root):\n%s", builder, p.stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "offline-fixtures.env"))
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env, nil
}

// ---- pip ----

type wheel struct {
	project, file, sha256 string
	data                  []byte
}

// makeWheel packs tests/scripts/testdata/pip/<pkg> into a py3-none-any
// wheel with the METADATA, WHEEL and RECORD files pip checks.
func makeWheel(srcDir, pkg, version string, requires ...string) (wheel, error) {
	dist := pkg + "-" + version
	files := map[string][]byte{}
	src, err := os.ReadFile(filepath.Join(srcDir, pkg, "__init__.py"))
	if err != nil {
		return wheel{}, err
	}
	files[pkg+"/__init__.py"] = src
	meta := "Metadata-Version: 2.1\nName: " + strings.ReplaceAll(pkg, "_", "-") + "\nVersion: " + version + "\n"
	for _, r := range requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[dist+".dist-info/METADATA"] = []byte(meta)
	files[dist+".dist-info/WHEEL"] = []byte("Wheel-Version: 1.0\nGenerator: prewarm-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
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
			return wheel{}, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return wheel{}, err
		}
	}
	if err := zw.Close(); err != nil {
		return wheel{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return wheel{project: strings.ReplaceAll(pkg, "_", "-"), file: dist + "-py3-none-any.whl", data: buf.Bytes(), sha256: hex.EncodeToString(sum[:])}, nil
}

// pipIndex serves wheels as a PEP 503 simple index.
func pipIndex(wheels []wheel) http.Handler {
	byProject := map[string]wheel{}
	for _, w := range wheels {
		byProject[w.project] = w
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		w.Header().Set("Content-Type", "text/html")
		wh, ok := byProject[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="/files/%s#sha256=%s">%s</a></body></html>`, wh.file, wh.sha256, wh.file)
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/files/")
		for _, wh := range wheels {
			if wh.file == name {
				w.Header().Set("Cache-Control", "max-age=31536000, immutable")
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(wh.data)
				return
			}
		}
		http.NotFound(w, r)
	})
	return mux
}

func (b *bench) pipBench() error {
	src := filepath.Join(b.cfg.root, "tests", "scripts", "testdata", "pip")
	alpha, err := makeWheel(src, "pwdemo_alpha", "1.0", "pwdemo-beta (==1.0)")
	if err != nil {
		return err
	}
	beta, err := makeWheel(src, "pwdemo_beta", "1.0")
	if err != nil {
		return err
	}
	srv, err := serve(pipIndex([]wheel{alpha, beta}))
	if err != nil {
		return err
	}
	defer srv.Close()
	dir := filepath.Join(b.cfg.work, "pip")
	if err := fresh(dir); err != nil {
		return err
	}
	defer removeAll(dir)
	repo, home := filepath.Join(dir, "ws", "repo"), filepath.Join(dir, "ws", "home")
	primed, coldCache, plainTar := filepath.Join(dir, "cache-primed"), filepath.Join(dir, "cache-cold"), filepath.Join(dir, "plain.tar")
	clone := func() error {
		if err := fresh(repo); err != nil {
			return err
		}
		if err := fresh(home); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(repo, "requirements.txt"), []byte("pwdemo-alpha==1.0\n"), 0o644)
	}
	run := func(shell, cache, want string, extra ...string) (float64, error) {
		if err := clone(); err != nil {
			return 0, err
		}
		settle()
		env := append([]string{
			"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + cache,
			"PIP_INDEX_URL=" + srv.URL + "/simple/", "PIP_TRUSTED_HOST=127.0.0.1",
			"PIP_DEFAULT_TIMEOUT=20", "PIP_RETRIES=0", "PIP_NO_INPUT=1",
		}, extra...)
		p, _, err := b.runScript(shell, "pip", repo, env, 10*time.Minute, 1, want)
		return p.seconds(), err
	}
	g := Group{Eco: "pip", Set: "pip-offline", Modes: []Mode{
		{Name: "cold", Desc: "empty cache: python -m venv, pip install from the index on 127.0.0.1, publish the venv snapshot"},
		{Name: "warm", Desc: "pip cache populated, snapshots off: venv + pip install from the cache"},
		{Name: "snapshot", Desc: "venv snapshot restored, no install"},
		{Name: "limit", Desc: "plain tar -x of the same .venv"},
	}}
	primedOK := false
	steps := []step{
		{"cold", func(int) (float64, error) {
			cache := coldCache
			if !primedOK {
				cache = primed
			}
			if err := fresh(cache); err != nil {
				return 0, err
			}
			secs, err := run("dash", cache, "cold")
			if err != nil {
				return 0, err
			}
			if !primedOK {
				primedOK = true
				if _, err := b.untimed(repo, baseEnv(""), 5*time.Minute, "tar", "-cf", plainTar, "-C", filepath.Join(repo, ".venv"), "."); err != nil {
					return 0, err
				}
				snaps, _ := filepath.Glob(filepath.Join(primed, "snapshots", "*.tar"))
				var sb int64
				if len(snaps) == 1 {
					sb = fileSize(snaps[0])
				}
				g.Info = append(g.Info, fmt.Sprintf("2 wheels (pwdemo-alpha, pwdemo-beta); .venv %d files, snapshot %s; the venv's own pip dominates", countFiles(filepath.Join(repo, ".venv")), human(sb)))
			} else {
				removeAll(cache)
			}
			return secs, nil
		}},
		{"warm", func(int) (float64, error) { return run("dash", primed, "warm", "PREWARM_SNAPSHOTS=false") }},
		{"snapshot", func(int) (float64, error) { return run("dash", primed, "snapshot") }},
		{"limit", func(int) (float64, error) {
			if err := clone(); err != nil {
				return 0, err
			}
			venv := filepath.Join(repo, ".venv")
			if err := os.MkdirAll(venv, 0o755); err != nil {
				return 0, err
			}
			settle()
			p, err := b.mustExec(repo, baseEnv(""), 5*time.Minute, "tar", "-xf", plainTar, "-C", venv)
			return p.seconds(), err
		}},
	}
	seen := map[string][]int64{}
	err = b.interleave("pip", b.cfg.runs, counted(srv, steps, seen), g.record)
	requestInfo(&g, seen)
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, g)
	}
	return err
}

// record appends secs to mode's series.
func (g *Group) record(mode string, secs, cpu float64) {
	if m := g.mode(mode); m != nil {
		m.Seconds = append(m.Seconds, secs)
		m.CPU = append(m.CPU, cpu)
	}
}

// ---- cargo ----

var cargoCrates = []string{"itoa", "ryu", "cfg-if", "fnv", "either", "scopeguard", "static_assertions"}

// buildCargoRegistry packs each Debian crate directory deterministically
// into a .crate and writes its sparse index entry (from cargo metadata).
func (b *bench) buildCargoRegistry(cratesDir, cargo, root string) error {
	for _, name := range cargoCrates {
		matches, _ := filepath.Glob(filepath.Join(cratesDir, name+"-[0-9]*"))
		if len(matches) != 1 {
			return fmt.Errorf("want exactly one %s/%s-<version>, found %v; run tests/scripts/testdata/build-offline-fixtures.sh as root", cratesDir, name, matches)
		}
		dir := matches[0]
		version := strings.TrimPrefix(filepath.Base(dir), name+"-")
		data, err := packCrate(dir, name+"-"+version)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		entry, err := b.indexEntry(cargo, dir, root, hex.EncodeToString(sum[:]))
		if err != nil {
			return err
		}
		dl := filepath.Join(root, "crates", name, version, "download")
		idx := filepath.Join(root, "index", indexPath(name))
		for _, f := range []struct {
			path string
			data []byte
		}{{dl, data}, {idx, append(entry, '\n')}} {
			if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func indexPath(name string) string {
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

func packCrate(dir, prefix string) ([]byte, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
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
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	mtime := time.Unix(1700000000, 0)
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: prefix + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// indexEntry builds the crate's index line from `cargo metadata --no-deps`.
func (b *bench) indexEntry(cargo, dir, scratch, cksum string) ([]byte, error) {
	cmd := exec.Command(cargo, "metadata", "--offline", "--no-deps", "--format-version", "1", "--manifest-path", filepath.Join(dir, "Cargo.toml"))
	cmd.Env = append(baseEnv(""), "CARGO_HOME="+filepath.Join(scratch, ".cargo-home"), "HOME="+scratch)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		return nil, fmt.Errorf("cargo metadata %s: %v %s", dir, err, stderr)
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
	entry := map[string]any{"name": p.Name, "vers": p.Version, "deps": deps, "cksum": cksum, "features": features, "yanked": false, "links": p.Links}
	if len(features2) > 0 {
		entry["features2"] = features2
		entry["v"] = 2
	}
	if p.RustVersion != nil {
		entry["rust_version"] = *p.RustVersion
	}
	return json.Marshal(entry)
}

func cargoHandler(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index/config.json" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"dl":"http://%s/crates/{crate}/{version}/download","api":null}`, r.Host)
			return
		}
		files.ServeHTTP(w, r)
	})
}

func (b *bench) cargoBench() error {
	fx, err := b.offlineFixtures()
	if err != nil {
		return err
	}
	dir := filepath.Join(b.cfg.work, "cargo")
	if err := fresh(dir); err != nil {
		return err
	}
	defer removeAll(dir)
	regRoot := filepath.Join(dir, "registry")
	if err := b.buildCargoRegistry(fx["CRATES_DIR"], fx["CARGO"], regRoot); err != nil {
		return err
	}
	srv, err := serve(cargoHandler(regRoot))
	if err != nil {
		return err
	}
	defer srv.Close()

	// The repo: hello and tool crates, crates.io replaced by the registry,
	// Cargo.lock generated against it once.
	src := filepath.Join(b.cfg.root, "tests", "scripts", "testdata", "cargo")
	template := filepath.Join(dir, "repo-template")
	for _, c := range []string{"hello", "tool"} {
		if err := copyTree(filepath.Join(src, c), filepath.Join(template, c)); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf("[source.crates-io]\nreplace-with = \"prewarm-fixture\"\n\n[source.prewarm-fixture]\nregistry = \"sparse+%s/index/\"\n\n[net]\nretry = 0\n", srv.URL)
	if err := os.MkdirAll(filepath.Join(template, ".cargo"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(template, ".cargo", "config.toml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	scratch := filepath.Join(dir, "scratch")
	for _, c := range []string{"hello", "tool"} {
		env := append(baseEnv(""), "CARGO_HOME="+filepath.Join(scratch, "cargo"), "HOME="+scratch)
		if _, err := b.mustExec(filepath.Join(template, c), env, 5*time.Minute, fx["CARGO"], "generate-lockfile"); err != nil {
			return err
		}
	}
	removeAll(scratch)

	ws := filepath.Join(dir, "ws")
	repo := filepath.Join(ws, "repo")
	primed, coldCache := filepath.Join(dir, "cache-primed"), filepath.Join(dir, "cache-cold")
	run := func(cache, mode, want string) (float64, error) {
		if err := fresh(ws); err != nil {
			return 0, err
		}
		if err := copyTree(template, repo); err != nil {
			return 0, err
		}
		settle()
		env := []string{
			"PREWARM_REPO=" + repo, "PREWARM_CACHE=" + cache, "PREWARM_HOME=" + filepath.Join(ws, "home"),
			"PREWARM_CACHE_MODE=" + mode, "PREWARM_WORKDIRS=hello\ntool",
			"CARGO_HOME=" + filepath.Join(ws, "cargo"), "CARGO_TARGET_DIR=" + filepath.Join(ws, "target"),
		}
		p, _, err := b.runScript("dash", "cargo", repo, env, 10*time.Minute, 2, want)
		return p.seconds(), err
	}
	// The trusted writer fills the shared cache once (not timed).
	if err := fresh(primed); err != nil {
		return err
	}
	if _, err := run(primed, "readWrite", "cold"); err != nil {
		return fmt.Errorf("warmer run: %w", err)
	}
	g := Group{Eco: "cargo", Set: "cargo-offline", Modes: []Mode{
		{Name: "cold", Desc: "Task pod (readOnly), empty shared cache: cargo fetch --locked of 7 crates from the registry on 127.0.0.1, two workdirs"},
		{Name: "warm", Desc: "Task pod (readOnly), shared cache filled by the warmer: seed CARGO_HOME by copy, cargo fetch --offline"},
	}}
	g.Info = append(g.Info, fmt.Sprintf("7 crates from Debian's librust-*-dev; shared cache %s", func() string { n, _ := duBytes(primed); return human(n) }()))
	steps := []step{
		{"cold", func(int) (float64, error) {
			if err := fresh(coldCache); err != nil {
				return 0, err
			}
			defer removeAll(coldCache)
			return run(coldCache, "readOnly", "cold")
		}},
		{"warm", func(int) (float64, error) { return run(primed, "readOnly", "warm") }},
	}
	seen := map[string][]int64{}
	err = b.interleave("cargo", b.cfg.runs, counted(srv, steps, seen), g.record)
	requestInfo(&g, seen)
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, g)
	}
	return err
}

// ---- maven ----

// mvnTotalRE finds Maven's own "Total time:  1.234 s" line.
var mvnTotalRE = regexp.MustCompile(`Total time:\s+([0-9.]+) s\b`)

// mavenRepoHandler serves a Maven repository directory like a remote one,
// answering a missing <file>.sha1/.md5/.sha256/.sha512 with the checksum.
func mavenRepoHandler(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	sums := map[string]func([]byte) string{
		".sha1":   func(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) },
		".md5":    func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) },
		".sha256": func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) },
		".sha512": func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) },
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for ext, sum := range sums {
			if !strings.HasSuffix(r.URL.Path, ext) {
				continue
			}
			p := filepath.Join(root, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
			if _, err := os.Stat(p); err == nil {
				break
			}
			data, err := os.ReadFile(strings.TrimSuffix(p, ext))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, sum(data))
			return
		}
		files.ServeHTTP(w, r)
	})
}

func (b *bench) mavenBench() error {
	fx, err := b.offlineFixtures()
	if err != nil {
		return err
	}
	srv, err := serve(mavenRepoHandler(fx["MAVEN_REPO"]))
	if err != nil {
		return err
	}
	defer srv.Close()
	dir := filepath.Join(b.cfg.work, "maven")
	if err := fresh(dir); err != nil {
		return err
	}
	defer removeAll(dir)
	settings := filepath.Join(dir, "secret", "settings.xml")
	if err := os.MkdirAll(filepath.Dir(settings), 0o755); err != nil {
		return err
	}
	xml := fmt.Sprintf("<settings>\n  <mirrors>\n    <mirror><id>prewarm-fixture</id><mirrorOf>*</mirrorOf><url>%s/</url></mirror>\n  </mirrors>\n</settings>\n", srv.URL)
	if err := os.WriteFile(settings, []byte(xml), 0o644); err != nil {
		return err
	}
	src := filepath.Join(b.cfg.root, "tests", "scripts", "testdata", "maven", "hello")
	ws := filepath.Join(dir, "ws")
	repo := filepath.Join(ws, "repo")
	primed, coldCache := filepath.Join(dir, "cache-primed"), filepath.Join(dir, "cache-cold")
	var g *Group
	mode2name := map[string]string{coldCache: "cold", primed: "warm"}
	run := func(cache, mode, want string) (float64, error) {
		if err := fresh(ws); err != nil {
			return 0, err
		}
		if err := copyTree(src, filepath.Join(repo, "hello")); err != nil {
			return 0, err
		}
		settle()
		env := []string{
			"PREWARM_REPO=" + repo, "PREWARM_CACHE=" + cache, "PREWARM_HOME=" + filepath.Join(ws, "home"),
			"PREWARM_CACHE_MODE=" + mode, "PREWARM_WORKDIRS=hello", "PREWARM_MAVEN_SETTINGS=" + settings,
		}
		p, _, err := b.runScript("dash", "maven", repo, env, 10*time.Minute, 1, want)
		if err != nil {
			return 0, err
		}
		if g != nil {
			if m := g.mode(mode2name[cache]); m != nil {
				if t := mvnTotalRE.FindStringSubmatch(p.stderr); t != nil {
					mvn, _ := strconv.ParseFloat(t[1], 64)
					m.Parts[0].Values = append(m.Parts[0].Values, mvn)
					m.Parts[1].Values = append(m.Parts[1].Values, p.seconds()-mvn)
				}
			}
		}
		return p.seconds(), nil
	}
	if err := fresh(primed); err != nil {
		return err
	}
	if _, err := run(primed, "readWrite", "cold"); err != nil {
		return fmt.Errorf("warmer run: %w", err)
	}
	g = &Group{Eco: "maven", Set: "maven-offline", Modes: []Mode{
		{Name: "cold", Desc: "Task pod (readOnly), empty shared repository: mvn test-compile resolves plugins and dependencies from 127.0.0.1"},
		{Name: "warm", Desc: "Task pod (readOnly), shared repository filled by the warmer: copied into the per-pod repository (Maven < 3.9 has no repo.local.tail), then mvn test-compile"},
	}}
	for i := range g.Modes {
		g.Modes[i].Parts = []Series{{Name: "mvn Total time", Desc: "Maven's own Total time of the lifecycle run"}, {Name: "rest", Desc: "JVM starts (mvn -v for the key, the build), seeding copy, shell"}}
	}
	n, _ := duBytes(primed)
	g.Info = append(g.Info, fmt.Sprintf("hello project (commons-cli, commons-io, compiler and resources plugins) from Debian's maven-repo; shared repository %s", human(n)))
	steps := []step{
		{"cold", func(int) (float64, error) {
			if err := fresh(coldCache); err != nil {
				return 0, err
			}
			defer removeAll(coldCache)
			return run(coldCache, "readOnly", "cold")
		}},
		{"warm", func(int) (float64, error) { return run(primed, "readOnly", "warm") }},
	}
	seen := map[string][]int64{}
	err = b.interleave("maven", b.cfg.runs, counted(srv, steps, seen), g.record)
	requestInfo(g, seen)
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, *g)
	}
	return err
}
