package main

// The demo program as `make demo` runs it: built, started as a subprocess
// against the control plane binaries in PREWARM_CONTROLPLANE_DIR, with
// TMPDIR pointing at a folder of the test's own. Every process the demo
// starts inherits that TMPDIR (the demo points its children at a folder
// inside its work folder, which lives there too), so "nothing left running"
// is checked exactly: no process on the machine may have the test's TMPDIR
// in its environment or command line afterwards, and the folder must be
// empty. Other control planes running concurrently (other tests) are not
// mistaken for leftovers.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

var demoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "prewarm-demo-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoBin = filepath.Join(dir, "prewarm-demo")
	out, err := exec.Command("go", "build", "-o", demoBin, ".").CombinedOutput()
	code := 1
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build the demo: %v\n%s", err, out)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestDemoRunsAndLeavesNothingRunning runs the whole demo (control plane,
// helm install, Task pod, npm and Go scripts twice each) and checks its
// output, exit status and that it leaves nothing behind.
func TestDemoRunsAndLeavesNothingRunning(t *testing.T) {
	requireControlPlane(t)
	tmp := t.TempDir()
	d := startDemo(t, tmp)

	// Stop the demo with SIGINT before `go test -timeout` would kill it
	// without cleanup (the default timeout is 10m; the demo takes ~4-5).
	ctx := t.Context()
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-45*time.Second))
		defer cancel()
	}
	code := d.wait(ctx, 0)
	out := d.out.String()
	t.Logf("demo output:\n%s\n--- stderr\n%s", out, d.errOut.String())
	if ctx.Err() != nil {
		t.Errorf("the demo did not finish before the test deadline; it was interrupted")
	}
	if code != 0 {
		t.Errorf("demo exited %d, want 0", code)
	}
	for _, want := range []string{
		"control plane ready",
		"release demo: deployed, revision 1",
		"Workspace demo/demo",
		"1. prewarm-npm",
		"2. prewarm-gomod",
		"→ PVC demo-prewarm-workspace-npm-cache",
		"→ PVC demo-prewarm-workspace-gomod-cache",
		"admitted under Pod Security restricted",
		"control: the same pod with a privileged agent is refused",
		"ecosystem  cold s  warm/snapshot s  speed-up  result(2nd)",
		"agent's first `go build ./...` in pod 2, GOPROXY=off… ",
		"nothing left running",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	initOrder := regexp.MustCompile(`(?s)init\s+1\. git-clone .*2\. branch-setup .*3\. prewarm-npm .*4\. prewarm-gomod .*main\s+agent`)
	if !initOrder.MatchString(out) {
		t.Errorf("output does not show the init order git-clone, branch-setup, prewarm-npm, prewarm-gomod, agent")
	}
	for eco, want := range map[string]string{"npm": "snapshot", "gomod": "warm"} {
		row := regexp.MustCompile(`(?m)^\s+` + eco + `\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)x\s+(\S+)$`).FindStringSubmatch(out)
		if row == nil {
			t.Errorf("the table has no %s row", eco)
			continue
		}
		if row[4] != want {
			t.Errorf("%s: second run result=%s, want %s", eco, row[4], want)
		}
		cold, _ := strconv.ParseFloat(row[1], 64)
		warm, _ := strconv.ParseFloat(row[2], 64)
		if !(warm < cold) {
			t.Errorf("%s: second run (%vs) not faster than the cold one (%vs)", eco, warm, cold)
		}
	}
	requireClean(t, tmp)
}

// TestDemoInterruptedStopsEverything sends SIGINT at two points (right
// after the control plane is up; during the npm cold install) and checks
// that the demo stops everything, removes its files and exits 130.
func TestDemoInterruptedStopsEverything(t *testing.T) {
	requireControlPlane(t)
	for _, tc := range []struct {
		name, after string
		delay       time.Duration
	}{
		{"control plane up", "control plane ready", 0},
		{"during npm install", "npm    run 1/2", 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			d := startDemo(t, tmp)
			if !d.waitFor(tc.after, 3*time.Minute) {
				d.cmd.Process.Kill()
				d.wait(t.Context(), 0)
				t.Fatalf("the demo never printed %q:\n%s\n%s", tc.after, d.out.String(), d.errOut.String())
			}
			time.Sleep(tc.delay)
			// The leftover check must see the control plane while it runs,
			// or its empty result after the demo would prove nothing.
			if procs := processesUsing(t, tmp); !hasExe(procs, "etcd") || !hasExe(procs, "kube-apiserver") {
				t.Fatalf("while the demo runs, no etcd and kube-apiserver found using %s: %v", tmp, procs)
			}
			if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			code := d.wait(t.Context(), time.Minute)
			t.Logf("demo output:\n%s\n--- stderr\n%s", d.out.String(), d.errOut.String())
			if code != exitInterrupted {
				t.Errorf("demo exited %d after SIGINT, want %d", code, exitInterrupted)
			}
			if !strings.Contains(d.errOut.String(), "interrupted; everything it started is stopped and removed") {
				t.Errorf("stderr does not report the interrupted cleanup")
			}
			requireClean(t, tmp)
		})
	}
}

func requireControlPlane(t *testing.T) {
	t.Helper()
	if _, _, err := cluster.Binaries(); err != nil {
		t.Fatal(err)
	}
}

// demoRun is one demo subprocess with its output.
type demoRun struct {
	cmd         *exec.Cmd
	out, errOut *syncBuffer
	done        chan struct{}
	err         error
}

func startDemo(t *testing.T, tmp string) *demoRun {
	t.Helper()
	d := &demoRun{out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(demoBin)
	d.cmd.Env = append(withoutVars(os.Environ(), "TMPDIR"), "TMPDIR="+tmp)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.errOut
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

// wait returns the exit code; when ctx ends first it sends SIGINT (the
// demo cleans up) and waits up to a minute more. limit > 0 bounds the wait
// after which the demo is killed.
func (d *demoRun) wait(ctx context.Context, limit time.Duration) int {
	var timeout <-chan time.Time
	if limit > 0 {
		timeout = time.After(limit)
	}
	select {
	case <-d.done:
	case <-ctx.Done():
		d.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-d.done:
		case <-time.After(time.Minute):
			d.cmd.Process.Kill()
			<-d.done
		}
	case <-timeout:
		d.cmd.Process.Kill()
		<-d.done
	}
	var ee *exec.ExitError
	if errors.As(d.err, &ee) {
		return ee.ExitCode()
	}
	if d.err != nil {
		return -1
	}
	return 0
}

// waitFor polls the demo's stdout for s; false if the demo ended or the
// timeout passed first.
func (d *demoRun) waitFor(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(d.out.String(), s) {
			return true
		}
		select {
		case <-d.done:
			return strings.Contains(d.out.String(), s)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// requireClean fails if any process still uses tmp or tmp is not empty.
func requireClean(t *testing.T, tmp string) {
	t.Helper()
	// The demo has exited and reaped its children; allow a moment for
	// anything reparented to be reaped by init.
	var procs []proc
	for range 20 {
		if procs = processesUsing(t, tmp); len(procs) == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, p := range procs {
		t.Errorf("left running: pid %d %s (%s)", p.pid, p.exe, clip(p.cmdline, 200))
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", filepath.Join(tmp, e.Name()))
	}
}

type proc struct {
	pid          int
	exe, cmdline string
}

func hasExe(ps []proc, base string) bool {
	for _, p := range ps {
		if filepath.Base(strings.TrimSuffix(p.exe, " (deleted)")) == base {
			return true
		}
	}
	return false
}

// processesUsing lists the processes whose environment or command line
// mentions dir, this test process excepted. Zombies have neither and are
// not running anything.
func processesUsing(t *testing.T, dir string) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		base := filepath.Join("/proc", e.Name())
		env, _ := os.ReadFile(filepath.Join(base, "environ"))
		cmdline, _ := os.ReadFile(filepath.Join(base, "cmdline"))
		if !bytes.Contains(env, []byte(dir)) && !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		exe, _ := os.Readlink(filepath.Join(base, "exe"))
		out = append(out, proc{pid: pid, exe: exe, cmdline: strings.ReplaceAll(string(cmdline), "\x00", " ")})
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the subprocess writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
