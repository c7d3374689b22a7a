package main

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"sigs.k8s.io/yaml"
)

type cliCase struct {
	Name      string   `json:"name"`
	Args      []string `json:"args"`
	Stdin     string   `json:"stdin"`
	Exit      int      `json:"exit"`
	Stdout    []string `json:"stdout"`
	Stderr    []string `json:"stderr"`
	NotStderr []string `json:"notStderr"`
	NotStdout []string `json:"notStdout"`
	// Golden is a file stdout must equal byte for byte (-update rewrites).
	Golden string `json:"golden"`
}

var updateGolden = flag.Bool("update-cli", false, "rewrite CLI golden files")

func TestCLICases(t *testing.T) {
	raw, err := os.ReadFile("testdata/cli/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []cliCase
	if err := yaml.UnmarshalStrict(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.Args, strings.NewReader(tc.Stdin), &stdout, &stderr)
			if code != tc.Exit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.Exit, stdout.String(), stderr.String())
			}
			expectAll(t, "stdout", stdout.String(), tc.Stdout, true)
			expectAll(t, "stderr", stderr.String(), tc.Stderr, true)
			expectAll(t, "stderr", stderr.String(), tc.NotStderr, false)
			expectAll(t, "stdout", stdout.String(), tc.NotStdout, false)
			if tc.Golden != "" {
				compareGoldenFile(t, tc.Golden, stdout.String())
			}
		})
	}
}

func compareGoldenFile(t *testing.T, file, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/prewarm -update-cli)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("stdout differs from %s (-want +got):\n%s", file, diff)
	}
}

func expectAll(t *testing.T, stream, got string, patterns []string, want bool) {
	t.Helper()
	for _, p := range patterns {
		if regexp.MustCompile(p).MatchString(got) != want {
			t.Errorf("%s match %q = %v, want %v; %s was:\n%s", stream, p, !want, want, stream, got)
		}
	}
}
