package main

import (
	"math"
	"sort"
)

// Results is everything one bench run measured; benchmarks.json holds it and
// -replot renders the report and plots from it alone.
type Results struct {
	Command      string        `json:"command"`
	Runs         int           `json:"runs"`
	Quick        bool          `json:"quick"`
	Started      string        `json:"started"`
	Finished     string        `json:"finished"`
	TotalSeconds float64       `json:"totalSeconds"`
	Machine      Machine       `json:"machine"`
	Groups       []Group       `json:"groups"`
	Breakdown    []Series      `json:"breakdown,omitempty"`
	BreakdownOf  string        `json:"breakdownOf,omitempty"`
	Cache        *CacheScaling `json:"cache,omitempty"`
	Render       []Series      `json:"render,omitempty"`
	RenderNote   string        `json:"renderNote,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
	// NetNote says what the network volume is; NetCompression times
	// one-process extraction of the same tree from it, uncompressed and
	// compressed (gzip, and zstd/lz4 where installed).
	NetNote          string       `json:"netNote,omitempty"`
	NetCompression   []Series     `json:"netCompression,omitempty"`
	NetCompressionOf string       `json:"netCompressionOf,omitempty"`
	Scripts          *ScriptFacts `json:"scripts,omitempty"`
}

// ScriptFacts records which scripts were measured (the tree changes while
// others work on it) and what the npm restore path does, as read from the
// rendered script, so the report recommends only what is not done yet.
type ScriptFacts struct {
	GitHead string            `json:"gitHead"`
	Dirty   []string          `json:"dirty,omitempty"` // uncommitted changes under templates-go/scripts
	SHA256  map[string]string `json:"sha256"`          // rendered prewarm.script.<eco>, first 12 hex digits
	// ChecksumConcurrent: the restore computes the snapshot checksum in a
	// background job beside tar -x (one pass over the disk per reader).
	ChecksumConcurrent bool `json:"checksumConcurrent"`
	// KeyProbe: how the npm key learns npm's version: "package.json read
	// by the shell" (pw_npm_version), "node -e" (node reads it) or
	// "npm --version".
	KeyProbe string `json:"keyProbe"`
}

// Group is one ecosystem on one dependency set: its modes, each measured
// Runs times in interleaved order.
type Group struct {
	Eco      string   `json:"eco"`           // npm, go, pip, cargo, maven
	Set      string   `json:"set"`           // npm-medium, go-medium, ...
	Packages int      `json:"packages"`      // installed packages (npm), 0 if not counted
	Net      bool     `json:"net,omitempty"` // the cache volume is the network volume
	Modes    []Mode   `json:"modes"`
	Info     []string `json:"info,omitempty"`
}

// Mode is one way of getting ready. Seconds is the total per run (run
// order); Parts split it (e.g. go: setup and first build).
type Mode struct {
	Name    string    `json:"name"`
	Desc    string    `json:"desc"`
	Seconds []float64 `json:"seconds"`
	CPU     []float64 `json:"cpu,omitempty"` // user+system seconds of all processes, per run
	Parts   []Series  `json:"parts,omitempty"`
}

// Series is one named list of measurements (seconds unless Unit says).
type Series struct {
	Name   string    `json:"name"`
	Desc   string    `json:"desc,omitempty"`
	Unit   string    `json:"unit,omitempty"`
	Values []float64 `json:"values"`
	CPU    []float64 `json:"cpu,omitempty"`
}

// CacheScaling is the cache volume's size after each of N lockfile
// versions, installed in turn into one cache, with and without the pruner.
type CacheScaling struct {
	Set         string       `json:"set"`
	BudgetBytes int64        `json:"budgetBytes"`
	BudgetNote  string       `json:"budgetNote"`
	Points      []CachePoint `json:"points"`
}

type CachePoint struct {
	Version         int    `json:"version"`
	Packages        int    `json:"packages"`
	Bytes           int64  `json:"bytes"`           // no pruner
	Snapshots       int    `json:"snapshots"`       // no pruner
	StoreBytes      int64  `json:"storeBytes"`      // npm store, no pruner
	PrunedBytes     int64  `json:"prunedBytes"`     // after the pruner ran
	PrunedSnapshots int    `json:"prunedSnapshots"` // after the pruner ran
	PruneLine       string `json:"pruneLine,omitempty"`
}

func (g *Group) mode(name string) *Mode {
	for i := range g.Modes {
		if g.Modes[i].Name == name {
			return &g.Modes[i]
		}
	}
	return nil
}

func (r *Results) group(eco, set string) *Group {
	for i := range r.Groups {
		if r.Groups[i].Eco == eco && (set == "" || r.Groups[i].Set == set) {
			return &r.Groups[i]
		}
	}
	return nil
}

// Stat summarises a series.
type Stat struct {
	N                int
	Median, Min, Max float64
	Q1, Q3           float64
}

func stat(v []float64) Stat {
	if len(v) == 0 {
		return Stat{Median: math.NaN(), Min: math.NaN(), Max: math.NaN(), Q1: math.NaN(), Q3: math.NaN()}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return Stat{N: len(s), Median: quantile(s, 0.5), Min: s[0], Max: s[len(s)-1], Q1: quantile(s, 0.25), Q3: quantile(s, 0.75)}
}

// quantile of sorted s, linear between closest ranks.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func median(v []float64) float64 { return stat(v).Median }

// ratio of two medians; NaN when either is missing.
func ratio(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	mb := median(b)
	if mb == 0 {
		return math.NaN()
	}
	return median(a) / mb
}

func (m *Mode) part(name string) []float64 {
	for _, p := range m.Parts {
		if p.Name == name {
			return p.Values
		}
	}
	return nil
}

// pairedRatio is the median of the per-round ratios a[i]/b[i]: runs of one
// round are minutes apart at most, so slow drift cancels.
func pairedRatio(a, b []float64) float64 {
	n := min(len(a), len(b))
	var q []float64
	for i := 0; i < n; i++ {
		if b[i] > 0 {
			q = append(q, a[i]/b[i])
		}
	}
	if len(q) == 0 {
		return math.NaN()
	}
	return median(q)
}
