package report

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Cold-start reasons, derived from the fields a summary line carries.
const (
	// ReasonKeyChanged: the cache was empty for this run's key and the
	// previous run of the same Workspace, preset and workdir had another key
	// (the lockfile, toolchain or salt changed).
	ReasonKeyChanged = "key changed"
	// ReasonCacheEmpty: nothing usable on the cache (first run, or pruned).
	ReasonCacheEmpty = "cache empty"
	// ReasonCacheUnwritable: the cache was absent, read-only where a write
	// was needed, not writable or full; setup used a per-pod cache.
	ReasonCacheUnwritable = "cache unwritable"
	// ReasonSnapshotFailed: the cache was writable but its snapshot could
	// not be used (corrupt, or the cache filled up during the install).
	ReasonSnapshotFailed = "snapshot unusable"
)

// Group is the report for one namespace, Workspace and preset.
type Group struct {
	Namespace string `json:"namespace"`
	Workspace string `json:"workspace"`
	Preset    string `json:"preset"`
	// Tasks counts the Task pods with at least one result for the preset.
	Tasks int `json:"tasks"`
	// Results counts setup results (one per workdir) by result.
	Results map[string]int `json:"results"`
	// Share is Results[r] divided by all results, 0..1.
	Share map[string]float64 `json:"share"`
	// Median and P90 of the setup seconds per Task (the preset's workdirs
	// summed), nearest-rank.
	MedianSeconds float64 `json:"medianSeconds"`
	P90Seconds    float64 `json:"p90Seconds"`
	// LastCold is the latest cold or fallback result, nil if none.
	LastCold *ColdStart `json:"lastCold,omitempty"`
}

// ColdStart is one cold or fallback result and why it happened.
type ColdStart struct {
	Pod      string    `json:"pod"`
	Workdir  string    `json:"workdir"`
	Finished time.Time `json:"finished"`
	Result   string    `json:"result"`
	Reason   string    `json:"reason"`
}

type groupKey struct{ ns, ws, preset string }

// Aggregate groups runs by namespace, Workspace and preset, sorted by those.
// Runs are ordered by finish time (then pod, container, workdir), so the
// output does not depend on the order pods were listed in.
func Aggregate(runs []Run) []Group {
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b Run) int {
		return cmp.Or(a.Finished.Compare(b.Finished), cmp.Compare(a.Pod, b.Pod),
			cmp.Compare(a.Container, b.Container), cmp.Compare(a.Workdir, b.Workdir))
	})
	byKey := map[groupKey][]Run{}
	var keys []groupKey
	for _, r := range runs {
		k := groupKey{r.Namespace, r.Workspace, r.Ecosystem}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.ws, b.ws), cmp.Compare(a.preset, b.preset))
	})
	out := make([]Group, 0, len(keys))
	for _, k := range keys {
		out = append(out, group(k, byKey[k]))
	}
	return out
}

func group(k groupKey, runs []Run) Group {
	g := Group{Namespace: k.ns, Workspace: k.ws, Preset: k.preset, Results: map[string]int{}, Share: map[string]float64{}}
	perPod := map[string]float64{}
	var pods []string
	lastKey := map[string]string{} // workdir -> key of the previous run
	for _, r := range runs {
		g.Results[r.Result]++
		if _, ok := perPod[r.Pod]; !ok {
			pods = append(pods, r.Pod)
		}
		perPod[r.Pod] += r.Seconds
		if r.Result == "cold" || r.Result == "fallback" {
			g.LastCold = &ColdStart{Pod: r.Pod, Workdir: r.Workdir, Finished: r.Finished, Result: r.Result,
				Reason: reason(r.Line, lastKey[r.Workdir])}
		}
		lastKey[r.Workdir] = r.Key
	}
	for _, res := range Results {
		g.Share[res] = float64(g.Results[res]) / float64(len(runs))
	}
	g.Tasks = len(pods)
	secs := make([]float64, 0, len(pods))
	for _, p := range pods {
		secs = append(secs, perPod[p])
	}
	slices.Sort(secs)
	g.MedianSeconds = percentile(secs, 0.5)
	g.P90Seconds = percentile(secs, 0.9)
	return g
}

// reason explains a cold or fallback result; prevKey is the key of the
// previous run of the same workdir ("" if none).
func reason(l Line, prevKey string) string {
	if l.Result == "fallback" {
		if l.Cache == CacheWritable {
			return ReasonSnapshotFailed
		}
		return ReasonCacheUnwritable
	}
	if l.Cache == CacheUnwritable {
		return ReasonCacheUnwritable
	}
	if prevKey != "" && prevKey != l.Key {
		return ReasonKeyChanged
	}
	return ReasonCacheEmpty
}

// percentile is the nearest-rank percentile of sorted values (0 if none).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
