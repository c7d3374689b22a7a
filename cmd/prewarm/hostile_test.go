package main

// Hostile input table: bad Workspaces, Tasks, chart values and CLI flags
// (testdata/hostile/*.yaml). Each case is either refused with a message
// that names the offending field or key, or proven harmless: the hostile
// bytes reach the rendered objects only as data (container args, env,
// workingDir, image) and never as shell source (the `sh -c SCRIPT` text).
// No case may panic.
//
// TestHostileExtraArgsReachNpmLiterally goes one step further and runs the
// rendered npm setup script with a fake npm on PATH, proving the tool gets
// the literal bytes and the shell runs none of them.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/prewarm-dev/prewarm/internal/yamlcase"
)

// hostileCase is one row of testdata/hostile/*.yaml.
type hostileCase struct {
	Name string `json:"name"`
	// Args are the CLI arguments; "@DIR@" is replaced by a temp dir that
	// holds Files plus ok-workspace.yaml and ok-task.yaml.
	Args  []string          `json:"args"`
	Stdin string            `json:"stdin,omitempty"`
	Files map[string]string `json:"files,omitempty"`
	// Exit is the wanted exit status.
	Exit int `json:"exit"`
	// Field must appear literally in stdout+stderr when Exit != 0: the
	// field path or values key the message blames.
	Field string `json:"field,omitempty"`
	// Stdout and Stderr are regexps that must match.
	Stdout []string `json:"stdout,omitempty"`
	Stderr []string `json:"stderr,omitempty"`
	// Harmless (Exit 0 only) names the hostile literal and where it must
	// show up in the rendered containers.
	Harmless *harmlessSpec `json:"harmless,omitempty"`
	// Bug marks a case that fails today because of a defect in code this
	// table does not own; the subtest is named BUG-<name>.
	Bug string `json:"bug,omitempty"`
}

type harmlessSpec struct {
	Literal string `json:"literal"`
	// In lists container fields that must carry the literal somewhere:
	// args, env, workingDir, image.
	In []string `json:"in"`
}

const hostileOKWorkspace = `apiVersion: kelos.dev/v1alpha2
kind: Workspace
metadata: {name: my-app}
spec:
  repo: https://github.com/example/app.git
`

const hostileOKTask = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: {name: t1}
spec:
  type: claude-code
  prompt: fix the bug
  branch: prewarm/t1
  workspaceRef: {name: my-app}
`

// panicRE matches what a Go panic or a runtime error would print.
var panicRE = regexp.MustCompile(`panic:|goroutine \d+ \[|runtime error:|\[recovered\]|SIGSEGV`)

func loadHostileCases(t *testing.T) []hostileCase {
	t.Helper()
	var all []hostileCase
	seen := map[string]bool{}
	for _, f := range yamlcase.Files(t, "testdata/hostile/*.yaml") {
		var cases []hostileCase
		yamlcase.Read(t, f, &cases)
		for _, c := range cases {
			if seen[c.Name] {
				t.Fatalf("%s: duplicate case name %q", f, c.Name)
			}
			seen[c.Name] = true
			switch {
			case len(c.Args) == 0:
				t.Fatalf("%s: case %s has no args", f, c.Name)
			case c.Exit != 0 && (c.Field == "" || len(c.Stdout)+len(c.Stderr) == 0):
				t.Fatalf("%s: refused case %s must name the field and give a message regexp", f, c.Name)
			case c.Exit == 0 && c.Harmless == nil:
				t.Fatalf("%s: accepted case %s must say why it is harmless", f, c.Name)
			case c.Harmless != nil && (c.Harmless.Literal == "" || len(c.Harmless.In) == 0):
				t.Fatalf("%s: case %s: harmless needs literal and in", f, c.Name)
			}
		}
		all = append(all, cases...)
	}
	return all
}

func TestHostileInputs(t *testing.T) {
	cases := loadHostileCases(t)
	if len(cases) < 40 {
		t.Fatalf("want at least 40 hostile cases, have %d", len(cases))
	}
	for _, tc := range cases {
		name := tc.Name
		if tc.Bug != "" {
			name = "BUG-" + name
		}
		t.Run(name, func(t *testing.T) {
			if tc.Bug != "" {
				t.Logf("known defect: %s", tc.Bug)
			}
			runHostileCase(t, tc)
		})
	}
}

func runHostileCase(t *testing.T, tc hostileCase) {
	dir := t.TempDir()
	sub := func(s string) string { return strings.ReplaceAll(s, "@DIR@", dir) }
	files := map[string]string{"ok-workspace.yaml": hostileOKWorkspace, "ok-task.yaml": hostileOKTask}
	for n, c := range tc.Files {
		files[n] = c
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(sub(c)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := make([]string, len(tc.Args))
	for i, a := range tc.Args {
		args[i] = sub(a)
	}
	var stdout, stderr bytes.Buffer
	code := hostileRun(t, args, sub(tc.Stdin), &stdout, &stderr)
	out, errOut := stdout.String(), stderr.String()
	report := func() string {
		return "args: " + strings.Join(tc.Args, " ") + "\n--- stdout\n" + hostileHead(out, 60) + "--- stderr\n" + errOut
	}
	if panicRE.MatchString(errOut) || panicRE.MatchString(out) {
		t.Fatalf("output shows a panic or runtime error\n%s", report())
	}
	if code != tc.Exit {
		t.Fatalf("exit %d, want %d\n%s", code, tc.Exit, report())
	}
	if tc.Exit != 0 && !strings.Contains(out+errOut, tc.Field) {
		t.Errorf("the refusal does not name the field %q\n%s", tc.Field, report())
	}
	for _, p := range tc.Stdout {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("stdout does not match %q\n%s", p, report())
		}
	}
	for _, p := range tc.Stderr {
		if !regexp.MustCompile(p).MatchString(errOut) {
			t.Errorf("stderr does not match %q\n%s", p, report())
		}
	}
	if tc.Harmless != nil {
		checkHarmless(t, out, hostileHarmless{literal: sub(tc.Harmless.Literal), in: tc.Harmless.In})
	}
}

// hostileRun calls the CLI in-process and turns a panic into a test
// failure with the panic value, so a crash is reported as such.
func hostileRun(t *testing.T, args []string, stdin string, stdout, stderr io.Writer) (code int) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("prewarm %q panicked: %v", args, r)
		}
	}()
	return run(args, strings.NewReader(stdin), stdout, stderr)
}

func hostileHead(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		return strings.Join(lines[:n], "") + "[...]\n"
	}
	return s
}

type hostileHarmless struct {
	literal string
	in      []string
}

// checkHarmless proves the literal is data: no container's command (and so
// no `sh -c` script) contains it, and every place listed in h.in carries it
// in at least one container.
func checkHarmless(t *testing.T, stdout string, h hostileHarmless) {
	t.Helper()
	for _, p := range harmlessProblems(hostileContainers(t, stdout), h) {
		t.Error(p)
	}
}

func harmlessProblems(containers []map[string]any, h hostileHarmless) []string {
	if len(containers) == 0 {
		return []string{"no containers in the output"}
	}
	var problems []string
	found := map[string]bool{}
	scripts := 0
	for _, c := range containers {
		cmd := hostileStrings(c["command"])
		for i, part := range cmd {
			if strings.Contains(part, h.literal) {
				problems = append(problems, fmt.Sprintf("container %v: command[%d] contains the hostile literal %q", c["name"], i, h.literal))
			}
		}
		if len(cmd) >= 3 && cmd[0] == "sh" && cmd[1] == "-c" {
			scripts++
		}
		for _, a := range hostileStrings(c["args"]) {
			if strings.Contains(a, h.literal) {
				found["args"] = true
			}
		}
		if env, ok := c["env"].([]any); ok {
			for _, e := range env {
				if m, ok := e.(map[string]any); ok {
					if v, ok := m["value"].(string); ok && strings.Contains(v, h.literal) {
						found["env"] = true
					}
				}
			}
		}
		for _, k := range []string{"workingDir", "image"} {
			if v, ok := c[k].(string); ok && strings.Contains(v, h.literal) {
				found[k] = true
			}
		}
	}
	if scripts == 0 {
		problems = append(problems, "no `sh -c` container in the output; the case proves nothing about scripts")
	}
	for _, where := range h.in {
		if !found[where] {
			problems = append(problems, fmt.Sprintf("the hostile literal %q does not reach any container's %s literally (found in %v)", h.literal, where, hostileKeys(found)))
		}
	}
	return problems
}

// TestHostileCheckerCatchesInjection guards the checker itself: a literal
// in a script, or one that never arrives, must be reported.
func TestHostileCheckerCatchesInjection(t *testing.T) {
	lit := "$(touch /tmp/pwned)"
	script := map[string]any{"name": "prewarm-npm", "image": "node", "command": []any{"sh", "-c", "npm ci " + lit}}
	asArg := map[string]any{"name": "prewarm-npm", "image": "node", "command": []any{"sh", "-c", "npm ci \"$@\""}, "args": []any{lit}}
	for _, tc := range []struct {
		name       string
		containers []map[string]any
		in         []string
		wantOK     bool
	}{
		{"literal-in-script", []map[string]any{script}, []string{"args"}, false},
		{"literal-missing", []map[string]any{asArg}, []string{"env"}, false},
		{"no-containers", nil, []string{"args"}, false},
		{"literal-as-arg", []map[string]any{asArg}, []string{"args"}, true},
	} {
		got := harmlessProblems(tc.containers, hostileHarmless{literal: lit, in: tc.in})
		if (len(got) == 0) != tc.wantOK {
			t.Errorf("%s: problems %q, want ok=%v", tc.name, got, tc.wantOK)
		}
	}
}

func hostileKeys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func hostileStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// hostileDocs splits stdout into its YAML documents.
func hostileDocs(t *testing.T, stdout string) [][]byte {
	t.Helper()
	var docs [][]byte
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stdout)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("output is not YAML: %v", err)
		}
		docs = append(docs, doc)
	}
}

// hostileContainers decodes every YAML document of stdout and returns each
// map that looks like a container (has name and image): Workspace setup
// entries, Job and CronJob containers, podOverrides init containers.
func hostileContainers(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range hostileDocs(t, stdout) {
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			t.Fatalf("output document is not YAML: %v\n%s", err, doc)
		}
		hostileWalk(v, &out)
	}
	return out
}

func hostileWalk(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		_, hasName := x["name"]
		_, hasImage := x["image"]
		if hasName && hasImage {
			*out = append(*out, x)
		}
		for _, c := range x {
			hostileWalk(c, out)
		}
	case []any:
		for _, c := range x {
			hostileWalk(c, out)
		}
	}
}

// hostileArgs are extraArgs a shell would act on if they ever reached
// shell source: command substitution, backticks, separators, pipes,
// redirections, quotes, a newline. "@DIR@" becomes the test's temp dir.
var hostileArgs = []string{
	"$(touch @DIR@/pwned-subst)",
	"`touch @DIR@/pwned-backtick`",
	"; touch @DIR@/pwned-semi",
	"| touch @DIR@/pwned-pipe",
	"&& touch @DIR@/pwned-and",
	"> @DIR@/pwned-redirect",
	"< /etc/passwd",
	`' " \ $HOME ${PATH} *`,
	"line1\nline2; touch @DIR@/pwned-newline",
	"--registry=http://127.0.0.1:1/$(id)",
}

// TestHostileExtraArgsReachNpmLiterally renders the npm preset with
// hostile extraArgs through `prewarm render`, then runs the rendered setup
// container's command (sh -c SCRIPT prewarm-npm ARGS...) with its env, a
// fake npm and node on PATH, under sh and (when present) busybox sh and
// dash. The fake npm records its argv NUL-separated: it must be `ci
// --prefer-offline --no-audit --no-fund` followed by the hostile args byte
// for byte, and none of the pwned-* files may exist afterwards.
func TestHostileExtraArgsReachNpmLiterally(t *testing.T) {
	shells := [][]string{{"sh"}}
	if p, err := exec.LookPath("dash"); err == nil {
		shells = append(shells, []string{p})
	}
	if p, err := exec.LookPath("busybox"); err == nil {
		shells = append(shells, []string{p, "sh"})
	}
	for _, sh := range shells {
		t.Run(filepath.Base(strings.Join(sh, "-")), func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(hostileArgs))
			for i, a := range hostileArgs {
				args[i] = strings.ReplaceAll(a, "@DIR@", dir)
			}
			argsJSON, err := json.Marshal(args)
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := hostileRun(t, []string{"render", "--set", "workspace.repo=https://github.com/example/app.git",
				"--set", "presets.npm.enabled=true", "--set-json", "presets.npm.extraArgs=" + string(argsJSON), "--target", "extension"}, "", &stdout, &stderr)
			if code != 0 {
				t.Fatalf("render: exit %d\n%s", code, stderr.String())
			}
			ws, c := hostileWorkspaceSetup(t, stdout.String(), "prewarm-npm")
			cmd := hostileStrings(c["command"])
			if len(cmd) != 4 || cmd[0] != "sh" || cmd[1] != "-c" || cmd[3] != "prewarm-npm" {
				t.Fatalf("prewarm-npm command is %q, want [sh -c SCRIPT prewarm-npm]", cmd)
			}
			script := cmd[2]
			for _, a := range args {
				if strings.Contains(script, a) {
					t.Fatalf("the script text contains the hostile argument %q", a)
				}
			}
			if got := hostileStrings(c["args"]); strings.Join(got, "\x00") != strings.Join(args, "\x00") {
				t.Fatalf("container args are %q, want exactly %q", got, args)
			}

			// The pod's paths, moved under dir.
			remap := strings.NewReplacer("/workspace", filepath.Join(dir, "workspace"), "/cache/", filepath.Join(dir, "cache")+"/")
			repo := remap.Replace("/workspace/repo")
			bin := filepath.Join(dir, "bin")
			log := filepath.Join(dir, "npm-argv")
			for p, body := range map[string]string{
				filepath.Join(repo, "package.json"):      `{"name":"app","version":"1.0.0","lockfileVersion":3}`,
				filepath.Join(repo, "package-lock.json"): `{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{}}`,
				filepath.Join(bin, "node"):               "#!/bin/sh\necho v22.0.0\n",
				filepath.Join(bin, "npm"): "#!/bin/sh\n" +
					"if [ \"$1\" = --version ]; then echo 10.9.0; exit 0; fi\n" +
					"for a in \"$@\"; do printf '%s\\0' \"$a\"; done >\"$FAKE_NPM_ARGV\"\n" +
					"mkdir -p node_modules/dep && echo '{}' >node_modules/dep/package.json\n",
			} {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// spec.env first, then the container's own env, as in the pod.
			env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "FAKE_NPM_ARGV=" + log}
			for _, list := range []any{hostileSpecEnv(ws), c["env"]} {
				for _, e := range list.([]any) {
					m := e.(map[string]any)
					v, _ := m["value"].(string)
					env = append(env, m["name"].(string)+"="+remap.Replace(v))
				}
			}
			run := exec.Command(sh[0], append(append(sh[1:], "-c", script, "prewarm-npm"), args...)...)
			run.Dir = remap.Replace(c["workingDir"].(string))
			run.Env = env
			var rout, rerr bytes.Buffer
			run.Stdout, run.Stderr = &rout, &rerr
			if err := run.Run(); err != nil {
				t.Fatalf("setup script failed: %v\n--- stdout\n%s--- stderr\n%s", err, rout.String(), rerr.String())
			}
			if !regexp.MustCompile(`(?m)^prewarm: npm key=[0-9a-f]+ result=cold `).MatchString(rout.String()) {
				t.Errorf("no summary line for a cold install:\n%s", rout.String())
			}
			got, err := os.ReadFile(log)
			if err != nil {
				t.Fatalf("the fake npm never ran: %v\n%s", err, rerr.String())
			}
			want := strings.Join(append([]string{"ci", "--prefer-offline", "--no-audit", "--no-fund"}, args...), "\x00") + "\x00"
			if string(got) != want {
				t.Errorf("npm received %q\nwant        %q", strings.Split(string(got), "\x00"), strings.Split(want, "\x00"))
			}
			pwned, _ := filepath.Glob(filepath.Join(dir, "pwned*"))
			if len(pwned) > 0 {
				t.Errorf("a hostile argument ran as shell: %v exist", pwned)
			}
			for _, p := range []string{filepath.Join(dir, "cache", "npm", "snapshots"), filepath.Join(repo, "node_modules")} {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("the run did not complete normally: %v", err)
				}
			}
		})
	}
}

// hostileWorkspaceSetup returns the Workspace in a render and its setup
// container called name.
func hostileWorkspaceSetup(t *testing.T, stdout, name string) (map[string]any, map[string]any) {
	t.Helper()
	for _, doc := range hostileDocs(t, stdout) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil || obj["kind"] != "Workspace" {
			continue
		}
		spec, _ := obj["spec"].(map[string]any)
		setup, _ := spec["setup"].([]any)
		for _, s := range setup {
			if m, ok := s.(map[string]any); ok && m["name"] == name {
				return obj, m
			}
		}
	}
	t.Fatalf("no Workspace with setup container %s in:\n%s", name, hostileHead(stdout, 40))
	return nil, nil
}

func hostileSpecEnv(ws map[string]any) any {
	spec, _ := ws["spec"].(map[string]any)
	if env, ok := spec["env"].([]any); ok {
		return env
	}
	return []any{}
}
