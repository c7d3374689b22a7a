package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// TestPrunerRecordsUsage runs the real pruner script (prune.sh.tpl) on a
// cache directory and reads the usage file it leaves with ReadUsage, the
// exporter's reader: the file is the script's own summary line, whole.
func TestPrunerRecordsUsage(t *testing.T) {
	b, err := templatesgo.Execute("prewarm.script.prune", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "snapshots"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "snapshots", strings.Repeat("a", 64)+".tar"), make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sh := range []string{"dash", "busybox"} {
		args := []string{"-c", string(b), "prune"}
		if sh == "busybox" {
			args = append([]string{"sh"}, args...)
		}
		cmd := exec.Command(sh, args...)
		cmd.Env = append(os.Environ(), "PREWARM_CACHE="+cache, "PREWARM_PRUNE_MAX_BYTES=1073741824")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: prune: %v\n%s", sh, err, out)
		}
		p, mtime, err := ReadUsage(cache)
		if err != nil {
			t.Fatalf("%s: %v", sh, err)
		}
		raw, _ := os.ReadFile(filepath.Join(cache, UsageFile))
		if string(raw) != string(out) {
			t.Errorf("%s: usage file %q differs from the pruner's line %q", sh, raw, out)
		}
		if p.Budget != 1<<30 || p.After < 64<<10 || p.Cache != cache || mtime.IsZero() {
			t.Errorf("%s: usage %+v (mtime %v): want budget 1 GiB, after >= 64 KiB, cache %s", sh, p, mtime, cache)
		}
		left, _ := filepath.Glob(filepath.Join(cache, ".tmp-*"))
		if len(left) > 0 {
			t.Errorf("%s: temporaries left behind: %v", sh, left)
		}
	}
}
