package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestSetupMetricsCountOncePerContainer(t *testing.T) {
	var cases []aggregateCase
	readYAML(t, "testdata/aggregate.yaml", &cases)
	pods := cases[0].Pods
	reg := prometheus.NewPedanticRegistry()
	m := NewSetupMetrics(reg)
	for round := 0; round < 3; round++ { // add, update, resync: same pods again
		for i := range pods {
			pods[i].UID = types.UID("uid-" + pods[i].Name)
			m.ObservePod(&pods[i])
		}
	}
	want := `
# HELP prewarm_setup_total Setup results of prewarm presets in Task pods (one per workdir), by result: snapshot, warm, cold or fallback.
# TYPE prewarm_setup_total counter
prewarm_setup_total{ecosystem="gomod",namespace="team-a",result="cold",workspace="api"} 3
prewarm_setup_total{ecosystem="gomod",namespace="team-a",result="warm",workspace="api"} 1
prewarm_setup_total{ecosystem="npm",namespace="team-a",result="cold",workspace="https://github.com/acme/web.git"} 2
prewarm_setup_total{ecosystem="npm",namespace="team-a",result="snapshot",workspace="https://github.com/acme/web.git"} 1
prewarm_setup_total{ecosystem="npm",namespace="team-a",result="warm",workspace="https://github.com/acme/web.git"} 1
prewarm_setup_total{ecosystem="pip",namespace="team-b",result="fallback",workspace="ml"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricSetupTotal); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.seconds); n != 3 {
		t.Errorf("prewarm_setup_seconds has %d series, want 3 (one per namespace, workspace, ecosystem)", n)
	}
	lintMetrics(t, reg)
	// A running container is counted when it terminates, not before.
	pod := corev1.Pod{}
	pod.Name, pod.Namespace, pod.UID = "late", "team-c", "uid-late"
	pod.Labels = map[string]string{LabelKelosTask: "late", LabelWorkspace: "w"}
	pod.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "prewarm-npm", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	m.ObservePod(&pod)
	pod.Status.InitContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Message: "prewarm: npm key=ab result=warm seconds=3 workdir=. cache=writable\n"}}
	m.ObservePod(&pod)
	m.ObservePod(&pod)
	if got := testutil.ToFloat64(m.total.WithLabelValues("team-c", "w", "npm", "warm")); got != 1 {
		t.Errorf("late pod counted %v times, want 1", got)
	}
}

func TestCacheCollector(t *testing.T) {
	dir := t.TempDir()
	npm := filepath.Join(dir, "npm")
	if err := os.MkdirAll(npm, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(npm, UsageFile), []byte("prewarm: prune cache=/cache/npm before=300 after=200 removed=1 budget=1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := NewCacheCollector(map[string]string{"npm": npm, "pip": filepath.Join(dir, "pip-not-pruned-yet")})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := `
# HELP prewarm_cache_budget_bytes The cache's byte budget the pruner keeps it under.
# TYPE prewarm_cache_budget_bytes gauge
prewarm_cache_budget_bytes{cache="npm"} 1000
# HELP prewarm_cache_used_bytes Bytes used on the cache volume after the pruner's last run (du -s -k, so file system blocks).
# TYPE prewarm_cache_used_bytes gauge
prewarm_cache_used_bytes{cache="npm"} 200
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricCacheUsedBytes, MetricCacheBudgetBytes); err != nil {
		t.Error(err)
	}
	lintMetrics(t, reg)
}

// lintMetrics fails t for each problem promlint finds in what reg gathers.
func lintMetrics(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
