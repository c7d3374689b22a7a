//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/prewarm-dev/prewarm/tests/images"
)

// Servers are the in-cluster servers the Task pods fetch from, as pods on
// the node, reached by pod IP over the CNI bridge (no Services: no
// kube-proxy runs).
type Servers struct {
	// GitURL is the git:// base URL of a git daemon serving the e2e
	// repositories (app.git: tests/testdata/e2e/npm-app, go.git: go-app).
	GitURL string
	// NpmRegistry is an npm registry URL serving the lockfile's tarballs.
	NpmRegistry string
	// GoProxy is a Go module proxy URL serving go-app's modules.
	GoProxy string
	// MavenRepo is a Maven repository URL: Debian's /usr/share/maven-repo
	// (maven.git: tests/scripts/testdata/maven/hello and gradle.git:
	// tests/scripts/testdata/gradle/hello build from it).
	MavenRepo string
	// PipIndex is a PEP 503 simple index URL serving Debian's wheel
	// package (pip.git: tests/testdata/e2e/pip-app requires it).
	PipIndex string
	// CargoIndex is the git URL of a crates.io replacement index (on the
	// git daemon) whose downloads go to a crate file server (cargo.go);
	// cargo.git's .cargo/config.toml names it.
	CargoIndex string
}

const serversNS = "e2e-servers"

var (
	serversOnce sync.Once
	servers     Servers
	serversErr  error
)

// startServers starts the git daemon and the file servers once.
func startServers(t testing.TB) Servers {
	t.Helper()
	serversOnce.Do(func() {
		gitRoot := filepath.Join(work, "volumes", "git")
		for repo, src := range map[string]string{"app.git": "e2e/npm-app", "go.git": "e2e/go-app", "maven.git": "../scripts/testdata/maven/hello", "gradle.git": "../scripts/testdata/gradle/hello", "pip.git": "e2e/pip-app"} {
			if serversErr = makeRepo(gitRoot, repo, filepath.Join("..", "testdata", src)); serversErr != nil {
				return
			}
		}
		registry, err := filepath.Abs(filepath.Join("..", "testdata", "e2e", "npm-registry"))
		if err != nil {
			serversErr = err
			return
		}
		goproxy, err := filepath.Abs(filepath.Join("..", "testdata", "e2e", "goproxy"))
		if err != nil {
			serversErr = err
			return
		}
		pypi := filepath.Join(work, "volumes", "pypi")
		if serversErr = makePipIndex(pypi, debianWheel); serversErr != nil {
			return
		}
		crates := filepath.Join(work, "volumes", "crates")
		if serversErr = buildCrates(crates); serversErr != nil {
			return
		}
		namespace(t, serversNS)
		gitIP := serverPod(t, "git", images.Git, 9418, map[string]string{"/srv": gitRoot},
			"git", "daemon", "--reuseaddr", "--export-all", "--base-path=/srv", "--listen=0.0.0.0", "--port=9418", "/srv")
		npmIP := serverPod(t, "npm-registry", images.Busybox, 8080, map[string]string{"/srv": registry},
			"httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
		goIP := serverPod(t, "goproxy", images.Busybox, 8080, map[string]string{"/srv": goproxy},
			"httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
		// Debian's Maven repository links its jars into /usr/share/java:
		// both at their own paths.
		mavenIP := serverPod(t, "maven-repo", images.Busybox, 8080,
			map[string]string{mavenRepoDir: mavenRepoDir, "/usr/share/java": "/usr/share/java"},
			"httpd", "-f", "-v", "-p", "8080", "-h", mavenRepoDir)
		pipIP := serverPod(t, "pypi", images.Busybox, 8080, map[string]string{"/srv": pypi},
			"httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
		cratesIP := serverPod(t, "crates", images.Busybox, 8080, map[string]string{"/srv": crates},
			"httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
		// The git daemon serves what is under /srv when asked: the index
		// (naming the crate server) and cargo.git (naming the index) are
		// made once both addresses are known.
		cargoIndex := "git://" + gitIP + "/" + cargoIndexRepo
		if serversErr = makeCargoRepos(gitRoot, crates, cargoIndex, fmt.Sprintf("http://%s:8080", cratesIP)); serversErr != nil {
			return
		}
		servers = Servers{GitURL: "git://" + gitIP, NpmRegistry: fmt.Sprintf("http://%s:8080/", npmIP),
			GoProxy: fmt.Sprintf("http://%s:8080", goIP), MavenRepo: fmt.Sprintf("http://%s:8080", mavenIP),
			PipIndex: fmt.Sprintf("http://%s:8080/simple/", pipIP), CargoIndex: cargoIndex}
	})
	if serversErr != nil {
		t.Fatal(serversErr)
	}
	return servers
}

// mavenRepoDir is Debian's Maven repository: maven and the
// libmaven-*-java packages tests/install-deps.sh installs put their poms
// there and link their jars from /usr/share/java.
const mavenRepoDir = "/usr/share/maven-repo"

// serverPod runs one server pod with host folders mounted read-only
// (container path → host path) and returns its IP once its port accepts
// connections (a TCP readiness probe).
func serverPod(t testing.TB, name, image string, port int32, mounts map[string]string, cmd ...string) string {
	t.Helper()
	hp := corev1.HostPathDirectory
	var vols []corev1.Volume
	var vms []corev1.VolumeMount
	paths := make([]string, 0, len(mounts))
	for p := range mounts {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for i, p := range paths {
		v := fmt.Sprintf("srv%d", i)
		vols = append(vols, corev1.Volume{Name: v, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: mounts[p], Type: &hp}}})
		vms = append(vms, corev1.VolumeMount{Name: v, MountPath: p, ReadOnly: true})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: serversNS},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: new(bool),
			Containers: []corev1.Container{{
				Name: name, Image: image, ImagePullPolicy: corev1.PullNever, Command: cmd,
				Ports:          []corev1.ContainerPort{{ContainerPort: port}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}}, PeriodSeconds: 1},
				VolumeMounts:   vms,
			}},
			Volumes: vols,
		},
	}
	if _, err := kube(t).CoreV1().Pods(serversNS).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return waitPod(t, serversNS, name, 3*time.Minute, running).Status.PodIP
}

// makeRepo makes a bare repository root/name holding the files of src,
// committed once on branch main.
func makeRepo(root, name, src string) error {
	tmp, err := os.MkdirTemp(work, "repo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.CopyFS(tmp, os.DirFS(src)); err != nil {
		return err
	}
	git := func(dir string, args ...string) error {
		return runCmd(dir, "git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@prewarm.test", "-c", "init.defaultBranch=main"}, args...)...)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "e2e fixture"}} {
		if err := git(tmp, args...); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	return git(root, "clone", "-q", "--bare", tmp, name)
}

// debianWheel is Debian's wheel package as a wheel (python3-wheel-whl).
const debianWheel = "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"

// makePipIndex writes a PEP 503 simple index at root serving the wheel:
// simple/<project>/index.html links files/<wheel>#sha256=<digest>.
func makePipIndex(root, wheel string) error {
	data, err := os.ReadFile(wheel)
	if err != nil {
		return fmt.Errorf("%w (apt-get install python3-wheel-whl)", err)
	}
	name := filepath.Base(wheel)
	project := strings.ToLower(strings.SplitN(name, "-", 2)[0])
	sum := sha256.Sum256(data)
	for p, content := range map[string][]byte{
		filepath.Join("files", name):                   data,
		filepath.Join("simple", "index.html"):          []byte(fmt.Sprintf("<!DOCTYPE html>\n<html><body><a href=\"%s/\">%s</a></body></html>\n", project, project)),
		filepath.Join("simple", project, "index.html"): []byte(fmt.Sprintf("<!DOCTYPE html>\n<html><body><a href=\"../../files/%s#sha256=%s\">%s</a></body></html>\n", name, hex.EncodeToString(sum[:]), name)),
	} {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
