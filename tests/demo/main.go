// Command demo is `make demo`: it starts a real etcd + kube-apiserver
// v1.37.2 on 127.0.0.1 (tests/internal/cluster), installs the Workspace CRD
// and the prewarm-workspace chart with examples/demo/values.yaml, shows the
// Workspace and the Task pod it yields (admitted, dry-run, under Pod
// Security "restricted"), then runs the Workspace's npm and Go setup
// scripts locally twice on one cache to show cold against warm. It stops
// everything it started, also on Ctrl-C and on failure.
//
//	cd tests && go run ./demo [--quick] [--verbose]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/cluster"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

const kubeVersion = "v1.37.2"

// Exit codes: 0 success, 1 failure, 2 usage, 130 interrupted (like a shell).
const (
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

type config struct {
	root     string // the prewarm checkout
	fixtures string // holds npm-medium and go-medium
	values   string // prewarm-workspace values
	quick    bool
	verbose  bool
	keepWork bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	u := &ui{out: stdout, verbose: cfg.verbose, tty: isTerminal(stdout), start: time.Now()}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := handleSignals(cancel, stderr)

	d := &demo{cfg: cfg, ui: u}
	err = d.run(ctx)
	d.cleanup()
	switch {
	case interrupted.Load():
		fmt.Fprintln(stderr, "demo: interrupted; everything it started is stopped and removed")
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "\ndemo failed: %v\n", err)
		return exitFailed
	}
	u.printf("\ndone in %s; nothing left running.\n", u.since())
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fl := flag.NewFlagSet("demo", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, `usage: demo [--quick] [--verbose] [--repo DIR] [--fixtures DIR]

Starts a real kube-apiserver `+kubeVersion+` + etcd on 127.0.0.1, installs the
prewarm-workspace chart, shows the Workspace and its Task pod (admitted under
Pod Security restricted), then runs the npm and Go setup scripts twice on one
cache: cold, then warm. Stops everything on exit and on Ctrl-C.

`)
		fl.PrintDefaults()
	}
	fl.BoolVar(&cfg.quick, "quick", false, "skip the setup script runs (about 3 minutes the first time)")
	fl.BoolVar(&cfg.verbose, "verbose", false, "print full objects (Workspace, PVCs, Job), helm output and the scripts' logs")
	fl.StringVar(&cfg.root, "repo", "", "prewarm checkout (default: found from the working directory)")
	fl.StringVar(&cfg.fixtures, "fixtures", "", "folder with npm-medium and go-medium (default: <repo>/tests/testdata/fixtures)")
	fl.StringVar(&cfg.values, "values", "", "prewarm-workspace values (default: <repo>/examples/demo/values.yaml)")
	fl.BoolVar(&cfg.keepWork, "keep", false, "keep the work folder (caches, checkouts, logs) instead of removing it")
	if err := fl.Parse(args); err != nil {
		return cfg, err
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return cfg, fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	var err error
	if cfg.root == "" {
		if cfg.root, err = findRoot(); err != nil {
			return cfg, err
		}
	}
	if cfg.root, err = filepath.Abs(cfg.root); err != nil {
		return cfg, err
	}
	if cfg.fixtures == "" {
		cfg.fixtures = filepath.Join(cfg.root, "tests", "testdata", "fixtures")
	}
	if cfg.values == "" {
		cfg.values = filepath.Join(cfg.root, "examples", "demo", "values.yaml")
	}
	for _, p := range []*string{&cfg.fixtures, &cfg.values} {
		if *p, err = filepath.Abs(*p); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// findRoot walks up from the working directory to the prewarm checkout.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if isRoot(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no prewarm checkout (tools.mod + charts/prewarm-workspace) at or above %s; pass --repo", dir)
		}
	}
}

func isRoot(d string) bool {
	for _, f := range []string{"tools.mod", "charts/prewarm-workspace/Chart.yaml", "config/crd"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			return false
		}
	}
	return true
}

// handleSignals cancels the demo on the first SIGINT/SIGTERM so every step
// unwinds and the deferred cleanup stops the control plane; a second one
// exits at once (the children then die by Pdeathsig). A closed stdout
// (SIGPIPE, e.g. `make demo | head`) also cancels and cleans up, instead
// of killing the demo before its cleanup.
func handleSignals(cancel context.CancelFunc, stderr io.Writer) *atomic.Bool {
	var got atomic.Bool
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	go func() {
		interrupts := 0
		for sig := range ch {
			first := !got.Swap(true)
			if sig == syscall.SIGPIPE {
				cancel()
				continue
			}
			interrupts++
			switch {
			case interrupts == 1:
				if first {
					fmt.Fprintf(stderr, "\n%v: stopping the control plane and removing temp files (again to force)…\n", sig)
				}
				cancel()
			default:
				fmt.Fprintln(stderr, "forced exit: the control plane dies with this process; the work folder may remain")
				os.Exit(exitInterrupted)
			}
		}
	}()
	return &got
}

// demo holds what one run started, so cleanup can undo it.
type demo struct {
	cfg  config
	ui   *ui
	work string // temp folder holding everything this run writes
	cp   *cluster.ControlPlane
}

func (d *demo) run(ctx context.Context) error {
	if err := d.preflight(); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "prewarm-demo-")
	if err != nil {
		return err
	}
	d.work = work
	// Children (helm, go, npm, the scripts) put their temp files here too,
	// so removing the work folder removes everything the run wrote.
	if err := os.MkdirAll(d.path("tmp"), 0o755); err != nil {
		return err
	}
	d.ui.printf("prewarm demo: a Kelos Workspace with npm + Go caches, on a real kube-apiserver %s\n", kubeVersion)
	d.ui.printf("work folder %s (removed at the end)\n", work)

	k, err := d.startCluster(ctx)
	if err != nil {
		return err
	}
	ws, err := d.installChart(ctx, k)
	if err != nil {
		return err
	}
	job, err := d.showTaskPod(ctx, k, ws)
	if err != nil {
		return err
	}
	if d.cfg.quick {
		d.ui.heading(4, "Setup scripts: skipped (--quick)")
		return nil
	}
	return d.runScripts(ctx, ws, job)
}

// preflight fails before anything starts when an input is missing.
func (d *demo) preflight() error {
	if _, _, err := cluster.Binaries(); err != nil {
		if os.Getenv(cluster.EnvDir) == "" {
			def := filepath.Join(d.cfg.root, ".cache", "controlplane", kubeVersion)
			if _, statErr := os.Stat(filepath.Join(def, "kube-apiserver")); statErr == nil {
				os.Setenv(cluster.EnvDir, def)
				return d.preflight()
			}
		}
		return fmt.Errorf("no control plane binaries in %s=%q\n  build them with `make controlplane` (etcd + kube-apiserver %s from the Go module proxy, about 5 minutes, once), or run `make demo`", cluster.EnvDir, os.Getenv(cluster.EnvDir), kubeVersion)
	}
	if _, err := os.Stat(d.cfg.values); err != nil {
		return fmt.Errorf("values file: %w", err)
	}
	if !d.cfg.quick {
		for _, f := range []string{"npm-medium/package-lock.json", "go-medium/go.mod"} {
			if _, err := os.Stat(filepath.Join(d.cfg.fixtures, f)); err != nil {
				return fmt.Errorf("fixture missing: %v\n  the demo runs the setup scripts on tests/testdata/fixtures; pass --fixtures DIR or --quick", err)
			}
		}
	}
	return nil
}

func (d *demo) path(elem ...string) string {
	return filepath.Join(append([]string{d.work}, elem...)...)
}

// childEnv is the environment of helper processes: the demo's own, with
// temp files inside the work folder.
func (d *demo) childEnv(extra ...string) []string {
	env := withoutVars(os.Environ(), "TMPDIR")
	env = append(env, "TMPDIR="+d.path("tmp"))
	return append(env, extra...)
}

// cleanup stops the control plane (by PID, through the harness) and removes
// the work folder. Safe after a partial run.
func (d *demo) cleanup() {
	if d.cp != nil {
		d.ui.printf("\nstopping kube-apiserver and etcd… ")
		d.cp.Stop()
		d.ui.printf("stopped\n")
	}
	if d.work == "" {
		return
	}
	if d.cfg.keepWork {
		d.ui.printf("kept the work folder %s (--keep)\n", d.work)
		return
	}
	if err := tree.RemoveAll(d.work); err != nil {
		fmt.Fprintf(os.Stderr, "demo: could not remove %s: %v\n", d.work, err)
		return
	}
	d.ui.printf("removed %s\n", d.work)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// withoutVars drops NAME=... entries for the given names.
func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// failedOr words a step that did not finish: interrupted or failed.
func failedOr(ctx context.Context) string {
	if ctx.Err() != nil {
		return "interrupted"
	}
	return "failed"
}
