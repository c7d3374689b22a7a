package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
	"github.com/prewarm-dev/prewarm/tests/internal/shells"
	"github.com/prewarm-dev/prewarm/tests/internal/tree"
)

// npmSet is one dependency set: a package.json and package-lock.json.
type npmSet struct {
	name string
	dir  string
}

func (b *bench) npmSets() []npmSet {
	td := filepath.Join(b.cfg.root, "tests", "bench", "testdata")
	sets := []npmSet{
		{"npm-small", filepath.Join(td, "npm-small")},
		{"npm-medium", filepath.Join(fixtures.Dir(), fixtures.NpmMedium)},
		{"npm-large", filepath.Join(td, "npm-large")},
	}
	if len(b.cfg.npmSets) > 0 {
		var picked []npmSet
		for _, s := range sets {
			if b.cfg.npmSets[s.name] {
				picked = append(picked, s)
			}
		}
		return picked
	}
	if b.cfg.quick {
		sets = sets[:2]
	}
	return sets
}

func (b *bench) npmAll() error {
	var errs []string
	for _, s := range b.npmSets() {
		if b.ctx.Err() != nil {
			return b.ctx.Err()
		}
		if err := b.npmSet(s); err != nil {
			logf("!! %s: %v", s.name, err)
			errs = append(errs, fmt.Sprintf("%s: %s", s.name, firstLine(err.Error())))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// npm modes, in interleaving order.
var npmModeDesc = []struct{ name, desc string }{
	{"cold", "empty cache volume: npm ci downloads every package from the registry, then the snapshot is published"},
	{"warm", "npm store on the volume populated, snapshots off (PREWARM_SNAPSHOTS=false): npm ci from the store"},
	{"snapshot", "sharded snapshot restored (manifest, two concurrent tar -x per CPU the container may use with one cksum reading every shard beside them, rename), no install"},
	{"limit", "one-process plain tar -x of the same node_modules from a local tar (no checksum, no shell): what a single-tar snapshot can at best do"},
	{"snapshot-busybox", "the same restore under busybox sh with busybox's applets first on PATH (tar, head, tail, wc, …), as in an alpine image; an applet busybox lacks (Debian's has no cksum) comes from the system"},
}

type npmRig struct {
	set               npmSet
	dir, repo, home   string
	primed, coldCache string
	plainTar          string
	nmDir             string
}

func (b *bench) newNpmRig(s npmSet) (*npmRig, error) {
	if _, err := os.Stat(filepath.Join(s.dir, "package-lock.json")); err != nil {
		return nil, fmt.Errorf("lockfile missing: %v", err)
	}
	dir := filepath.Join(b.cfg.work, s.name)
	r := &npmRig{set: s, dir: dir, repo: filepath.Join(dir, "ws", "repo"), home: filepath.Join(dir, "ws", "home"),
		primed: filepath.Join(dir, "cache-primed"), coldCache: filepath.Join(dir, "cache-cold"), plainTar: filepath.Join(dir, "plain.tar")}
	r.nmDir = filepath.Join(r.repo, "node_modules")
	return r, fresh(dir)
}

// clone lays out a fresh checkout at the fixed repo path (a pod always
// clones into /workspace/repo) and an empty HOME.
func (r *npmRig) clone() error {
	if err := fresh(r.repo); err != nil {
		return err
	}
	if err := fresh(r.home); err != nil {
		return err
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(r.set.dir, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(r.repo, f), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (r *npmRig) env(cache string, extra ...string) []string {
	return append([]string{
		"PREWARM_REPO=" + r.repo,
		"PREWARM_HOME=" + r.home,
		"PREWARM_CACHE=" + cache,
		"npm_config_fetch_timeout=60000",
		"npm_config_fetch_retries=4",
	}, extra...)
}

// install runs the npm script once in a fresh clone; want is the result
// the mode must report.
func (b *bench) npmInstall(r *npmRig, shell, cache, want string, extra ...string) (float64, summary, error) {
	if err := r.clone(); err != nil {
		return 0, nil, err
	}
	settle()
	p, sums, err := b.runScript(shell, "npm", r.repo, r.env(cache, extra...), 15*time.Minute, 1, want)
	if err != nil {
		return 0, nil, err
	}
	return p.Elapsed.Seconds(), sums[0], nil
}

func (b *bench) npmSet(s npmSet) error {
	r, err := b.newNpmRig(s)
	if err != nil {
		return err
	}
	defer removeAll(r.dir)
	g := Group{Eco: "npm", Set: s.name}
	for _, m := range npmModeDesc {
		g.Modes = append(g.Modes, Mode{Name: m.name, Desc: m.desc})
	}
	rounds := b.cfg.runs

	steps := append(b.npmSteps(r, &g, [3]string{"warm", "snapshot", "limit"}),
		step{"snapshot-busybox", func(int) (float64, error) {
			secs, _, err := b.npmInstall(r, "busybox", r.primed, "snapshot")
			return secs, err
		}})
	err = b.interleave(s.name, rounds, steps, g.record)
	if g.Packages > 0 || len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, g)
	}
	if err != nil {
		return err
	}
	if s.name == "npm-medium" {
		if err := b.npmBreakdown(r); err != nil {
			logf("!! restore breakdown: %v", err)
			b.res.Notes = append(b.res.Notes, "restore breakdown not measured: "+firstLine(err.Error()))
		}
	}
	return nil
}

// npmSteps are the four modes of an npm set, the last three named names: cold (round 1's
// cold run fills the cache that the next two use, its store and its
// snapshot, so no extra cold install is needed), the store with snapshots
// off, the snapshot, and a plain tar -x of the same node_modules.
func (b *bench) npmSteps(r *npmRig, g *Group, names [3]string) []step {
	return []step{
		coldStep(r.primed, r.coldCache, func(cache string) (float64, error) {
			secs, sum, err := b.npmInstall(r, "dash", cache, "cold")
			if n, aerr := strconv.Atoi(sum["packages"]); err == nil && aerr == nil {
				g.Packages = n
			}
			return secs, err
		}, func() error {
			var snapBytes int64
			return b.npmPrime(r, g, &snapBytes)
		}),
		{names[0], func(int) (float64, error) {
			secs, _, err := b.npmInstall(r, "dash", r.primed, "warm", "PREWARM_SNAPSHOTS=false")
			return secs, err
		}},
		{names[1], func(int) (float64, error) {
			secs, _, err := b.npmInstall(r, "dash", r.primed, "snapshot")
			return secs, err
		}},
		{names[2], func(int) (float64, error) {
			if err := r.clone(); err != nil {
				return 0, err
			}
			if err := os.MkdirAll(r.nmDir, 0o755); err != nil {
				return 0, err
			}
			settle()
			p, err := b.mustExec(r.repo, baseEnv(""), 10*time.Minute, "tar", "-xf", r.plainTar, "-C", r.nmDir)
			return p.Elapsed.Seconds(), err
		}},
	}
}

// npmPrime runs after the first cold install: it checks the published
// snapshot and makes the plain tar of the same node_modules for the limit.
func (b *bench) npmPrime(r *npmRig, g *Group, snapBytes *int64) error {
	snap, shards, err := oneSnapshot(r.primed)
	if err != nil {
		return err
	}
	if _, err := b.untimed(r.repo, baseEnv(""), 10*time.Minute, "tar", "-cf", r.plainTar, "-C", r.nmDir, "."); err != nil {
		return err
	}
	*snapBytes, _ = duBytes(snap)
	store, _ := duBytes(filepath.Join(r.primed, "store"))
	nm, _ := duBytes(r.nmDir)
	g.Info = append(g.Info,
		fmt.Sprintf("%d packages; node_modules %s in %d files; snapshot %s in %d shards; npm store %s",
			g.Packages, human(nm), countFiles(r.nmDir), human(*snapBytes), shards, human(store)))
	return nil
}

// oneSnapshot returns the one snapshot directory (layout v2,
// snapshots/<key>.v2) in cache and its number of shards.
func oneSnapshot(cache string) (string, int, error) {
	snaps, _ := filepath.Glob(filepath.Join(cache, "snapshots", "*.v2"))
	if len(snaps) != 1 {
		return "", 0, fmt.Errorf("want one snapshot in %s/snapshots, have %v", cache, snaps)
	}
	shards, _, err := snapshotLayout(snaps[0])
	return snaps[0], len(shards), err
}

// npmBreakdown times the parts of a snapshot restore on the ~450 set, each
// on the same snapshot, interleaved: the checksum pass, tar -x (GNU and
// busybox), and the toolchain probes the key needs. The rest of the
// script's time is shell work (key, count, rename).
func (b *bench) npmBreakdown(r *npmRig) error {
	// The single-tar parts run on the plain tar of the same tree.
	snap := r.plainTar
	n := fileSize(snap)
	bb, err := shells.BusyboxDir()
	if err != nil {
		return err
	}
	env := baseEnv("")
	home := filepath.Join(r.dir, "probe-home")
	if err := fresh(home); err != nil {
		return err
	}
	envHome := append(append([]string{}, env...), "HOME="+home, "npm_config_update_notifier=false")
	sh := func(cmdline string) func(int) (float64, error) {
		return func(int) (float64, error) {
			settle()
			p, err := b.mustExec(r.dir, envHome, 5*time.Minute, "dash", "-c", cmdline)
			return p.Elapsed.Seconds(), err
		}
	}
	untar := func(tarBin string, opts ...string) func(int) (float64, error) {
		return func(int) (float64, error) {
			dst := filepath.Join(r.dir, "untar")
			if err := fresh(dst); err != nil {
				return 0, err
			}
			settle()
			p, err := b.mustExec(r.dir, env, 5*time.Minute, append(append([]string{tarBin}, opts...), "-xf", snap, "-C", dst)...)
			return p.Elapsed.Seconds(), err
		}
	}
	snapDir, _, err := oneSnapshot(r.primed)
	if err != nil {
		return err
	}
	shards, dirs, err := snapshotLayout(snapDir)
	if err != nil {
		return err
	}
	jobs := min(2*b.res.Machine.NProc, len(shards))
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var shardArgs string
	for _, f := range shards {
		shardArgs += " " + q(filepath.Base(f))
	}
	type part struct {
		name, desc string
		run        func(int) (float64, error)
	}
	// This busybox may lack cksum (Debian's does): then its sha256sum, the
	// script's fallback, is what a busybox-only image would run.
	bbSum := part{"cksum-busybox", "the same pass with busybox cksum (alpine image)", sh(fmt.Sprintf("cd %s && %s/cksum %s >/dev/null", q(snapDir), bb, shardArgs))}
	if _, err := os.Lstat(filepath.Join(bb, "cksum")); err != nil {
		bbSum = part{"sha256sum-busybox", "busybox sha256sum <tar (this busybox has no cksum applet; sha256 is the script's fallback there)", sh(fmt.Sprintf("%s/sha256sum <%s >/dev/null", bb, q(snap)))}
	}
	// The same extraction into memory (tmpfs) separates tar's own work from
	// the disk file system's.
	tmpfsPart := part{"tar-x-tmpfs", "GNU tar -xf of the same tar into /dev/shm (tmpfs): the same work without the disk file system", nil}
	shm, err := os.MkdirTemp("/dev/shm", "prewarm-bench-")
	if err != nil {
		tmpfsPart.run = nil // no writable /dev/shm: not measured
	} else {
		defer removeAll(shm)
		tmpfsPart.run = func(int) (float64, error) {
			dst := filepath.Join(shm, "untar")
			if err := fresh(dst); err != nil {
				return 0, err
			}
			settle()
			p, err := b.mustExec(r.dir, env, 5*time.Minute, "tar", "-xf", snap, "-C", dst)
			return p.Elapsed.Seconds(), err
		}
	}
	parts := []part{
		{"restore-script", "the whole npm script restoring the sharded snapshot under dash (as the snapshot mode)", func(int) (float64, error) {
			secs, _, err := b.npmInstall(r, "dash", r.primed, "snapshot")
			return secs, err
		}},
		{"limit", "plain tar -xf of the node_modules tar into the checkout (as the limit mode)", func(int) (float64, error) {
			if err := r.clone(); err != nil {
				return 0, err
			}
			if err := os.MkdirAll(r.nmDir, 0o755); err != nil {
				return 0, err
			}
			settle()
			p, err := b.mustExec(r.repo, env, 10*time.Minute, "tar", "-xf", r.plainTar, "-C", r.nmDir)
			return p.Elapsed.Seconds(), err
		}},
		{"cksum-coreutils", "cksum SHARD... (coreutils) in the snapshot: the integrity pass of a restore from local disk, one process reading every shard file beside the extractors", sh(fmt.Sprintf("cd %s && cksum %s >/dev/null", q(snapDir), shardArgs))},
		bbSum,
		{"sha256sum", "sha256sum <tar: the fallback checksum in images without cksum", sh(fmt.Sprintf("sha256sum <%s >/dev/null", q(snap)))},
		{"tar-x-gnu", "GNU tar -xf of the whole tree as one tar, one process", untar("tar")},
		{"tar-x-busybox", "busybox tar -xf of the same tar", untar(filepath.Join(bb, "tar"))},
		{"tar-x-gnu-opts", "GNU tar -o -b 256 -B -xf of the same tar, one process: the options the restore gives GNU tar (no chown and chmod of every file to the archive's owners, which root does by default; 128 KiB records)", untar("tar", restoreTarOpts...)},
		{fmt.Sprintf("tar-x-%d-shards", len(shards)), fmt.Sprintf("the snapshot's %d shards extracted as the restore does it, without checksum or shell: its split directories made first, then %d concurrent GNU tar -o -b 256 -B -x (two per CPU, at most one per shard), each taking every %d-th shard", len(shards), jobs, jobs), func(int) (float64, error) {
			dst := filepath.Join(r.dir, "untar")
			if err := fresh(dst); err != nil {
				return 0, err
			}
			settle()
			start := time.Now()
			for _, d := range dirs {
				if err := os.MkdirAll(filepath.Join(dst, d), 0o755); err != nil {
					return 0, err
				}
			}
			errs := make(chan error, jobs)
			for w := range jobs {
				go func(w int) {
					var err error
					for i := w; i < len(shards) && err == nil; i += jobs {
						_, err = b.mustExec(r.dir, env, 5*time.Minute, append(append([]string{"tar"}, restoreTarOpts...), "-xf", shards[i], "-C", dst)...)
					}
					errs <- err
				}(w)
			}
			var first error
			for range jobs {
				if err := <-errs; err != nil && first == nil {
					first = err
				}
			}
			return time.Since(start).Seconds(), first
		}},
		tmpfsPart,
		{"node-version", "node --version (no JavaScript runs)", sh("node --version >/dev/null")},
		{"node-start", "node -e with a one-line script: a JavaScript start-up", sh(`node -e 'require("fs")' >/dev/null`)},
		{"npm-version", "npm --version: a full npm start-up", sh("npm --version >/dev/null")},
	}
	var measured []part
	for _, p := range parts {
		if p.run != nil {
			measured = append(measured, p)
		}
	}
	parts = measured
	res := make([]Series, len(parts))
	var steps []step
	for i, p := range parts {
		res[i] = Series{Name: p.name, Desc: p.desc}
		steps = append(steps, step{p.name, p.run})
	}
	err = b.interleave("breakdown", b.cfg.runs, steps, func(mode string, secs, cpu float64) {
		for i := range res {
			if res[i].Name == mode {
				res[i].Values = append(res[i].Values, secs)
				res[i].CPU = append(res[i].CPU, cpu)
			}
		}
	})
	removeAll(filepath.Join(r.dir, "untar"))
	b.res.Breakdown = res
	b.res.BreakdownOf = fmt.Sprintf("%s node_modules, %s as one tar", r.set.name, human(n))
	return err
}

func human(n int64) string { return tree.Human(n) }

// restoreTarOpts are the options the restore's pw_tar_x_opts gives GNU tar.
var restoreTarOpts = []string{"-o", "-b", "256", "-B"}

// snapshotLayout reads a snapshot's manifest: its shard files in order
// and the directories split across shards ("dir MODE PATH", which the
// restore creates before any tar runs).
func snapshotLayout(snap string) (shards, dirs []string, err error) {
	m, err := os.ReadFile(filepath.Join(snap, "manifest"))
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(string(m), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "shard":
			shards = append(shards, filepath.Join(snap, f[1]))
		case len(f) == 3 && f[0] == "dir":
			dirs = append(dirs, f[2])
		}
	}
	if len(shards) == 0 {
		return nil, nil, fmt.Errorf("%s/manifest names no shard", snap)
	}
	return shards, dirs, nil
}
