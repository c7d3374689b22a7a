package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"

	prun "github.com/prewarm-dev/prewarm/tests/internal/run"
	"github.com/prewarm-dev/prewarm/tests/internal/shells"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

type bench struct {
	cfg config
	ctx context.Context
	res *Results

	mu      sync.Mutex
	scripts map[string]string
	stepCPU float64 // CPU seconds of the processes run in the current step
}

// script renders prewarm.script.<name> as the presets do (empty data).
func (b *bench) script(name string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.scripts[name]; ok {
		return s, nil
	}
	s, err := templatesgo.Execute("prewarm.script."+name, map[string]any{})
	if err != nil {
		return "", err
	}
	if b.scripts == nil {
		b.scripts = map[string]string{}
	}
	b.scripts[name] = s
	return s, nil
}

// baseEnv is the process environment without anything that would steer the
// tools away from what a run sets, as the script tests use it.
func baseEnv(pathHead string) []string { return shells.BaseEnv(pathHead) }

// proc is one finished process.
type proc = prun.Result

// exec runs argv in dir with exactly env, in its own process group (killed
// at timeout). A non-zero exit is not an error: see proc.Code.
func (b *bench) exec(dir string, env []string, timeout time.Duration, argv ...string) (proc, error) {
	p, err := prun.Exec(b.ctx, dir, env, timeout, argv...)
	b.mu.Lock()
	b.stepCPU += p.CPU
	b.mu.Unlock()
	if err != nil {
		return p, fmt.Errorf("%w\n%s", err, p)
	}
	return p, nil
}

// untimed is mustExec for preparation inside a timed step: its CPU time
// does not count for the step.
func (b *bench) untimed(dir string, env []string, timeout time.Duration, argv ...string) (proc, error) {
	p, err := b.mustExec(dir, env, timeout, argv...)
	b.mu.Lock()
	b.stepCPU -= p.CPU
	b.mu.Unlock()
	return p, err
}

// mustExec is exec that also fails on a non-zero exit.
func (b *bench) mustExec(dir string, env []string, timeout time.Duration, argv ...string) (proc, error) {
	p, err := b.exec(dir, env, timeout, argv...)
	if err == nil && p.Code != 0 {
		err = fmt.Errorf("%s failed\n%s", strings.Join(argv, " "), p)
	}
	return p, err
}

// summary is one parsed "prewarm: <eco> key=… result=… seconds=…" line.
type summary = prun.Summary

var summaryRE = regexp.MustCompile(`^prewarm: (\S+) key=([0-9a-f]+) result=(\S+) seconds=([0-9.]+) workdir=(\S+)((?: \S+=\S*)*)$`)

func parseSummaries(stdout string) []summary {
	var out []summary
	for _, l := range strings.Split(stdout, "\n") {
		if s, ok := prun.ParseSummary(summaryRE, l); ok {
			out = append(out, s)
		}
	}
	return out
}

// runScript runs prewarm.script.<eco> as a setup container does
// (`sh -c SCRIPT prewarm-<eco> ARGS...`) under dash or busybox sh, in dir,
// with the base environment plus env. It fails unless the script exits 0
// and prints want summary lines, each with result wantResult ("" for any).
func (b *bench) runScript(shell, eco, dir string, env []string, timeout time.Duration, want int, wantResult string, args ...string) (proc, []summary, error) {
	script, err := b.script(eco)
	if err != nil {
		return proc{}, nil, err
	}
	sh, err := shells.Named(shell)
	if err != nil {
		return proc{}, nil, err
	}
	argv := sh.Command(script, "prewarm-"+eco, args...)
	p, err := b.exec(dir, append(sh.Env(), env...), timeout, argv...)
	if err != nil {
		return p, nil, err
	}
	if p.Code != 0 {
		return p, nil, fmt.Errorf("%s script failed under %s\n%s", eco, shell, p)
	}
	sums := parseSummaries(p.Stdout)
	if len(sums) != want {
		return p, sums, fmt.Errorf("%s script printed %d summary lines, want %d\n%s", eco, len(sums), want, p)
	}
	if wantResult != "" {
		for _, s := range sums {
			if s["result"] != wantResult {
				return p, sums, fmt.Errorf("%s script: result=%s, want %s (the mode is not what it claims)\n%s", eco, s["result"], wantResult, p)
			}
		}
	}
	return p, sums, nil
}

// settle flushes dirty pages so one run's writeback does not land in the
// next run's time.
func settle() { syscall.Sync() }

// removeAll removes a tree, read-only directories included.
func removeAll(p string) { _ = tree.RemoveAll(p) }

// fresh removes p and creates it empty.
func fresh(p string) error { return tree.Fresh(p) }

// copyTree copies regular files and directories (fixtures), writable.
func copyTree(src, dst string) error { return tree.Copy(src, dst) }

// duBytes is `du -s -k` × 1024 of p, as the pruner counts.
func duBytes(p string) (int64, error) {
	out, err := exec.Command("du", "-s", "-k", p).Output()
	if err != nil {
		return 0, fmt.Errorf("du -s -k %s: %v", p, err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return 0, fmt.Errorf("du -s -k %s: no output", p)
	}
	k, err := strconv.ParseInt(f[0], 10, 64)
	return k * 1024, err
}

// fileSize is the size of p in bytes (0 if absent).
func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// countFiles counts regular files under root.
func countFiles(root string) int { return tree.CountFiles(root) }

// interleave runs rounds × each step in order A B C A B C …, logging
// progress; a step returns the seconds to record for its mode (and may
// record parts itself). A failing step aborts the group.
type step struct {
	name string
	run  func(round int) (float64, error)
}

func (b *bench) interleave(label string, rounds int, steps []step, record func(mode string, secs, cpu float64)) error {
	return b.interleaveUnit(label, "s", rounds, steps, record)
}

func (b *bench) interleaveUnit(label, unit string, rounds int, steps []step, record func(mode string, secs, cpu float64)) error {
	total := rounds * len(steps)
	i := 0
	for r := 0; r < rounds; r++ {
		for _, s := range steps {
			i++
			if b.ctx.Err() != nil {
				return b.ctx.Err()
			}
			b.mu.Lock()
			b.stepCPU = 0
			b.mu.Unlock()
			secs, err := s.run(r)
			b.mu.Lock()
			cpu := b.stepCPU
			b.mu.Unlock()
			if err != nil {
				return fmt.Errorf("%s %s (run %d): %w", label, s.name, r+1, err)
			}
			record(s.name, secs, cpu)
			logf("   %-14s %3d/%d  %-18s %8.2f %s  (cpu %.2f s)", label, i, total, s.name, secs, unit, cpu)
		}
	}
	return nil
}

// coldStep is a "cold" step on an empty cache: the first run fills primed
// and then calls prime (untimed preparation the other modes use, e.g. a
// plain tar of the tree); later runs use coldCache and remove it.
func coldStep(primed, coldCache string, run func(cache string) (float64, error), prime func() error) step {
	primedOK := false
	return step{"cold", func(int) (float64, error) {
		cache := coldCache
		if !primedOK {
			cache = primed
		}
		if err := fresh(cache); err != nil {
			return 0, err
		}
		secs, err := run(cache)
		if err != nil {
			return 0, err
		}
		if primedOK {
			removeAll(cache)
			return secs, nil
		}
		primedOK = true
		return secs, prime()
	}}
}

// readOnlySteps are the two modes of a Task pod (PREWARM_CACHE_MODE=
// readOnly) once the warmer filled primed: an empty shared cache (cold)
// and the filled one (warm).
func readOnlySteps(primed, coldCache string, run func(cache, mode, want string) (float64, error)) []step {
	return []step{
		{"cold", func(int) (float64, error) {
			if err := fresh(coldCache); err != nil {
				return 0, err
			}
			defer removeAll(coldCache)
			return run(coldCache, "readOnly", "cold")
		}},
		{"warm", func(int) (float64, error) { return run(primed, "readOnly", "warm") }},
	}
}

// workdir is b.cfg.work/name, removed and created empty.
func (b *bench) workdir(name string) (string, error) {
	dir := filepath.Join(b.cfg.work, name)
	return dir, fresh(dir)
}
