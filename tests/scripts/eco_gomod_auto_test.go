package scripts

// prewarm.script.gomod with PREWARM_SNAPSHOTS=auto, the gomod preset's
// default: the agent's GOMODCACHE and GOCACHE are the per-pod paths under
// HOME, and the setup picks the shape by the cache volume's file system.
// Real go against the real module proxy with the small module; the file
// system type comes from a mounts file (PREWARM_MOUNTS_FILE, the format of
// /proc/self/mounts) because this machine cannot mount NFS: a stand-in for
// the kernel's answer only, the caches are real directories.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ecoGoAutoPod is one pod of the auto tests: the repository and HOME at
// fixed paths (as /workspace/repo and /workspace/.home are in every pod:
// the build cache keys hold the module directories' paths, so a second pod
// must use the same ones), the cache, and the mounts file.
type ecoGoAutoPod struct {
	base, repo, home, cache, mounts string
}

func newEcoGoAutoPod(t *testing.T, base, cache, mounts string) ecoGoAutoPod {
	t.Helper()
	return ecoGoAutoPod{base: base, repo: filepath.Join(base, "repo"), home: filepath.Join(base, "home"), cache: cache, mounts: mounts}
}

// agentEnv is the preset's spec.env for the default (auto) render: the
// setup containers get it too.
func (p ecoGoAutoPod) agentEnv() []string {
	mod, build := ecoGoLocal(p.home)
	return []string{"GOMODCACHE=" + mod, "GOCACHE=" + build, "GOFLAGS=-modcacherw",
		"GOPROXY=file://" + filepath.Join(p.cache, "mod", "cache", "download") + ",https://proxy.golang.org,direct"}
}

// fresh starts a new pod: a fresh clone at the same repo path and an
// empty HOME at the same path.
func (p ecoGoAutoPod) fresh(t *testing.T) {
	t.Helper()
	for _, d := range []string{p.repo, p.home} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	ecoWriteFiles(t, p.repo, ecoGoSmallFiles)
}

// setup runs the gomod script with PREWARM_SNAPSHOTS=auto and the pod's
// env; extra comes last (wins).
func (p ecoGoAutoPod) setup(t *testing.T, sh ecoShell, extra ...string) ecoRun {
	t.Helper()
	env := append(append([]string{
		"PREWARM_REPO=" + p.repo,
		"PREWARM_HOME=" + p.home,
		"PREWARM_CACHE=" + p.cache,
		"PREWARM_SNAPSHOTS=auto",
		"PREWARM_MOUNTS_FILE=" + p.mounts,
	}, p.agentEnv()...), extra...)
	return ecoRunScript(t, sh, ecoScript(t, "gomod"), "prewarm-gomod", p.repo, env, 8*time.Minute)
}

// agentBuild runs the agent's `go build -x ./...` with the per-pod paths
// and no network, and returns the packages it compiled (none on a full
// build-cache hit).
func (p ecoGoAutoPod) agentBuild(t *testing.T) []string {
	t.Helper()
	agentHome := filepath.Join(p.base, "agent-home")
	if err := os.MkdirAll(agentHome, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-x", "./...")
	cmd.Dir = p.repo
	mod, build := ecoGoLocal(p.home)
	cmd.Env = append(ecoBaseEnv(ecoShell{}), "HOME="+agentHome, "GOMODCACHE="+mod, "GOCACHE="+build, "GOFLAGS=-modcacherw", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("agent go build with GOPROXY=off failed: %v\n%s", err, out)
	}
	var compiled []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.Contains(l, "/compile ") {
			continue
		}
		if i := strings.Index(l, " -p "); i >= 0 {
			compiled = append(compiled, strings.Fields(l[i+4:])[0])
		} else {
			compiled = append(compiled, l)
		}
	}
	return compiled
}

// wantLinks fails unless the per-pod paths are symlinks to the volume's
// module and build cache (linked) or real directories (!linked).
func (p ecoGoAutoPod) wantLinks(t *testing.T, sh ecoShell, r ecoRun, linked bool) {
	t.Helper()
	mod, build := ecoGoLocal(p.home)
	for _, c := range []struct{ path, target string }{{mod, filepath.Join(p.cache, "mod")}, {build, filepath.Join(p.cache, "build")}} {
		fi, err := os.Lstat(c.path)
		if err != nil {
			t.Fatalf("%s: per-pod path %s: %v\n%s", sh.name, c.path, err, r)
		}
		isLink := fi.Mode()&os.ModeSymlink != 0
		switch {
		case linked && !isLink:
			t.Errorf("%s: %s is %v, want a symlink to %s\n%s", sh.name, c.path, fi.Mode(), c.target, r)
		case linked:
			if got, _ := os.Readlink(c.path); got != c.target {
				t.Errorf("%s: %s -> %s, want -> %s", sh.name, c.path, got, c.target)
			}
		case isLink:
			got, _ := os.Readlink(c.path)
			t.Errorf("%s: %s is a symlink to %s, want a per-pod directory\n%s", sh.name, c.path, got, r)
		case !fi.IsDir():
			t.Errorf("%s: %s is %v, want a directory", sh.name, c.path, fi.Mode())
		}
	}
}

func ecoWantShape(t *testing.T, sh ecoShell, r ecoRun, s ecoSummary, want string) {
	t.Helper()
	if s["shape"] != want {
		t.Fatalf("%s: shape=%q, want %s\n%s", sh.name, s["shape"], want, r)
	}
}

// ecoGoMounts writes a mounts file that puts cache on a file system of
// type fsType (and / on ext4) and returns its path.
func ecoGoMounts(t *testing.T, base, cache, fsType string) string {
	t.Helper()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(cache)
	if err != nil {
		t.Fatal(err)
	}
	body := "/dev/vda / ext4 rw 0 0\n"
	if fsType != "" {
		body += "server:/export " + real + " " + fsType + " rw 0 0\n"
	}
	p := filepath.Join(base, "mounts")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGomodAutoLocalDiskLinksThePerPodPathsToTheVolume, under dash and
// busybox: with the cache on local disk (ext4 in the mounts file) the
// setup makes the agent's per-pod GOMODCACHE and GOCACHE symlinks to the
// volume's module and build cache (shape=direct) and fills them there; a
// second pod (fresh HOME and clone at the same paths, GOPROXY=off) finds
// them warm, and the agent's go build with the per-pod paths and
// GOPROXY=off compiles nothing: every package is a build-cache hit from
// the shared directory. A readOnly run in a HOME that still has the links
// removes them and uses real per-pod directories (shape=pod), writing
// nothing to the cache; a HOME whose GOMODCACHE is already a directory
// with files keeps it (warned) and runs per pod.
func TestGomodAutoLocalDiskLinksThePerPodPathsToTheVolume(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	ecoGoSnapEachShell(t, func(t *testing.T, sh ecoShell, base, cache string) {
		p := newEcoGoAutoPod(t, base, cache, ecoGoMounts(t, base, cache, ""))

		p.fresh(t)
		r := p.setup(t, sh)
		s := ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "cold")
		p.wantLinks(t, sh, r, true)
		ecoWantShape(t, sh, r, s, "direct")
		zip := filepath.Join(cache, "mod", "cache", "download", "github.com", "spf13", "cobra", "@v", "v1.10.2.zip")
		if _, err := os.Stat(zip); err != nil {
			t.Errorf("%s: the module cache on the volume was not filled: %v", sh.name, err)
		}
		if st := ecoCacheState(t, filepath.Join(cache, "build")); len(st) < 10 {
			t.Errorf("%s: the build cache on the volume has %d paths after the prebuild, want it filled", sh.name, len(st))
		}
		if final, _ := ecoSnapshots(t, cache); len(final) != 0 {
			t.Errorf("%s: the direct shape published snapshots: %v", sh.name, final)
		}

		// a second pod: same paths, fresh HOME and clone, no network
		p.fresh(t)
		r = p.setup(t, sh, "GOPROXY=off")
		s = ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "warm")
		p.wantLinks(t, sh, r, true)
		ecoWantShape(t, sh, r, s, "direct")
		if compiled := p.agentBuild(t); len(compiled) > 0 {
			t.Errorf("%s: the agent's go build with the per-pod paths compiled %v; want every package a build-cache hit from %s/build", sh.name, compiled, cache)
		}

		// readOnly in a HOME that still has the links: no path into a
		// cache this run does not write
		unchanged := ecoUnchanged(t, cache)
		r = p.setup(t, sh, "PREWARM_CACHE_MODE=readOnly", "GOPROXY=off")
		s = ecoOK(t, sh, r)
		p.wantLinks(t, sh, r, false)
		ecoWantShape(t, sh, r, s, "pod")
		unchanged("%s: readOnly auto run changed the cache:", sh.name)
		if compiled := p.agentBuild(t); len(compiled) > 0 {
			t.Logf("%s: readOnly pod: the agent compiled %d packages (per-pod build cache filled by the setup's prebuild)", sh.name, len(compiled))
		}

		// a per-pod GOMODCACHE that already holds files is left alone
		p.fresh(t)
		mod, _ := ecoGoLocal(p.home)
		keep := filepath.Join(mod, "keep")
		if err := os.MkdirAll(mod, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = p.setup(t, sh, "GOPROXY=off")
		s = ecoOK(t, sh, r)
		p.wantLinks(t, sh, r, false)
		ecoWantShape(t, sh, r, s, "pod")
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s: the existing per-pod module cache lost its file: %v", sh.name, err)
		}
		if !strings.Contains(r.stderr, "is a directory with files") {
			t.Errorf("%s: want a warning about the directory with files\n%s", sh.name, r)
		}
		p.agentBuild(t)
	})
}

// TestGomodAutoNetworkVolumeTakesTheSnapshotShape, under dash and busybox:
// with the cache on NFS (nfs4 in the mounts file) auto runs as snapshots:
// true: per-pod real directories (no symlink), two snapshots published and
// no build cache on the volume (shape=snapshot, result=cold); a second pod
// restores both (result=snapshot) with GOPROXY=off and the agent builds
// with the per-pod paths and GOPROXY=off, compiling nothing.
func TestGomodAutoNetworkVolumeTakesTheSnapshotShape(t *testing.T) {
	t.Parallel()
	ecoNeedsGo(t)
	ecoGoSnapEachShell(t, func(t *testing.T, sh ecoShell, base, cache string) {
		p := newEcoGoAutoPod(t, base, cache, ecoGoMounts(t, base, cache, "nfs4"))

		p.fresh(t)
		r := p.setup(t, sh)
		s := ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "cold")
		p.wantLinks(t, sh, r, false)
		ecoWantShape(t, sh, r, s, "snapshot")
		if got := ecoGoSnapDirs(t, cache); len(got) != 2 {
			t.Fatalf("%s: want 2 snapshots (module cache, build cache), got %v\n%s", sh.name, got, r)
		}
		if _, err := os.Stat(filepath.Join(cache, "build")); err == nil {
			t.Errorf("%s: the snapshot shape wrote a build cache on the volume", sh.name)
		}

		p.fresh(t)
		r = p.setup(t, sh, "GOPROXY=off")
		s = ecoOK(t, sh, r)
		ecoWantResult(t, sh, r, s, "snapshot")
		p.wantLinks(t, sh, r, false)
		ecoWantShape(t, sh, r, s, "snapshot")
		if compiled := p.agentBuild(t); len(compiled) > 0 {
			t.Errorf("%s: the agent's go build after a restore compiled %v; want every package a build-cache hit", sh.name, compiled)
		}
	})
}
