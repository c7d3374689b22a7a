package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prewarm-dev/prewarm/pkg/presets"
)

// TestRealScriptLine runs the gomod preset's real setup script (rendered
// from templates-go, the owner of the line's format) under dash on an empty
// Go module, then parses both its stdout line and the termination message
// file it wrote. The format has one writer (pw_summary) and one reader
// (ParseLine); this test keeps them together.
func TestRealScriptLine(t *testing.T) {
	sh, err := exec.LookPath("dash")
	if err != nil {
		sh = "sh"
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH; the gomod setup script needs it")
	}
	script, dir, repo := gomodRepo(t, ".", "tools")
	term := emptyTerminationLog(t, dir)
	cmd := gomodCmd(sh, script, dir, repo, "PREWARM_WORKDIRS=.\ntools", "PREWARM_TERMINATION_LOG="+term, "GOFLAGS=-modcacherw")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gomod script: %v\n%s", err, stderr.String())
	}
	msg, err := os.ReadFile(term)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg) != stdout.String() {
		t.Errorf("termination message %q differs from the stdout summary %q", msg, stdout.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(msg), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per workdir (2), got %q", msg)
	}
	for i, wd := range []string{".", "tools"} {
		l, err := ParseLine(lines[i])
		if err != nil {
			t.Fatal(err)
		}
		if l.Ecosystem != "gomod" || l.Workdir != wd || l.Cache != CacheWritable || len(l.Key) != 20 || l.Fields["prebuild"] == "" {
			t.Errorf("line %q parsed as %+v: want gomod, workdir %s, cache writable, a 20-character key and prebuild=", lines[i], l, wd)
		}
	}
}

// TestRealScriptNeverFailsOnTerminationLog: an unwritable or missing
// termination file costs nothing but the message.
func TestRealScriptNeverFailsOnTerminationLog(t *testing.T) {
	script, dir, repo := gomodRepo(t, ".")
	for _, term := range []string{filepath.Join(dir, "absent"), dir /* a directory */} {
		cmd := gomodCmd("sh", script, dir, repo, "PREWARM_TERMINATION_LOG="+term)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("PREWARM_TERMINATION_LOG=%s: the script failed: %v\n%s", term, err, out)
		}
		if !strings.Contains(string(out), "prewarm: gomod key=") {
			t.Errorf("no summary line on stdout:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dir, "absent")); err == nil {
			t.Errorf("the script created the absent termination file")
		}
	}
}

// TestRealScriptTerminationLogLimit: many workdirs never push the message
// past Kubernetes' 4096-byte limit, and every line kept is whole.
func TestRealScriptTerminationLogLimit(t *testing.T) {
	var wds []string
	for i := range 40 {
		wds = append(wds, filepath.Join("services", strings.Repeat("x", 40)+string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	script, dir, repo := gomodRepo(t, wds...)
	term := emptyTerminationLog(t, dir)
	cmd := gomodCmd("sh", script, dir, repo, "PREWARM_TERMINATION_LOG="+term, "PREWARM_WORKDIRS="+strings.Join(wds, "\n"))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	msg, _ := os.ReadFile(term)
	if stdout.Len() <= 4096 {
		t.Fatalf("the test needs more than 4096 bytes of summary, got %d", stdout.Len())
	}
	if len(msg) > 4096 || len(msg) < 4096-200 {
		t.Errorf("termination message is %d bytes, want at most 4096 and close to it", len(msg))
	}
	if !strings.HasPrefix(stdout.String(), string(msg)) || !strings.HasSuffix(string(msg), "\n") {
		t.Errorf("termination message is not a prefix of whole stdout lines:\n%s", msg)
	}
}

// gomodRepo renders the gomod setup script and lays out dir/repo with an
// empty Go module in each workdir.
func gomodRepo(t *testing.T, workdirs ...string) (script, dir, repo string) {
	t.Helper()
	script, err := presets.Script("gomod")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	repo = filepath.Join(dir, "repo")
	for _, wd := range workdirs {
		if err := os.MkdirAll(filepath.Join(repo, wd), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, wd, "go.mod"), []byte("module example.com/x\n\ngo 1.22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return script, dir, repo
}

// emptyTerminationLog creates dir/termination-log empty, as the kubelet
// does.
func emptyTerminationLog(t *testing.T, dir string) string {
	t.Helper()
	term := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(term, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return term
}

// gomodCmd runs the script under sh as the setup container does, in repo
// with the cache and home under dir, plus env.
func gomodCmd(sh, script, dir, repo string, env ...string) *exec.Cmd {
	cmd := exec.Command(sh, "-c", script, "prewarm-gomod")
	cmd.Dir = repo
	cmd.Env = append(append(os.Environ(), "PREWARM_REPO="+repo, "PREWARM_CACHE="+filepath.Join(dir, "cache"),
		"PREWARM_HOME="+filepath.Join(dir, "home"), "PREWARM_CACHE_MIN_FREE_MB=1", "GOTOOLCHAIN=local"), env...)
	return cmd
}
