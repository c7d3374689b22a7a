//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/prewarm-dev/prewarm/pkg/report"
	"github.com/prewarm-dev/prewarm/tests/images"
)

// TestTaskPodColdThenWarm: a Task pod rendered by `prewarm pod` (the
// Workspace extension, our CRD) runs on the kubelet twice on one cache
// PVC, for npm, gomod and pip (Debian's Python 3.11, Debian's wheel package
// served as a PEP 503 index). The first run is cold (downloads from the
// in-cluster registry, proxy or index), the second warm or from a snapshot; both agents pass the stand-in's
// checks; the init containers ran in order, one after another. Prints
// time-to-ready (pod creation → agent start) per pod.
func TestTaskPodColdThenWarm(t *testing.T) {
	srv := startServers(t)
	for _, c := range []struct{ preset, agent string }{{"npm", images.AgentNpm}, {"gomod", images.AgentGo}, {"pip", images.AgentPython}} {
		t.Run(c.preset, func(t *testing.T) {
			// The cache volume root belongs to UID 61100, as an EFS access
			// point with uid/gid 61100 or a prepared NFS export gives it.
			w := installWorkspace(t, "e2e-"+c.preset, "app", srv, wsOptions{preset: c.preset, cacheUID: images.AgentUID, cacheMode: 0o755})
			setup := "prewarm-" + c.preset
			for i, want := range []string{"cold", "warm|snapshot"} {
				run := w.runTask(t, fmt.Sprintf("task-%d", i+1), c.agent, nil)
				if run.pod.Status.Phase != corev1.PodSucceeded {
					t.Fatalf("%s: pod %s: %s", run.name, run.pod.Name, podSummary(run.pod))
				}
				checkInitOrder(t, run.pod, []string{"git-clone", "branch-setup", setup})
				line := summaryLine(t, w.ns, run.pod, setup)
				checkTerminationMessage(t, run.pod, setup, line)
				result := field(line, "result")
				if !matches(result, want) {
					t.Errorf("%s: setup result %q, want %s\n%s", run.name, result, want, line)
				}
				// gomod's default (snapshots auto) on the node's local disk:
				// the agent's per-pod GOMODCACHE/GOCACHE are symlinks into the
				// cache volume, which the agent's offline go build reads
				if c.preset == "gomod" && field(line, "shape") != "direct" {
					t.Errorf("%s: gomod shape %q, want direct (local disk)\n%s", run.name, field(line, "shape"), line)
				}
				agent := logs(t, w.ns, run.pod.Name, "agent")
				if !strings.Contains(agent, "agent-check: ok") {
					t.Errorf("%s: agent stand-in did not pass:\n%s", run.name, agent)
				}
				if !strings.Contains(agent, "agent-check: cache /cache/"+c.preset+" rw write=ok") {
					t.Errorf("%s: readWrite cache not writable from the agent:\n%s", run.name, agent)
				}
				t.Logf("%s: %s | %s", run.name, line, strings.TrimSpace(agent))
				addReadyRow(readyRow{c.preset, run.name, result, timeToReady(t, run.pod, "agent"), field(line, "seconds")})
			}
		})
	}
}

func matches(got, alternatives string) bool {
	for _, a := range strings.Split(alternatives, "|") {
		if got == a {
			return true
		}
	}
	return false
}

// checkInitOrder checks the pod ran exactly these init containers, in
// this order, each starting after the previous one finished successfully.
func checkInitOrder(t *testing.T, pod *corev1.Pod, want []string) {
	t.Helper()
	var got []string
	var prevEnd time.Time
	for _, st := range pod.Status.InitContainerStatuses {
		got = append(got, st.Name)
		term := st.State.Terminated
		if term == nil || term.ExitCode != 0 {
			t.Errorf("init container %s did not succeed: %s", st.Name, stateString(st.State))
			continue
		}
		if term.StartedAt.Time.Before(prevEnd) {
			t.Errorf("init container %s started %v before the previous one finished %v", st.Name, term.StartedAt, prevEnd)
		}
		prevEnd = term.FinishedAt.Time
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("init containers %v, want %v", got, want)
	}
	for _, st := range pod.Status.ContainerStatuses {
		if term := st.State.Terminated; term != nil && term.StartedAt.Time.Before(prevEnd) {
			t.Errorf("container %s started before setup finished", st.Name)
		}
	}
}

type readyRow struct {
	preset, task, result string
	ready                time.Duration
	setupSeconds         string
}

// readyRows collects the time-to-ready rows of every scenario; the suite
// prints them as one table after the tests (printReadyTable).
var (
	readyMu   sync.Mutex
	readyRows []readyRow
)

func addReadyRow(r readyRow) {
	readyMu.Lock()
	defer readyMu.Unlock()
	readyRows = append(readyRows, r)
}

// timeToReady is pod creation → agent container start, both from the
// pod's own status (second resolution, as the API stores them).
func timeToReady(t *testing.T, pod *corev1.Pod, agent string) time.Duration {
	t.Helper()
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == agent && st.State.Terminated != nil {
			return st.State.Terminated.StartedAt.Sub(pod.CreationTimestamp.Time)
		}
	}
	t.Fatalf("pod %s: agent has no start time: %s", pod.Name, podSummary(pod))
	return 0
}

func printReadyTable() {
	readyMu.Lock()
	rows := readyRows
	readyMu.Unlock()
	if len(rows) == 0 {
		return
	}
	fmt.Println("\ntime-to-ready (pod creation → agent start, from pod status) on a real kubelet:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "preset\ttask\tsetup result\ttime-to-ready\tsetup step (its own timer)")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0fs\t%ss\n", r.preset, r.task, r.result, r.ready.Seconds(), r.setupSeconds)
	}
	tw.Flush()
	fmt.Println()
}

// checkTerminationMessage: on a real kubelet the setup's summary line is in
// the pod's status (state.terminated.message of its init container), as
// `prewarm report` and the exporter read it, and parses as the log line does.
func checkTerminationMessage(t *testing.T, pod *corev1.Pod, container, logLine string) {
	t.Helper()
	for _, st := range pod.Status.InitContainerStatuses {
		if st.Name != container {
			continue
		}
		if st.State.Terminated == nil {
			t.Fatalf("%s: not terminated: %s", container, stateString(st.State))
		}
		msg := st.State.Terminated.Message
		got := report.ParseMessage(msg)
		want, err := report.ParseLine(logLine)
		if err != nil {
			t.Fatalf("the log's summary line does not parse: %v", err)
		}
		if len(got) != 1 || got[0].Result != want.Result || got[0].Key != want.Key || got[0].Ecosystem != want.Ecosystem {
			t.Errorf("%s: termination message %q, want the summary line %q", container, msg, logLine)
		}
		return
	}
	t.Fatalf("pod has no init container %s", container)
}
