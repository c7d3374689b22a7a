package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prewarm-dev/prewarm/tests/internal/shells"
)

func sampleResults() *Results {
	return &Results{
		Command: "cd tests && go run ./bench -out ../docs", Runs: 3,
		Machine: Machine{Date: "2026-01-02", NProc: 2, CPU: "Test CPU", MemGiB: 8, Versions: map[string]string{"go": "1.26.0"}},
		Groups: []Group{
			{Eco: "npm", Set: "npm-small", Packages: 53, Modes: []Mode{
				{Name: "cold", Seconds: []float64{5, 6, 7}}, {Name: "warm", Seconds: []float64{3, 3.5, 4}},
				{Name: "snapshot", Seconds: []float64{0.5, 0.6, 0.7}}, {Name: "limit", Seconds: []float64{0.3, 0.31, 0.32}},
			}},
			{Eco: "npm", Set: "npm-medium", Packages: 446, Modes: []Mode{
				{Name: "cold", Seconds: []float64{20, 22, 30}}, {Name: "warm", Seconds: []float64{8, 9, 10}},
				{Name: "snapshot", Seconds: []float64{2, 2.2, 2.4}}, {Name: "limit", Seconds: []float64{1, 1.1, 1.2}},
			}},
			{Eco: "go", Set: "go-medium", Modes: []Mode{
				{Name: "cold", Seconds: []float64{100, 110, 120}, Parts: []Series{{Name: "setup", Values: []float64{99, 109, 119}}, {Name: "first build", Values: []float64{1, 1, 1}}}},
				{Name: "warm", Seconds: []float64{3, 4, 5}, Parts: []Series{{Name: "setup", Values: []float64{2, 3, 4}}, {Name: "first build", Values: []float64{1, 1, 1}}}},
			}},
			{Eco: "npm", Set: "npm-medium (network volume)", Net: true, Packages: 446, Modes: []Mode{
				{Name: "cold", Seconds: []float64{100, 120, 140}}, {Name: "store", Seconds: []float64{60, 70, 80}},
				{Name: "snapshot", Seconds: []float64{6, 7, 8}}, {Name: "tar-x", Seconds: []float64{10, 11, 12}},
			}},
		},
		NetNote:          "sshfs",
		NetCompressionOf: "npm-medium node_modules, 100 MiB as one tar",
		NetCompression:   []Series{{Name: "tar-x-none", Values: []float64{10, 11, 12}}, {Name: "tar-x-gzip", Values: []float64{12, 13, 14}}},
		Breakdown:        []Series{{Name: "cksum-coreutils", Values: []float64{0.2, 0.2, 0.2}}, {Name: "tar-x-gnu", Values: []float64{1, 1, 1}}, {Name: "toolchain-probe", Values: []float64{0.4, 0.4, 0.4}}, {Name: "npm-version", Values: []float64{0.3, 0.3, 0.3}}},
		Cache: &CacheScaling{Set: "s", BudgetBytes: 30 << 20, Points: []CachePoint{
			{Version: 1, Packages: 53, Bytes: 19 << 20, PrunedBytes: 19 << 20, Snapshots: 1, PrunedSnapshots: 1},
			{Version: 2, Packages: 54, Bytes: 29 << 20, PrunedBytes: 29 << 20, Snapshots: 2, PrunedSnapshots: 2},
			{Version: 3, Packages: 55, Bytes: 39 << 20, PrunedBytes: 29 << 20, Snapshots: 3, PrunedSnapshots: 2},
		}},
		Render: []Series{{Name: "render", Unit: "ms", Values: []float64{100, 110, 120}}},
	}
}

func TestStat(t *testing.T) {
	s := stat([]float64{5, 1, 3, 2, 4})
	if s.Median != 3 || s.Min != 1 || s.Max != 5 || s.Q1 != 2 || s.Q3 != 4 || s.N != 5 {
		t.Fatalf("stat = %+v", s)
	}
	if m := median([]float64{1, 2, 3, 4}); m != 2.5 {
		t.Fatalf("median of 4 = %v", m)
	}
	if !math.IsNaN(stat(nil).Median) || !math.IsNaN(ratio(nil, []float64{1})) {
		t.Fatal("empty series must give NaN")
	}
}

func TestGoals(t *testing.T) {
	gs := goals(sampleResults())
	want := []struct {
		v   float64
		met bool
	}{
		{2.2 / 1.1, false},                       // npm-medium snapshot / one-process tar -x
		{2.2 / 22, true},                         // npm-medium snapshot / cold
		{math.NaN(), false}, {math.NaN(), false}, // npm-large: not in the sample
		{7.0 / 70, true},  // network volume: snapshot / store
		{4.0 / 110, true}, // go
	}
	if len(gs) != len(want) {
		t.Fatalf("%d goals, want %d: %+v", len(gs), len(want), gs)
	}
	for i, w := range want {
		if math.IsNaN(w.v) {
			if gs[i].measured {
				t.Errorf("goal %d (%s) measured without data", i, gs[i].what)
			}
			continue
		}
		if !gs[i].measured || math.Abs(gs[i].value-w.v) > 1e-9 || gs[i].met() != w.met {
			t.Errorf("goal %d (%s) = %v met=%v, want %v met=%v", i, gs[i].what, gs[i].value, gs[i].met(), w.v, w.met)
		}
	}
}

// TestOutputsDeterministicAndWellFormed: the same numbers give the same
// bytes (also after a JSON round trip: written as benchmarks.json and read
// back as -replot reads it), and each SVG is well-formed XML.
func TestOutputsDeterministicAndWellFormed(t *testing.T) {
	r := sampleResults()
	js := filepath.Join(t.TempDir(), "benchmarks.json")
	if err := writeOutputs(filepath.Dir(js), r, js); err != nil {
		t.Fatal(err)
	}
	back, err := readResults(js)
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func(*Results) string{
		"bars": barChartSVG, "scaling": scalingSVG, "markdown": markdownReport, "text": textReport,
	} {
		a, b, c := fn(r), fn(r), fn(back)
		if a != b || a != c {
			t.Errorf("%s: output differs between renders of the same numbers", name)
		}
		if name == "bars" || name == "scaling" {
			if err := wellFormedXML(a); err != nil {
				t.Fatalf("%s: not well-formed XML: %v", name, err)
			}
			if strings.Contains(a, "NaN") || strings.Contains(a, "Inf") {
				t.Errorf("%s: holds NaN or Inf", name)
			}
		}
	}
	md := markdownReport(r)
	for _, want := range []string{"**missed**", "**met**", "npm-medium", "snapshot / limit", "benchmarks.svg", "benchmarks-scaling.svg"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// TestReplotRoundTrip: the numbers written at the end of benchmarks.md read
// back to the same report and plots, "--" in strings included.
func TestReplotRoundTrip(t *testing.T) {
	r := sampleResults()
	r.Notes = []string{"node --version -- and \\-- and <!-- -->"}
	dir := t.TempDir()
	if err := writeOutputs(dir, r, ""); err != nil {
		t.Fatal(err)
	}
	md1, _ := os.ReadFile(filepath.Join(dir, "benchmarks.md"))
	back, err := readResults(filepath.Join(dir, "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Notes[0] != r.Notes[0] {
		t.Fatalf("note %q came back as %q", r.Notes[0], back.Notes[0])
	}
	dir2 := t.TempDir()
	if err := writeOutputs(dir2, back, ""); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"benchmarks.md", "benchmarks.svg", "benchmarks-scaling.svg"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if string(a) != string(b) {
			t.Errorf("%s differs after -replot", f)
		}
	}
	body := string(md1)
	if i := strings.Index(body, "<!-- "+resultsMarker); i < 0 || strings.Contains(body[i+4:len(body)-4], "--") {
		t.Error("the results comment is missing or holds \"--\"")
	}
}

func TestEmptyResultsRender(t *testing.T) {
	r := &Results{Runs: 5}
	for _, s := range []string{barChartSVG(r), scalingSVG(r), markdownReport(r), textReport(r)} {
		if s == "" {
			t.Fatal("empty output")
		}
	}
}

func TestWorkspaceDoc(t *testing.T) {
	stream := "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: y\napiVersion: kelos.dev/v1alpha1\nkind: Workspace\nmetadata:\n  name: my-ws\n  labels:\n    a: b\nspec:\n  repo: r\n"
	doc := workspaceDoc(stream)
	if !strings.Contains(doc, "kind: Workspace") || strings.Contains(doc, "ConfigMap") {
		t.Fatalf("workspaceDoc = %q", doc)
	}
	if n := metadataName(doc); n != "my-ws" {
		t.Fatalf("metadataName = %q", n)
	}
}

func TestScriptFactsOnRenderedNpmScript(t *testing.T) {
	b := &bench{}
	s, err := b.script("npm")
	if err != nil {
		t.Fatal(err)
	}
	if shells.Func(s, "pw_snapshot_restore") == "" || shells.Func(s, "pw_npm_workdir") == "" {
		t.Fatal("pw_snapshot_restore or pw_npm_workdir not found in the rendered npm script")
	}
	if p := keyProbe(s); p != "package.json read by the shell" {
		t.Errorf("the npm key probes npm's version by %q, want the shell reading its package.json (pw_npm_version)", p)
	}
	if !checksumConcurrent(s) {
		t.Error("the rendered restore computes no checksum beside tar -x (no background pw_sum or pw_snapshot_sum1 in pw_snapshot_restore or pw_snapshot_x1)")
	}
	old := "pw_snapshot_restore() {\n  got=$({ head -c 1 x; } | pw_sum cksum) || got=\n}\n"
	if checksumConcurrent("x\n" + old) {
		t.Error("a sequential checksum counted as concurrent")
	}
	now := "pw_snapshot_restore() {\n  ({ head -c 1 x; } | pw_sum cksum >f) &\n}\n"
	if !checksumConcurrent("x\n" + now) {
		t.Error("a background checksum not detected")
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ v, top, step float64 }{
		{26.1, 30, 5}, {4.45, 5, 1}, {0.48, 0.5, 0.1}, {81.5, 100, 20}, {1, 1, 0.2}, {64.9, 80, 20},
	} {
		top, step := niceMax(c.v)
		if math.Abs(top-c.top) > 1e-9 || math.Abs(step-c.step) > 1e-9 {
			t.Errorf("niceMax(%v) = %v, %v, want %v, %v", c.v, top, step, c.top, c.step)
		}
	}
}

// TestMergeJoinsSideBySideRuns: -merge keeps every group of both files, the
// first file's breakdown and the other's network compression, and refuses
// files with different runs per mode.
func TestMergeJoinsSideBySideRuns(t *testing.T) {
	dir := t.TempDir()
	a, b := sampleResults(), sampleResults()
	a.Groups, a.NetCompression = a.Groups[:2], nil
	b.Groups, b.Breakdown = b.Groups[2:], nil
	a.Finished, b.Finished = "2026-01-02T10:00:00Z", "2026-01-02T11:00:00Z"
	b.Machine.LoadEnd = "1.00 2.00 3.00"
	for name, r := range map[string]*Results{"a.json": a, "b.json": b} {
		js, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	if err := mergeResults([]string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")}, out, ""); err != nil {
		t.Fatal(err)
	}
	m, err := readResults(filepath.Join(out, "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Groups) != len(sampleResults().Groups) || len(m.Breakdown) == 0 || len(m.NetCompression) == 0 || m.Machine.LoadEnd != "1.00 2.00 3.00" {
		t.Fatalf("merged: %d groups, breakdown %d, compression %d, load end %q", len(m.Groups), len(m.Breakdown), len(m.NetCompression), m.Machine.LoadEnd)
	}
	b.Runs = 5
	js, _ := json.Marshal(b)
	if err := os.WriteFile(filepath.Join(dir, "b.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mergeResults([]string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")}, out, ""); err == nil || !strings.Contains(err.Error(), "runs per mode") {
		t.Fatalf("merging 3-run and 5-run results: want an error naming the runs, got %v", err)
	}
}

// wellFormedXML reads every token of s; the first error is the answer.
func wellFormedXML(s string) error {
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := dec.Token(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// TestScratchFS: -scratch-fs none writes in the directory as it is; loop
// mounts a journaled ext4 (a real loop device: root only) that auto then
// keeps, and whose cleanup unmounts it and removes the image.
func TestScratchFS(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	none, err := setupScratch(ctx, "none", work)
	if err != nil || none.dir != work || none.cleanup != nil || none.note != "" {
		t.Fatalf("none: %+v, %v", none, err)
	}
	if _, err := setupScratch(ctx, "ramdisk", work); err == nil || !strings.Contains(err.Error(), "auto, loop, none") {
		t.Fatalf("an unknown mode: want an error naming the modes, got %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("a loop mount needs root")
	}
	defer func(g float64) { loopGiB = g }(loopGiB)
	loopGiB = 1
	sc, err := setupScratch(ctx, "loop", work)
	if err != nil {
		t.Fatal(err)
	}
	mounted := true
	defer func() {
		if mounted {
			sc.cleanup()
		}
	}()
	fs, err := statFS(ctx, sc.dir)
	if err != nil || fs.fstype != "ext4" || fs.journal != "yes" || sc.dir == work {
		t.Fatalf("loop: %s is %+v (%v), want a journaled ext4 other than %s", sc.dir, fs, err, work)
	}
	if !strings.Contains(sc.note, "journaled ext4 on a loop device") || !strings.Contains(sc.desc, "with a journal") {
		t.Errorf("loop: note %q, desc %q", sc.note, sc.desc)
	}
	auto, err := setupScratch(ctx, "auto", sc.dir)
	if err != nil || auto.dir != sc.dir || auto.cleanup != nil {
		t.Fatalf("auto on a journaled ext4: want it as it is, got %+v, %v", auto, err)
	}
	mounted = false
	sc.cleanup()
	if fs, err := statFS(ctx, sc.dir); err == nil && strings.HasPrefix(fs.source, "/dev/loop") {
		t.Errorf("after cleanup %s is still mounted from %s", sc.dir, fs.source)
	}
	if _, err := os.Stat(filepath.Join(work, "scratch-ext4.img")); !os.IsNotExist(err) {
		t.Errorf("after cleanup the image is still there (%v)", err)
	}
}
