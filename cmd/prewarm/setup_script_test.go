package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prewarm-dev/prewarm/pkg/presets"
)

func TestSetupScriptCmd(t *testing.T) {
	for _, name := range presets.Names() {
		t.Run(name, func(t *testing.T) {
			script, err := presets.Script(name)
			var stdout, stderr bytes.Buffer
			code := run([]string{"setup-script", "--preset", name}, nil, &stdout, &stderr)
			if err != nil {
				// The script define is not written yet: the command must say so.
				if code == 0 || !strings.Contains(stderr.String(), `"prewarm.script.`+name+`" is not defined`) {
					t.Errorf("missing script: exit %d, stderr %q", code, stderr.String())
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if got := strings.TrimSuffix(stdout.String(), "\n"); got != strings.TrimSuffix(script, "\n") {
				t.Errorf("stdout is not the script of %s", name)
			}
			stdout.Reset()
			run([]string{"setup-script", "--preset", name, "--workdir", ".", "--workdir", "services/api"}, nil, &stdout, &stderr)
			header, body, ok := strings.Cut(stdout.String(), "#   services/api\n")
			if !ok || !strings.Contains(header, `PREWARM_WORKDIRS=".\nservices/api"`) {
				t.Errorf("header missing or wrong:\n%s", header)
			}
			if strings.TrimSuffix(body, "\n") != strings.TrimSuffix(script, "\n") {
				t.Errorf("the script after the header differs from the container's script")
			}
		})
	}
}

func TestSetupScriptHeader(t *testing.T) {
	want := "# prewarm setup script of preset gomod, run as: sh -c SCRIPT prewarm-gomod [extraArgs...]\n" +
		"# The container gets PREWARM_WORKDIRS=\".\\ntools\" (one workdir per line):\n" +
		"#   .\n" +
		"#   tools\n"
	if got := setupScriptHeader("gomod", []string{".", "tools"}); got != want {
		t.Errorf("header:\n%s\nwant:\n%s", got, want)
	}
}

func TestSetupScriptCmdErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"setup-script", "--preset", "bundler"}, `unknown preset "bundler" (known: npm, pip, gomod, cargo, maven, gradle, artifacts)`},
		{[]string{"setup-script"}, "--preset is required (one of npm, pip, gomod, cargo, maven, gradle, artifacts)"},
		{[]string{"setup-script", "--preset", "npm", "--workdir", "/abs"}, `--workdir[0]: Invalid value: "/abs": must be relative`},
		{[]string{"setup-script", "--preset", "npm", "--workdir", "-x"}, `--workdir[0]: Invalid value: "-x": must not start with '-'`},
		{[]string{"setup-script", "--preset", "npm", "extra"}, `unknown command "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, nil, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("prewarm %v: exit %d, stderr %q, want %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
