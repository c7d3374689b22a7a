package cache

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	templatesgo "github.com/prewarm-dev/prewarm/templates-go"
)

// shells are dash and busybox sh with only busybox applets on PATH (the
// Job's busybox image).
func shells(t *testing.T) map[string][]string {
	t.Helper()
	dash, err := exec.LookPath("dash")
	if err != nil {
		t.Fatal("dash is not installed: run `make deps`")
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox is not installed: run `make deps`")
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, a := range strings.Fields(string(list)) {
		if err := os.Symlink(bb, filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
	return map[string][]string{"dash": {dash, os.Getenv("PATH")}, "busybox": {filepath.Join(bin, "sh"), bin}}
}

// runInventory runs the real inventory script as the Job's container does.
func runInventory(t *testing.T, sh []string, args ...string) (stdout, termlog string) {
	t.Helper()
	script, err := templatesgo.Execute("prewarm.script.inventory", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	term := filepath.Join(t.TempDir(), "termination-log")
	cmd := exec.Command(sh[0], append([]string{"-c", script, "prewarm-inventory"}, args...)...)
	cmd.Env = []string{"PATH=" + sh[1], "PREWARM_TERMINATION_LOG=" + term}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("inventory: %v\n%s", err, errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("inventory wrote to stderr: %s", errb.String())
	}
	b, _ := os.ReadFile(term)
	return out.String(), string(b)
}

// TestInventoryScriptPrintsWhatScanPrints: the cluster way (the script's
// dump, parsed) prints byte for byte what the path way (Scan) prints.
func TestInventoryScriptPrintsWhatScanPrints(t *testing.T) {
	for name, sh := range shells(t) {
		t.Run(name, func(t *testing.T) {
			root := npmCache(t)
			gomod := filepath.Join(filepath.Dir(root), "gomod")
			write(t, filepath.Join(gomod, "mod", "cache", "download", "x.zip"), 9000, t0)
			write(t, filepath.Join(gomod, "build", "00", "a-d"), 3000, t0)
			stdout, term := runInventory(t, sh, "npm="+root, "gomod="+gomod)
			if stdout != term {
				t.Errorf("termination message differs from stdout:\n%s\n---\n%s", term, stdout)
			}
			got, err := ParseDump("some log line\n" + stdout)
			if err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			a, err := Scan(root, "npm")
			if err != nil {
				t.Fatal(err)
			}
			b, err := Scan(gomod, "gomod")
			if err != nil {
				t.Fatal(err)
			}
			want := []*Inventory{a, b}
			for _, f := range []func(*bytes.Buffer, []*Inventory) error{
				func(w *bytes.Buffer, i []*Inventory) error { return WriteDu(w, i, 0) },
				func(w *bytes.Buffer, i []*Inventory) error { return WriteLs(w, i, true) },
			} {
				var gw, ww bytes.Buffer
				if err := f(&gw, got); err != nil {
					t.Fatal(err)
				}
				if err := f(&ww, want); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(ww.String(), gw.String()); d != "" {
					t.Errorf("cluster output differs from the path output (-path +cluster):\n%s", d)
				}
			}
		})
	}
}

func TestParseDumpRejectsCutOffOutput(t *testing.T) {
	cases := map[string]string{
		"no header":     "entry 1 2 x\n",
		"no end":        DumpHeader + "\ncache npm /c\nentry 4096 1 store\n",
		"count differs": DumpHeader + "\ncache npm /c\nentry 4096 1 store\nend 2\n",
		"bad entry":     DumpHeader + "\ncache npm /c\nentry x 1 store\nend 1\n",
		"truncated":     DumpHeader + "\ntruncated 9000\n",
		"missing":       DumpHeader + "\ncache npm /c\nmissing /c\n",
	}
	for name, text := range cases {
		if _, err := ParseDump(text); err == nil {
			t.Errorf("%s: ParseDump accepted:\n%s", name, text)
		}
	}
}

func TestInventoryScriptShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: run `make deps`")
	}
	script, err := templatesgo.Execute("prewarm.script.inventory", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	lint := exec.Command(sc, "-s", "sh", "-S", "style", "-")
	lint.Stdin = strings.NewReader(script)
	if out, err := lint.CombinedOutput(); err != nil {
		t.Fatalf("shellcheck -s sh: %v\n%s", err, out)
	}
}
