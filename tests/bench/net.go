package main

// The network-volume mode: the cache volume mounted over the network with
// sshfs (FUSE) against an sshd on 127.0.0.1 that this program starts with a
// throwaway host key and client key. It stands in for the network file
// systems a ReadWriteMany cache volume is in a real cluster (NFS, EFS,
// Filestore, CephFS): this kernel has FUSE but no NFS client, so sshfs is
// the network file system that runs here. Every metadata operation and
// every read is a round trip through ssh over loopback, so many small files
// cost far more than one big one, as on NFS; loopback has no real latency
// or bandwidth limit, so the gap measured here is smaller than across a
// network.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prewarm-dev/prewarm/tests/internal/fixtures"
	prun "github.com/prewarm-dev/prewarm/tests/internal/run"
	"github.com/prewarm-dev/prewarm/tests/internal/shells"
)

// netVolume is one sshfs mount of a local backing directory.
type netVolume struct {
	dir, backing, mnt string
	sshd              *exec.Cmd
	once              sync.Once
}

// netTools names what the mode needs (tests/install-deps.sh installs it).
func netTools() error {
	var missing []string
	for _, t := range []string{"sshfs", "ssh-keygen", "/usr/sbin/sshd"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if _, err := exec.LookPath("fusermount3"); err != nil {
		if _, err := exec.LookPath("fusermount"); err != nil {
			missing = append(missing, "fusermount")
		}
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing = append(missing, "/dev/fuse")
	}
	if len(missing) > 0 {
		return fmt.Errorf("network-volume mode needs %s (apt-get install sshfs openssh-server; tests/install-deps.sh)", strings.Join(missing, ", "))
	}
	return nil
}

// mountNetVolume starts sshd on a free 127.0.0.1 port and mounts dir/backing
// at dir/mnt with sshfs. close() unmounts and stops sshd; it is safe to call
// more than once and runs on every exit path of the caller (defer), which
// includes SIGINT/SIGTERM: they cancel the bench's context and return.
func (b *bench) mountNetVolume(dir string) (*netVolume, error) {
	if err := netTools(); err != nil {
		return nil, err
	}
	v := &netVolume{dir: dir, backing: filepath.Join(dir, "backing"), mnt: filepath.Join(dir, "mnt")}
	for _, d := range []string{v.backing, v.mnt, "/run/sshd"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	for _, k := range []string{"host_key", "client_key"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := strings.Join([]string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host_key"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"StrictModes no",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"Subsystem sftp internal-sftp",
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		return nil, err
	}
	// sshd must run as root (it is root on the bench machine); -D keeps it
	// in the foreground as our child, -e logs to stderr.
	v.sshd = exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	v.sshd.Stdout, v.sshd.Stderr = logFile, logFile
	if err := v.sshd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("sshd: %v", err)
	}
	go func() { _ = v.sshd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			v.close()
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			return nil, fmt.Errorf("sshd did not listen on 127.0.0.1:%d: %s", port, prun.Tail(string(log), 10))
		}
		time.Sleep(50 * time.Millisecond)
	}
	opts := strings.Join([]string{
		"IdentityFile=" + filepath.Join(dir, "client_key"),
		"StrictHostKeyChecking=no",
		"UserKnownHostsFile=/dev/null",
		"BatchMode=yes",
		"port=" + strconv.Itoa(port),
	}, ",")
	if out, err := exec.CommandContext(b.ctx, "sshfs", "-o", opts, "root@127.0.0.1:"+v.backing, v.mnt).CombinedOutput(); err != nil {
		v.close()
		return nil, fmt.Errorf("sshfs: %v\n%s", err, out)
	}
	return v, nil
}

func (v *netVolume) close() {
	v.once.Do(func() {
		if isMount(v.mnt) {
			um := "fusermount3"
			if _, err := exec.LookPath(um); err != nil {
				um = "fusermount"
			}
			if out, err := exec.Command(um, "-u", v.mnt).CombinedOutput(); err != nil {
				logf("!! %s -u %s: %v %s; detaching lazily", um, v.mnt, err, out)
				_ = exec.Command(um, "-u", "-z", v.mnt).Run()
			}
		}
		if v.sshd != nil && v.sshd.Process != nil {
			_ = v.sshd.Process.Kill()
		}
	})
}

// isMount reports whether p is a mount point (in /proc/self/mounts).
func isMount(p string) bool {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && f[1] == p {
			return true
		}
	}
	return false
}

const netNote = "the cache volume is an sshfs mount (FUSE, SFTP over ssh to an sshd on 127.0.0.1), standing in for NFS, EFS, Filestore or CephFS: this kernel has FUSE but no NFS client; loopback adds no network latency, so a real network widens every gap measured here"

// netBench runs the npm sets and Go with the cache volume on the network
// volume.
func (b *bench) netBench() error {
	dir, err := b.workdir("net")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	v, err := b.mountNetVolume(dir)
	if err != nil {
		return err
	}
	defer v.close()
	logf("network volume: %s mounted with sshfs at %s", v.backing, v.mnt)
	b.res.NetNote = netNote
	var errs []string
	for _, s := range b.netNpmSets() {
		if b.ctx.Err() != nil {
			return b.ctx.Err()
		}
		if err := b.netNpmSet(v, s); err != nil {
			logf("!! net %s: %v", s.name, err)
			errs = append(errs, fmt.Sprintf("%s: %s", s.name, firstLine(err.Error())))
		}
	}
	if !b.cfg.netSkipGo && b.ctx.Err() == nil {
		if err := b.netGo(v); err != nil {
			logf("!! net go: %v", err)
			errs = append(errs, "go-medium: "+firstLine(err.Error()))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// netNpmSets: the npm sets of this run without the small one, unless
// -net-sets names them.
func (b *bench) netNpmSets() []npmSet {
	var out []npmSet
	for _, s := range b.npmSets() {
		if len(b.cfg.netSets) > 0 {
			if b.cfg.netSets[s.name] {
				out = append(out, s)
			}
		} else if s.name == "npm-medium" {
			out = append(out, s)
		}
	}
	return out
}

var netNpmModeDesc = []struct{ name, desc string }{
	{"cold", "empty cache volume on the network volume: npm ci downloads every package from the registry (npm cache on the volume), then the sharded snapshot is published to the volume"},
	{"store", "what the peers do: the package manager's store on the network volume, populated (npm ci with npm_config_cache on the volume, snapshots off)"},
	{"snapshot", "prewarm's sharded snapshot restored from the network volume into the local checkout"},
	{"tar-x", "one-process plain tar -x of the same node_modules from a tar on the network volume"},
}

func (b *bench) netNpmSet(v *netVolume, s npmSet) error {
	if _, err := os.Stat(filepath.Join(s.dir, "package-lock.json")); err != nil {
		return fmt.Errorf("lockfile missing: %v", err)
	}
	dir := filepath.Join(b.cfg.work, "net-"+s.name)
	vol := filepath.Join(v.mnt, s.name)
	r := &npmRig{set: s, dir: dir, repo: filepath.Join(dir, "ws", "repo"), home: filepath.Join(dir, "ws", "home"),
		primed: filepath.Join(vol, "cache-primed"), coldCache: filepath.Join(vol, "cache-cold"), plainTar: filepath.Join(vol, "plain.tar")}
	r.nmDir = filepath.Join(r.repo, "node_modules")
	if err := fresh(dir); err != nil {
		return err
	}
	defer removeAll(dir)
	defer removeAll(filepath.Join(v.backing, s.name))
	if err := os.MkdirAll(vol, 0o755); err != nil {
		return err
	}
	g := Group{Eco: "npm", Set: s.name + " (network volume)", Net: true}
	for _, m := range netNpmModeDesc {
		g.Modes = append(g.Modes, Mode{Name: m.name, Desc: m.desc})
	}
	steps := b.npmSteps(r, &g, [3]string{"store", "snapshot", "tar-x"})
	err := b.interleave("net "+s.name, b.cfg.runs, steps, g.record)
	if info, cerr := netSnapshotCodec(r.primed); cerr == nil {
		g.Info = append(g.Info, info)
	}
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, g)
	}
	if err != nil {
		return err
	}
	if b.res.NetCompression == nil {
		if err := b.netCompression(r); err != nil {
			logf("!! compression parts: %v", err)
			b.res.Notes = append(b.res.Notes, "compression on the network volume not measured: "+firstLine(err.Error()))
		}
	}
	return nil
}

// netSnapshotCodec says which codec the scripts, as they are (default
// PREWARM_SNAPSHOT_COMPRESSION=auto), wrote the snapshot in cache with:
// the manifest's codec line (none when absent, as before codecs).
func netSnapshotCodec(cache string) (string, error) {
	snap, shards, err := oneSnapshot(cache)
	if err != nil {
		return "", err
	}
	m, err := os.ReadFile(filepath.Join(snap, "manifest"))
	if err != nil {
		return "", err
	}
	codec := "none"
	for _, l := range strings.Split(string(m), "\n") {
		if c, ok := strings.CutPrefix(l, "codec="); ok {
			codec = c
		}
	}
	size, _ := duBytes(snap)
	return fmt.Sprintf("snapshot on the network volume: codec %s (the scripts' default PREWARM_SNAPSHOT_COMPRESSION=auto on a %s mount), %s in %d shards", codec, "fuse.sshfs", human(size), shards), nil
}

// netCompression makes gzip, zstd and lz4 copies of the plain tar on the
// network volume (zstd and lz4 only where installed: an image may lack
// them) and times one-process extraction of each from the volume, against
// the uncompressed tar: does moving fewer bytes over the network pay for
// the decompression? The same copies on local disk (rows local-tar-x-*)
// give the other side of PREWARM_SNAPSHOT_COMPRESSION=auto's choice.
func (b *bench) netCompression(r *npmRig) error {
	type codec struct{ name, ext, comp, decomp string }
	codecs := []codec{{"none", "", "", ""}, {"gzip", ".gz", "gzip -1 -c", "gzip -dc"}}
	if _, err := exec.LookPath("zstd"); err == nil {
		codecs = append(codecs, codec{"zstd", ".zst", "zstd -q -1 -c", "zstd -q -dc"})
	}
	if _, err := exec.LookPath("lz4"); err == nil {
		codecs = append(codecs, codec{"lz4", ".lz4", "lz4 -q -1 -c", "lz4 -q -dc"})
	}
	env := baseEnv("")
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	localTar := filepath.Join(r.dir, "plain-local.tar")
	if _, err := b.untimed(r.dir, env, 20*time.Minute, "cp", r.plainTar, localTar); err != nil {
		return err
	}
	var steps []step
	var series []Series
	for _, where := range []struct{ prefix, tar, desc string }{{"", r.plainTar, "the network volume"}, {"local-", localTar, "local disk"}} {
		for _, c := range codecs {
			src := where.tar + c.ext
			if c.comp != "" {
				if _, err := b.untimed(r.dir, env, 20*time.Minute, "dash", "-c", c.comp+" <"+q(where.tar)+" >"+q(src)); err != nil {
					return err
				}
			}
			cmd := "tar -xf " + q(src) + " -C " + q(filepath.Join(r.dir, "untar"))
			if c.decomp != "" {
				cmd = c.decomp + " <" + q(src) + " | tar -xf - -C " + q(filepath.Join(r.dir, "untar"))
			}
			series = append(series, Series{Name: where.prefix + "tar-x-" + c.name, Desc: fmt.Sprintf("%s from %s (%s): %s", map[bool]string{true: "uncompressed tar", false: c.name + " tar"}[c.comp == ""], where.desc, human(fileSize(src)), cmd)})
			steps = append(steps, step{series[len(series)-1].Name, func(int) (float64, error) {
				if err := fresh(filepath.Join(r.dir, "untar")); err != nil {
					return 0, err
				}
				settle()
				p, err := b.mustExec(r.dir, env, 10*time.Minute, "dash", "-c", cmd)
				return p.Elapsed.Seconds(), err
			}})
		}
	}
	err := b.interleave("net compression", b.cfg.runs, steps, func(mode string, secs, cpu float64) {
		for i := range series {
			if series[i].Name == mode {
				series[i].Values = append(series[i].Values, secs)
				series[i].CPU = append(series[i].CPU, cpu)
			}
		}
	})
	removeAll(filepath.Join(r.dir, "untar"))
	for _, c := range codecs {
		if c.ext != "" {
			os.Remove(r.plainTar + c.ext)
		}
		os.Remove(localTar + c.ext)
	}
	b.res.NetCompression = series
	b.res.NetCompressionOf = fmt.Sprintf("%s node_modules, %s as one tar", r.set.name, human(fileSize(r.plainTar)))
	return err
}

// netGo: the gomod preset's default (PREWARM_SNAPSHOTS=auto) with the
// cache on the network volume, where it takes the snapshot shape: the
// module and build cache per pod on local disk, restored from two sharded
// snapshots on the volume; cold (an empty volume: the setup downloads,
// compiles and publishes) and warm (restored). Beside them the peers'
// shape, the old default (PREWARM_SNAPSHOTS=false): the module and build
// cache on the network volume, read file by file. Each is followed by the
// agent's first go build with the env the preset gives the agent.
func (b *bench) netGo(v *netVolume) error {
	fixture := b.cfg.netGoFixture
	if fixture == "" {
		var err error
		if fixture, err = fixtures.Path(fixtures.GoMedium); err != nil {
			return err
		}
	}
	dir, err := b.workdir("net-go")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	vol := filepath.Join(v.mnt, "go-medium")
	defer removeAll(filepath.Join(v.backing, "go-medium"))
	repo, home, agentHome := filepath.Join(dir, "ws", "repo"), filepath.Join(dir, "ws", "home"), filepath.Join(dir, "ws", "agent-home")
	primed, coldCache, primedVol := filepath.Join(vol, "cache-primed"), filepath.Join(vol, "cache-cold"), filepath.Join(vol, "cache-volume")
	set := "go-medium (network volume)"
	if b.cfg.netGoFixture != "" {
		set = filepath.Base(b.cfg.netGoFixture) + " (network volume, -net-go-fixture)"
	}
	g := Group{Eco: "go", Set: set, Net: true, Modes: []Mode{
		{Name: "cold", Desc: "the gomod default (snapshots auto, which on a network volume takes the snapshot shape), empty cache volume on the network volume: setup downloads the modules into per-pod caches on local disk, compiles, publishes the module-cache and build-cache snapshots to the volume, then the agent's first go build ./..."},
		{Name: "warm", Desc: "the gomod default on the network volume, populated: setup restores the module-cache and build-cache snapshots from the network volume onto local disk (sharded, checksummed, concurrent extractors), go mod download and go build ./... run as local cache hits; then the agent's first go build ./... with those per-pod caches and GOPROXY=off"},
		{Name: "volume", Desc: "presets.gomod.snapshots=false (the old default; the peers' shape): module and build cache on the network volume, populated: setup (go mod download, go build ./... both cache hits over the network), then the agent's first go build ./... with GOMODCACHE and GOCACHE on the volume"},
	}}
	for i := range g.Modes {
		g.Modes[i].Parts = []Series{{Name: "setup"}, {Name: "first build"}}
	}
	prep := func() error {
		for _, d := range []string{repo, home, agentHome} {
			if err := fresh(d); err != nil {
				return err
			}
		}
		return copyTree(fixture, repo)
	}
	build := func(m *Mode, mod, gocache string, setup float64) (float64, error) {
		agent := append(baseEnv(""), "HOME="+agentHome, "GOMODCACHE="+mod, "GOCACHE="+gocache, "GOFLAGS=-modcacherw", "GOPROXY=off")
		bp, err := b.mustExec(repo, agent, 30*time.Minute, "go", "build", "./...")
		if err != nil {
			return 0, fmt.Errorf("agent go build with GOPROXY=off: %w", err)
		}
		m.Parts[0].Values = append(m.Parts[0].Values, setup)
		m.Parts[1].Values = append(m.Parts[1].Values, bp.Elapsed.Seconds())
		return setup + bp.Elapsed.Seconds(), nil
	}
	// the default's agent env: the per-pod paths under HOME
	podMod, podBuild := goPodCaches(home)
	autoEnv := func(cache string) []string {
		return []string{"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + cache, "PREWARM_SNAPSHOTS=auto"}
	}
	volEnv := []string{"PREWARM_REPO=" + repo, "PREWARM_HOME=" + home, "PREWARM_CACHE=" + primedVol, "PREWARM_SNAPSHOTS=false"}
	auto := func(m *Mode, env []string, want string) (float64, error) {
		if err := prep(); err != nil {
			return 0, err
		}
		settle()
		p, sums, err := b.runScript("dash", "gomod", repo, env, 60*time.Minute, 1, want)
		if err != nil {
			return 0, err
		}
		if sums[0]["shape"] != "snapshot" {
			return 0, fmt.Errorf("gomod default on the network volume: want shape=snapshot, got %v", sums[0])
		}
		return build(m, podMod, podBuild, p.Elapsed.Seconds())
	}
	steps := []step{
		coldStep(primed, coldCache, func(cache string) (float64, error) { return auto(&g.Modes[0], autoEnv(cache), "cold") }, func() error {
			// the first cold run (on primed) published the two snapshots
			snaps, _ := filepath.Glob(filepath.Join(primed, "snapshots", "*.v2"))
			if len(snaps) != 2 {
				return fmt.Errorf("priming the default: want 2 snapshots (module cache, build cache) in %s/snapshots, have %v", primed, snaps)
			}
			sb, _ := duBytes(filepath.Join(primed, "snapshots"))
			lm, _ := duBytes(podMod)
			lb, _ := duBytes(podBuild)
			// untimed: fill the caches-on-the-volume shape once (its
			// modules come from the proxy, as the peers' first run)
			if err := prep(); err != nil {
				return err
			}
			if err := fresh(primedVol); err != nil {
				return err
			}
			script, err := b.script("gomod")
			if err != nil {
				return err
			}
			sh, err := shells.Named("dash")
			if err != nil {
				return err
			}
			p, err := b.untimed(repo, append(sh.Env(), volEnv...), 60*time.Minute, sh.Command(script, "prewarm-gomod")...)
			if err != nil {
				return err
			}
			if sums := parseSummaries(p.Stdout); len(sums) != 1 || sums[0]["shape"] != "direct" {
				return fmt.Errorf("priming snapshots=false: want one summary with shape=direct\n%s", p)
			}
			mod, _ := duBytes(filepath.Join(primedVol, "mod"))
			bc, _ := duBytes(filepath.Join(primedVol, "build"))
			g.Info = append(g.Info, fmt.Sprintf("default (snapshot shape on the network volume): local module cache %s and build cache %s, kept on the volume as 2 snapshots of %s; snapshots=false: module cache %s, build cache %s on the network volume", human(lm), human(lb), human(sb), human(mod), human(bc)))
			return nil
		}),
		// GOPROXY=off: the setup fetches nothing, the snapshots hold it all
		{"warm", func(int) (float64, error) {
			return auto(&g.Modes[1], append(autoEnv(primed), "GOPROXY=off"), "snapshot")
		}},
		{"volume", func(int) (float64, error) {
			if err := prep(); err != nil {
				return 0, err
			}
			settle()
			p, sums, err := b.runScript("dash", "gomod", repo, volEnv, 60*time.Minute, 1, "warm")
			if err != nil {
				return 0, err
			}
			if sums[0]["shape"] != "direct" {
				return 0, fmt.Errorf("snapshots=false: want shape=direct, got %v", sums[0])
			}
			return build(&g.Modes[2], filepath.Join(primedVol, "mod"), filepath.Join(primedVol, "build"), p.Elapsed.Seconds())
		}},
	}
	err = b.interleave("net go-medium", b.cfg.runs, steps, g.record)
	if len(g.Modes[0].Seconds) > 0 {
		b.res.Groups = append(b.res.Groups, g)
	}
	return err
}
