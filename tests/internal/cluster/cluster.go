// Package cluster runs a real etcd and kube-apiserver on 127.0.0.1 for tests.
// The binaries come from `make controlplane`; nothing else (no
// controller-manager, no scheduler, no kubelet) runs.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// EnvDir names the folder holding the etcd and kube-apiserver binaries.
const EnvDir = "PREWARM_CONTROLPLANE_DIR"

// ControlPlane is a running etcd + kube-apiserver pair.
type ControlPlane struct {
	// Dir holds certificates, etcd data and the two log files.
	Dir       string
	etcd      *process
	apiserver *process
	config    *rest.Config
}

// Binaries returns the paths of etcd and kube-apiserver from EnvDir.
func Binaries() (etcd, apiserver string, err error) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return "", "", fmt.Errorf("%s is not set: run `make controlplane` and point %s at its output (or run `make live`)", EnvDir, EnvDir)
	}
	etcd, apiserver = filepath.Join(dir, "etcd"), filepath.Join(dir, "kube-apiserver")
	for _, b := range []string{etcd, apiserver} {
		if _, err := os.Stat(b); err != nil {
			return "", "", fmt.Errorf("%s: %w: run `make controlplane` to build the control plane binaries", b, err)
		}
	}
	return etcd, apiserver, nil
}

// Start launches etcd and kube-apiserver with state under dir and waits
// until the API server is ready. On error nothing is left running.
func Start(ctx context.Context, dir string) (*ControlPlane, error) {
	etcdBin, apiBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		cp := &ControlPlane{Dir: dir}
		err := cp.start(ctx, etcdBin, apiBin)
		if err == nil {
			return cp, nil
		}
		tail := cp.LogTail(40)
		cp.Stop()
		if !portTaken(err, tail) || attempt == 3 {
			return nil, fmt.Errorf("%w\n%s", err, tail)
		}
		if err := resetDir(dir); err != nil {
			return nil, err
		}
	}
}

// resetDir empties dir so a retry starts from scratch.
func resetDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (cp *ControlPlane) start(ctx context.Context, etcdBin, apiBin string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if cp.etcd, err = startEtcd(cp.Dir, etcdBin, etcdURL, ports[1]); err != nil {
		return err
	}
	if err := waitHealthy(ctx, cp.etcd, 30*time.Second, etcdHealthy(etcdURL)); err != nil {
		return err
	}
	return cp.startAPIServer(ctx, apiBin, etcdURL, ports[2])
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, bin, etcdURL string, port int) error {
	certs, err := newPKI(cp.Dir)
	if err != nil {
		return fmt.Errorf("generate certificates: %w", err)
	}
	token, err := writeTokenFile(cp.Dir)
	if err != nil {
		return err
	}
	cp.config = &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(port),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: certs.caPEM},
		QPS:             100,
		Burst:           200,
	}
	args := apiserverArgs(cp.Dir, certs, etcdURL, port)
	if cp.apiserver, err = startProcess(cp.Dir, "kube-apiserver", bin, args...); err != nil {
		return err
	}
	return waitHealthy(ctx, cp.apiserver, 2*time.Minute, apiserverReady(cp.config))
}

// Config returns a fresh copy of the admin (system:masters) client config.
func (cp *ControlPlane) Config() *rest.Config {
	return rest.CopyConfig(cp.config)
}

// Stop terminates kube-apiserver, then etcd, by PID and waits for both.
// It is safe to call more than once.
func (cp *ControlPlane) Stop() {
	for _, p := range []*process{cp.apiserver, cp.etcd} {
		if p != nil {
			p.stop(15 * time.Second)
		}
	}
}

// writeTokenFile writes a static token file with one system:masters user.
func writeTokenFile(dir string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	line := token + `,admin,admin,"system:masters"` + "\n"
	return token, os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(line), 0o600)
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1. Holding
// all listeners until the end keeps the kernel from handing out one twice.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// errExited marks a child that died during startup.
var errExited = errors.New("exited during startup")

// portTaken reports a start that failed because another process bound a
// port between freePorts and our bind; only that is worth a retry.
func portTaken(err error, logs string) bool {
	return errors.Is(err, errExited) && strings.Contains(logs, "address already in use")
}
