package live

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/prewarm-dev/prewarm/pkg/api/v1alpha2"
	"github.com/prewarm-dev/prewarm/pkg/podtemplate"
	"github.com/prewarm-dev/prewarm/pkg/presets"
	"github.com/prewarm-dev/prewarm/pkg/report"
	templatesgo "github.com/prewarm-dev/prewarm/templates-go"

	"github.com/prewarm-dev/prewarm/tests/internal/prewarmcli"
	"github.com/prewarm-dev/prewarm/tests/internal/run"
	"github.com/prewarm-dev/prewarm/tests/internal/scrape"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// reportNS holds the Task pods of the report and exporter tests.
const reportNS = "report-live"

// reportPod is one pod of the fixture: a Task pod rendered by
// pkg/podtemplate, a Kelos-style Task pod, or a pod that is no Task.
type reportPod struct {
	name     string
	kind     string            // prewarm, kelos or other
	messages map[string]string // init container -> termination message
	finished time.Time
}

var reportT0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// reportPods: npm+gomod Workspace "web" (prewarm pods), Kelos Task pods of
// github.com/acme/api (no Workspace label), and one pod that is no Task but
// carries a summary line (it must be ignored).
func reportPods(realLine string) []reportPod {
	at := func(m int) time.Time { return reportT0.Add(time.Duration(m) * time.Minute) }
	return []reportPod{
		{name: "web-t1", kind: "prewarm", finished: at(0), messages: map[string]string{
			"prewarm-npm":   "prewarm: npm key=aaaaaaaaaaaaaaaaaaaa result=cold seconds=41.5 workdir=. cache=writable pm=npm packages=446\n",
			"prewarm-gomod": realLine}},
		{name: "web-t2", kind: "prewarm", finished: at(10), messages: map[string]string{
			"prewarm-npm":   "prewarm: npm key=aaaaaaaaaaaaaaaaaaaa result=snapshot seconds=2.5 workdir=. cache=writable pm=npm packages=446\n",
			"prewarm-gomod": strings.Replace(realLine, "result=cold", "result=warm", 1)}},
		{name: "web-t3", kind: "prewarm", finished: at(20), messages: map[string]string{
			"prewarm-npm":   "prewarm: npm key=bbbbbbbbbbbbbbbbbbbb result=cold seconds=38.0 workdir=. cache=writable pm=npm packages=447\n",
			"prewarm-gomod": strings.Replace(realLine, "result=cold", "result=warm", 1)}},
		{name: "api-t1", kind: "kelos", finished: at(30), messages: map[string]string{
			"prewarm-pip": "prewarm: pip key=cccccccccccccccccccc result=fallback seconds=20.0 workdir=. cache=unwritable tool=pip\n"}},
		{name: "api-t2", kind: "kelos", finished: at(40), messages: map[string]string{
			"prewarm-pip": "prewarm: pip key=cccccccccccccccccccc result=snapshot seconds=1.0 workdir=. cache=writable tool=pip\n"}},
		{name: "warmer-1", kind: "other", finished: at(50), messages: map[string]string{
			"prewarm-npm": "prewarm: npm key=dddddddddddddddddddd result=cold seconds=99.0 workdir=. cache=writable pm=npm\n"}},
	}
}

// realGomodLine runs the real gomod setup script (as the setup container
// would, on the host) on an empty module and returns its termination
// message, so at least one message in the fixture is what a script wrote.
func realGomodLine(t *testing.T) string {
	t.Helper()
	script, err := presets.Script("gomod")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	repo, term := filepath.Join(dir, "repo"), filepath.Join(dir, "termination-log")
	if err := tree.WriteFiles(dir, map[string]string{"repo/go.mod": "module example.com/web\n\ngo 1.22\n", "termination-log": ""}); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PREWARM_REPO="+repo, "PREWARM_CACHE="+filepath.Join(dir, "cache"),
		"PREWARM_HOME="+filepath.Join(dir, "home"), "PREWARM_CACHE_MIN_FREE_MB=1",
		"PREWARM_TERMINATION_LOG="+term, "GOTOOLCHAIN=local")
	if r, err := run.Exec(t.Context(), repo, env, 5*time.Minute, "sh", "-c", script, "prewarm-gomod"); err != nil || r.Code != 0 {
		t.Fatalf("gomod script: %v\n%s", err, r)
	}
	msg, err := os.ReadFile(term)
	if err != nil {
		t.Fatal(err)
	}
	l, err := report.ParseLine(strings.TrimSpace(string(msg)))
	if err != nil || l.Result != "cold" {
		t.Fatalf("the real gomod line %q: %v (want result=cold on an empty cache)", msg, err)
	}
	// Fix the elapsed time so the expected table is exact.
	return strings.Replace(string(msg), fmt.Sprintf("seconds=%s ", secondsField(string(msg))), "seconds=3.0 ", 1)
}

func secondsField(line string) string {
	_, rest, _ := strings.Cut(line, " seconds=")
	v, _, _ := strings.Cut(rest, " ")
	return v
}

// createReportPods creates the fixture's pods and writes their init
// container statuses through the status subresource, as the kubelet does.
func createReportPods(t *testing.T, cs kubernetes.Interface, pods []reportPod) map[string]*corev1.Pod {
	t.Helper()
	out := map[string]*corev1.Pod{}
	for _, rp := range pods {
		pod := reportPodSpec(t, rp)
		created, err := cs.CoreV1().Pods(reportNS).Create(t.Context(), pod, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("create pod %s: %v", rp.name, err)
		}
		created.Status.Phase = corev1.PodRunning
		for _, c := range created.Spec.InitContainers {
			st := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "docker.io/library/x@sha256:" + strings.Repeat("0", 64),
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 0, Reason: "Completed", StartedAt: metav1.NewTime(rp.finished.Add(-time.Minute)),
					FinishedAt: metav1.NewTime(rp.finished), Message: rp.messages[c.Name]}}}
			created.Status.InitContainerStatuses = append(created.Status.InitContainerStatuses, st)
		}
		updated, err := cs.CoreV1().Pods(reportNS).UpdateStatus(t.Context(), created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status of pod %s: %v", rp.name, err)
		}
		if n := len(updated.Status.InitContainerStatuses); n != len(updated.Spec.InitContainers) {
			t.Fatalf("pod %s: the API server kept %d init container statuses, want %d", rp.name, n, len(updated.Spec.InitContainers))
		}
		out[rp.name] = updated
	}
	return out
}

// reportPodSpec: prewarm pods are `prewarm pod` output (pkg/podtemplate
// with the npm and gomod presets); Kelos pods follow what Kelos' job
// builder sets (kelos.dev/component=task, no Workspace label, git-clone
// args ending "-- <repo> /workspace/repo"; see docs/observability.md).
func reportPodSpec(t *testing.T, rp reportPod) *corev1.Pod {
	t.Helper()
	switch rp.kind {
	case "prewarm":
		ws := &v1alpha2.Workspace{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: reportNS},
			Spec: v1alpha2.WorkspaceSpec{Repo: "https://github.com/acme/web.git"}}
		if err := presets.Apply(ws, map[string]presets.Options{"npm": {Enabled: true}, "gomod": {Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		task := &v1alpha2.Task{ObjectMeta: metav1.ObjectMeta{Name: rp.name, Namespace: reportNS},
			Spec: v1alpha2.TaskSpec{Type: "claude-code", Prompt: "fix it", WorkspaceRef: &v1alpha2.WorkspaceReference{Name: ws.Name}}}
		job, err := podtemplate.Render(ws, task, podtemplate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		job.Namespace = reportNS
		return podFor(job)
	case "kelos":
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: rp.name, Namespace: reportNS, Labels: map[string]string{
				"kelos.dev/name": "kelos", "kelos.dev/component": "task", "kelos.dev/managed-by": "kelos-controller", "kelos.dev/task": rp.name}},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				InitContainers: []corev1.Container{
					{Name: "git-clone", Image: "alpine/git:v2.47.2", Args: []string{"clone", "--depth", "1", "--", "https://github.com/acme/api.git", "/workspace/repo"}},
					{Name: "prewarm-pip", Image: "python:3.13-slim", Command: []string{"sh", "-c", "true"}},
				},
				Containers: []corev1.Container{{Name: "kelos-agent", Image: "ghcr.io/kelos-dev/claude-code:v0.9.0"}}},
		}
	default:
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: rp.name, Namespace: reportNS, Labels: map[string]string{"app.kubernetes.io/component": "warmer"}},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				InitContainers: []corev1.Container{{Name: "prewarm-npm", Image: "node:22", Command: []string{"sh", "-c", "true"}}},
				Containers:     []corev1.Container{{Name: "warm", Image: "node:22"}}},
		}
	}
}

// prewarmBin builds bin/prewarm from this checkout once per test binary.
func prewarmBin(t *testing.T) string {
	t.Helper()
	bin, err := prewarmcli.Build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var reportFixtureOnce sync.Once

// setupReportFixture creates the namespace and pods once; both tests read it.
func setupReportFixture(t *testing.T) (kubeconfig string) {
	t.Helper()
	cs := clientset(t, cp.Config())
	reportFixtureOnce.Do(func() {
		ensureNamespace(t, reportNS, nil)
		createReportPods(t, cs, reportPods(realGomodLine(t)))
	})
	return chartsWriteKubeconfig(t, t.TempDir())
}

const wantReportTable = `NAMESPACE    WORKSPACE                        PRESET  TASKS  SNAPSHOT  WARM  COLD  FALLBACK  P50    P90    LAST COLD START              WHY
report-live  https://github.com/acme/api.git  pip     2      50%       0%    0%    50%       1.0s   20.0s  api-t1 2026-11-30T09:30:00Z  cache unwritable
report-live  web                              gomod   3      0%        67%   33%   0%        3.0s   3.0s   web-t1 2026-11-30T09:00:00Z  cache empty
report-live  web                              npm     3      33%       0%    67%   0%        38.0s  41.5s  web-t3 2026-11-30T09:20:00Z  key changed
`

// TestReportLive: `prewarm report` against the real API server prints the
// expected table and JSON for the Task pods and ignores the other pod.
func TestReportLive(t *testing.T) {
	kc := setupReportFixture(t)
	bin := prewarmBin(t)
	out := runPrewarm(t, bin, "report", "--kubeconfig", kc, "-n", reportNS)
	if diff := cmp.Diff(wantReportTable, out); diff != "" {
		t.Errorf("prewarm report (-want +got):\n%s", diff)
	}
	// -A sees the same pods (no other namespace has Task pods with results).
	if out := runPrewarm(t, bin, "report", "--kubeconfig", kc, "-A"); !strings.Contains(out, "key changed") || strings.Contains(out, "warmer") {
		t.Errorf("prewarm report -A:\n%s", out)
	}
	// -l narrows to the prewarm pods' Workspace.
	if out := runPrewarm(t, bin, "report", "--kubeconfig", kc, "-n", reportNS, "-l", "kelos.dev/workspace=web"); strings.Contains(out, "acme/api") || !strings.Contains(out, "gomod") {
		t.Errorf("prewarm report -l kelos.dev/workspace=web:\n%s", out)
	}
	js := runPrewarm(t, bin, "report", "--kubeconfig", kc, "-n", reportNS, "-o", "json")
	for _, want := range []string{`"workspace": "web"`, `"preset": "npm"`, `"tasks": 3`, `"reason": "key changed"`, `"finished": "2026-11-30T09:20:00Z"`, `"medianSeconds": 38`, `"p90Seconds": 41.5`} {
		if !strings.Contains(js, want) {
			t.Errorf("prewarm report -o json lacks %s:\n%s", want, js)
		}
	}
	if strings.Contains(js, "warmer") || strings.Contains(js, "dddd") {
		t.Errorf("the non-Task pod leaked into the report:\n%s", js)
	}
}

func runPrewarm(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("prewarm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestExporterLive runs `prewarm exporter` against the same API server,
// scrapes /metrics over 127.0.0.1, parses it with Prometheus' text parser
// and checks the counters (the non-Task pod ignored), the histogram, the
// cache usage the real pruner recorded, that a status update does not count
// a pod twice, and a graceful stop on SIGTERM.
func TestExporterLive(t *testing.T) {
	kc := setupReportFixture(t)
	bin := prewarmBin(t)

	// A cache volume the real pruner ran on.
	cacheDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(cacheDir, "blob"), make([]byte, 256<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	prune, err := templatesgo.Execute("prewarm.script.prune", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	pcmd := exec.Command("sh", "-c", prune, "prune")
	pcmd.Env = append(os.Environ(), "PREWARM_CACHE="+cacheDir, "PREWARM_PRUNE_MAX_BYTES=1048576")
	pruneOut, err := pcmd.Output()
	if err != nil {
		t.Fatalf("pruner: %v", err)
	}
	pl, err := report.ParsePrune(string(pruneOut))
	if err != nil {
		t.Fatal(err)
	}

	addr := freeLoopbackAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "exporter", "--kubeconfig", kc, "-n", reportNS, "--listen", addr, "--cache", "npm="+cacheDir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	want := map[string]float64{
		`{ecosystem="gomod",namespace="report-live",result="cold",workspace="web"}`:                               1,
		`{ecosystem="gomod",namespace="report-live",result="warm",workspace="web"}`:                               2,
		`{ecosystem="npm",namespace="report-live",result="cold",workspace="web"}`:                                 2,
		`{ecosystem="npm",namespace="report-live",result="snapshot",workspace="web"}`:                             1,
		`{ecosystem="pip",namespace="report-live",result="fallback",workspace="https://github.com/acme/api.git"}`: 1,
		`{ecosystem="pip",namespace="report-live",result="snapshot",workspace="https://github.com/acme/api.git"}`: 1,
	}
	families := scrapeUntil(t, "http://"+addr, exited, &stderr, func(f map[string]*dto.MetricFamily) bool {
		return len(counterSeries(f)) >= len(want)
	})
	if diff := cmp.Diff(want, counterSeries(families)); diff != "" {
		t.Errorf("prewarm_setup_total (-want +got):\n%s", diff)
	}
	for name := range families {
		if !servedName(name) && name != "promhttp_metric_handler_errors_total" { // promhttp's own error counter
			t.Errorf("the exporter serves %s, which report.MetricNames does not list (the dashboard test relies on it)", name)
		}
	}
	if h := families[report.MetricSetupSeconds]; h == nil || len(h.Metric) != 3 {
		t.Errorf("prewarm_setup_seconds: want 3 series (web/npm, web/gomod, api/pip), got %v", h)
	} else {
		for _, m := range h.Metric {
			if lbl(m, "ecosystem") == "npm" && (m.Histogram.GetSampleCount() != 3 || m.Histogram.GetSampleSum() != 82) {
				t.Errorf("npm setup seconds: count %d sum %v, want 3 and 82 (41.5+2.5+38)", m.Histogram.GetSampleCount(), m.Histogram.GetSampleSum())
			}
		}
	}
	used, budget := families[report.MetricCacheUsedBytes], families[report.MetricCacheBudgetBytes]
	if used == nil || budget == nil || used.Metric[0].Gauge.GetValue() != float64(pl.After) || budget.Metric[0].Gauge.GetValue() != 1048576 {
		t.Errorf("cache usage: used %v budget %v, want %d and 1048576 (the pruner's line %q)", used, budget, pl.After, pruneOut)
	}

	// Rewrite every pod's status (a kubelet update): nothing is counted twice.
	cs := clientset(t, cp.Config())
	pods, err := cs.CoreV1().Pods(reportNS).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "prewarm.dev/Touched", Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
		if _, err := cs.CoreV1().Pods(reportNS).UpdateStatus(t.Context(), p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A new Task pod is counted once it is seen; wait for it, then compare.
	extra := reportPod{name: "web-t4", kind: "prewarm", finished: reportT0.Add(time.Hour), messages: map[string]string{
		"prewarm-npm": "prewarm: npm key=bbbbbbbbbbbbbbbbbbbb result=snapshot seconds=2.0 workdir=. cache=writable pm=npm\n"}}
	createReportPods(t, cs, []reportPod{extra})
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods(reportNS).Delete(context.Background(), extra.name, metav1.DeleteOptions{})
	})
	want[`{ecosystem="npm",namespace="report-live",result="snapshot",workspace="web"}`] = 2
	families = scrapeUntil(t, "http://"+addr, exited, &stderr, func(f map[string]*dto.MetricFamily) bool {
		return counterSeries(f)[`{ecosystem="npm",namespace="report-live",result="snapshot",workspace="web"}`] == 2
	})
	if diff := cmp.Diff(want, counterSeries(families)); diff != "" {
		t.Errorf("after status updates and one new pod, prewarm_setup_total (-want +got):\n%s", diff)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil || !strings.Contains(stderr.String(), "prewarm exporter: stopped") {
			t.Errorf("exporter did not stop cleanly on SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("exporter still running 20s after SIGTERM\n%s", stderr.String())
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// scrapeUntil scrapes base+"/metrics" until ok holds (30s at most), after
// /healthz said the informer synced.
func scrapeUntil(t *testing.T, base string, exited <-chan error, stderr *bytes.Buffer, ok func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]*dto.MetricFamily
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("exporter exited: %v\n%s", err, stderr.String())
		default:
		}
		if scrape.Ready(base+"/healthz") == nil {
			last, _, lastErr = scrape.Metrics(base + "/metrics")
			if lastErr == nil && ok(last) {
				return last
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no expected metrics within 30s (last error %v, last families %v)\n%s", lastErr, counterSeries(last), stderr.String())
	return nil
}

// counterSeries maps each prewarm_setup_total series' labels to its value.
func counterSeries(f map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	fam := f[report.MetricSetupTotal]
	if fam == nil {
		return out
	}
	for _, m := range fam.Metric {
		var parts []string
		for _, l := range m.Label {
			parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
		}
		out["{"+strings.Join(parts, ",")+"}"] = m.Counter.GetValue()
	}
	return out
}

func lbl(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// servedName: families go_*, process_* are not registered (the exporter
// uses its own registry), so every family must be one of prewarm's.
func servedName(family string) bool {
	for _, n := range report.MetricNames() {
		if n == family || strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count") == family {
			return true
		}
	}
	return false
}
