// Command bench measures prewarm's time-to-ready on this machine: the preset
// scripts (templates-go/scripts) run for real, cold against the registries
// (npm registry, Go module proxy) or the offline fixtures served on
// 127.0.0.1 (pip, cargo, maven), warm from a populated store, and restored
// from a snapshot, against the physical limit (plain `tar -x` of the same
// tree). Modes are interleaved A B C A B C … so drift hits each alike; each
// cell reports the median and spread of -runs runs.
//
//	cd tests && go run ./bench -out ../docs          # full table (~25 min on 2 idle cores)
//	cd tests && go run ./bench -quick -out /tmp/b    # 3 runs, no 1,500 set
//	cd tests && go run ./bench -only net -net-sets npm-medium -net-skip-go
//	cd tests && go run ./bench -replot ../docs/benchmarks.md -out ../docs
//
// It writes OUT/benchmarks.md (the report, with the raw numbers in an HTML
// comment at its end, from which -replot redraws everything),
// OUT/benchmarks.svg (seconds per mode per ecosystem) and
// OUT/benchmarks-scaling.svg (npm seconds against package count, cache
// bytes against lockfile versions). Progress goes to stderr, the report in
// plain text to stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

type config struct {
	runs       int
	quick      bool
	only       map[string]bool
	out        string
	work       string
	keep       bool
	scratchFS  string
	renderIter int
	jsonOut    string
	npmSets    map[string]bool
	netSets    map[string]bool
	netSkipGo  bool
	// netGoFixture replaces go-medium in the network-volume section (a
	// quick smoke run); empty for the real run.
	netGoFixture string
	root         string // repository root (holds templates-go and tests)
	command      string // the command line, for the report
}

// sections in run order, each with what measures it; -only picks a subset.
var sections = []struct {
	name string
	run  func(*bench) error
}{
	{"render", (*bench).renderCost},
	{"npm", (*bench).npmAll},
	{"go", (*bench).goBench},
	{"pip", (*bench).pipBench},
	{"cargo", (*bench).cargoBench},
	{"maven", (*bench).mavenBench},
	{"net", (*bench).netBench},
	{"scaling", (*bench).npmCacheScaling},
	{"termination", (*bench).terminationBench},
}

// sectionNames lists the sections' names in run order.
func sectionNames() []string {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	return names
}

func main() {
	var c config
	var only, replot, npmSets, netSets string
	flag.IntVar(&c.runs, "runs", 5, "timed runs per mode (interleaved)")
	flag.BoolVar(&c.quick, "quick", false, "3 runs, skip the ~1,500-package npm set, fewer render iterations")
	flag.StringVar(&only, "only", "", "comma-separated sections to run: "+strings.Join(sectionNames(), ","))
	flag.StringVar(&c.out, "out", "", "write benchmarks.md, benchmarks.svg and benchmarks-scaling.svg here (default: only the text report on stdout)")
	flag.StringVar(&c.work, "work", "", "scratch directory (default: a new one under $TMPDIR, removed at the end)")
	flag.BoolVar(&c.keep, "keep", false, "keep the scratch directory")
	flag.StringVar(&c.scratchFS, "scratch-fs", "auto", "where the timed trees are written: auto (a journaled ext4 on a loop device when the scratch directory is ext4 without a journal, whose file creation after a delete is far slower than a node's disk; needs root), loop (always that), none (the scratch directory as it is)")
	flag.IntVar(&c.renderIter, "render-iter", 20, "runs of each CLI command for the render cost")
	flag.StringVar(&npmSets, "npm-sets", "", "comma-separated npm sets to run (default all: npm-small,npm-medium,npm-large; -quick drops npm-large)")
	flag.StringVar(&netSets, "net-sets", "", "comma-separated npm sets for the network-volume section (default npm-medium)")
	flag.BoolVar(&c.netSkipGo, "net-skip-go", false, "network-volume section: npm only, no Go")
	flag.StringVar(&c.netGoFixture, "net-go-fixture", "", "network-volume section: this Go module directory (go.mod, go.sum) instead of go-medium, for a quick smoke run")
	flag.StringVar(&replot, "replot", "", "do not measure: read the numbers from this benchmarks.md (or a -json file) and write the report and plots again")
	flag.StringVar(&c.jsonOut, "json", "", "also write the raw numbers to this JSON file")
	merge := flag.String("merge", "", "do not measure: merge these comma-separated -json files (runs of disjoint sections started together, e.g. the network volume beside the local sets) into one report in -out")
	printScript := flag.String("print-script", "", "print the rendered prewarm.script.NAME the bench runs, and exit")
	flag.Parse()
	if *printScript != "" {
		b := &bench{}
		s, err := b.script(*printScript)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Print(s)
		return
	}
	if *merge != "" {
		if err := mergeResults(strings.Split(*merge, ","), c.out, c.jsonOut); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	c.npmSets = map[string]bool{}
	for _, s := range strings.Split(npmSets, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.npmSets[s] = true
		}
	}
	c.netSets = map[string]bool{}
	for _, s := range strings.Split(netSets, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.netSets[s] = true
		}
	}
	c.command = strings.TrimSpace("cd tests && go run ./bench " + strings.Join(os.Args[1:], " "))

	if err := run(c, only, replot); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c config, only, replot string) error {
	if replot != "" {
		res, err := readResults(replot)
		if err != nil {
			return err
		}
		if c.out == "" {
			c.out = filepath.Dir(replot)
		}
		return writeOutputs(c.out, res, c.jsonOut)
	}
	if c.quick {
		if c.runs == 5 {
			c.runs = 3
		}
		if c.renderIter == 20 {
			c.renderIter = 10
		}
	}
	if c.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	c.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !slices.Contains(sectionNames(), s) {
				return fmt.Errorf("-only: unknown section %q (have %s)", s, strings.Join(sectionNames(), ","))
			}
			c.only[s] = true
		}
	}
	root, err := findRoot()
	if err != nil {
		return err
	}
	c.root = root
	if c.out != "" {
		if c.out, err = filepath.Abs(c.out); err != nil {
			return err
		}
		if err := os.MkdirAll(c.out, 0o755); err != nil {
			return err
		}
	}
	if c.work == "" {
		if c.work, err = os.MkdirTemp("", "prewarm-bench-"); err != nil {
			return err
		}
		if !c.keep {
			defer removeAll(c.work)
		}
	} else if c.work, err = filepath.Abs(c.work); err != nil {
		return err
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	sc, err := setupScratch(context.Background(), c.scratchFS, c.work)
	if err != nil {
		return err
	}
	if sc.cleanup != nil {
		if c.keep {
			defer logf("kept: the loop file system stays mounted at %s (umount it, then remove %s)", sc.dir, filepath.Dir(sc.dir))
		} else {
			defer sc.cleanup()
		}
	}
	c.work = sc.dir

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{cfg: c, ctx: ctx, res: &Results{Runs: c.runs, Quick: c.quick, Command: c.command}}
	b.res.Machine = machineInfo(ctx)
	b.res.Machine.Disk = sc.desc
	if sc.note != "" {
		b.res.Notes = append(b.res.Notes, sc.note)
	}
	b.res.Scripts = b.scriptFacts()
	b.res.Started = time.Now().UTC().Format(time.RFC3339)
	logf("prewarm bench: %d runs per mode, scratch %s", c.runs, c.work)
	logf("machine: %s", b.res.Machine.oneLine())
	start := time.Now()
	for _, sec := range sections {
		s := sec.name
		if len(c.only) > 0 && !c.only[s] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		logf("== %s", s)
		if err := sec.run(b); err != nil {
			logf("!! %s failed: %v", s, err)
			b.res.Notes = append(b.res.Notes, fmt.Sprintf("%s: not measured: %v", s, firstLine(err.Error())))
		}
		logf("== %s done in %s", s, time.Since(t0).Round(time.Second))
	}
	b.res.Finished = time.Now().UTC().Format(time.RFC3339)
	b.res.Machine.LoadEnd = loadAvg()
	b.res.TotalSeconds = time.Since(start).Seconds()
	interrupted := ctx.Err() != nil
	if interrupted {
		// What was measured until then is kept, labelled as partial.
		b.res.Notes = append(b.res.Notes, fmt.Sprintf("this run was interrupted (SIGINT/SIGTERM) after %s: a mode shows the runs it completed, fewer than %d where the interruption came first", duration(b.res.TotalSeconds), c.runs))
	}

	fmt.Println(textReport(b.res))
	out := c.out
	if out == "" {
		out = filepath.Join(c.work, "report")
		if !c.keep {
			logf("no -out: the report above is all that remains")
			return nil
		}
	}
	if err := writeOutputs(out, b.res, c.jsonOut); err != nil {
		return err
	}
	logf("wrote %s/benchmarks.md, benchmarks.svg and benchmarks-scaling.svg", out)
	if interrupted {
		return errors.New("interrupted (partial results written)")
	}
	return nil
}

// writeOutputs writes the report (the raw numbers ride along at its end, so
// -replot needs nothing else) and both plots into dir, and the raw numbers
// to jsonPath when set.
func writeOutputs(dir string, res *Results, jsonPath string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	md := markdownReport(res) + "\n<!-- " + resultsMarker + "\n" + strings.ReplaceAll(string(js), "--", `-\u002d`) + "\n-->\n"
	files := []struct {
		name string
		data []byte
	}{
		{"benchmarks.md", []byte(md)},
		{"benchmarks.svg", []byte(barChartSVG(res))},
		{"benchmarks-scaling.svg", []byte(scalingSVG(res))},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		return writeFileAtomic(jsonPath, append(js, '\n'))
	}
	return nil
}

// resultsMarker opens the HTML comment that carries the raw numbers at the
// end of benchmarks.md ("--" inside it is written as -\u002d, still JSON).
const resultsMarker = "prewarm-bench-results"

// readResults reads a benchmarks.json or the numbers at the end of a
// benchmarks.md.
func readResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := string(data)
	if i := strings.LastIndex(s, "<!-- "+resultsMarker); i >= 0 {
		s = s[i+len("<!-- "+resultsMarker):]
		if j := strings.LastIndex(s, "-->"); j >= 0 {
			s = s[:j]
		}
	}
	var res Results
	if err := json.Unmarshal([]byte(s), &res); err != nil {
		return nil, fmt.Errorf("%s: no results (%w)", path, err)
	}
	return &res, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// findRoot walks up from the working directory to the repository root: the
// directory holding templates-go/ and tests/bench/.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if isDir(filepath.Join(d, "templates-go", "scripts")) && isDir(filepath.Join(d, "tests", "bench")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run from inside the prewarm repository (no templates-go/ and tests/bench/ above %s)", dir)
		}
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// scriptsNote says which scripts a merged run r measured when they are
// not the ones the report's header names (first).
func scriptsNote(first *ScriptFacts, r *Results) string {
	f := r.Scripts
	if f == nil || first == nil || f.GitHead == first.GitHead && maps.Equal(f.SHA256, first.SHA256) {
		return ""
	}
	var sums []string
	for _, eco := range slices.Sorted(maps.Keys(f.SHA256)) {
		if f.SHA256[eco] != first.SHA256[eco] {
			sums = append(sums, eco+" "+f.SHA256[eco])
		}
	}
	return fmt.Sprintf("`%s` measured the scripts at git %s (rendered scripts that differ from the header's: %s)", r.Command, orDash(f.GitHead), orDash(strings.Join(sums, ", ")))
}

// mergeResults joins the results of bench runs of disjoint sections that
// ran side by side or one after another (same runs per mode): groups in file order, the first
// breakdown, compression and cache series found, the machine of the first
// file with the load at the end of the last to finish, and every command.
func mergeResults(files []string, out, jsonOut string) error {
	if out == "" {
		return errors.New("-merge needs -out")
	}
	var m *Results
	var cmds []string
	overlap := false
	var longest, sum float64 // seconds: side by side, the longest run; one after another, all
	for _, f := range files {
		r, err := readResults(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		cmds = append(cmds, r.Command)
		if m == nil {
			m = r
			longest, sum = r.TotalSeconds, r.TotalSeconds
			continue
		}
		// RFC 3339 UTC times compare as strings
		overlap = overlap || r.Started < m.Finished && m.Started < r.Finished
		if n := scriptsNote(m.Scripts, r); n != "" {
			m.Notes = append(m.Notes, n)
		}
		if r.Runs != m.Runs {
			return fmt.Errorf("%s: %d runs per mode, the first file has %d", f, r.Runs, m.Runs)
		}
		m.Groups = append(m.Groups, r.Groups...)
		if m.Breakdown == nil {
			m.Breakdown, m.BreakdownOf = r.Breakdown, r.BreakdownOf
		}
		if m.NetCompression == nil {
			m.NetCompression, m.NetCompressionOf, m.NetNote = r.NetCompression, r.NetCompressionOf, r.NetNote
		}
		if m.Cache == nil {
			m.Cache = r.Cache
		}
		if m.Render == nil {
			m.Render, m.RenderNote = r.Render, r.RenderNote
		}
		m.Notes = append(m.Notes, r.Notes...)
		if r.Started < m.Started {
			m.Started = r.Started
		}
		if r.Finished > m.Finished {
			m.Finished = r.Finished
			m.Machine.LoadEnd = r.Machine.LoadEnd
		}
		longest = max(longest, r.TotalSeconds)
		sum += r.TotalSeconds
		if !strings.Contains(m.Machine.Load, r.Machine.Load) {
			m.Machine.Load += "; another run's start: " + r.Machine.Load
		}
	}
	if m == nil {
		return errors.New("-merge: no files")
	}
	sep := " ; "
	m.TotalSeconds = sum
	if overlap {
		m.TotalSeconds = longest
	}
	if len(files) > 1 {
		how := "one after another"
		if overlap {
			how, sep = "side by side", " & "
		}
		m.Machine.Load += fmt.Sprintf(" — %d bench processes ran %s (the sections split to fit the time), each interleaving its own modes", len(files), how)
	}
	m.Command = strings.Join(cmds, sep)
	return writeOutputs(out, m, jsonOut)
}
