//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
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
}

const serversNS = "e2e-servers"

var (
	serversOnce sync.Once
	servers     Servers
	serversErr  error
)

// startServers starts the git daemon and the npm tarball server once.
func startServers(t testing.TB) Servers {
	t.Helper()
	serversOnce.Do(func() {
		gitRoot := filepath.Join(work, "volumes", "git")
		for repo, src := range map[string]string{"app.git": "npm-app", "go.git": "go-app"} {
			if serversErr = makeRepo(gitRoot, repo, filepath.Join("..", "testdata", "e2e", src)); serversErr != nil {
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
		namespace(t, serversNS)
		gitIP := serverPod(t, "git", images.Git, 9418, gitRoot,
			"git", "daemon", "--reuseaddr", "--export-all", "--base-path=/srv", "--listen=0.0.0.0", "--port=9418", "/srv")
		npmIP := serverPod(t, "npm-registry", images.Busybox, 8080, registry,
			"httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
		goIP := serverPod(t, "goproxy", images.Busybox, 8080, goproxy,
			"httpd", "-f", "-v", "-p", "8080", "-h", "/srv")
		servers = Servers{GitURL: "git://" + gitIP, NpmRegistry: fmt.Sprintf("http://%s:8080/", npmIP),
			GoProxy: fmt.Sprintf("http://%s:8080", goIP)}
	})
	if serversErr != nil {
		t.Fatal(serversErr)
	}
	return servers
}

// serverPod runs one server pod serving hostDir at /srv and returns its IP
// once its port accepts connections (a TCP readiness probe).
func serverPod(t testing.TB, name, image string, port int32, hostDir string, cmd ...string) string {
	t.Helper()
	hp := corev1.HostPathDirectory
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: serversNS},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: new(bool),
			Containers: []corev1.Container{{
				Name: name, Image: image, ImagePullPolicy: corev1.PullNever, Command: cmd,
				Ports:          []corev1.ContainerPort{{ContainerPort: port}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}}, PeriodSeconds: 1},
				VolumeMounts:   []corev1.VolumeMount{{Name: "srv", MountPath: "/srv", ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{Name: "srv", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir, Type: &hp}}}},
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
