package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
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
)

type bench struct {
	cfg config
	ctx context.Context
	res *Results

	mu      sync.Mutex
	scripts map[string]string
	stepCPU float64 // CPU seconds of the processes run in the current step
	bbOnce  sync.Once
	bbDir   string
	bbErr   error
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

// busyboxDir is a directory of busybox applet links: first on PATH, the
// script sees busybox's tar, cksum, sha256sum ... as in an alpine image.
func (b *bench) busyboxDir() (string, error) {
	b.bbOnce.Do(func() {
		bb, err := exec.LookPath("busybox")
		if err != nil {
			b.bbErr = errors.New("busybox is not installed (tests/install-deps.sh installs it)")
			return
		}
		out, err := exec.Command(bb, "--list").Output()
		if err != nil {
			b.bbErr = fmt.Errorf("busybox --list: %v", err)
			return
		}
		dir := filepath.Join(b.cfg.work, "busybox-applets")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.bbErr = err
			return
		}
		for _, applet := range strings.Fields(string(out)) {
			p := filepath.Join(dir, applet)
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			if err := os.Symlink(bb, p); err != nil {
				b.bbErr = err
				return
			}
		}
		b.bbDir = dir
	})
	return b.bbDir, b.bbErr
}

// baseEnv is the process environment without anything that would steer the
// tools away from what a run sets (caches, proxies, indexes, HOME), as the
// script tests do. pathHead is prepended to PATH.
func baseEnv(pathHead string) []string {
	drop := []string{"PIP_", "PREWARM_", "npm_config_", "NPM_CONFIG_", "YARN_", "UV_", "POETRY_",
		"GOFLAGS=", "GOPROXY=", "GOMODCACHE=", "GOCACHE=", "GOPATH=", "GOENV=", "GONOSUMDB=", "GOPRIVATE=", "GOWORK=",
		"CARGO_HOME=", "CARGO_TARGET_DIR=", "MAVEN_", "HOME=", "VIRTUAL_ENV=", "PYTHONPATH=", "NODE_ENV=", "XDG_"}
	var env []string
	path := os.Getenv("PATH")
	if home, err := os.UserHomeDir(); err == nil && isDir(filepath.Join(home, ".cargo", "bin")) && !strings.Contains(path, filepath.Join(home, ".cargo", "bin")) {
		path += ":" + filepath.Join(home, ".cargo", "bin")
	}
	if pathHead != "" {
		path = pathHead + ":" + path
	}
next:
	for _, kv := range os.Environ() {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "RUSTUP_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+path)
	// rustup's proxies find their toolchains through RUSTUP_HOME; the
	// scripts set their own HOME.
	if v := os.Getenv("RUSTUP_HOME"); v != "" {
		env = append(env, "RUSTUP_HOME="+v)
	} else if home, err := os.UserHomeDir(); err == nil && isDir(filepath.Join(home, ".rustup")) {
		env = append(env, "RUSTUP_HOME="+filepath.Join(home, ".rustup"))
	}
	return env
}

// proc is one finished process.
type proc struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
	cpu            float64 // user + system seconds of the process and its waited-for children
}

func (p proc) seconds() float64 { return p.elapsed.Seconds() }

func (p proc) String() string {
	return fmt.Sprintf("exit %d after %s\n--- stdout\n%s--- stderr (tail)\n%s", p.code, p.elapsed.Round(time.Millisecond), tail(p.stdout, 10), tail(p.stderr, 30))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n") + "\n"
}

// exec runs argv in dir with exactly env, in its own process group (killed
// at timeout). A non-zero exit is not an error: see proc.code.
func (b *bench) exec(dir string, env []string, timeout time.Duration, argv ...string) (proc, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	p := proc{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if st := cmd.ProcessState; st != nil {
		p.cpu = (st.UserTime() + st.SystemTime()).Seconds()
		b.mu.Lock()
		b.stepCPU += p.cpu
		b.mu.Unlock()
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return p, fmt.Errorf("%s: %v after %s\n%s", strings.Join(argv, " "), ctx.Err(), timeout, p)
	case errors.As(err, &ee):
		p.code = ee.ExitCode()
	case err != nil:
		return p, fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
	}
	return p, nil
}

// untimed is mustExec for preparation inside a timed step: its CPU time
// does not count for the step.
func (b *bench) untimed(dir string, env []string, timeout time.Duration, argv ...string) (proc, error) {
	p, err := b.mustExec(dir, env, timeout, argv...)
	b.mu.Lock()
	b.stepCPU -= p.cpu
	b.mu.Unlock()
	return p, err
}

// mustExec is exec that also fails on a non-zero exit.
func (b *bench) mustExec(dir string, env []string, timeout time.Duration, argv ...string) (proc, error) {
	p, err := b.exec(dir, env, timeout, argv...)
	if err == nil && p.code != 0 {
		err = fmt.Errorf("%s failed\n%s", strings.Join(argv, " "), p)
	}
	return p, err
}

// summary is one parsed "prewarm: <eco> key=… result=… seconds=…" line.
type summary map[string]string

var summaryRE = regexp.MustCompile(`^prewarm: (\S+) key=([0-9a-f]+) result=(\S+) seconds=([0-9.]+) workdir=(\S+)((?: \S+=\S*)*)$`)

func parseSummaries(stdout string) []summary {
	var out []summary
	for _, l := range strings.Split(stdout, "\n") {
		m := summaryRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s := summary{"eco": m[1], "key": m[2], "result": m[3], "seconds": m[4], "workdir": m[5]}
		for _, f := range strings.Fields(m[6]) {
			k, v, _ := strings.Cut(f, "=")
			s[k] = v
		}
		out = append(out, s)
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
	var argv0, head string
	switch shell {
	case "dash":
		if argv0, err = exec.LookPath("dash"); err != nil {
			return proc{}, nil, errors.New("dash is not installed (tests/install-deps.sh installs it)")
		}
	case "busybox":
		if head, err = b.busyboxDir(); err != nil {
			return proc{}, nil, err
		}
		argv0 = filepath.Join(head, "sh")
	default:
		return proc{}, nil, fmt.Errorf("unknown shell %q", shell)
	}
	argv := append([]string{argv0, "-c", script, "prewarm-" + eco}, args...)
	p, err := b.exec(dir, append(baseEnv(head), env...), timeout, argv...)
	if err != nil {
		return p, nil, err
	}
	if p.code != 0 {
		return p, nil, fmt.Errorf("%s script failed under %s\n%s", eco, shell, p)
	}
	sums := parseSummaries(p.stdout)
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

// removeAll removes a tree, making read-only directories (Go's module
// cache without -modcacherw) writable first.
func removeAll(p string) {
	if err := os.RemoveAll(p); err == nil {
		return
	}
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(q, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(p)
}

// fresh removes p and creates it empty.
func fresh(p string) error {
	removeAll(p)
	return os.MkdirAll(p, 0o755)
}

// copyTree copies regular files and directories (fixtures), writable.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm()|0o200)
	})
}

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
func countFiles(root string) int {
	n := 0
	_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

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
