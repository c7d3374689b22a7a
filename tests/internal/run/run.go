// Package run owns how the tests, the bench and the demo run a process: in
// its own process group, killed whole at a timeout, with stdout, stderr,
// exit code, wall and CPU time captured; and how a preset script's summary
// line ("prewarm: <eco> key=… result=… seconds=… workdir=… k=v…") is read.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Result is one finished process.
type Result struct {
	Stdout, Stderr string
	Code           int // exit code; -N when killed by signal N (Start only)
	Elapsed        time.Duration
	CPU            float64 // user + system seconds of the process and its waited-for children
}

// String shows the exit, the time, stdout and the tail of stderr.
func (r Result) String() string {
	return fmt.Sprintf("exit %d after %s\n--- stdout\n%s--- stderr (tail)\n%s", r.Code, r.Elapsed.Round(time.Millisecond), r.Stdout, Tail(r.Stderr, 60))
}

// Tail is the last n lines of s, with a count of those left out.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// ErrTimeout is wrapped by Exec's error when the timeout killed the run.
var ErrTimeout = errors.New("timed out")

func command(ctx context.Context, dir string, env []string, argv []string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// Exec runs argv in dir with exactly env, in its own process group, which
// is killed whole at timeout (or when ctx ends). A non-zero exit is not an
// error (see Result.Code); a timeout (wrapping ErrTimeout) or a failure to
// start is, and the Result holds what was captured.
func Exec(ctx context.Context, dir string, env []string, timeout time.Duration, argv ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, stdout, stderr := command(ctx, dir, env, argv)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if st := cmd.ProcessState; st != nil {
		r.CPU = (st.UserTime() + st.SystemTime()).Seconds()
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("%s: %w after %s (%v)", Describe(argv), ErrTimeout, timeout, ctx.Err())
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		return r, fmt.Errorf("run %s: %v", Describe(argv), err)
	}
	return r, nil
}

// Describe shows argv for a message: each argument that is long or spans
// lines (a script given to sh -c) is cut to its first 40 bytes.
func Describe(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if first, _, multi := strings.Cut(a, "\n"); multi || len(a) > 60 {
			a = first[:min(len(first), 40)] + "…"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// Started is a process running in the background in its own process
// group (Pid); Done is closed when it has ended.
type Started struct {
	Pid  int
	Done chan struct{}
	res  Result
}

// Start starts argv in dir with exactly env and returns at once.
func Start(dir string, env []string, argv ...string) (*Started, error) {
	cmd, stdout, stderr := command(context.Background(), dir, env, argv)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Started{Pid: cmd.Process.Pid, Done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		s.res = Result{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			s.res.Code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				s.res.Code = -int(ws.Signal())
			}
		}
		close(s.Done)
	}()
	return s, nil
}

// Ended reports whether the process has finished.
func (s *Started) Ended() bool {
	select {
	case <-s.Done:
		return true
	default:
		return false
	}
}

// Wait waits for the end and returns the result.
func (s *Started) Wait() Result {
	<-s.Done
	return s.res
}

// Kill SIGKILLs the whole process group and waits; a run that already
// ended is just waited for. killed reports whether the signal ended it.
func (s *Started) Kill() (r Result, killed bool) {
	if !s.Ended() {
		_ = syscall.Kill(-s.Pid, syscall.SIGKILL)
	}
	r = s.Wait()
	return r, r.Code == -int(syscall.SIGKILL)
}

// Summary is one parsed summary line: eco, key, result, seconds, workdir
// and every trailing k=v field.
type Summary map[string]string

// ParseSummary reads line with re, whose six groups are eco, key, result,
// seconds, workdir and the trailing " k=v" fields.
func ParseSummary(re *regexp.Regexp, line string) (Summary, bool) {
	m := re.FindStringSubmatch(line)
	if m == nil || len(m) != 7 {
		return nil, false
	}
	s := Summary{"eco": m[1], "key": m[2], "result": m[3], "seconds": m[4], "workdir": m[5]}
	for _, f := range strings.Fields(m[6]) {
		k, v, _ := strings.Cut(f, "=")
		s[k] = v
	}
	return s, true
}

// SummaryLines splits stdout into its lines ("" has none).
func SummaryLines(stdout string) []string {
	out := strings.TrimSuffix(stdout, "\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}
