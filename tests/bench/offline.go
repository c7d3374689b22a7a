package main

// pip, cargo and maven on the offline fixtures the script tests use
// (tests/scripts): PyPI, crates.io and Maven Central are not reachable here,
// so the real tools fetch from servers on 127.0.0.1 — two wheels packed from
// tests/scripts/testdata/pip, Debian's librust-*-dev crate sources as a
// sparse registry, Debian's /usr/share/maven-repo as a remote repository.
// The fixture builders are tests/internal/offline's, shared with the script
// tests; tests/scripts/testdata/build-offline-fixtures.sh prepares the
// machine.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/offline"
)

// server is an HTTP server on 127.0.0.1 that counts requests.
type server = offline.Server

func serve(h http.Handler) (*server, error) { return offline.Serve(h) }

// interleaveCounted interleaves steps like interleave, remembers the
// requests each mode made to srv and adds the group (with that count) to
// the results when it has a run.
func (b *bench) interleaveCounted(label string, g *Group, srv *server, steps []step) error {
	seen := map[string][]int64{}
	counted := make([]step, len(steps))
	for i, st := range steps {
		st := st
		counted[i] = step{st.name, func(round int) (float64, error) {
			before := srv.Requests()
			secs, err := st.run(round)
			seen[st.name] = append(seen[st.name], srv.Requests()-before)
			return secs, err
		}}
	}
	err := b.interleave(label, b.cfg.runs, counted, g.record)
	var parts []string
	for _, m := range g.Modes {
		if v, ok := seen[m.Name]; ok && len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", m.Name, v[len(v)-1]))
		}
	}
	if len(parts) > 0 {
		g.Info = append(g.Info, "HTTP requests to the fixture server in the last run of each mode: "+strings.Join(parts, ", "))
	}
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, *g)
	}
	return err
}

// offlineFixtures runs the script tests' fixture builder (idempotent) and
// returns its key=value output.
func (b *bench) offlineFixtures() (map[string]string, error) {
	return offline.Fixtures(b.ctx, filepath.Join(b.cfg.work, "offline-fixtures"), 10*time.Minute)
}

// offlineWork is the offline fixtures and a fresh work directory for
// section name (the caller removes it).
func (b *bench) offlineWork(name string) (fx map[string]string, dir string, err error) {
	if fx, err = b.offlineFixtures(); err != nil {
		return nil, "", err
	}
	dir, err = b.workdir(name)
	return fx, dir, err
}

// ---- pip ----

func (b *bench) pipBench() error {
	wheels, err := offline.DemoWheels()
	if err != nil {
		return err
	}
	srv, err := serve(offline.PipIndex(wheels, nil))
	if err != nil {
		return err
	}
	defer srv.Stop()
	dir, err := b.workdir("pip")
	if err != nil {
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
		return p.Elapsed.Seconds(), err
	}
	g := Group{Eco: "pip", Set: "pip-offline", Modes: []Mode{
		{Name: "cold", Desc: "empty cache: python -m venv, pip install from the index on 127.0.0.1, publish the venv snapshot"},
		{Name: "warm", Desc: "pip cache populated, snapshots off: venv + pip install from the cache"},
		{Name: "snapshot", Desc: "venv snapshot restored, no install"},
		{Name: "limit", Desc: "plain tar -x of the same .venv"},
	}}
	steps := []step{
		coldStep(primed, coldCache, func(cache string) (float64, error) { return run("dash", cache, "cold") }, func() error {
			if _, err := b.untimed(repo, baseEnv(""), 5*time.Minute, "tar", "-cf", plainTar, "-C", filepath.Join(repo, ".venv"), "."); err != nil {
				return err
			}
			snap, shards, err := oneSnapshot(primed)
			if err != nil {
				return err
			}
			sb, _ := duBytes(snap)
			g.Info = append(g.Info, fmt.Sprintf("2 wheels (pwdemo-alpha, pwdemo-beta); .venv %d files, snapshot %s in %d shards; the venv's own pip dominates", countFiles(filepath.Join(repo, ".venv")), human(sb), shards))
			return nil
		}),
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
			return p.Elapsed.Seconds(), err
		}},
	}
	return b.interleaveCounted("pip", &g, srv, steps)
}

// record appends secs to mode's series.
func (g *Group) record(mode string, secs, cpu float64) {
	if m := g.mode(mode); m != nil {
		m.Seconds = append(m.Seconds, secs)
		m.CPU = append(m.CPU, cpu)
	}
}

// ---- cargo ----

func (b *bench) cargoBench() error {
	fx, dir, err := b.offlineWork("cargo")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	regRoot := filepath.Join(dir, "registry")
	if _, err := offline.BuildCargoRegistry(fx["CRATES_DIR"], fx["CARGO"], regRoot, baseEnv("")); err != nil {
		return err
	}
	srv, err := serve(offline.CargoHandler(regRoot))
	if err != nil {
		return err
	}
	defer srv.Stop()

	// The repo: hello and tool crates, crates.io replaced by the registry,
	// Cargo.lock generated against it once.
	src := filepath.Join(b.cfg.root, "tests", "scripts", "testdata", "cargo")
	template := filepath.Join(dir, "repo-template")
	for _, c := range []string{"hello", "tool"} {
		if err := copyTree(filepath.Join(src, c), filepath.Join(template, c)); err != nil {
			return err
		}
	}
	cfg := offline.CargoConfig(srv.URL)
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
		return p.Elapsed.Seconds(), err
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
	steps := readOnlySteps(primed, coldCache, run)
	return b.interleaveCounted("cargo", &g, srv, steps)
}

// ---- maven ----

// mvnTotalRE finds Maven's own "Total time:  1.234 s" line.
var mvnTotalRE = regexp.MustCompile(`Total time:\s+([0-9.]+) s\b`)

func (b *bench) mavenBench() error {
	fx, dir, err := b.offlineWork("maven")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	srv, err := serve(offline.MavenRepoHandler(fx["MAVEN_REPO"]))
	if err != nil {
		return err
	}
	defer srv.Stop()
	settings := filepath.Join(dir, "secret", "settings.xml")
	if err := os.MkdirAll(filepath.Dir(settings), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(settings, []byte(offline.MavenSettings(srv.URL)), 0o644); err != nil {
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
				if t := mvnTotalRE.FindStringSubmatch(p.Stderr); t != nil {
					mvn, _ := strconv.ParseFloat(t[1], 64)
					m.Parts[0].Values = append(m.Parts[0].Values, mvn)
					m.Parts[1].Values = append(m.Parts[1].Values, p.Elapsed.Seconds()-mvn)
				}
			}
		}
		return p.Elapsed.Seconds(), nil
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
	steps := readOnlySteps(primed, coldCache, run)
	return b.interleaveCounted("maven", g, srv, steps)
}
