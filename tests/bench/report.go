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
	rat := func(what, target string, limit float64, g *Group, num, den string) {
		v, pv := math.NaN(), math.NaN()
		if g != nil {
			if n, d := g.mode(num), g.mode(den); n != nil && d != nil && len(n.Seconds) > 0 && len(d.Seconds) > 0 {
				v, pv = ratio(n.Seconds, d.Seconds), pairedRatio(n.Seconds, d.Seconds)
			}
		}
		gs = append(gs, goal{what, target, v, limit, !math.IsNaN(v), pv})
	}
	for _, set := range []string{"npm-medium", "npm-large"} {
		g := r.group("npm", set)
		rat(set+": snapshot / one-process tar -x (local disk)", "≤ 0.8", 0.8, g, "snapshot", "limit")
		rat(set+": snapshot / cold (local disk)", "≤ 0.15", 0.15, g, "snapshot", "cold")
	}
	for _, g := range r.Groups {
		if g.Net && g.Eco == "npm" {
			rat(g.Set+": snapshot / store on the volume", "≤ 0.2", 0.2, &g, "snapshot", "store")
		}
	}
	rat("go, local disk, default (auto): (warm setup + first build) / (cold setup + first build)", "≤ 0.1", 0.1, r.group("go", "go-medium"), "warm", "cold")
	for _, g := range r.Groups {
		if g.Net && g.Eco == "go" {
			// the peers' shape (snapshots=false, "volume") is in the
			// ratio table, not a goal
			rat("go, network volume, default (auto): (warm setup + first build) / cold", "≤ 0.1", 0.1, &g, "warm", "cold")
		}
	}
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
		b.WriteString(partsTable(r.Breakdown).text())
	}
	if len(r.NetCompression) > 0 {
		b.WriteString("\ncompression on the network volume (" + r.NetCompressionOf + ")\n")
		b.WriteString(partsTable(r.NetCompression).text())
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
	t := table{header: []string{"set", "mode", "runs", "median s", "min–max", "IQR", "CPU s", "parts (median s)"}, right: []bool{false, false, true, true, true, true, true, false}}
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
			t.rows = append(t.rows, []string{set, m.Name, fmt.Sprint(len(m.Seconds)), "**" + secs(s.Median) + "**", spread(s), iqr(s), secs(median(m.CPU)), strings.Join(parts, ", ")})
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
		if st := g.mode("store"); st != nil {
			for _, m := range g.Modes {
				if m.Name == "snapshot" || m.Name == "tar-x" {
					t.rows = append(t.rows, []string{g.Set, m.Name + " / store", ratioStr(ratio(m.Seconds, st.Seconds))})
				}
			}
			if sn, tx := g.mode("snapshot"), g.mode("tar-x"); sn != nil && tx != nil {
				t.rows = append(t.rows, []string{g.Set, "snapshot / tar-x", ratioStr(ratio(sn.Seconds, tx.Seconds))})
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

// partsTable is one row per part: its median, spread and CPU seconds (the
// snapshot breakdown, the compression comparison).
func partsTable(parts []Series) table {
	t := table{header: []string{"part", "median s", "min–max", "CPU s", "what"}, right: []bool{false, true, true, true, false}}
	for _, s := range parts {
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
	b.WriteString("How long a Task pod's setup takes before the agent can work, per ecosystem: on an empty cache volume (**cold**), with the tool's store on the volume (**warm**, or **store** on the network volume), restored from a sharded install snapshot (**snapshot**), against **limit** — one `tar -x` process extracting the same tree, the best a single-tar snapshot can do. The cache volume is local disk, and in the **network volume** groups an sshfs mount standing in for NFS/EFS/Filestore/CephFS. The preset scripts (`templates-go/scripts`) run for real, as a setup container runs them (`sh -c SCRIPT prewarm-ECO`).\n\n")
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
		b.WriteString(partsTable(r.Breakdown).markdown() + "\n")
	}
	if len(r.NetCompression) > 0 {
		b.WriteString("### Compression on the network volume\n\n")
		b.WriteString("One-process extraction of the same tree (" + r.NetCompressionOf + ") from the network volume, uncompressed and compressed at the fastest level, interleaved.\n\n")
		b.WriteString(partsTable(r.NetCompression).markdown() + "\n")
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
- The **limit** extracts a plain tar (made from the installed tree) into the same place, with one GNU tar process, after the same fresh checkout. The **snapshot** is the library's sharded snapshot (snapshots/<key>.v2: a manifest and byte-balanced shard tars, see docs/caching.md), restored by two extractors per CPU the container may use.
- **Network volume**: this program starts an sshd on a free 127.0.0.1 port with a throwaway host key and client key in its scratch directory and mounts the cache directory with sshfs (FUSE); it unmounts and stops sshd when the section ends, fails or is interrupted (SIGINT/SIGTERM). sshfs stands in for NFS, EFS, Filestore or CephFS, which this kernel cannot mount; over loopback it adds per-operation round trips but no wire latency, so a real network widens the gaps. The checkout (node_modules, the Go build output) stays on local disk, as a pod's workspace would.
- Go: **first build** is the agent's ` + "`go build ./...`" + ` right after setup, with the env the preset gives the agent and GOPROXY=off: by default (snapshots unset, ` + "`auto`" + `) GOMODCACHE and GOCACHE are per-pod paths under HOME, which the setup links to the caches on the volume on local disk and fills from the volume's snapshots on a network volume; with snapshots=false (the **volume** mode) they are on the volume. The setup runs go with the same GOMODCACHE path as the agent: Go's build cache keys hold each dependency's directory. With the preset's default ` + "`prebuild: build`" + ` the cold setup already compiles everything into GOCACHE, so the first build is a cache hit in every mode; the cold setup's compile is the work an agent's first build does on an empty GOCACHE.
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

// boundsText explains the npm restore with the measured parts, what bounds
// a missed goal, and the network-volume results.
func boundsText(r *Results) string {
	var b strings.Builder
	bd, cpu := map[string]float64{}, map[string]float64{}
	for _, s := range r.Breakdown {
		bd[s.Name] = median(s.Values)
		cpu[s.Name] = median(s.CPU)
	}
	sh := shardSeries(r)
	if S, ok := bd["restore-script"]; ok {
		L := bd["limit"]
		tx := bd["tar-x-gnu"]
		fmt.Fprintf(&b, "**Where the npm restore stands** (%s; medians of the breakdown below, whose runs interleave the whole restore, the one-process `tar -x` and each part alone): the sharded restore takes %s s against %s s for one `tar -x` process extracting the same tree (%s ×; CPU %s s against %s s).",
			r.BreakdownOf, secs(S), secs(L), ratioStr(S/L), secs(cpu["restore-script"]), secs(cpu["limit"]))
		if sh != nil && tx > 0 {
			x := median(sh.Values)
			fmt.Fprintf(&b, " The snapshot's shards extracted as the restore does it but without checksum or shell (`%s`) take %s s (%s × one `tar -x` alone, %s s): the checksum, the key, the shell and the rename add %s s to that.", sh.Name, secs(x), ratioStr(x/tx), secs(tx), secs(max(S-x, 0)))
		}
		if to, ok := bd["tar-x-gnu-opts"]; ok && to > 0 {
			fmt.Fprintf(&b, " One `tar -x` process with the options the restore gives GNU tar (`-o -b 256 -B`) takes %s s: the restore takes %s × that.", secs(to), ratioStr(S/to))
		}
		if tm, ok := bd["tar-x-tmpfs"]; ok && tx > 0 {
			fmt.Fprintf(&b, " The same one-process `tar -x` into tmpfs takes %s s: the other %s s are the disk file system creating the files, the work concurrent extractors (two per CPU the container may use) overlap.", secs(tm), secs(max(tx-tm, 0)))
		}
		b.WriteString("\n\n")
	}
	for _, g := range goals(r) {
		if !g.measured || g.met() {
			continue
		}
		fmt.Fprintf(&b, "- **missed**: %s = %s (target %s).", g.what, ratioStr(g.value), g.target)
		switch {
		case strings.Contains(g.what, "snapshot / cold (local disk)"):
			set := strings.SplitN(g.what, ":", 2)[0]
			if grp := r.group("npm", set); grp != nil {
				c, sn, l := grp.mode("cold"), grp.mode("snapshot"), grp.mode("limit")
				if c != nil && sn != nil && l != nil {
					fmt.Fprintf(&b, " Cold took %s s, 0.15 × cold = %s s; the restore took %s s and one `tar -x` process %s s (%s × cold): the file system's file creation on this machine's %d shared cores bounds it, not the script.",
						secs(median(c.Seconds)), secs(0.15*median(c.Seconds)), secs(median(sn.Seconds)), secs(median(l.Seconds)), ratioStr(ratio(l.Seconds, c.Seconds)), r.Machine.NProc)
				}
			}
		case strings.Contains(g.what, "one-process tar -x"):
			bd := map[string]float64{}
			for _, s := range r.Breakdown {
				bd[s.Name] = median(s.Values)
			}
			if S, ok := bd["restore-script"]; ok && sh != nil && bd["limit"] > 0 && strings.HasPrefix(g.what, "npm-medium") {
				x, L := median(sh.Values), bd["limit"]
				fmt.Fprintf(&b, " The snapshot mode times the whole setup step (shell, key, cache probe and lease, manifest, checksums, rename, summary line) and the limit a bare `tar -x`. In the breakdown the step takes %s s and one `tar -x` %s s; bare concurrent extraction of the shards, without checksums or shell, takes %s s (%s × one `tar -x`, on %d cores). So 0.8 × one `tar -x` (%s s) leaves %s s for the checksums and everything else the step does, which took %s s; the larger the tree, the smaller their share.",
					secs(S), secs(L), secs(x), ratioStr(x/L), r.Machine.NProc, secs(0.8*L), secs(0.8*L-x), secs(max(S-x, 0)))
			} else {
				fmt.Fprintf(&b, " Concurrent extractors gain only as much as the container has idle CPUs: this run's load average is in the machine table (nproc %d).", r.Machine.NProc)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(pvcText(r))
	return b.String()
}

// pvcText answers "why not just put the npm cache on a PVC?" from the
// network-volume measurements.
func pvcText(r *Results) string {
	var g *Group
	for i := range r.Groups {
		if r.Groups[i].Net && r.Groups[i].Eco == "npm" {
			g = &r.Groups[i]
			break
		}
	}
	if g == nil {
		return ""
	}
	c, st, sn, tx := g.mode("cold"), g.mode("store"), g.mode("snapshot"), g.mode("tar-x")
	if c == nil || st == nil || sn == nil || tx == nil || len(st.Seconds) == 0 || len(sn.Seconds) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Why not just put the npm cache on a PVC?\n\n")
	fmt.Fprintf(&b, "That is what the peers do (a setup-node-style cache, a per-repo PVC): `npm ci` with its cache on the shared volume. On the network volume here (%s) that took %s s for %s against %s s cold: `npm ci` still reads, verifies and unpacks every tarball from the volume one file at a time and writes node_modules file by file, so the network's per-file round trips stay in the path. prewarm's snapshot moves the finished node_modules as a few large shard files that concurrent extractors stream from the volume: %s s, %s × the store on the volume, and %s × one `tar -x` process reading a single tar from the same volume (%s s).",
		r.NetNote, secs(median(st.Seconds)), strings.TrimSuffix(g.Set, " (network volume)"), secs(median(c.Seconds)), secs(median(sn.Seconds)), ratioStr(ratio(sn.Seconds, st.Seconds)), ratioStr(ratio(sn.Seconds, tx.Seconds)), secs(median(tx.Seconds)))
	if len(r.NetCompression) > 0 {
		// where: "" the network volume, "local-" local disk
		summary := func(where string) (parts []string, none, best float64, bestName string) {
			for _, s := range r.NetCompression {
				name, ok := strings.CutPrefix(s.Name, where+"tar-x-")
				if !ok {
					continue
				}
				m := median(s.Values)
				if name == "none" {
					none = m
				}
				parts = append(parts, fmt.Sprintf("%s %s s", name, secs(m)))
			}
			best, bestName = none, "none"
			for _, s := range r.NetCompression {
				if name, ok := strings.CutPrefix(s.Name, where+"tar-x-"); ok {
					if m := median(s.Values); m > 0 && m < best {
						best, bestName = m, name
					}
				}
			}
			return parts, none, best, bestName
		}
		parts, none, best, bestName := summary("")
		fmt.Fprintf(&b, " Compression, measured on the same volume (%s, one-process extraction): %s.", r.NetCompressionOf, strings.Join(parts, ", "))
		if bestName == "none" {
			b.WriteString(" It does not pay in this run: the bytes saved on the wire cost about as much in decompression as they save.")
		} else if best > 0.9*none {
			fmt.Fprintf(&b, " The best, %s, takes %s × the uncompressed extraction here: at loopback bandwidth the bytes saved on the wire barely pay for the decompression; a real network, with less bandwidth per pod, makes them pay more.", bestName, ratioStr(best/none))
		} else {
			fmt.Fprintf(&b, " %s saves %s × of the uncompressed extraction on this volume.", bestName, ratioStr(1-best/none))
		}
		if lparts, _, _, _ := summary("local-"); len(lparts) > 0 {
			fmt.Fprintf(&b, " On local disk: %s.", strings.Join(lparts, ", "))
		}
		b.WriteString(" So the scripts compress only on a network volume: `PREWARM_SNAPSHOT_COMPRESSION=auto` (the default) writes zstd shards (else lz4) when the cache is on a network file system and the image has the tool, uncompressed shards otherwise; an image without the tool restores a compressed snapshot as a clean miss ([caching.md](caching.md#install-snapshots-npm-pip)).")
	}
	b.WriteString("\n\n")
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
