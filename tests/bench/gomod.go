package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
)

// goBench: setup (prewarm.script.gomod: go mod download + prebuild) with
// the preset's default, PREWARM_SNAPSHOTS=auto, which on local disk links
// the per-pod GOMODCACHE and GOCACHE to the caches on the volume; on an
// empty cache volume and on a warm one, each followed by the agent's first
// `go build ./...` with the env the preset gives the agent (the per-pod
// paths under HOME, GOFLAGS=-modcacherw) and GOPROXY=off.
func (b *bench) goBench() error {
	fixture, err := fixtures.Path(fixtures.GoMedium)
	if err != nil {
		return err
	}
	dir, err := b.workdir("go-medium")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	repo, home, agentHome := filepath.Join(dir, "ws", "repo"), filepath.Join(dir, "ws", "home"), filepath.Join(dir, "ws", "agent-home")
	primed, coldCache := filepath.Join(dir, "cache-primed"), filepath.Join(dir, "cache-cold")

	g := Group{Eco: "go", Set: "go-medium", Modes: []Mode{
		{Name: "cold", Desc: "the gomod default (snapshots auto: on local disk the per-pod GOMODCACHE and GOCACHE are symlinks to the caches on the volume), empty cache volume: setup downloads the modules from the proxy and compiles (prebuild=build), then the agent's first go build ./..."},
		{Name: "warm", Desc: "the gomod default, module and build cache on the volume populated: setup (go mod download, go build ./... both cache hits through the symlinks), then the agent's first go build ./..."},
	}}
	for i := range g.Modes {
		g.Modes[i].Parts = []Series{{Name: "setup"}, {Name: "first build"}}
	}
	one := func(m *Mode, cache, want string) (float64, error) {
		for _, d := range []string{repo, home, agentHome} {
			if err := fresh(d); err != nil {
				return 0, err
			}
		}
		if err := copyTree(fixture, repo); err != nil {
			return 0, err
		}
		settle()
		env := []string{"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + cache, "PREWARM_SNAPSHOTS=auto"}
		p, sums, err := b.runScript("dash", "gomod", repo, env, 30*time.Minute, 1, want)
		if err != nil {
			return 0, err
		}
		if sums[0]["shape"] != "direct" {
			return 0, fmt.Errorf("gomod default on local disk: want shape=direct, got %v", sums[0])
		}
		mod, gocache := goPodCaches(home)
		agent := append(baseEnv(""),
			"HOME="+agentHome,
			"GOMODCACHE="+mod,
			"GOCACHE="+gocache,
			"GOFLAGS=-modcacherw",
			"GOPROXY=off",
		)
		bp, err := b.mustExec(repo, agent, 30*time.Minute, "go", "build", "./...")
		if err != nil {
			return 0, fmt.Errorf("agent go build with GOPROXY=off: %w", err)
		}
		m.Parts[0].Values = append(m.Parts[0].Values, p.Elapsed.Seconds())
		m.Parts[1].Values = append(m.Parts[1].Values, bp.Elapsed.Seconds())
		return p.Elapsed.Seconds() + bp.Elapsed.Seconds(), nil
	}
	primedOK := false
	steps := []step{
		{"cold", func(int) (float64, error) {
			cache := coldCache
			if !primedOK {
				cache = primed // round 1's cold run fills the warm cache
			}
			if err := fresh(cache); err != nil {
				return 0, err
			}
			secs, err := one(&g.Modes[0], cache, "cold")
			if err != nil {
				return 0, err
			}
			if !primedOK {
				primedOK = true
				mod, _ := duBytes(filepath.Join(cache, "mod"))
				build, _ := duBytes(filepath.Join(cache, "build"))
				g.Info = append(g.Info, fmt.Sprintf("cache volume after a cold setup: module cache %s, build cache %s", human(mod), human(build)))
			} else {
				removeAll(cache)
			}
			return secs, nil
		}},
		{"warm", func(int) (float64, error) { return one(&g.Modes[1], primed, "warm") }},
	}
	err = b.interleave("go-medium", b.cfg.runs, steps, g.record)
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, g)
	}
	return err
}

// goPodCaches: the per-pod GOMODCACHE and GOCACHE the gomod preset gives
// the agent by default (and with snapshots: true): under HOME.
func goPodCaches(home string) (mod, build string) {
	return filepath.Join(home, "go", "pkg", "mod"), filepath.Join(home, ".cache", "go-build")
}
