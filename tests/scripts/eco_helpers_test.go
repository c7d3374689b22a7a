package scripts

// Shared helpers of the ecosystem script tests (npm, gomod, pip and the
// library): render a script, run it as a pod would (`sh -c SCRIPT NAME
// ARGS...`) under dash and under busybox sh, parse the summary line and
// fingerprint trees. Everything runs for real; nothing is mocked.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// ecoShell is one shell the scripts must run under. For busybox, PATH starts
// with a directory of busybox applet links, so tar, gzip, sha256sum, date,
// awk, sed ... are busybox's as in an alpine image; node, go and python still
// come from the system PATH.
type ecoShell struct {
	name     string
	argv     []string
	pathHead string // prepended to PATH ("" for none)
}

var (
	ecoShellsOnce sync.Once
	ecoShellsList []ecoShell
	ecoShellsErr  error
	ecoAppletDir  string
)

// ecoShells returns dash and busybox sh. A missing shell fails the test: CI
// installs both (tests/install-deps.sh), and skipping would hide a gap.
func ecoShells(t *testing.T) []ecoShell {
	t.Helper()
	ecoShellsOnce.Do(func() {
		dash, err := exec.LookPath("dash")
		if err != nil {
			ecoShellsErr = errors.New("dash is not installed; run tests/install-deps.sh (apt-get install dash)")
			return
		}
		bb, err := exec.LookPath("busybox")
		if err != nil {
			ecoShellsErr = errors.New("busybox is not installed; run tests/install-deps.sh (apt-get install busybox-static)")
			return
		}
		out, err := exec.Command(bb, "--list").Output()
		if err != nil {
			ecoShellsErr = fmt.Errorf("busybox --list: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "prewarm-busybox-applets-")
		if err != nil {
			ecoShellsErr = err
			return
		}
		for _, applet := range strings.Fields(string(out)) {
			if err := os.Symlink(bb, filepath.Join(dir, applet)); err != nil {
				ecoShellsErr = err
				return
			}
		}
		ecoAppletDir = dir
		ecoShellsList = []ecoShell{
			{name: "dash", argv: []string{dash}},
			{name: "busybox", argv: []string{filepath.Join(dir, "sh")}, pathHead: dir},
		}
	})
	if ecoShellsErr != nil {
		t.Fatal(ecoShellsErr)
	}
	return ecoShellsList
}

// ecoShellNamed returns the shell called name ("dash" or "busybox").
func ecoShellNamed(t *testing.T, name string) ecoShell {
	t.Helper()
	for _, sh := range ecoShells(t) {
		if sh.name == name {
			return sh
		}
	}
	t.Fatalf("no shell %q", name)
	return ecoShell{}
}

var (
	ecoScriptMu    sync.Mutex
	ecoScriptCache = map[string]string{}
)

// ecoScript renders the define block prewarm.script.<name> with empty data,
// as the presets do.
func ecoScript(t *testing.T, name string) string {
	t.Helper()
	ecoScriptMu.Lock()
	defer ecoScriptMu.Unlock()
	if s, ok := ecoScriptCache[name]; ok {
		return s
	}
	s, err := templatesgo.Execute("prewarm.script."+name, map[string]any{})
	if err != nil {
		t.Fatalf("render prewarm.script.%s: %v", name, err)
	}
	ecoScriptCache[name] = s
	return s
}

// ecoBaseEnv is the process environment without anything that would steer
// the tools away from what a test sets (caches, proxies, indexes, HOME).
func ecoBaseEnv(sh ecoShell) []string {
	drop := []string{"PIP_", "PREWARM_", "npm_config_", "NPM_CONFIG_", "YARN_", "UV_", "POETRY_",
		"GOFLAGS=", "GOPROXY=", "GOMODCACHE=", "GOCACHE=", "GOPATH=", "GOENV=", "GONOSUMDB=", "GOPRIVATE=", "GOWORK=",
		"HOME=", "VIRTUAL_ENV=", "PYTHONPATH=", "NODE_ENV=", "XDG_"}
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		if strings.HasPrefix(kv, "PATH=") && sh.pathHead != "" {
			kv = "PATH=" + sh.pathHead + ":" + strings.TrimPrefix(kv, "PATH=")
		}
		env = append(env, kv)
	}
	return env
}

// ecoRun is one script run.
type ecoRun struct {
	stdout, stderr string
	exitCode       int
	elapsed        time.Duration
}

func (r ecoRun) String() string {
	return fmt.Sprintf("exit %d after %s\n--- stdout\n%s--- stderr (tail)\n%s", r.exitCode, r.elapsed.Round(time.Millisecond), r.stdout, ecoTail(r.stderr, 40))
}

func ecoTail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// ecoRunScript runs script as `sh -c script name args...` with the base
// environment plus env, in dir, killing the process group at timeout.
func ecoRunScript(t *testing.T, sh ecoShell, script, name, dir string, env []string, timeout time.Duration, args ...string) ecoRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append(append([]string{}, sh.argv[1:]...), "-c", script, name)
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, sh.argv[0], argv...)
	cmd.Dir = dir
	cmd.Env = append(ecoBaseEnv(sh), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := ecoRun{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: %s timed out after %s\n%s", sh.name, name, timeout, r)
	case errors.As(err, &ee):
		r.exitCode = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: run %s: %v", sh.name, name, err)
	}
	return r
}

// ecoSummary is one parsed summary line.
type ecoSummary map[string]string

var ecoSummaryRE = regexp.MustCompile(`^prewarm: (npm|gomod|pip) key=([0-9a-f]{16,64}) result=(cold|warm|snapshot|fallback) seconds=([0-9]+(?:\.[0-9]+)?) workdir=(\S+)((?: [a-z_]+=\S*)*)$`)

// ecoSummaries parses stdout, which must hold exactly want summary lines and
// nothing else.
func ecoSummaries(t *testing.T, r ecoRun, want int) []ecoSummary {
	t.Helper()
	out := strings.TrimSuffix(r.stdout, "\n")
	var lines []string
	if out != "" {
		lines = strings.Split(out, "\n")
	}
	if len(lines) != want {
		t.Fatalf("stdout has %d lines, want exactly %d summary lines\n%s", len(lines), want, r)
	}
	var res []ecoSummary
	for _, l := range lines {
		m := ecoSummaryRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("summary line %q does not match %s", l, ecoSummaryRE)
		}
		s := ecoSummary{"eco": m[1], "key": m[2], "result": m[3], "seconds": m[4], "workdir": m[5]}
		for _, f := range strings.Fields(m[6]) {
			k, v, _ := strings.Cut(f, "=")
			s[k] = v
		}
		res = append(res, s)
	}
	return res
}

// ecoOK requires a zero exit and one summary line and returns it.
func ecoOK(t *testing.T, sh ecoShell, r ecoRun) ecoSummary {
	t.Helper()
	if r.exitCode != 0 {
		t.Fatalf("%s: script failed\n%s", sh.name, r)
	}
	return ecoSummaries(t, r, 1)[0]
}

// ecoWantResult fails unless the summary's result is want.
func ecoWantResult(t *testing.T, sh ecoShell, r ecoRun, s ecoSummary, want string) {
	t.Helper()
	if s["result"] != want {
		t.Fatalf("%s: result=%s, want %s\n%s", sh.name, s["result"], want, r)
	}
}

// ecoTempDir is a fresh directory that any user can enter (t.TempDir's
// are 0700, which locks out the `nobody` runs).
func ecoTempDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for p := d; p != os.TempDir() && p != "/" && p != "."; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(p) == os.TempDir() {
			break
		}
	}
	return d
}

// ecoCopyTree copies a directory of regular files and dirs (fixtures),
// making everything writable.
func ecoCopyTree(t *testing.T, src, dst string) {
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
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// ecoTreeDigest lists every entry under root as "path type detail", sorted:
// sha256 for files, the target for symlinks, nothing for directories.
func ecoTreeDigest(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" link "+target)
		case d.IsDir():
			out = append(out, rel+" dir")
		case d.Type().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s file %s x=%v", rel, hex.EncodeToString(h.Sum(nil)), info.Mode()&0o100 != 0))
		default:
			out = append(out, rel+" other "+d.Type().String())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("digest %s: %v", root, err)
	}
	sort.Strings(out)
	return out
}

// ecoDiffLists reports the first differences of two sorted lists.
func ecoDiffLists(a, b []string) string {
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
	if len(d) > 20 {
		d = append(d[:20], fmt.Sprintf("... %d more", len(d)-20))
	}
	return strings.Join(d, "\n")
}

// ecoCacheState lists every path under the cache with size and mtime, to
// prove a read-only run wrote nothing.
func ecoCacheState(t *testing.T, root string) []string {
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
		out = append(out, fmt.Sprintf("%s %s %d %d", p, info.Mode(), size, info.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", root, err)
	}
	sort.Strings(out)
	return out
}

// ecoSnapshots lists the final snapshot files and the temp names in
// <cache>/snapshots.
func ecoSnapshots(t *testing.T, cache string) (final, temps []string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "snapshots"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			temps = append(temps, e.Name())
		} else {
			final = append(final, e.Name())
		}
	}
	return final, temps
}

// ecoTempsUnder lists ".tmp-*" names anywhere under root.
func ecoTempsUnder(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	return out
}

// snapshot corruptions: each must be detected by restore.
type ecoCorruption struct {
	name  string
	apply func(t *testing.T, path string)
}

// ecoCorruptions damage a snapshot directory (layout v2) the ways a volume
// can: a truncated or bit-flipped shard, a manifest whose recorded checksum
// is wrong while the data is intact, a shard gone.
var ecoCorruptions = []ecoCorruption{
	{"truncated", func(t *testing.T, dir string) {
		p := ecoBiggestShard(t, dir)
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, info.Size()*2/3); err != nil {
			t.Fatal(err)
		}
	}},
	{"bit-flipped", func(t *testing.T, dir string) {
		p := ecoBiggestShard(t, dir)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x10
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}},
	{"checksum-mismatch", func(t *testing.T, dir string) {
		// The data stays intact; only the first shard's recorded value
		// ("shard FILE VALUE" in the manifest) is wrong.
		p := filepath.Join(dir, "manifest")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("\nshard "))
		if i < 0 {
			t.Fatalf("no shard line in %s", b)
		}
		i += bytes.IndexByte(b[i+len("\nshard "):], ' ') + len("\nshard ") + 1
		if b[i] == '1' {
			b[i] = '2'
		} else {
			b[i] = '1'
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}},
	{"shard-missing", func(t *testing.T, dir string) {
		if err := os.Remove(ecoBiggestShard(t, dir)); err != nil {
			t.Fatal(err)
		}
	}},
	{"manifest-truncated", func(t *testing.T, dir string) {
		// the "end shards=N" line is gone (a torn write; a publish never
		// renames such a directory into place, a damaged volume might)
		p := filepath.Join(dir, "manifest")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.LastIndex(b, []byte("\nend "))
		if i < 0 {
			t.Fatalf("no end line in %s", b)
		}
		if err := os.WriteFile(p, b[:i+1], 0o644); err != nil {
			t.Fatal(err)
		}
	}},
}

// ecoRunScriptPid starts the script like ecoRunScript, sends its pid (also
// its process group) on pidc and returns when it ends, however it ends. It
// never calls t.Fatal, so it may run in a goroutine.
func ecoRunScriptPid(t *testing.T, sh ecoShell, script, dir string, env []string, pidc chan<- int, args ...string) ecoRun {
	argv := append(append([]string{}, sh.argv[1:]...), "-c", script, "prewarm-libtest")
	argv = append(argv, args...)
	cmd := exec.Command(sh.argv[0], argv...)
	cmd.Dir = dir
	cmd.Env = append(ecoBaseEnv(sh), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pidc <- 0
		return ecoRun{stderr: err.Error(), exitCode: -1}
	}
	pidc <- cmd.Process.Pid
	err := cmd.Wait()
	r := ecoRun{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.exitCode = ee.ExitCode()
	}
	return r
}
