package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateDetect = flag.Bool("update-detect", false, "rewrite testdata/detect/*.golden.yaml")

// TestDetectCmd runs "prewarm detect" on each tree under testdata/detect/
// and compares stdout with <tree>.golden.yaml.
func TestDetectCmd(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "detect", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"detect", dir}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			file := dir + ".golden.yaml"
			if *updateDetect {
				if err := os.WriteFile(file, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
				t.Errorf("prewarm detect %s (-want +got):\n%s", dir, diff)
			}
			var again bytes.Buffer
			run([]string{"detect", dir}, nil, &again, &bytes.Buffer{})
			if !bytes.Equal(again.Bytes(), stdout.Bytes()) {
				t.Errorf("two runs differ")
			}
		})
	}
}

func TestDetectCmdErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"detect", missing}, missing + ": no such file or directory"},
		{[]string{"detect", "detect_test.go"}, "detect_test.go is not a directory"},
		{[]string{"detect", "a", "b"}, "accepts at most 1 arg(s), received 2"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, nil, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("prewarm %v: exit %d, stderr %q, want an error containing %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"detect", "testdata/detect/empty"}, nil, &stdout, &stderr)
	if stdout.String() != "presets: {}\n" || !strings.Contains(stderr.String(), "no lockfiles found under testdata/detect/empty") {
		t.Errorf("empty tree: stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

// TestDetectDefaultsToCurrentDir: `prewarm detect` with no DIR reads ".",
// and prints what `prewarm detect <that dir>` prints (issue #12).
func TestDetectDefaultsToCurrentDir(t *testing.T) {
	var want, got, stderr bytes.Buffer
	if code := run([]string{"detect", filepath.Join("testdata", "detect", "app")}, nil, &want, &stderr); code != 0 {
		t.Fatalf("detect DIR: exit %d: %s", code, stderr.String())
	}
	t.Chdir(filepath.Join("testdata", "detect", "app"))
	if code := run([]string{"detect"}, nil, &got, &stderr); code != 0 {
		t.Fatalf("detect: exit %d: %s", code, stderr.String())
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" || got.Len() == 0 {
		t.Errorf("detect with no DIR differs from detect . (-want +got):\n%s", diff)
	}
}

func TestDetectHelp(t *testing.T) {
	var stdout bytes.Buffer
	if code := run([]string{"detect", "--help"}, nil, &stdout, &bytes.Buffer{}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Examples:", "prewarm detect . > presets-values.yaml", "pnpm-lock.yaml", "top-most"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("detect --help lacks %q:\n%s", want, stdout.String())
		}
	}
}
