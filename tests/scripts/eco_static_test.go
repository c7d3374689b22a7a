package scripts

// Static checks of the rendered ecosystem scripts: POSIX sh per shellcheck,
// parseable by dash and busybox sh, and the shape every preset relies on.

import (
	"os/exec"
	"strings"
	"testing"
)

var ecoScriptNames = []string{"npm", "gomod", "pip"}

func TestEcosystemScriptsPassShellcheckAsPOSIXSh(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed; run tests/install-deps.sh (apt-get install shellcheck)")
	}
	scripts := map[string]string{"lib": "#!/bin/sh\n" + ecoScript(t, "lib")}
	for _, n := range ecoScriptNames {
		scripts[n] = ecoScript(t, n)
	}
	for name, text := range scripts {
		cmd := exec.Command(sc, "-s", "sh", "-")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck -s sh prewarm.script.%s: %v\n%s", name, err, out)
		}
	}
}

func TestEcosystemScriptsParseUnderDashAndBusybox(t *testing.T) {
	for _, sh := range ecoShells(t) {
		for _, n := range ecoScriptNames {
			argv := append(append([]string{}, sh.argv[1:]...), "-n", "-c", ecoScript(t, n))
			if out, err := exec.Command(sh.argv[0], argv...).CombinedOutput(); err != nil {
				t.Errorf("%s -n prewarm.script.%s: %v\n%s", sh.name, n, err, out)
			}
		}
	}
}

// TestEcosystemScriptsStartWithShebangAndIncludeTheLibrary: the presets run
// `sh -c <script>`; the text must be a complete script with the library
// inlined once, and no template syntax may survive rendering.
func TestEcosystemScriptsStartWithShebangAndIncludeTheLibrary(t *testing.T) {
	for _, n := range ecoScriptNames {
		s := ecoScript(t, n)
		if !strings.HasPrefix(s, "#!/bin/sh\n") {
			t.Errorf("prewarm.script.%s does not start with #!/bin/sh: %.40q", n, s)
		}
		if c := strings.Count(s, "---- prewarm shared library"); c != 1 {
			t.Errorf("prewarm.script.%s includes the library %d times, want 1", n, c)
		}
		if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
			t.Errorf("prewarm.script.%s contains template delimiters after rendering", n)
		}
		if !strings.Contains(s, "pw_init "+n+"\n") {
			t.Errorf("prewarm.script.%s does not call pw_init %s", n, n)
		}
	}
}
