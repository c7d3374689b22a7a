package images

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image names the suite uses; one owner for each.
const (
	Pause    = "registry.k8s.io/pause:3.10.2" // containerd 2.4's sandbox image
	Busybox  = "prewarm.test/busybox:e2e"     // pruner, file servers, permission step
	Git      = "prewarm.test/git:e2e"         // git-clone, branch-setup, git daemon
	Node     = "prewarm.test/node:e2e"        // npm preset toolchain
	Go       = "prewarm.test/go:e2e"          // gomod preset toolchain
	AgentNpm = "prewarm.test/agent-npm:e2e"   // agent stand-in for npm workspaces
	AgentGo  = "prewarm.test/agent-go:e2e"    // agent stand-in for Go workspaces
	// KelosGit stands for Kelos' alpine/git:v2.47.2: the same git, with
	// git as its entrypoint (Kelos' git-clone passes only args).
	KelosGit = "prewarm.test/alpine-git:e2e"
	// KelosAgentNpm stands for Kelos' agent images: Debian's tini-static
	// at /usr/bin/tini and /kelos_entrypoint.sh (Kelos' Job runs
	// `/usr/bin/tini -g -- /kelos_entrypoint.sh PROMPT`) running the
	// agent stand-in's npm checks, as USER 61100 with no HOME in the
	// image's env (the runtime takes it from /etc/passwd).
	KelosAgentNpm = "prewarm.test/kelos-agent-npm:e2e"
	Maven         = "prewarm.test/maven:e2e"        // maven preset toolchain: Debian's OpenJDK 17 + Maven 3.8
	AgentMaven    = "prewarm.test/agent-maven:e2e"  // agent stand-in for Maven workspaces
	Gradle        = "prewarm.test/gradle:e2e"       // gradle preset toolchain: Debian's OpenJDK 17 + Gradle 4.4.1
	AgentGradle   = "prewarm.test/agent-gradle:e2e" // agent stand-in for Gradle workspaces
	Python        = "prewarm.test/python:e2e"       // pip preset toolchain: Debian's Python 3.11 with venv
	AgentPython   = "prewarm.test/agent-python:e2e"
	Rust          = "prewarm.test/rust:e2e"       // cargo preset toolchain: Debian's cargo 0.66 + rustc 1.63
	AgentRust     = "prewarm.test/agent-rust:e2e" // agent stand-in for cargo workspaces (+ the standard library)
)

// JavaHome is where Debian's OpenJDK 17 lives, on the host and in the
// Maven and Gradle images.
const JavaHome = "/usr/lib/jvm/java-17-openjdk-amd64"

// AgentUID and AgentHome are the agent user every image knows (passwd).
const (
	AgentUID  = 61100
	AgentHome = "/home/agent"
)

// spec is one image: layers (bottom first) and its config.
type spec struct {
	ref    string
	layers []string // keys of layerMakers
	cfg    v1.Config
}

// layerMakers builds each layer once for all the images that share it.
var layerMakers = map[string]func() (layer, error){
	"busybox": busyboxLayer,
	"git":     gitLayer,
	"node":    nodeLayer,
	"go":      goLayer,
	"agent":   agentLayer,
	"kelos":   kelosAgentLayer,
	"jdk":     jdkLayer,
	"maven":   mavenLayer,
	"gradle":  gradleLayer,
	"python":  pythonLayer,
	"rust":    rustLayer,
	"ruststd": rustStdLayer,
}

var basePath = "PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin"

// base: busybox-static with every applet linked, and the agent user.
func busyboxLayer() (layer, error) {
	l := layer{}
	if err := staticELF("/bin/busybox"); err != nil {
		return nil, fmt.Errorf("%w: the images have no C library, so they need busybox-static (apt-get install busybox-static, which replaces Debian's busybox)", err)
	}
	if err := l.hostFile("/bin/busybox", "bin/busybox"); err != nil {
		return nil, fmt.Errorf("busybox-static (apt-get install busybox-static): %w", err)
	}
	out, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" {
			l.add(entry{name: "bin/" + applet, link: "busybox", mode: 0o777})
		}
	}
	// Scripts' "#!/usr/bin/env node" (npm) need env where Debian has it.
	l.add(entry{name: "usr/bin/env", link: "/bin/busybox", mode: 0o777})
	l.file("etc/passwd", fmt.Sprintf("root:x:0:0:root:/root:/bin/sh\nagent:x:%d:%d:agent:%s:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", AgentUID, AgentUID, AgentHome), 0o644)
	l.file("etc/group", fmt.Sprintf("root:x:0:\nagent:x:%d:\nnogroup:x:65534:\n", AgentUID), 0o644)
	l.add(entry{name: "home/agent", dir: true, mode: 0o755, uid: AgentUID, gid: AgentUID})
	l.add(entry{name: "root", dir: true, mode: 0o700})
	l.add(entry{name: "tmp", dir: true, mode: 0o1777})
	return l, nil
}

// gitLayer: the host's git, its helpers and the libraries they link.
func gitLayer() (layer, error) {
	l := layer{}
	if err := l.hostFile("/usr/bin/git", "usr/bin/git"); err != nil {
		return nil, err
	}
	if err := l.hostTree("/usr/lib/git-core", "usr/lib/git-core", nil); err != nil {
		return nil, err
	}
	if err := l.hostTree("/usr/share/git-core", "usr/share/git-core", nil); err != nil {
		return nil, err
	}
	return l, l.sharedLibs("/usr/bin/git", "/usr/lib/git-core/git-daemon", "/usr/lib/git-core/git-remote-http")
}

// nodeLayer: the host's node and npm (a self-contained Node.js build).
func nodeLayer() (layer, error) {
	l := layer{}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	if err := l.hostFile(nodeBin, "usr/bin/node"); err != nil {
		return nil, err
	}
	if err := l.hostTree("/usr/lib/node_modules/npm", "usr/lib/node_modules/npm", nil); err != nil {
		return nil, fmt.Errorf("npm: %w", err)
	}
	l.add(entry{name: "usr/bin/npm", link: "../lib/node_modules/npm/bin/npm-cli.js", mode: 0o777})
	l.add(entry{name: "usr/bin/npx", link: "../lib/node_modules/npm/bin/npx-cli.js", mode: 0o777})
	return l, l.sharedLibs(nodeBin)
}

// goLayer: the host's Go toolchain without tests, docs and test data.
func goLayer() (layer, error) {
	l := layer{}
	root := strings.TrimSpace(run("go", "env", "GOROOT"))
	skip := func(rel string, d fs.DirEntry) bool {
		switch {
		case rel == "test" || rel == "doc" || rel == "api" || rel == "misc":
			return true
		case d.IsDir() && (d.Name() == "testdata"):
			return true
		case !d.IsDir() && strings.HasSuffix(rel, "_test.go"):
			return true
		}
		return false
	}
	return l, l.hostTree(root, "usr/local/go", skip)
}

// agentLayer: the agent stand-in, /usr/local/bin/agent-check.
func agentLayer() (layer, error) {
	l := layer{}
	l.file("usr/local/bin/agent-check", AgentCheck, 0o755)
	return l, nil
}

// jdkLayer: Debian's OpenJDK 17 (openjdk-17-jdk-headless) without
// sources, jmods, headers and docs, its links into /etc resolved, and the
// libraries the JDK links; shared by the Maven and Gradle images.
func jdkLayer() (layer, error) {
	l := layer{}
	skip := func(rel string, d fs.DirEntry) bool {
		switch rel {
		case "jmods", "include", "man", "legal", "docs", "lib/src.zip":
			return true
		}
		return false
	}
	if err := l.hostTreeDeref(JavaHome, strings.TrimPrefix(JavaHome, "/"), skip); err != nil {
		return nil, fmt.Errorf("OpenJDK 17 (apt-get install openjdk-17-jdk-headless): %w", err)
	}
	l.add(entry{name: "usr/bin/java", link: JavaHome + "/bin/java", mode: 0o777})
	l.add(entry{name: "usr/bin/javac", link: JavaHome + "/bin/javac", mode: 0o777})
	var elfs []string
	err := filepath.WalkDir(JavaHome, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && (strings.HasSuffix(p, ".so") || filepath.Base(filepath.Dir(p)) == "bin") {
			elfs = append(elfs, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, l.sharedLibs(elfs...)
}

// mavenLayer: Debian's Maven 3.8 (maven), its links into /usr/share/java
// and /etc resolved; it runs on jdkLayer.
func mavenLayer() (layer, error) {
	l := layer{}
	if err := l.hostTreeDeref("/usr/share/maven", "usr/share/maven", func(rel string, _ fs.DirEntry) bool { return rel == "man" }); err != nil {
		return nil, fmt.Errorf("maven (apt-get install maven): %w", err)
	}
	l.add(entry{name: "usr/bin/mvn", link: "../share/maven/bin/mvn", mode: 0o777})
	return l, nil
}

// pythonLayer: Debian's Python 3.11 (python3.11, python3-venv) with its
// standard library (no tests, no Tk), the wheels Debian's ensurepip
// installs into a venv (/usr/share/python-wheels), and the libraries the
// interpreter and its extension modules link.
func pythonLayer() (layer, error) {
	l := layer{}
	const bin, lib = "/usr/bin/python3.11", "/usr/lib/python3.11"
	if err := l.hostFile(bin, "usr/bin/python3.11"); err != nil {
		return nil, fmt.Errorf("Debian's python3.11 (apt-get install python3 python3-venv): %w", err)
	}
	l.add(entry{name: "usr/bin/python3", link: "python3.11", mode: 0o777})
	skip := func(rel string, _ fs.DirEntry) bool {
		switch rel {
		case "test", "idlelib", "tkinter", "turtledemo", "lib2to3/tests":
			return true
		}
		return strings.HasPrefix(rel, "config-")
	}
	if err := l.hostTreeDeref(lib, "usr/lib/python3.11", skip); err != nil {
		return nil, err
	}
	if err := l.hostTree("/usr/share/python-wheels", "usr/share/python-wheels", nil); err != nil {
		return nil, fmt.Errorf("ensurepip's wheels (apt-get install python3-venv): %w", err)
	}
	mods, _ := filepath.Glob(lib + "/lib-dynload/*.so")
	return l, l.sharedLibs(append(mods, bin)...)
}

// kelosAgentLayer: what Kelos' Job expects of an agent image — tini at
// /usr/bin/tini (Debian's tini-static; the images have no C library) and
// /kelos_entrypoint.sh, which here runs the agent stand-in.
func kelosAgentLayer() (layer, error) {
	l := layer{}
	const tini = "/usr/bin/tini-static"
	if err := staticELF(tini); err != nil {
		return nil, fmt.Errorf("%w: the Kelos-shaped agent image needs Debian's tini-static (apt-get install tini)", err)
	}
	if err := l.hostFile(tini, "usr/bin/tini"); err != nil {
		return nil, err
	}
	l.file("kelos_entrypoint.sh", KelosEntrypoint, 0o755)
	return l, nil
}

func specs() []spec {
	sh := v1.Config{Cmd: []string{"sh"}}
	return []spec{
		{ref: Pause, layers: []string{"busybox"},
			cfg: v1.Config{Entrypoint: []string{"/bin/busybox", "sleep", "2147483647"}}},
		{ref: Busybox, layers: []string{"busybox"}, cfg: sh},
		{ref: Git, layers: []string{"busybox", "git"}, cfg: sh},
		{ref: Node, layers: []string{"busybox", "node"}, cfg: sh},
		{ref: AgentNpm, layers: []string{"busybox", "node", "agent"},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/agent-check", "npm"}}},
		{ref: KelosGit, layers: []string{"busybox", "git"}, cfg: v1.Config{Entrypoint: []string{"git"}}},
		{ref: KelosAgentNpm, layers: []string{"busybox", "node", "agent", "kelos"}, cfg: v1.Config{User: fmt.Sprint(AgentUID)}},
		{ref: Maven, layers: []string{"busybox", "jdk", "maven"}, cfg: v1.Config{Cmd: []string{"sh"}, Env: []string{"JAVA_HOME=" + JavaHome}}},
		{ref: AgentMaven, layers: []string{"busybox", "jdk", "maven", "agent"},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/agent-check", "maven"}, Env: []string{"JAVA_HOME=" + JavaHome}}},
		{ref: Gradle, layers: []string{"busybox", "jdk", "gradle"}, cfg: v1.Config{Cmd: []string{"sh"}, Env: []string{"JAVA_HOME=" + JavaHome}}},
		{ref: AgentGradle, layers: []string{"busybox", "jdk", "gradle", "agent"},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/agent-check", "gradle"}, Env: []string{"JAVA_HOME=" + JavaHome}}},
		{ref: Python, layers: []string{"busybox", "python"}, cfg: sh},
		{ref: AgentPython, layers: []string{"busybox", "python", "agent"},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/agent-check", "pip"}}},
		{ref: Rust, layers: []string{"busybox", "rust"}, cfg: sh},
		{ref: AgentRust, layers: []string{"busybox", "rust", "ruststd", "agent"},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/agent-check", "cargo"}}},
		{ref: Go, layers: []string{"busybox", "go"}, cfg: v1.Config{Cmd: []string{"sh"}, Env: []string{"CGO_ENABLED=0"}}},
		{ref: AgentGo, layers: []string{"busybox", "go", "agent"},
			cfg: v1.Config{Entrypoint: []string{"/usr/local/bin/agent-check", "gomod"}, Env: []string{"CGO_ENABLED=0"}}},
	}
}

// WriteTarball builds every image and writes them to one docker-archive
// tarball at path (for `ctr images import`). Layers shared between images
// are built once.
func WriteTarball(path string) error {
	built := map[string]v1.Layer{}
	refs := map[name.Reference]v1.Image{}
	for _, s := range specs() {
		img := empty.Image
		for _, key := range s.layers {
			lay, ok := built[key]
			if !ok {
				l, err := layerMakers[key]()
				if err != nil {
					return fmt.Errorf("image %s: %w", s.ref, err)
				}
				data, err := l.tar()
				if err != nil {
					return fmt.Errorf("image %s: %w", s.ref, err)
				}
				lay, err = tarball.LayerFromOpener(func() (io.ReadCloser, error) {
					return io.NopCloser(bytes.NewReader(data)), nil
				}, tarball.WithCompressionLevel(gzip.BestSpeed))
				if err != nil {
					return err
				}
				built[key] = lay
			}
			var err error
			if img, err = mutate.AppendLayers(img, lay); err != nil {
				return err
			}
		}
		cfg := s.cfg
		cfg.Env = append([]string{basePath}, cfg.Env...)
		cfg.WorkingDir = "/"
		img, err := mutate.ConfigFile(img, configFile(img, cfg))
		if err != nil {
			return err
		}
		ref, err := name.ParseReference(s.ref)
		if err != nil {
			return err
		}
		refs[ref] = img
	}
	tmp := path + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func configFile(img v1.Image, cfg v1.Config) *v1.ConfigFile {
	cf, err := img.ConfigFile()
	if err != nil || cf == nil {
		cf = &v1.ConfigFile{}
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config = cfg
	return cf
}

func run(bin string, args ...string) string {
	out, _ := exec.Command(bin, args...).Output()
	return string(out)
}

// staticELF fails when path is a dynamically linked ELF (it has a program
// interpreter): in an image without a C library it would not start, and
// the pod's sandbox would exit 255 with no word of why.
func staticELF(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}
