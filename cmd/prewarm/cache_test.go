package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCacheCLI runs `prewarm cache ...` on a real directory: usage errors
// name the flag and what is allowed; du, ls, invalidate and clear work.
// Byte counts depend on the file system's blocks; pkg/cache checks them
// against du, this checks the commands around them.
func TestCacheCLI(t *testing.T) {
	dir := t.TempDir()
	npm := filepath.Join(dir, "npm")
	key := strings.Repeat("c", 64)
	for p, n := range map[string]int{
		filepath.Join(npm, "snapshots", key+".tar"):     8192,
		filepath.Join(npm, "store", "_cacache", "data"): 4096,
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte{'x'}, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		args   []string
		exit   int
		stdout []string
		stderr string
	}{
		{name: "du needs a cache", args: []string{"cache", "du"}, exit: 2, stderr: "--path is required"},
		{name: "unknown preset", args: []string{"cache", "du", "--path", npm, "--preset", "rust"}, exit: 2, stderr: `unknown preset "rust" (known: npm, pip, gomod, cargo, maven, gradle, artifacts)`},
		{name: "bad budget", args: []string{"cache", "du", "--path", npm, "--budget", "lots"}, exit: 2, stderr: `--budget "lots": want a positive byte count or quantity`},
		{name: "path and cluster", args: []string{"cache", "ls", "--path", npm, "-n", "agents", "--claim", "c"}, exit: 2, stderr: "--path and the cluster flags"},
		{name: "cluster needs a claim or release", args: []string{"cache", "du", "-n", "agents"}, exit: 2, stderr: "give exactly one of --claim NAME and --release NAME"},
		{name: "cluster needs a namespace", args: []string{"cache", "du", "--release", "r"}, exit: 2, stderr: "-n NAMESPACE is required"},
		{name: "bad part", args: []string{"cache", "clear", "--path", npm, "--part", "all-of-it"}, exit: 2, stderr: `part "all-of-it" is not one of all, snapshots, stores`},
		{name: "bad key", args: []string{"cache", "invalidate", "xyz", "--path", npm}, exit: 2, stderr: `key "xyz" must be 12 to 64 lower-case hex digits`},
		{name: "clear: path and cluster", args: []string{"cache", "clear", "--path", npm, "-n", "agents", "--claim", "c"}, exit: 2, stderr: "--path and the cluster flags"},
		{name: "clear in the cluster: bad part before any Job", args: []string{"cache", "clear", "-n", "agents", "--claim", "c", "--part", "most"}, exit: 2, stderr: `part "most" is not one of all, snapshots, stores`},
		{name: "clear in the cluster: a store of another preset", args: []string{"cache", "clear", "-n", "agents", "--claim", "c", "--preset", "npm", "--part", "stores", "--store", "mod"}, exit: 2, stderr: `"mod" is not a store of preset npm (stores: store, pnpm-store, yarn)`},
		{name: "clear in the cluster needs a claim or release", args: []string{"cache", "clear", "-n", "agents"}, exit: 2, stderr: "give exactly one of --claim NAME and --release NAME"},
		{name: "invalidate in the cluster: bad key before any Job", args: []string{"cache", "invalidate", "KEY", "-n", "agents", "--claim", "c"}, exit: 2, stderr: `key "KEY" must be 12 to 64 lower-case hex digits`},
		{name: "invalidate in the cluster needs a namespace", args: []string{"cache", "invalidate", "abcdefabcdefabcd", "--claim", "c"}, exit: 2, stderr: "-n NAMESPACE is required"},
		{name: "du", args: []string{"cache", "du", "--path", npm, "--budget", "8Ki"}, stdout: []string{"npm     " + npm + "  ", "  8192    ", "% OVER\n", "PRESET  STORE  BYTES  LAST USED\nnpm     store  "}},
		{name: "ls", args: []string{"cache", "ls", "--path", dir}, stdout: []string{"npm     cccccccccccccccccccc  -        "}},
		{name: "invalidate", args: []string{"cache", "invalidate", key[:20], "--path", npm}, stdout: []string{"removed " + npm + "/snapshots/" + key + ".tar\n", "removed 1 names, "}},
		{name: "clear", args: []string{"cache", "clear", "--path", npm}, stdout: []string{"removed " + npm + "/store\n", "removed 1 names, "}},
		{name: "empty after clear", args: []string{"cache", "du", "--path", npm, "--preset", "npm"}, stdout: []string{"npm     " + npm + "  0          0       0     "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(c.args, strings.NewReader(""), &out, &errb)
			if code != c.exit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.exit, out.String(), errb.String())
			}
			for _, s := range c.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			if c.stderr != "" && !strings.Contains(errb.String(), c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, errb.String())
			}
		})
	}
}
