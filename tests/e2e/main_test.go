//go:build e2e

// Package e2e runs Task pods for real: a kube-apiserver + etcd control plane
// (tests/internal/cluster), and a node — containerd, runc, the CNI bridge,
// kubelet, kube-controller-manager, kube-scheduler — all built by
// `make node`, with images built on this machine (tests/images). Run it
// with `make e2e` (build tag e2e, so `go test ./...` in `make live` skips
// it).
package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
)

// repoRoot is the prewarm checkout, seen from this package's directory.
const repoRoot = "../.."

var (
	cp      *cluster.ControlPlane
	node    *cluster.Node
	prewarm string // the CLI, built from this checkout
	work    string // the suite's temp folder (hostPath volumes live here)
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) (code int) {
	if _, err := cluster.NodeBinDir(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	var err error
	if work, err = os.MkdirTemp("", "prewarm-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Pods as UID 61100 read hostPath volumes below it.
	_ = os.Chmod(work, 0o755)
	ctx := context.Background()
	step := func(what string, f func() error) bool {
		t0 := time.Now()
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s: %v\n", what, err)
			return false
		}
		fmt.Printf("e2e: %s (%.1fs)\n", what, time.Since(t0).Seconds())
		return true
	}
	var imageTar string
	if !step("build prewarm", func() error {
		prewarm = filepath.Join(work, "prewarm")
		return runCmd(repoRoot, "go", "build", "-o", prewarm, "./cmd/prewarm")
	}) || !step("build images", func() (err error) { imageTar, err = buildImages(); return err }) {
		os.RemoveAll(work)
		return 1
	}
	if !step("start control plane", func() error {
		dir := filepath.Join(work, "controlplane")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		cp, err = cluster.Start(ctx, dir)
		return err
	}) {
		os.RemoveAll(work)
		return 1
	}
	cleanup := func() (stopErr error, left string) {
		stopErr = node.Stop()
		cp.Stop()
		left = leftovers(node)
		os.RemoveAll(work)
		return stopErr, left
	}
	// ^C or a CI timeout's SIGTERM: clean up, then exit.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the node and the control plane\n", sig)
		err, left := cleanup()
		fmt.Fprintln(os.Stderr, "e2e: cleanup:", err, left)
		os.Exit(1)
	}()
	defer func() {
		signal.Stop(sigs)
		t0 := time.Now()
		if code != 0 && node != nil {
			fmt.Fprint(os.Stderr, node.LogTail(30), cp.LogTail(20))
		}
		stopErr, left := cleanup()
		if stopErr != nil || left != "" {
			fmt.Fprintf(os.Stderr, "e2e: cleanup incomplete: %v %s\n", stopErr, left)
			code = 1
			return
		}
		if node != nil {
			fmt.Printf("e2e: stopped; nothing left (processes, mounts, network namespaces, bridge %s) (%.1fs)\n", node.Bridge, time.Since(t0).Seconds())
		}
	}()
	ok := step("start containerd", func() error {
		dir := filepath.Join(work, "node")
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		node, err = cluster.StartContainerd(ctx, cp, dir)
		return err
	}) && step("import images", func() error { return node.ImportImages(ctx, imageTar) }) &&
		step("start kubelet, controller-manager, scheduler; node Ready", func() error { return node.Start(ctx) }) &&
		step("install CRDs", installCRDs)
	if !ok {
		return 1
	}
	code = m.Run()
	printReadyTable()
	return code
}

// buildImages writes the images tarball once per content: the key covers
// the image code (tests/images) and the host tools copied into them.
func buildImages() (string, error) {
	cache := os.Getenv("PREWARM_E2E_IMAGE_CACHE")
	if cache == "" {
		cache = filepath.Join(work, "images")
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	h := sha256.New()
	code, err := filepath.Glob("../images/*.go")
	if err != nil {
		return "", err
	}
	for _, f := range code {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	for _, c := range [][]string{{"node", "--version"}, {"npm", "--version"}, {"go", "version"}, {"git", "--version"}, {"busybox"}, {"tini-static", "--version"}, {"/usr/bin/python3.11", "--version"}, {"mvn", "--version"}, {images.CargoBin, "--version"}, {images.RustcBin, "--version"}} {
		out, _ := exec.Command(c[0], c[1:]...).CombinedOutput()
		h.Write([]byte(strings.SplitN(string(out), "\n", 2)[0]))
	}
	path := filepath.Join(cache, "e2e-images-"+hex.EncodeToString(h.Sum(nil))[:16]+".tar")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return path, images.WriteTarball(path)
}

func runCmd(dir, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, out)
	}
	return nil
}
