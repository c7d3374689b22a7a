// Package helmcli runs the helm CLI pinned in tools.mod (`go tool
// -modfile=tools.mod helm`) against a test control plane, with its own
// kubeconfig and helm home directories, as the kelos, live and demo
// programs do.
package helmcli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

// CLI is helm for one control plane.
type CLI struct {
	Root       string // the prewarm checkout, absolute
	Kubeconfig string
	Env        []string
}

// New writes a kubeconfig for cfg (context name) and the helm homes under
// dir; root is the checkout (made absolute).
func New(root, dir, name string, cfg *rest.Config) (*CLI, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	h := &CLI{Root: abs, Kubeconfig: filepath.Join(dir, "kubeconfig")}
	if err := cluster.WriteKubeconfig(h.Kubeconfig, name, cfg, ""); err != nil {
		return nil, err
	}
	h.Env = append(os.Environ(),
		"KUBECONFIG="+h.Kubeconfig,
		"HELM_CACHE_HOME="+filepath.Join(dir, "helm-cache"),
		"HELM_CONFIG_HOME="+filepath.Join(dir, "helm-config"),
		"HELM_DATA_HOME="+filepath.Join(dir, "helm-data"),
	)
	return h, nil
}

// Run executes `helm ARGS...` and returns its combined output. It does not
// take the test's context: cleanups (helm uninstall) run after that ends.
func (h *CLI) Run(args ...string) (string, error) {
	full := append([]string{"tool", "-modfile=" + filepath.Join(h.Root, "tools.mod"), "helm", "--kubeconfig", h.Kubeconfig}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", full...)
	cmd.Dir, cmd.Env = h.Root, h.Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Chart is the absolute path of charts/NAME.
func (h *CLI) Chart(name string) string { return filepath.Join(h.Root, "charts", name) }
