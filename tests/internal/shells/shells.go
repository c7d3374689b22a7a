// Package shells owns the POSIX shells the preset scripts must run under
// (dash and busybox sh, as in Debian and alpine images) and the clean
// process environment a script run starts from. The script tests, the
// bench and the demo all take them from here.
package shells

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Shell is one shell: Argv starts a shell (`Argv... -c SCRIPT NAME ARGS`).
// For busybox, PathHead is a directory of busybox applet links that goes
// first on PATH, so tar, gzip, sha256sum, awk, sed ... are busybox's as in
// an alpine image; the language tools still come from the system PATH.
type Shell struct {
	Name     string
	Argv     []string
	PathHead string // prepended to PATH ("" for none)
}

// Command is the argv of `sh -c script name args...` under this shell.
func (s Shell) Command(script, name string, args ...string) []string {
	argv := append(append([]string{}, s.Argv...), "-c", script, name)
	return append(argv, args...)
}

// Env is BaseEnv with this shell's PathHead.
func (s Shell) Env() []string { return BaseEnv(s.PathHead) }

// All returns dash and busybox sh. A missing shell is an error naming how
// to install it: CI installs both (tests/install-deps.sh), and a caller
// never skips on it.
var All = sync.OnceValues(func() ([]Shell, error) {
	dash, err := exec.LookPath("dash")
	if err != nil {
		return nil, errors.New("dash is not installed; run tests/install-deps.sh (apt-get install -y dash)")
	}
	dir, err := BusyboxDir()
	if err != nil {
		return nil, err
	}
	return []Shell{
		{Name: "dash", Argv: []string{dash}},
		{Name: "busybox", Argv: []string{filepath.Join(dir, "sh")}, PathHead: dir},
	}, nil
})

// Named returns the shell called name ("dash" or "busybox").
func Named(name string) (Shell, error) {
	list, err := All()
	if err != nil {
		return Shell{}, err
	}
	for _, s := range list {
		if s.Name == name {
			return s, nil
		}
	}
	return Shell{}, fmt.Errorf("unknown shell %q (have dash, busybox)", name)
}

// BusyboxDir is a temporary directory of links to every busybox applet,
// made once per process.
var BusyboxDir = sync.OnceValues(func() (string, error) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return "", errors.New("busybox is not installed; run tests/install-deps.sh (apt-get install -y busybox-static)")
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return "", fmt.Errorf("busybox --list: %v", err)
	}
	dir, err := os.MkdirTemp("", "prewarm-busybox-applets-")
	if err != nil {
		return "", err
	}
	for _, applet := range strings.Fields(string(out)) {
		if err := os.Symlink(bb, filepath.Join(dir, applet)); err != nil {
			return "", err
		}
	}
	return dir, nil
})

// dropped are the variables that would steer the tools away from what a
// run sets (caches, proxies, indexes, HOME).
var dropped = []string{"PIP_", "PREWARM_", "npm_config_", "NPM_CONFIG_", "YARN_", "UV_", "POETRY_",
	"GOFLAGS=", "GOPROXY=", "GOMODCACHE=", "GOCACHE=", "GOPATH=", "GOENV=", "GONOSUMDB=", "GOPRIVATE=", "GOWORK=",
	"CARGO_HOME=", "CARGO_TARGET_DIR=", "MAVEN_", "HOME=", "VIRTUAL_ENV=", "PYTHONPATH=", "NODE_ENV=", "XDG_"}

// BaseEnv is the process environment without the variables above, with
// pathHead (if any) first on PATH and the Rust toolchain's bin last.
func BaseEnv(pathHead string) []string {
	path := os.Getenv("PATH")
	cargoBin, rustupHome := Rust()
	if cargoBin != "" && !strings.Contains(path, cargoBin) {
		path += ":" + cargoBin
	}
	if pathHead != "" {
		path = pathHead + ":" + path
	}
	// PATH and RUSTUP_HOME are set below, from what was found.
	env := append(Without(os.Environ(), slices.Concat(dropped, []string{"PATH=", "RUSTUP_HOME="})...), "PATH="+path)
	if rustupHome != "" {
		env = append(env, "RUSTUP_HOME="+rustupHome)
	}
	return env
}

// Without is env (KEY=VALUE entries) without the entries that start with
// one of prefixes ("GOPATH=" drops one variable, "PIP_" a family).
func Without(env []string, prefixes ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// Rust finds rustup's toolchain: ~/.cargo/bin ("" when absent), to go on
// PATH, and RUSTUP_HOME (as set, else ~/.rustup when present), which
// rustup's proxies need while the scripts set their own HOME.
func Rust() (cargoBin, rustupHome string) {
	home, err := os.UserHomeDir()
	if err == nil && isDir(filepath.Join(home, ".cargo", "bin")) {
		cargoBin = filepath.Join(home, ".cargo", "bin")
	}
	if v := os.Getenv("RUSTUP_HOME"); v != "" {
		rustupHome = v
	} else if err == nil && isDir(filepath.Join(home, ".rustup")) {
		rustupHome = filepath.Join(home, ".rustup")
	}
	return cargoBin, rustupHome
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Func returns the text of the top-level function NAME() { … } of a
// rendered script, from its name to the first line that is exactly "}"
// (that line included), or "" when the script has no such function.
func Func(script, name string) string {
	i := strings.Index(script, "\n"+name+"() {\n")
	if i < 0 {
		return ""
	}
	rest := script[i+1:]
	if j := strings.Index(rest, "\n}\n"); j >= 0 {
		return rest[:j+3]
	}
	return rest
}
