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
	script, err := presets.Script("gomod")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	for _, d := range []string{repo, filepath.Join(repo, "tools")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "go.mod"), []byte("module example.com/x\n\ngo 1.22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	term := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(term, nil, 0o644); err != nil { // the kubelet creates it empty
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "-c", script, "prewarm-gomod")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(),
		"PREWARM_REPO="+repo, "PREWARM_CACHE="+filepath.Join(dir, "cache"), "PREWARM_HOME="+filepath.Join(dir, "home"),
		"PREWARM_WORKDIRS=.\ntools", "PREWARM_CACHE_MIN_FREE_MB=1", "PREWARM_TERMINATION_LOG="+term,
		"GOFLAGS=-modcacherw", "GOTOOLCHAIN=local")
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
	script, err := presets.Script("gomod")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module example.com/x\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, term := range []string{filepath.Join(dir, "absent"), dir /* a directory */} {
		cmd := exec.Command("sh", "-c", script, "prewarm-gomod")
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "PREWARM_REPO="+repo, "PREWARM_CACHE="+filepath.Join(dir, "cache"),
			"PREWARM_HOME="+filepath.Join(dir, "home"), "PREWARM_CACHE_MIN_FREE_MB=1", "PREWARM_TERMINATION_LOG="+term, "GOTOOLCHAIN=local")
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
	script, err := presets.Script("gomod")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	var wds []string
	for i := range 40 {
		wd := filepath.Join("services", strings.Repeat("x", 40)+string(rune('a'+i%26))+string(rune('a'+i/26)))
		wds = append(wds, wd)
		if err := os.MkdirAll(filepath.Join(repo, wd), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, wd, "go.mod"), []byte("module example.com/x\n\ngo 1.22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	term := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(term, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", script, "prewarm-gomod")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "PREWARM_REPO="+repo, "PREWARM_CACHE="+filepath.Join(dir, "cache"),
		"PREWARM_HOME="+filepath.Join(dir, "home"), "PREWARM_CACHE_MIN_FREE_MB=1", "PREWARM_TERMINATION_LOG="+term,
		"PREWARM_WORKDIRS="+strings.Join(wds, "\n"), "GOTOOLCHAIN=local")
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
