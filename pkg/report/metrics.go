package report

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Metric names the exporter serves (the Grafana dashboard's queries must
// use only these; a test checks it).
const (
	MetricSetupTotal       = "prewarm_setup_total"
	MetricSetupSeconds     = "prewarm_setup_seconds"
	MetricCacheUsedBytes   = "prewarm_cache_used_bytes"
	MetricCacheBudgetBytes = "prewarm_cache_budget_bytes"
	MetricCachePruneTime   = "prewarm_cache_last_prune_timestamp_seconds"
)

// MetricNames lists every metric family the exporter may serve, including
// the series a histogram expands to.
func MetricNames() []string {
	return []string{MetricSetupTotal, MetricSetupSeconds + "_bucket", MetricSetupSeconds + "_sum", MetricSetupSeconds + "_count",
		MetricCacheUsedBytes, MetricCacheBudgetBytes, MetricCachePruneTime}
}

// SetupBuckets are the prewarm_setup_seconds buckets: a restored snapshot
// takes seconds, a cold install minutes.
var SetupBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200}

// SetupMetrics counts setup results of Task pods. Each terminated init
// container of a pod is counted once, however often the informer delivers
// the pod (updates, resyncs, relists); a deleted pod's entries are
// forgotten (its UID never comes back).
type SetupMetrics struct {
	mu      sync.Mutex
	seen    map[types.UID]map[string]bool
	total   *prometheus.CounterVec
	seconds *prometheus.HistogramVec
}

// NewSetupMetrics registers the setup metrics on reg.
func NewSetupMetrics(reg prometheus.Registerer) *SetupMetrics {
	m := &SetupMetrics{
		seen: map[types.UID]map[string]bool{},
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricSetupTotal,
			Help: "Setup results of prewarm presets in Task pods (one per workdir), by result: snapshot, warm, cold or fallback.",
		}, []string{"namespace", "workspace", "ecosystem", "result"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricSetupSeconds,
			Help:    "Seconds a prewarm preset's setup took per workdir, as its summary line reports.",
			Buckets: SetupBuckets,
		}, []string{"namespace", "workspace", "ecosystem"}),
	}
	reg.MustRegister(m.total, m.seconds)
	return m
}

// ObservePod counts the summary lines of pod's newly terminated init
// containers. Non-Task pods are ignored.
func (m *SetupMetrics) ObservePod(pod *corev1.Pod) {
	if !IsTaskPod(pod) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ws := Workspace(pod)
	for _, st := range pod.Status.InitContainerStatuses {
		if st.State.Terminated == nil || m.seen[pod.UID][st.Name] {
			continue
		}
		if m.seen[pod.UID] == nil {
			m.seen[pod.UID] = map[string]bool{}
		}
		m.seen[pod.UID][st.Name] = true
		for _, l := range ParseMessage(st.State.Terminated.Message) {
			m.total.WithLabelValues(pod.Namespace, ws, l.Ecosystem, l.Result).Inc()
			m.seconds.WithLabelValues(pod.Namespace, ws, l.Ecosystem).Observe(l.Seconds)
		}
	}
}

// ForgetPod drops what ObservePod remembered about a deleted pod.
func (m *SetupMetrics) ForgetPod(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, uid)
}

// CacheCollector reports each cache volume's bytes used and budget from the
// usage file the pruner keeps at its root, read at scrape time. A cache
// whose file is missing or unreadable has no series (never a made-up 0).
type CacheCollector struct {
	caches map[string]string // name -> mount path
	used   *prometheus.Desc
	budget *prometheus.Desc
	pruned *prometheus.Desc
}

// NewCacheCollector reads the caches mounted at the given paths (name ->
// path).
func NewCacheCollector(caches map[string]string) *CacheCollector {
	l := []string{"cache"}
	return &CacheCollector{
		caches: caches,
		used:   prometheus.NewDesc(MetricCacheUsedBytes, "Bytes used on the cache volume after the pruner's last run (du -s -k, so file system blocks).", l, nil),
		budget: prometheus.NewDesc(MetricCacheBudgetBytes, "The cache's byte budget the pruner keeps it under.", l, nil),
		pruned: prometheus.NewDesc(MetricCachePruneTime, "When the pruner last recorded the cache's usage (Unix seconds).", l, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *CacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.used
	ch <- c.budget
	ch <- c.pruned
}

// Collect implements prometheus.Collector.
func (c *CacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range slices.Sorted(maps.Keys(c.caches)) {
		p, mtime, err := ReadUsage(c.caches[n])
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, float64(p.After), n)
		ch <- prometheus.MustNewConstMetric(c.budget, prometheus.GaugeValue, float64(p.Budget), n)
		ch <- prometheus.MustNewConstMetric(c.pruned, prometheus.GaugeValue, float64(mtime.Unix()), n)
	}
}

// ReadUsage reads the pruner's usage file at the root of a cache volume.
func ReadUsage(cacheRoot string) (Prune, time.Time, error) {
	f := filepath.Join(cacheRoot, UsageFile)
	raw, err := os.ReadFile(f)
	if err != nil {
		return Prune{}, time.Time{}, err
	}
	fi, err := os.Stat(f)
	if err != nil {
		return Prune{}, time.Time{}, err
	}
	p, err := ParsePrune(string(raw))
	if err != nil {
		return Prune{}, time.Time{}, err
	}
	return p, fi.ModTime(), nil
}
