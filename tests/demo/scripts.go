package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"

	"github.com/prewarm-dev/prewarm/tests/internal/shells"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// ecosystem is one preset the demo runs, on one fixture.
type ecosystem struct {
	preset  string   // setup container prewarm-<preset>
	fixture string   // folder under --fixtures
	tools   []string // needed on PATH
}

var ecosystems = []ecosystem{
	{preset: "npm", fixture: "npm-medium", tools: []string{"node", "npm"}},
	{preset: "gomod", fixture: "go-medium", tools: []string{"go"}},
}

// summaryRE matches the one stdout line a preset script prints per workdir.
var summaryRE = regexp.MustCompile(`^prewarm: (\S+) key=(\S+) result=(\S+) seconds=([0-9.]+) workdir=(\S+)(.*)$`)

type summary struct {
	eco, key, result, workdir, extra string
	seconds                          float64
}

type scriptRun struct {
	summaries []summary
	wall      time.Duration
}

// seconds is the scripts' own time over all workdirs.
func (r scriptRun) seconds() float64 {
	var s float64
	for _, x := range r.summaries {
		s += x.seconds
	}
	return s
}

func (r scriptRun) result() string {
	var res []string
	for _, x := range r.summaries {
		res = append(res, x.result)
	}
	return strings.Join(res, ",")
}

// runScripts is step 4: each preset's script, as the live Workspace carries
// it, runs twice on a fresh copy of its fixture with one cache folder.
// job is the Task pod rendered from the live objects: it gives each
// container's env and working directory.
func (d *demo) runScripts(ctx context.Context, ws *v1alpha2.Workspace, job *batchv1.Job) error {
	d.ui.heading(4, "The setup scripts, for real: npm and Go, twice each on one cache")
	for _, e := range ecosystems {
		for _, t := range e.tools {
			if _, err := exec.LookPath(t); err != nil {
				return fmt.Errorf("%s is not installed: the demo runs the %s setup script for real (install it, or use --quick)", t, e.preset)
			}
		}
	}
	d.ui.line("Each run is a new Task pod, on this machine: the live Workspace's setup command")
	d.ui.line("(sh -c SCRIPT prewarm-<preset>) with the pod's env, a fresh copy of %s/<fixture>", displayPath(d.cfg.root, d.cfg.fixtures))
	d.ui.line("as /workspace/repo (one folder, emptied for each pod, as a pod's emptyDir), and one folder")
	d.ui.line("per cache PVC that both runs share. Cold runs download")
	d.ui.line("from the npm registry and the Go module proxy: ~30 s for npm, 2-4 min for Go (client-go) on 2 cores.")
	d.ui.printf("\n")

	type row struct {
		eco        string
		cold, warm scriptRun
	}
	var rows []row
	for _, e := range ecosystems {
		setup, init, err := findSetup(ws, job, "prewarm-"+e.preset)
		if err != nil {
			return err
		}
		var runs [2]scriptRun
		for i := range runs {
			// Every Task pod mounts its workspace at the same path
			// (/workspace), empty: so does every run here. Go's build
			// cache keys hold the module cache's path, and the gomod
			// preset gives the agent per-pod paths under the workspace.
			// The previous pod's folder is moved aside, not deleted (the
			// kubelet removes an old pod's volume apart from the new
			// pod's start); the demo's folder goes at the end.
			pod := d.podDir(e)
			if err := os.Rename(pod, fmt.Sprintf("%s.gone-%d", pod, i)); err != nil && !os.IsNotExist(err) {
				return err
			}
			what := "new pod, empty cache  "
			if i == 1 {
				what = "new pod, same cache   "
			}
			prefix := fmt.Sprintf("  %-6s run %d/2  %s… ", e.preset, i+1, what)
			done := d.ui.progress(prefix)
			if d.cfg.verbose {
				d.ui.printf("\n")
			}
			r, err := d.runSetup(ctx, ws, setup, init, e, pod)
			done()
			if d.cfg.verbose {
				d.ui.printf("%s", prefix)
			}
			if err != nil {
				d.ui.printf("%s\n", failedOr(ctx))
				return err
			}
			runs[i] = r
			var extra []string
			for _, s := range r.summaries {
				if x := strings.TrimSpace(s.extra); x != "" {
					extra = append(extra, x)
				}
			}
			d.ui.printf("%6s  result=%-8s %s\n", fmtDuration(r.wall), r.result(), strings.Join(extra, " "))
		}
		rows = append(rows, row{eco: e.preset, cold: runs[0], warm: runs[1]})
		if e.preset == "gomod" {
			if err := d.agentBuild(ctx, ws, job, e); err != nil {
				return err
			}
		}
	}

	d.ui.printf("\n")
	table := [][]string{{"ecosystem", "cold s", "warm/snapshot s", "speed-up", "result(2nd)"}}
	for _, r := range rows {
		speed := "-"
		if w := r.warm.seconds(); w > 0 {
			speed = fmt.Sprintf("%.1fx", r.cold.seconds()/w)
		}
		table = append(table, []string{r.eco, fmt.Sprintf("%.1f", r.cold.seconds()), fmt.Sprintf("%.1f", r.warm.seconds()), speed, r.warm.result()})
	}
	d.ui.table(table, 1, 2, 3)
	d.ui.line("(seconds from the scripts' own summary lines: prewarm: <eco> key=… result=… seconds=…)")
	var sizes []string
	for _, v := range ws.Spec.Volumes {
		if c := v.Source.PersistentVolumeClaim; c != nil {
			sizes = append(sizes, fmt.Sprintf("%s %s", c.ClaimName, tree.Human(dirSize(d.path("pvc", c.ClaimName)))))
		}
	}
	d.ui.line("cache PVC contents after both runs: %s", strings.Join(sizes, ", "))
	return nil
}

// findSetup returns the Workspace's setup entry called name and the init
// container the rendered pod runs for it (same command, merged env).
func findSetup(ws *v1alpha2.Workspace, job *batchv1.Job, name string) (v1alpha2.SetupContainer, corev1.Container, error) {
	var setup *v1alpha2.SetupContainer
	for i := range ws.Spec.Setup {
		if ws.Spec.Setup[i].Name == name {
			setup = &ws.Spec.Setup[i]
		}
	}
	if setup == nil {
		return v1alpha2.SetupContainer{}, corev1.Container{}, fmt.Errorf("the live Workspace has no setup container %s (is the preset enabled in %s?)", name, "examples/demo/values.yaml")
	}
	if c := setup.Command; len(c) < 3 || c[0] != "sh" || c[1] != "-c" {
		return *setup, corev1.Container{}, fmt.Errorf("setup container %s runs %q, want sh -c SCRIPT", name, c)
	}
	for _, c := range job.Spec.Template.Spec.InitContainers {
		if c.Name == name {
			return *setup, c, nil
		}
	}
	return *setup, corev1.Container{}, fmt.Errorf("the rendered pod has no init container %s", name)
}

// podDir is the folder standing in for the /workspace of ecosystem e's
// pods: the same for each of its pods, as /workspace is in the cluster.
func (d *demo) podDir(e ecosystem) string { return d.path("pods", e.preset) }

// pathMap maps the pod's paths to folders on this machine: /workspace to
// the pod's folder, each volume's mountPath to one folder per claim.
type pathMap [][2]string // longest prefix first

func (d *demo) podPaths(ws *v1alpha2.Workspace, pod string) (pathMap, error) {
	m := pathMap{{podtemplate.WorkspaceMount, filepath.Join(pod, "workspace")}}
	for _, v := range ws.Spec.Volumes {
		name := v.Name
		if c := v.Source.PersistentVolumeClaim; c != nil {
			name = c.ClaimName
		}
		dir := d.path("pvc", name, v.SubPath)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		m = append(m, [2]string{v.MountPath, dir})
	}
	sort.SliceStable(m, func(i, j int) bool { return len(m[i][0]) > len(m[j][0]) })
	return m, nil
}

func (m pathMap) apply(v string) string {
	for _, p := range m {
		if v == p[0] || strings.HasPrefix(v, p[0]+"/") {
			return p[1] + strings.TrimPrefix(v, p[0])
		}
	}
	return v
}

// hostEnvDrop are variables of the demo's own environment a pod would not
// have and that would steer the tools away from the pod's paths.
var hostEnvDrop = []string{"PREWARM_", "npm_config_", "NPM_CONFIG_", "YARN_", "PNPM_", "NODE_ENV=",
	"GOFLAGS=", "GOMODCACHE=", "GOCACHE=", "GOPATH=", "GOENV=", "GOWORK=", "HOME=", "XDG_", "TMPDIR="}

// podEnv is the demo's environment without hostEnvDrop, plus the
// container's env with paths mapped. Network settings (GOPROXY, proxies)
// stay, so the demo works where the machine needs them.
func (d *demo) podEnv(c corev1.Container, m pathMap, extra ...string) ([]string, error) {
	env := append(shells.Without(os.Environ(), hostEnvDrop...), "TMPDIR="+d.path("tmp"))
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return nil, fmt.Errorf("container %s: env %s comes from %v, which the demo cannot resolve locally", c.Name, e.Name, e.ValueFrom)
		}
		env = append(env, e.Name+"="+m.apply(e.Value))
	}
	return append(env, extra...), nil
}

// runSetup runs one setup container's script in a new pod folder.
func (d *demo) runSetup(ctx context.Context, ws *v1alpha2.Workspace, setup v1alpha2.SetupContainer, c corev1.Container, e ecosystem, pod string) (scriptRun, error) {
	m, err := d.podPaths(ws, pod)
	if err != nil {
		return scriptRun{}, err
	}
	repo := m.apply(podtemplate.RepoDir)
	if err := tree.Copy(filepath.Join(d.cfg.fixtures, e.fixture), repo); err != nil {
		return scriptRun{}, err
	}
	env, err := d.podEnv(c, m)
	if err != nil {
		return scriptRun{}, err
	}
	// sh -c SCRIPT NAME ARGS..., exactly the container's command and args.
	argv := append(append([]string{}, setup.Command[1:]...), setup.Args...)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, setup.Command[0], argv...)
	cmd.Dir = m.apply(c.WorkingDir)
	cmd.Env = env
	killGroupOnCancel(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if d.cfg.verbose {
		cmd.Stderr = io.MultiWriter(&stderr, &prefixWriter{u: d.ui, prefix: "      | "})
	}
	t0 := time.Now()
	err = cmd.Run()
	r := scriptRun{wall: time.Since(t0)}
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	if err != nil {
		return r, fmt.Errorf("%s setup script: %v\n--- stdout\n%s--- stderr (last lines)\n%s", e.preset, err, stdout.String(), tail(stderr.String(), 30))
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if mm := summaryRE.FindStringSubmatch(sc.Text()); mm != nil {
			secs, _ := strconv.ParseFloat(mm[4], 64)
			r.summaries = append(r.summaries, summary{eco: mm[1], key: mm[2], result: mm[3], seconds: secs, workdir: mm[5], extra: mm[6]})
		}
	}
	if len(r.summaries) == 0 {
		return r, fmt.Errorf("%s setup script printed no summary line\n--- stdout\n%s--- stderr (last lines)\n%s", e.preset, stdout.String(), tail(stderr.String(), 30))
	}
	return r, nil
}

// agentBuild times the agent's first `go build ./...` in the second pod,
// with the agent container's env and the network proxy off: every module
// and compiled package must come from the cache.
func (d *demo) agentBuild(ctx context.Context, ws *v1alpha2.Workspace, job *batchv1.Job, e ecosystem) error {
	m, err := d.podPaths(ws, d.podDir(e))
	if err != nil {
		return err
	}
	agent := job.Spec.Template.Spec.Containers[0]
	env, err := d.podEnv(agent, m, "GOPROXY=off")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.apply(podtemplate.HomeDir), 0o755); err != nil {
		return err
	}
	done := d.ui.progress(fmt.Sprintf("  %-6s agent's first `go build ./...` in pod 2, GOPROXY=off… ", e.preset))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "./...")
	cmd.Dir = m.apply(agent.WorkingDir)
	cmd.Env = env
	killGroupOnCancel(cmd)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	done()
	if err != nil {
		d.ui.printf("%s\n", failedOr(ctx))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("the agent's go build on the warm cache failed: %v\n%s", err, tail(string(out), 20))
	}
	d.ui.printf("%s\n", fmtDuration(time.Since(t0)))
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// displayPath shows p relative to the checkout when that is short.
func displayPath(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && strings.Count(r, "..") <= 2 {
		return r
	}
	return p
}

// prefixWriter streams lines with a prefix (--verbose script logs).
type prefixWriter struct {
	u      *ui
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.u.printf("%s%s\n", w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}
