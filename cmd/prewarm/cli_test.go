package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
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

func TestCLICases(t *testing.T) { runCLICases(t, "testdata/cli/cases.yaml") }

// runCLICases runs each case of a YAML case file through run and checks
// exit status, stdout/stderr patterns and goldens.
func runCLICases(t *testing.T, file string) {
	t.Helper()
	var cases []cliCase
	yamlcase.Read(t, file, &cases)
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

// TestEndlessInputIsCapped: an endless stream on stdin (`yes '# x' |
// prewarm validate -`) ends in a clear error after maxInputBytes instead of
// growing without bound (issue #12).
func TestEndlessInputIsCapped(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"validate", "-"}, &endless{line: "# x\n"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "<stdin>: input is larger than 16 MiB") {
		t.Fatalf("exit %d, stderr %q; want exit 2 and the size limit named", code, stderr.String())
	}
}

// endless repeats line, "forever": it stops at 4×maxInputBytes so that a
// build without the cap fails this test instead of eating the machine.
type endless struct {
	line string
	pos  int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.pos >= 4*maxInputBytes {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = e.line[e.pos%len(e.line)]
		e.pos++
	}
	return len(p), nil
}

// TestRenderPipesIntoPod: the pipeline `pod --help` and reference.md show,
// `prewarm render … | prewarm pod --workspace - --task task.yaml`, works with
// the chart's default output (a Workspace among PVCs and CronJobs).
func TestRenderPipesIntoPod(t *testing.T) {
	var rendered, stderr bytes.Buffer
	if code := run([]string{"render", "--set", "workspace.repo=https://github.com/example/app.git", "--set", "presets.npm.enabled=true", "--set", "workspace.name=my-app", "--target", "extension"}, nil, &rendered, &stderr); code != 0 {
		t.Fatalf("render: exit %d: %s", code, stderr.String())
	}
	if n := strings.Count(rendered.String(), "\nkind: "); n < 2 {
		t.Fatalf("render printed %d objects; the test needs a multi-document render", n)
	}
	var pod bytes.Buffer
	if code := run([]string{"pod", "--workspace", "-", "--task", "../../examples/task.yaml"}, &rendered, &pod, &stderr); code != 0 {
		t.Fatalf("render | pod: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(pod.String(), "name: prewarm-npm") {
		t.Errorf("pod lacks the npm setup container:\n%s", pod.String())
	}
}

// TestNegativeDeadlineIsRefused: --active-deadline-seconds -5 used to be
// dropped silently.
func TestNegativeDeadlineIsRefused(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"pod", "--workspace", "../../examples/workspace-setup/workspace.yaml", "--task", "../../examples/task.yaml", "--active-deadline-seconds", "-5"}, nil, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--active-deadline-seconds must be 0 (no deadline) or a positive number of seconds, not -5") || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
