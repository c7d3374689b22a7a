package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// table renders as Markdown or as aligned text.
type table struct {
	header []string
	rows   [][]string
	right  []bool // right-align column i
}

func (t table) markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.header, " | ") + " |\n|")
	for i := range t.header {
		if i < len(t.right) && t.right[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

func (t table) text() string {
	w := make([]int, len(t.header))
	for i, h := range t.header {
		w[i] = len([]rune(h))
	}
	for _, r := range t.rows {
		for i, c := range r {
			if n := len([]rune(stripMD(c))); n > w[i] {
				w[i] = n
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			c = stripMD(c)
			pad := strings.Repeat(" ", w[i]-len([]rune(c)))
			if i < len(t.right) && t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			if i < len(cells)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	line(t.header)
	var sep []string
	for _, n := range w {
		sep = append(sep, strings.Repeat("-", n))
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}

func stripMD(s string) string { return strings.NewReplacer("**", "", "`", "").Replace(s) }

// secs formats seconds with a precision that suits the size.
func secs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func ratioStr(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	if v >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func spread(s Stat) string {
	if s.N == 0 {
		return "–"
	}
	return secs(s.Min) + "–" + secs(s.Max)
}

func iqr(s Stat) string {
	if s.N == 0 {
		return "–"
	}
	return secs(s.Q1) + "–" + secs(s.Q3)
}

// ---- goals ----

type goal struct {
	what, target string
	value        float64
	limit        float64
	measured     bool
	paired       float64 // median of per-round ratios (NaN if not applicable)
}

func (g goal) met() bool { return g.measured && g.value <= g.limit }

func (g goal) status() string {
	switch {
	case !g.measured:
		return "not measured"
	case g.met():
		return "**met**"
	default:
		return "**missed**"
	}
}

func goals(r *Results) []goal {
	var gs []goal
	med := r.group("npm", "npm-medium")
	sc, sl, psc, psl := math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if med != nil {
		if c, s, l := med.mode("cold"), med.mode("snapshot"), med.mode("limit"); c != nil && s != nil && l != nil {
			sc, sl = ratio(s.Seconds, c.Seconds), ratio(s.Seconds, l.Seconds)
			psc, psl = pairedRatio(s.Seconds, c.Seconds), pairedRatio(s.Seconds, l.Seconds)
		}
	}
	gs = append(gs,
		goal{"npm ~450 set: snapshot / cold", "≤ 0.15", sc, 0.15, !math.IsNaN(sc), psc},
		goal{"npm ~450 set: snapshot / limit (plain tar -x)", "≤ 1.5", sl, 1.5, !math.IsNaN(sl), psl},
	)
	gr, pgr := math.NaN(), math.NaN()
	if g := r.group("go", ""); g != nil {
		if c, w := g.mode("cold"), g.mode("warm"); c != nil && w != nil {
			gr, pgr = ratio(w.Seconds, c.Seconds), pairedRatio(w.Seconds, c.Seconds)
		}
	}
	gs = append(gs, goal{"go: (warm setup + first build) / (cold setup + first build)", "≤ 0.1", gr, 0.1, !math.IsNaN(gr), pgr})
	return gs
}

// ---- reports ----

// textReport is what the program prints when it is done.
func textReport(r *Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nprewarm bench — %s, %d runs per mode (median, min–max)\n\n", r.Machine.Date, r.Runs)
	b.WriteString(resultsTable(r).text())
	b.WriteString("\n")
	b.WriteString(ratioTable(r).text())
	if len(r.Breakdown) > 0 {
		b.WriteString("\nsnapshot restore, part by part (" + r.BreakdownOf + ")\n")
		b.WriteString(breakdownTable(r).text())
	}
	if r.Cache != nil && len(r.Cache.Points) > 0 {
		b.WriteString("\ncache volume after N lockfile versions\n")
		b.WriteString(cacheTable(r).text())
	}
	if len(r.Render) > 0 {
		b.WriteString("\nCLI render cost (ms)\n")
		b.WriteString(renderTable(r).text())
	}
	b.WriteString("\ngoals\n")
	b.WriteString(goalTable(r).text())
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	return b.String()
}

func resultsTable(r *Results) table {
	t := table{header: []string{"set", "mode", "median s", "min–max", "IQR", "CPU s", "parts (median s)"}, right: []bool{false, false, true, true, true, true, false}}
	for _, g := range r.Groups {
		for _, m := range g.Modes {
			s := stat(m.Seconds)
			var parts []string
			for _, p := range m.Parts {
				parts = append(parts, fmt.Sprintf("%s %s", p.Name, secs(median(p.Values))))
			}
			set := g.Set
			if g.Packages > 0 {
				set = fmt.Sprintf("%s (%d pkgs)", g.Set, g.Packages)
			}
			t.rows = append(t.rows, []string{set, m.Name, "**" + secs(s.Median) + "**", spread(s), iqr(s), secs(median(m.CPU)), strings.Join(parts, ", ")})
		}
	}
	return t
}

// ratioTable: per group, each mode against cold (and snapshots against
// the limit).
func ratioTable(r *Results) table {
	t := table{header: []string{"set", "ratio (of medians)", "value"}, right: []bool{false, false, true}}
	for _, g := range r.Groups {
		cold := g.mode("cold")
		if cold == nil {
			continue
		}
		for _, m := range g.Modes {
			if m.Name == "cold" || m.Name == "limit" {
				continue
			}
			t.rows = append(t.rows, []string{g.Set, m.Name + " / cold", ratioStr(ratio(m.Seconds, cold.Seconds))})
		}
		if l := g.mode("limit"); l != nil {
			for _, m := range g.Modes {
				if strings.HasPrefix(m.Name, "snapshot") {
					t.rows = append(t.rows, []string{g.Set, m.Name + " / limit", ratioStr(ratio(m.Seconds, l.Seconds))})
				}
			}
			for _, m := range g.Modes {
				if strings.HasPrefix(m.Name, "snapshot") && len(m.CPU) > 0 && len(l.CPU) > 0 {
					t.rows = append(t.rows, []string{g.Set, m.Name + " / limit, CPU seconds", ratioStr(ratio(m.CPU, l.CPU))})
				}
			}
		}
		if g.Eco == "go" {
			c, w := g.mode("cold"), g.mode("warm")
			if c != nil && w != nil && len(c.Parts) == 2 && len(w.Parts) == 2 {
				t.rows = append(t.rows, []string{g.Set, "warm setup / cold setup", ratioStr(ratio(w.Parts[0].Values, c.Parts[0].Values))})
			}
		}
	}
	return t
}

func breakdownTable(r *Results) table {
	t := table{header: []string{"part", "median s", "min–max", "CPU s", "what"}, right: []bool{false, true, true, true, false}}
	for _, s := range r.Breakdown {
		st := stat(s.Values)
		t.rows = append(t.rows, []string{s.Name, secs(st.Median), spread(st), secs(median(s.CPU)), s.Desc})
	}
	return t
}

func cacheTable(r *Results) table {
	t := table{header: []string{"version", "packages", "no pruner: volume", "snapshots", "npm store", "pruned: volume", "snapshots", "budget"}, right: []bool{true, true, true, true, true, true, true, true}}
	for _, p := range r.Cache.Points {
		t.rows = append(t.rows, []string{fmt.Sprintf("v%d", p.Version), fmt.Sprint(p.Packages), human(p.Bytes), fmt.Sprint(p.Snapshots), human(p.StoreBytes), human(p.PrunedBytes), fmt.Sprint(p.PrunedSnapshots), human(r.Cache.BudgetBytes)})
	}
	return t
}

func renderTable(r *Results) table {
	t := table{header: []string{"command", "median ms", "min–max ms", "CPU ms", "runs", "what"}, right: []bool{false, true, true, true, true, false}}
	for _, s := range r.Render {
		st := stat(s.Values)
		t.rows = append(t.rows, []string{s.Name, fmt.Sprintf("%.0f", st.Median), fmt.Sprintf("%.0f–%.0f", st.Min, st.Max), fmt.Sprintf("%.0f", median(s.CPU)), fmt.Sprint(st.N), s.Desc})
	}
	return t
}

func goalTable(r *Results) table {
	t := table{header: []string{"goal", "target", "measured (ratio of medians)", "per-round ratios, median", "status"}, right: []bool{false, true, true, true, false}}
	for _, g := range goals(r) {
		v := "–"
		if g.measured {
			v = ratioStr(g.value)
		}
		t.rows = append(t.rows, []string{g.what, g.target, v, ratioStr(g.paired), g.status()})
	}
	return t
}

// scalingTable: npm seconds per mode against package count.
func scalingTable(r *Results) (table, bool) {
	var groups []Group
	for _, g := range r.Groups {
		if g.Eco == "npm" {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return table{}, false
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Packages < groups[j].Packages })
	t := table{header: []string{"mode"}, right: []bool{false}}
	for _, g := range groups {
		t.header = append(t.header, fmt.Sprintf("%d pkgs", g.Packages))
		t.right = append(t.right, true)
	}
	for _, m := range groups[0].Modes {
		row := []string{m.Name}
		for _, g := range groups {
			v := math.NaN()
			if gm := g.mode(m.Name); gm != nil {
				v = median(gm.Seconds)
			}
			row = append(row, secs(v))
		}
		t.rows = append(t.rows, row)
	}
	return t, true
}

func markdownReport(r *Results) string {
	var b strings.Builder
	m := r.Machine
	b.WriteString("# Benchmarks: time-to-ready\n\n")
	b.WriteString("How long a Task pod's setup takes before the agent can work, per ecosystem: on an empty cache volume (**cold**), with the tool's store on the volume (**warm**), restored from an install snapshot (**snapshot**), against the **physical limit** — plain `tar -x` of the same tree, which no restore can beat. The preset scripts (`templates-go/scripts`) run for real, as a setup container runs them (`sh -c SCRIPT prewarm-ECO`).\n\n")
	b.WriteString("Generated by `make bench`; do not edit by hand (the raw numbers are in a comment at the end of this file; `cd tests && go run ./bench -replot ../docs/benchmarks.md -out ../docs` redraws the report and plots from them).\n\n")
	fmt.Fprintf(&b, "- Command: `%s` (%d timed runs per mode, modes interleaved A B C A B C …; %s in total)\n", r.Command, r.Runs, duration(r.TotalSeconds))
	fmt.Fprintf(&b, "- Date: %s (started %s, finished %s)\n", m.Date, r.Started, r.Finished)
	if f := r.Scripts; f != nil {
		var sums []string
		for _, eco := range []string{"npm", "gomod", "pip", "cargo", "maven", "prune"} {
			if v, ok := f.SHA256[eco]; ok {
				sums = append(sums, eco+" "+v)
			}
		}
		dirty := "no uncommitted changes to templates-go/scripts"
		if len(f.Dirty) > 0 {
			dirty = "uncommitted changes to templates-go/scripts: " + strings.Join(f.Dirty, ", ")
		}
		fmt.Fprintf(&b, "- Scripts measured: git %s, %s; sha256 of the rendered scripts (first 12 hex digits): %s\n", orDash(f.GitHead), dirty, strings.Join(sums, ", "))
	}
	b.WriteString("\n")

	b.WriteString("## Machine\n\n")
	mt := table{header: []string{"", ""}}
	mt.rows = append(mt.rows,
		[]string{"CPU", fmt.Sprintf("%d × %s (nproc %d)", m.NProc, m.CPU, m.NProc)},
		[]string{"memory", fmt.Sprintf("%.1f GiB", m.MemGiB)},
		[]string{"OS / kernel", m.OS + " / " + m.Kernel},
		[]string{"scratch disk", m.Disk},
		[]string{"load average", "at start " + m.Load + "; at the end " + orDash(m.LoadEnd) + ". Other work shared the machine; interleaving spreads its effect over all modes"},
	)
	keys := make([]string, 0, len(m.Versions))
	for k := range m.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var vs []string
	for _, k := range keys {
		if m.Versions[k] != "" {
			vs = append(vs, k+" "+m.Versions[k])
		}
	}
	mt.rows = append(mt.rows, []string{"versions", strings.Join(vs, "; ")})
	b.WriteString(mt.markdown() + "\n")

	b.WriteString("## Goals\n\n")
	b.WriteString(goalTable(r).markdown() + "\n")
	b.WriteString(boundsText(r))

	b.WriteString("## Results\n\n")
	b.WriteString("Seconds, wall clock of the whole setup step (shell start to exit, including the key, checksums and the summary line); median of the runs, with min–max and the interquartile range. **CPU s** is the median user + system time of every process the step ran (shell, tools, their children): it leaves out waiting for the network, the disk and a free core.\n\n")
	b.WriteString(resultsTable(r).markdown() + "\n")
	b.WriteString("![seconds per mode per ecosystem](benchmarks.svg)\n\n")
	b.WriteString("### Ratios\n\n")
	b.WriteString(ratioTable(r).markdown() + "\n")
	b.WriteString("### Modes\n\n")
	seen := map[string]bool{}
	for _, g := range r.Groups {
		for _, mo := range g.Modes {
			k := g.Eco + "/" + mo.Name
			if seen[k] || mo.Desc == "" {
				continue
			}
			seen[k] = true
			fmt.Fprintf(&b, "- **%s %s**: %s\n", g.Eco, mo.Name, mo.Desc)
		}
	}
	b.WriteString("\n")
	for _, g := range r.Groups {
		for _, in := range g.Info {
			fmt.Fprintf(&b, "- %s: %s\n", g.Set, in)
		}
	}
	b.WriteString("\n")

	if obs := observations(r); obs != "" {
		b.WriteString("### Observations\n\n" + obs + "\n")
	}
	if len(r.Breakdown) > 0 {
		b.WriteString("### Where a snapshot restore spends its time\n\n")
		b.WriteString("Each part timed alone on the same snapshot (" + r.BreakdownOf + "), interleaved like the modes.\n\n")
		b.WriteString(breakdownTable(r).markdown() + "\n")
	}

	b.WriteString("## Scaling\n\n")
	if t, ok := scalingTable(r); ok {
		b.WriteString("npm setup seconds (median) against the number of installed packages:\n\n")
		b.WriteString(t.markdown() + "\n")
	}
	if r.Cache != nil && len(r.Cache.Points) > 0 {
		fmt.Fprintf(&b, "Cache volume after N distinct lockfile versions, each installed into the same volume in turn (set: %s). Without a pruner every version adds a snapshot; with `prewarm.script.prune` run after each version (`PREWARM_PRUNE_MAX_BYTES` = %d, %s) the least recently used snapshots go and the volume stays at the budget. Bytes as `du -s -k` counts them, like the pruner.\n\n", r.Cache.Set, r.Cache.BudgetBytes, r.Cache.BudgetNote)
		b.WriteString(cacheTable(r).markdown() + "\n")
	}
	b.WriteString("![npm scaling and cache size](benchmarks-scaling.svg)\n\n")

	b.WriteString("## Render cost\n\n")
	if len(r.Render) > 0 {
		b.WriteString("The CLI as a process, wall clock in milliseconds (" + r.RenderNote + ").\n\n")
		b.WriteString(renderTable(r).markdown() + "\n")
	} else {
		b.WriteString("Not measured in this run.\n\n")
	}

	b.WriteString("## Method\n\n")
	b.WriteString(`- Every run starts from a fresh checkout at the same path (a pod always clones into /workspace/repo; the pip key and Go's build cache depend on the path) and an empty HOME; ` + "`sync`" + ` runs before each timed step so one run's writeback does not land in the next.
- Scripts run under dash (Debian-based images) with coreutils; **snapshot-busybox** runs the same restore under busybox sh with busybox's applets first on PATH (alpine images).
- npm cold runs download from registry.npmjs.org, go cold runs from proxy.golang.org: their spread includes the network. pip, cargo and maven use the script tests' offline fixtures served from 127.0.0.1 (tests/scripts/testdata), so their cold runs show the tool's own cost, not a remote registry's.
- Round 1's cold run fills the cache that the warm and snapshot modes use (store, snapshot, build cache); later cold runs get a fresh empty cache each. cargo and maven Task pods are read-only consumers: their warm cache is filled once by a trusted writer (` + "`PREWARM_CACHE_MODE=readWrite`" + `) before the timed runs.
- The **limit** extracts a plain tar (made from the installed tree) into the same place, with the same GNU tar, after the same fresh checkout.
- Go: **first build** is the agent's ` + "`go build ./...`" + ` right after setup, with the env the preset gives the agent (GOMODCACHE and GOCACHE on the volume, GOFLAGS=-modcacherw) and GOPROXY=off. With the preset's default ` + "`prebuild: build`" + ` the cold setup already compiles everything into GOCACHE, so the first build is a cache hit in both modes; the cold setup's compile is the work an agent's first build does on an empty GOCACHE.
- Parts timed alone (the restore breakdown) run on the same file system as the modes; file creation there varies from run to run, so read them with their min–max.
- Ratios are ratios of medians.
`)
	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			b.WriteString("- " + n + "\n")
		}
	}
	return b.String()
}

func duration(s float64) string {
	if s <= 0 {
		return "–"
	}
	m := int(s) / 60
	return fmt.Sprintf("%d min %02d s", m, int(s)%60)
}

// boundsText explains the npm restore with the measured parts and, for a
// missed goal, what bounds it and what would change it.
func boundsText(r *Results) string {
	var b strings.Builder
	gs := goals(r)
	med := r.group("npm", "npm-medium")
	bd, cpu := map[string]float64{}, map[string]float64{}
	for _, s := range r.Breakdown {
		bd[s.Name] = median(s.Values)
		cpu[s.Name] = median(s.CPU)
	}
	facts := r.Scripts
	if facts == nil {
		facts = &ScriptFacts{}
	}
	sh := shardSeries(r)
	if med != nil && len(bd) > 0 {
		S, okS := bd["restore-script"]
		L, okL := bd["limit"]
		if !okS || !okL {
			if m, l := med.mode("snapshot"), med.mode("limit"); m != nil && l != nil {
				S, L = median(m.Seconds), median(l.Seconds)
			}
		}
		ck, tx := bd["cksum-coreutils"], bd["tar-x-gnu"]
		fmt.Fprintf(&b, "**What bounds the npm snapshot restore** (%s; medians of the breakdown below, whose runs interleave the whole restore, the limit and each part alone): the restore takes %s s against %s s for plain `tar -x` of the same tree (%s × the limit; CPU %s s against %s s). ",
			r.BreakdownOf, secs(S), secs(L), ratioStr(S/L), secs(cpu["restore-script"]), secs(cpu["limit"]))
		fmt.Fprintf(&b, "Alone, `tar -x` of the snapshot takes %s s and the checksum pass over it %s s", secs(tx), secs(ck))
		if facts.ChecksumConcurrent {
			b.WriteString(" (the script runs the checksum beside `tar -x`, so it adds little wall time)")
		} else {
			b.WriteString(" (the script runs it before `tar -x`, so both add up)")
		}
		fmt.Fprintf(&b, "; the key's version probe costs %s s for `node --version`, %s s for a JavaScript start-up (`node -e`) and %s s for `npm --version`; this script probes with `%s`.",
			secs(bd["node-version"]), secs(bd["node-start"]), secs(bd["npm-version"]), facts.KeyProbe)
		if tm, ok := bd["tar-x-tmpfs"]; ok {
			fmt.Fprintf(&b, " The same `tar -x` into tmpfs takes %s s: %s s of the %s s is the disk file system creating files, not tar reading the archive.", secs(tm), secs(tx-tm), secs(tx))
		}
		if sh != nil && tx > 0 {
			fmt.Fprintf(&b, " Split into shards by top-level package and extracted by concurrent `tar -x` processes (`%s`), the same tree lands in %s s (%s × one `tar -x`).", sh.Name, secs(median(sh.Values)), ratioStr(median(sh.Values)/tx))
		}
		b.WriteString("\n\n")
		if len(gs) > 1 && gs[1].measured && !gs[1].met() {
			b.WriteString("The snapshot/limit goal (≤ 1.5) is missed. The scripts are not changed here; what the measurements say would change the result:\n\n")
			if !facts.ChecksumConcurrent {
				fmt.Fprintf(&b, "- run the checksum beside the extraction instead of before it (`head -c N snap | cksum` in a background job while `tar -x` fills the temp dir, which is renamed into place only after the checksum matched): saves up to %s s;\n", secs(ck))
			}
			if facts.KeyProbe == "npm --version" {
				fmt.Fprintf(&b, "- do not start npm for the key: read npm's version from the package.json beside the npm binary: saves about %s s;\n", secs(bd["npm-version"]-bd["node-version"]))
			}
			if over := S - tx; over > 0 {
				fmt.Fprintf(&b, "- the restore's own work above `tar -x` of the snapshot is %s s (key, version probe, trailer, checksum wait, rename, package count);\n", secs(over))
			}
			b.WriteString("\n")
		}
	}
	if med != nil && len(gs) > 0 && gs[0].measured && !gs[0].met() {
		if c, sn := med.mode("cold"), med.mode("snapshot"); c != nil && sn != nil {
			mc, ms := median(c.Seconds), median(sn.Seconds)
			fmt.Fprintf(&b, "The snapshot/cold goal (≤ 0.15) is missed: cold took %s s here, 0.15 × cold = %s s, less than the restore's %s s.", secs(mc), secs(0.15*mc), secs(ms))
			if l := med.mode("limit"); l != nil && len(l.Seconds) > 0 {
				ml := median(l.Seconds)
				if ml/mc > 0.15 {
					fmt.Fprintf(&b, " Even the physical limit — plain `tar -x` of the same tree, no script at all — took %s s = %s × cold in the same runs: on this machine the goal is bounded by how fast one `tar` process gets node_modules' files created, not by the restore script (snapshot / limit = %s).", secs(ml), ratioStr(ml/mc), ratioStr(ms/ml))
					if sh != nil {
						if tx, ok := bd["tar-x-gnu"]; ok && tx > 0 && median(sh.Values) < tx {
							fmt.Fprintf(&b, " `npm ci` creates files from several threads at once; concurrent `tar -x` of shards (`%s`) took %s × one `tar -x`, so a sharded snapshot would move that bound.", sh.Name, ratioStr(median(sh.Values)/tx))
						}
					}
				} else {
					fmt.Fprintf(&b, " Plain `tar -x` took %s s = %s × cold, so the script's own work above the limit (%s s) is what misses it.", secs(ml), ratioStr(ml/mc), secs(ms-ml))
				}
			}
			b.WriteString("\n\n")
		}
	}
	if g := r.group("go", ""); g != nil && len(gs) > 2 && gs[2].measured && !gs[2].met() {
		if c, w := g.mode("cold"), g.mode("warm"); c != nil && w != nil && len(w.Parts) == 2 {
			fmt.Fprintf(&b, "**Go**: warm setup %s s + first build %s s against cold %s s; the warm setup still runs `go mod download` and `go build ./...` (both cache hits) in full.\n\n",
				secs(median(w.Parts[0].Values)), secs(median(w.Parts[1].Values)), secs(median(c.Seconds)))
		}
	}
	return b.String()
}

// observations flags results a reader would question (a warm mode slower
// than cold) with what the measurements show about why.
func observations(r *Results) string {
	var b strings.Builder
	for _, g := range r.Groups {
		c, w := g.mode("cold"), g.mode("warm")
		if c == nil || w == nil || len(c.Seconds) == 0 || len(w.Seconds) == 0 {
			continue
		}
		mc, mw := median(c.Seconds), median(w.Seconds)
		if mw < mc*0.9 {
			continue
		}
		verb := "saves little over"
		if mw > mc {
			verb = "is slower than"
		}
		fmt.Fprintf(&b, "- **%s**: warm (%s s) %s cold (%s s). ", g.Set, secs(mw), verb, secs(mc))
		switch g.Eco {
		case "cargo":
			b.WriteString("The fixture registry is on 127.0.0.1, so a cold fetch of its 7 small crates pays no network round trips, while a warm Task pod first copies the shared cache into its own CARGO_HOME (tar | tar) and then runs `cargo fetch --offline`. The cache pays off where each of the cold run's requests (counted above) is a round trip to crates.io.\n")
		case "maven":
			b.WriteString("Maven 3.8 has no `maven.repo.local.tail`, so a read-only Task pod copies the whole shared repository into its per-pod repository before Maven starts (in the **rest** part with the JVM start for `mvn -v` and the shell), and the remote here is on 127.0.0.1, so resolving cold costs little. With Maven 3.9+ the pod reads the shared repository in place; against Maven Central the cold run's requests (counted above) are internet round trips.\n")
		case "pip":
			b.WriteString("Both create the venv (`python -m venv` runs ensurepip, which installs pip itself) before installing two tiny wheels from 127.0.0.1; the venv creation dominates, which is why the snapshot restore is the mode that matters for pip.\n")
		case "npm":
			b.WriteString("`npm ci` from a warm store still verifies and unpacks every tarball and writes node_modules; when the registry answers quickly the download it saves is small next to that, which is why the snapshot restore is the mode that matters.\n")
		default:
			b.WriteString("\n")
		}
	}
	return b.String()
}

// shardSeries is the breakdown's concurrent-shards extraction, if measured.
func shardSeries(r *Results) *Series {
	for i, s := range r.Breakdown {
		if strings.HasPrefix(s.Name, "tar-x-") && strings.HasSuffix(s.Name, "-shards") {
			return &r.Breakdown[i]
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
