//go:build e2e

package e2e

// `prewarm report` and `prewarm exporter` over the real pods the scenarios
// left on the node. This file's name sorts last: go test runs the tests of
// a package in file-name order, so this test sees every Task pod of the
// suite. Run alone (-run TestReportAndExporter) it makes its own.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prewarm-dev/prewarm/pkg/report"
	"github.com/prewarm-dev/prewarm/tests/images"
	"github.com/prewarm-dev/prewarm/tests/internal/scrape"
)

// taskPod is a Task pod a scenario ran, with the Workspace the test knows
// it belongs to (the release's Workspace; for Kelos' Jobs the repository,
// as Kelos labels no Workspace).
type taskPod struct{ ns, name, workspace string }

var (
	taskPodsMu sync.Mutex
	taskPods   []taskPod
)

func recordTaskPod(pod *corev1.Pod, workspace string) {
	taskPodsMu.Lock()
	defer taskPodsMu.Unlock()
	taskPods = append(taskPods, taskPod{pod.Namespace, pod.Name, workspace})
}

// groupKey is one namespace, Workspace and preset; counts are results.
type groupKey struct{ ns, ws, preset string }

type expectation struct {
	results map[groupKey]map[string]int
	pods    map[groupKey]map[string]bool
}

// expected reads what the setups of the recorded Task pods did from their
// logs (the summary line each prewarm-* init container printed), not from
// the termination messages report and the exporter read.
func expected(t *testing.T) expectation {
	t.Helper()
	taskPodsMu.Lock()
	pods := slices.Clone(taskPods)
	taskPodsMu.Unlock()
	e := expectation{results: map[groupKey]map[string]int{}, pods: map[groupKey]map[string]bool{}}
	for _, tp := range pods {
		pod, err := kube(t).CoreV1().Pods(tp.ns).Get(t.Context(), tp.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range pod.Status.InitContainerStatuses {
			if !strings.HasPrefix(st.Name, "prewarm-") || st.State.Terminated == nil {
				continue
			}
			for _, line := range strings.Split(logs(t, tp.ns, tp.name, st.Name), "\n") {
				f := strings.Fields(line)
				if len(f) < 3 || f[0] != "prewarm:" || field(line, "result") == "" {
					continue
				}
				k := groupKey{tp.ns, tp.workspace, f[1]}
				if e.results[k] == nil {
					e.results[k], e.pods[k] = map[string]int{}, map[string]bool{}
				}
				e.results[k][field(line, "result")]++
				e.pods[k][tp.name] = true
			}
		}
	}
	return e
}

// TestReportAndExporterOnRealPods: `prewarm report -A` (table and JSON) and
// `prewarm exporter -A` (its /metrics on 127.0.0.1, parsed with
// prometheus' expfmt) agree with what the Task pods' setups printed, per
// namespace, Workspace, preset and result; pods that are not Task pods
// (the warmer, the servers) are ignored although the warmer's setup left a
// summary line as its termination message.
func TestReportAndExporterOnRealPods(t *testing.T) {
	taskPodsMu.Lock()
	noTasks := len(taskPods) == 0
	taskPodsMu.Unlock()
	if noTasks || len(nonTaskSummaries(t)) == 0 {
		// Run alone (or without TestWarmerThenReadOnlyTask): a warmer, a
		// pod that is no Task, and two Task pods of our own.
		srv := startServers(t)
		w := installWorkspace(t, "e2e-report", "app", srv, wsOptions{cacheUID: images.AgentUID, cacheMode: 0o755})
		if pod := w.runCronJob(t, "app-prewarm-workspace-warmer"); pod.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("warmer failed: %s", podSummary(pod))
		}
		if noTasks {
			w.runTask(t, "task-1", images.AgentNpm, nil)
			w.runTask(t, "task-2", images.AgentNpm, nil)
		}
	}
	want := expected(t)
	if len(want.results) == 0 {
		t.Fatal("no Task pod printed a summary line")
	}
	ignored := nonTaskSummaries(t)
	if len(ignored) == 0 {
		t.Fatal("no pod other than the Task pods carries a summary line: nothing shows non-Task pods are ignored")
	}
	t.Logf("pods that are no Task but carry a summary line (must be ignored): %v", ignored)
	kubeconfig := filepath.Join(node.Dir, "kubeconfig")

	// prewarm report -o json
	var doc report.JSON
	if err := json.Unmarshal(prewarmCLI(t, nil, "report", "--kubeconfig", kubeconfig, "-A", "-o", "json"), &doc); err != nil {
		t.Fatal(err)
	}
	gotResults, gotTasks := map[groupKey]map[string]int{}, map[groupKey]int{}
	for _, g := range doc.Groups {
		k := groupKey{g.Namespace, g.Workspace, g.Preset}
		gotResults[k] = map[string]int{}
		for r, n := range g.Results {
			if n > 0 {
				gotResults[k][r] = n
			}
		}
		gotTasks[k] = g.Tasks
	}
	wantTasks := map[groupKey]int{}
	for k, p := range want.pods {
		wantTasks[k] = len(p)
	}
	opt := cmp.AllowUnexported(groupKey{})
	if diff := cmp.Diff(want.results, gotResults, opt); diff != "" {
		t.Errorf("prewarm report -o json: results per namespace/Workspace/preset (-setups' logs +report):\n%s", diff)
	}
	if diff := cmp.Diff(wantTasks, gotTasks, opt); diff != "" {
		t.Errorf("prewarm report -o json: Tasks (-setups' logs +report):\n%s", diff)
	}

	// prewarm report (table): one row per group with its Tasks.
	table := string(prewarmCLI(t, nil, "report", "--kubeconfig", kubeconfig, "-A"))
	fmt.Printf("\nprewarm report -A over the suite's real pods:\n%s\n", table)
	rows := map[groupKey]string{}
	for _, l := range strings.Split(strings.TrimSpace(table), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 4 {
			rows[groupKey{f[0], f[1], f[2]}] = f[3]
		}
	}
	for k, n := range wantTasks {
		if rows[k] != fmt.Sprint(n) {
			t.Errorf("report table: %v has Tasks %q, want %d\n%s", k, rows[k], n, table)
		}
	}
	if len(rows) != len(wantTasks) {
		t.Errorf("report table has %d rows, want %d", len(rows), len(wantTasks))
	}

	// prewarm exporter: prewarm_setup_total and the histogram's counts.
	families := scrapeExporter(t, kubeconfig)
	wantTotal, wantCount := map[string]float64{}, map[string]uint64{}
	for k, rs := range want.results {
		for r, n := range rs {
			wantTotal[series(k, r)] += float64(n)
			wantCount[series(k, "")] += uint64(n)
		}
	}
	gotTotal, gotCount := map[string]float64{}, map[string]uint64{}
	for _, m := range metrics(families, report.MetricSetupTotal) {
		if v := m.GetCounter().GetValue(); v != 0 {
			gotTotal[series(groupKey{lbl(m, "namespace"), lbl(m, "workspace"), lbl(m, "ecosystem")}, lbl(m, "result"))] = v
		}
	}
	for _, m := range metrics(families, report.MetricSetupSeconds) {
		gotCount[series(groupKey{lbl(m, "namespace"), lbl(m, "workspace"), lbl(m, "ecosystem")}, "")] = m.GetHistogram().GetSampleCount()
	}
	if diff := cmp.Diff(wantTotal, gotTotal); diff != "" {
		t.Errorf("exporter %s (-setups' logs +/metrics):\n%s", report.MetricSetupTotal, diff)
	}
	if diff := cmp.Diff(wantCount, gotCount); diff != "" {
		t.Errorf("exporter prewarm_setup_seconds sample counts (-setups' logs +/metrics):\n%s", diff)
	}
	for k := range want.results {
		t.Logf("%s/%s %s: %v", k.ns, k.ws, k.preset, want.results[k])
	}
}

func series(k groupKey, result string) string {
	return fmt.Sprintf("namespace=%s workspace=%s ecosystem=%s result=%s", k.ns, k.ws, k.preset, result)
}

// nonTaskSummaries lists pods not recorded as Task pods whose init
// containers' termination messages carry a summary line.
func nonTaskSummaries(t *testing.T) []string {
	t.Helper()
	taskPodsMu.Lock()
	known := map[string]bool{}
	for _, p := range taskPods {
		known[p.ns+"/"+p.name] = true
	}
	taskPodsMu.Unlock()
	pods, err := kube(t).CoreV1().Pods("").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pods.Items {
		if known[p.Namespace+"/"+p.Name] {
			continue
		}
		for _, st := range p.Status.InitContainerStatuses {
			if term := st.State.Terminated; term != nil && strings.Contains(term.Message, " result=") {
				out = append(out, p.Namespace+"/"+p.Name)
				break
			}
		}
	}
	return out
}

// scrapeExporter runs `prewarm exporter -A --listen 127.0.0.1:0`, waits for
// /healthz, scrapes /metrics until the counters stop changing (the informer
// has seen every pod), stops it with SIGTERM and returns the families.
func scrapeExporter(t *testing.T, kubeconfig string) map[string]*dto.MetricFamily {
	t.Helper()
	cmd := exec.Command(prewarm, "exporter", "--kubeconfig", kubeconfig, "-A", "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		re := regexp.MustCompile(`serving /metrics on (\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logBuf.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		<-done
	}
	defer stop()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("exporter did not start serving:\n%s", logBuf.String())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := scrape.Ready(base + "/healthz")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter /healthz not ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var fams map[string]*dto.MetricFamily
	var last string
	for range 10 {
		var body string
		var err error
		if fams, body, err = scrape.Metrics(base + "/metrics"); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		if body == last {
			break
		}
		last = body
		time.Sleep(500 * time.Millisecond)
	}
	stop()
	if !strings.Contains(logBuf.String(), "prewarm exporter: stopped") {
		t.Errorf("exporter did not stop cleanly on SIGTERM:\n%s", logBuf.String())
	}
	return fams
}

func metrics(f map[string]*dto.MetricFamily, name string) []*dto.Metric {
	if fam := f[name]; fam != nil {
		return fam.Metric
	}
	return nil
}

func lbl(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
