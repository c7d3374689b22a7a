package scripts

// Helpers of the offline script tests (cargo, maven, gradle): the real tools
// run against Debian packages served from 127.0.0.1 by a Go HTTP server,
// because crates.io and Maven Central are not reachable here. The machine is
// prepared by testdata/build-offline-fixtures.sh (idempotent; apt-get
// installs what is missing when run as root). Every script runs under dash
// and under busybox sh, as a pod runs it: `sh -c SCRIPT NAME ARGS...`.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// offlineFixtureEnv holds what build-offline-fixtures.sh wrote.
type offlineFixtureEnv map[string]string

var (
	offlineFixturesOnce sync.Once
	offlineFixturesVal  offlineFixtureEnv
	offlineFixturesErr  error
)

// offlineFixtures runs the fixture builder once per test binary and returns
// its key=value output. A failure (missing packages without root, no cargo)
// fails the test with the builder's own instructions.
func offlineFixtures(t *testing.T) offlineFixtureEnv {
	t.Helper()
	offlineFixturesOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		here := filepath.Dir(file)
		builder := filepath.Join(here, "testdata", "build-offline-fixtures.sh")
		out := os.Getenv("PREWARM_OFFLINE_FIXTURES")
		if out == "" {
			out = filepath.Join(here, "..", "..", ".cache", "fixtures")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", builder, out)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			offlineFixturesErr = fmt.Errorf("%s failed (%v); it installs the Debian packages the offline tests need (run it as root, or follow its instructions):\n%s", builder, err, buf.String())
			return
		}
		b, err := os.ReadFile(filepath.Join(out, "offline-fixtures.env"))
		if err != nil {
			offlineFixturesErr = err
			return
		}
		env := offlineFixtureEnv{}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
				env[k] = v
			}
		}
		offlineFixturesVal = env
	})
	if offlineFixturesErr != nil {
		t.Fatal(offlineFixturesErr)
	}
	return offlineFixturesVal
}

// offlineShell is one shell the scripts must run under. For busybox, PATH
// starts with a directory of busybox applet links (tar, cp, mv, find, sed,
// sha256sum, ...), as in an alpine image; the tools come from the system.
type offlineShell struct {
	name     string
	argv0    string
	pathHead string
}

var (
	offlineShellsOnce sync.Once
	offlineShellsVal  []offlineShell
	offlineShellsErr  error
)

// offlineShells returns dash and busybox sh; a missing one fails the test
// (apt-get install dash busybox), it is never skipped.
func offlineShells(t *testing.T) []offlineShell {
	t.Helper()
	offlineShellsOnce.Do(func() {
		dash, err := exec.LookPath("dash")
		if err != nil {
			offlineShellsErr = errors.New("dash is not installed: apt-get install -y dash (or run tests/scripts/testdata/build-offline-fixtures.sh as root)")
			return
		}
		bb, err := exec.LookPath("busybox")
		if err != nil {
			offlineShellsErr = errors.New("busybox is not installed: apt-get install -y busybox-static (or run tests/scripts/testdata/build-offline-fixtures.sh as root)")
			return
		}
		out, err := exec.Command(bb, "--list").Output()
		if err != nil {
			offlineShellsErr = fmt.Errorf("busybox --list: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "prewarm-offline-applets-")
		if err != nil {
			offlineShellsErr = err
			return
		}
		for _, applet := range strings.Fields(string(out)) {
			if err := os.Symlink(bb, filepath.Join(dir, applet)); err != nil {
				offlineShellsErr = err
				return
			}
		}
		offlineShellsVal = []offlineShell{
			{name: "dash", argv0: dash},
			{name: "busybox", argv0: filepath.Join(dir, "sh"), pathHead: dir},
		}
	})
	if offlineShellsErr != nil {
		t.Fatal(offlineShellsErr)
	}
	return offlineShellsVal
}

// offlineScript renders prewarm.script.<eco> as the presets do.
func offlineScript(t *testing.T, eco string) string {
	t.Helper()
	s, err := templatesgo.Execute("prewarm.script."+eco, map[string]any{})
	if err != nil {
		t.Fatalf("render prewarm.script.%s: %v", eco, err)
	}
	return s
}

// offlineEnv is a clean environment: PATH (busybox applets first for
// busybox), the toolchain locations the tools need, and extra.
func offlineEnv(sh offlineShell, extra ...string) []string {
	path := os.Getenv("PATH")
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, ".cargo", "bin")); err == nil {
			path = path + ":" + filepath.Join(home, ".cargo", "bin")
		}
	}
	if sh.pathHead != "" {
		path = sh.pathHead + ":" + path
	}
	env := []string{"PATH=" + path, "LANG=C.UTF-8", "TMPDIR=" + os.TempDir()}
	// rustup's proxies find their toolchains through RUSTUP_HOME (the rust
	// image sets it too); HOME is the script's own.
	if v := os.Getenv("RUSTUP_HOME"); v != "" {
		env = append(env, "RUSTUP_HOME="+v)
	} else if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, ".rustup")); err == nil {
			env = append(env, "RUSTUP_HOME="+filepath.Join(home, ".rustup"))
		}
	}
	if v := os.Getenv("JAVA_HOME"); v != "" {
		env = append(env, "JAVA_HOME="+v)
	}
	return append(env, extra...)
}

// offlineRun is one script or tool run.
type offlineRun struct {
	stdout, stderr string
	exitCode       int
	elapsed        time.Duration
}

func (r offlineRun) String() string {
	return fmt.Sprintf("exit %d after %s\n--- stdout\n%s--- stderr (tail)\n%s", r.exitCode, r.elapsed.Round(time.Millisecond), r.stdout, offlineTail(r.stderr, 60))
}

func offlineTail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// offlineExec runs argv in dir with env, killing its process group after
// timeout.
func offlineExec(t *testing.T, dir string, env []string, timeout time.Duration, argv ...string) offlineRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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
	r := offlineRun{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s timed out after %s\n%s", strings.Join(argv, " "), timeout, r)
	case errors.As(err, &ee):
		r.exitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", strings.Join(argv, " "), err)
	}
	return r
}

// offlineRunScript runs the rendered script like a setup container:
// `sh -c SCRIPT prewarm-ECO ARGS...` in dir.
func offlineRunScript(t *testing.T, sh offlineShell, eco, dir string, env []string, args ...string) offlineRun {
	t.Helper()
	argv := append([]string{sh.argv0, "-c", offlineScript(t, eco), "prewarm-" + eco}, args...)
	return offlineExec(t, dir, offlineEnv(sh, env...), 5*time.Minute, argv...)
}

// offlineSummary is one parsed summary line.
type offlineSummary map[string]string

var offlineSummaryRE = regexp.MustCompile(`^prewarm: (cargo|maven|gradle) key=([0-9a-f]{16,64}) result=(cold|warm|snapshot|fallback) seconds=([0-9]+(?:\.[0-9]+)?) workdir=(\S+)((?: [a-zA-Z_]+=\S*)*)$`)

// offlineOK requires exit 0 and exactly one summary line per workdir on
// stdout (tool output goes to stderr) and returns them.
func offlineOK(t *testing.T, what string, r offlineRun, want int) []offlineSummary {
	t.Helper()
	if r.exitCode != 0 {
		t.Fatalf("%s: script failed\n%s", what, r)
	}
	out := strings.TrimSuffix(r.stdout, "\n")
	var lines []string
	if out != "" {
		lines = strings.Split(out, "\n")
	}
	if len(lines) != want {
		t.Fatalf("%s: stdout has %d lines, want exactly %d summary lines\n%s", what, len(lines), want, r)
	}
	var res []offlineSummary
	for _, l := range lines {
		m := offlineSummaryRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("%s: summary line %q does not match %s\n%s", what, l, offlineSummaryRE, r)
		}
		s := offlineSummary{"eco": m[1], "key": m[2], "result": m[3], "seconds": m[4], "workdir": m[5]}
		for _, f := range strings.Fields(m[6]) {
			k, v, _ := strings.Cut(f, "=")
			s[k] = v
		}
		res = append(res, s)
	}
	return res
}

// offlineWant fails when summary field k is not v.
func offlineWant(t *testing.T, what string, r offlineRun, s offlineSummary, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if s[kv[i]] != kv[i+1] {
			t.Fatalf("%s: %s=%q, want %q\n%s", what, kv[i], s[kv[i]], kv[i+1], r)
		}
	}
}

// offlineServer is an HTTP server on 127.0.0.1 that counts requests and can
// be stopped so that a later run provably gets nothing from the network.
type offlineServer struct {
	URL      string
	srv      *http.Server
	ln       net.Listener
	requests atomic.Int64
	stopped  atomic.Bool
}

func offlineServe(t *testing.T, h http.Handler) *offlineServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &offlineServer{URL: "http://" + ln.Addr().String(), ln: ln}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.requests.Add(1)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Stop)
	return s
}

// Requests is the number of requests served so far.
func (s *offlineServer) Requests() int64 { return s.requests.Load() }

// Stop closes the listener and every connection; the port then refuses.
func (s *offlineServer) Stop() {
	if s.stopped.Swap(true) {
		return
	}
	_ = s.srv.Close()
}

// offlineCopyTree copies a fixture directory (regular files and dirs).
func offlineCopyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm()|0o200)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// offlineTreeState lists every path under root with type, size and mtime
// (symlink targets too), to prove that a read-only run wrote nothing.
func offlineTreeState(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size := info.Size()
		if d.IsDir() {
			size = 0
		}
		extra := ""
		if d.Type()&fs.ModeSymlink != 0 {
			extra, _ = os.Readlink(p)
		}
		out = append(out, fmt.Sprintf("%s %s %d %d %s", p, info.Mode(), size, info.ModTime().UnixNano(), extra))
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", root, err)
	}
	sort.Strings(out)
	return out
}

// offlineFind lists the paths under root (following a symlinked root)
// whose base name matches pattern, relative to root.
func offlineFind(t *testing.T, root, pattern string) []string {
	t.Helper()
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatalf("resolve %s: %v", root, err)
	}
	var out []string
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ok, _ := filepath.Match(pattern, d.Name()); ok {
			rel, _ := filepath.Rel(real, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", real, err)
	}
	sort.Strings(out)
	return out
}

// offlineNoTemps fails when a ".tmp-" name is left anywhere under root.
func offlineNoTemps(t *testing.T, root string) {
	t.Helper()
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary left behind: %s", p)
		}
		return nil
	})
}

// offlineLinkGeneration checks that link is a relative symlink into
// link.d/<generation> and returns the generation's absolute path.
func offlineLinkGeneration(t *testing.T, link string) string {
	t.Helper()
	target, err := os.Readlink(link)
	if err != nil {
		t.Fatalf("%s should be a symbolic link to its current generation: %v", link, err)
	}
	base := filepath.Base(link)
	if !strings.HasPrefix(target, base+".d/") || strings.Count(target, "/") != 1 {
		t.Fatalf("%s -> %q, want %s.d/<generation>", link, target, base)
	}
	return filepath.Join(filepath.Dir(link), target)
}

// offlineGenerations lists the generation directories in link.d.
func offlineGenerations(t *testing.T, link string) []string {
	t.Helper()
	entries, err := os.ReadDir(link + ".d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// offlineLines returns the lines of s that contain sub.
func offlineLines(s, sub string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1024*1024), 1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// offlineLint runs shellcheck -s sh, dash -n and busybox sh -n on the
// rendered script of eco.
func offlineLint(t *testing.T, eco string) {
	t.Helper()
	script := offlineScript(t, eco)
	if !strings.HasPrefix(script, "#!/bin/sh\n") {
		t.Fatalf("prewarm.script.%s must start with #!/bin/sh, starts with %q", eco, script[:min(len(script), 40)])
	}
	if strings.Contains(script, "{{") || strings.Contains(script, "}}") {
		t.Fatalf("prewarm.script.%s: rendered text still holds template braces", eco)
	}
	f := filepath.Join(t.TempDir(), eco+".sh")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install -y shellcheck (or run tests/scripts/testdata/build-offline-fixtures.sh as root)")
	}
	if out, err := exec.Command(sc, "-s", "sh", "-S", "style", f).CombinedOutput(); err != nil {
		t.Errorf("shellcheck -s sh prewarm.script.%s: %v\n%s", eco, err, out)
	}
	for _, sh := range offlineShells(t) {
		if out, err := exec.Command(sh.argv0, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n prewarm.script.%s: %v\n%s", sh.name, eco, err, out)
		}
	}
}

// offlineCommand is exec.Command (named for this file set).
func offlineCommand(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }

// offlineStderr returns the stderr an *exec.ExitError captured.
func offlineStderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// offlineDiff reports what differs between two sorted listings ("" if
// nothing).
func offlineDiff(a, b []string) string {
	am, bm := map[string]bool{}, map[string]bool{}
	for _, s := range a {
		am[s] = true
	}
	for _, s := range b {
		bm[s] = true
	}
	var d []string
	for _, s := range a {
		if !bm[s] {
			d = append(d, "- "+s)
		}
	}
	for _, s := range b {
		if !am[s] {
			d = append(d, "+ "+s)
		}
	}
	if len(d) > 30 {
		d = append(d[:30], fmt.Sprintf("... %d more", len(d)-30))
	}
	return strings.Join(d, "\n")
}

// offlineMavenRepoHandler serves a Maven repository directory (Debian's
// /usr/share/maven-repo) like a remote one: files as they are, and for a
// missing <file>.sha1/.md5/.sha256/.sha512 the checksum of <file>, so
// Maven and Gradle validate every download as they would from Central.
func offlineMavenRepoHandler(root string) http.Handler {
	files := http.FileServer(http.Dir(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for ext, sum := range offlineChecksums {
			if !strings.HasSuffix(r.URL.Path, ext) {
				continue
			}
			p := filepath.Join(root, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
			if _, err := os.Stat(p); err == nil {
				break
			}
			b, err := os.ReadFile(strings.TrimSuffix(p, ext))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, sum(b))
			return
		}
		files.ServeHTTP(w, r)
	})
}

var offlineChecksums = map[string]func([]byte) string{
	".sha1":   func(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) },
	".md5":    func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) },
	".sha256": func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) },
	".sha512": func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) },
}
