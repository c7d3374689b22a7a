package cluster

// A real node for the control plane: containerd + runc + CNI bridge,
// kubelet, kube-controller-manager and kube-scheduler, all from
// `make node`, all state under one folder, all stopped by PID and cleaned
// up (containers, shims, mounts, network namespaces, the bridge) by Stop.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// EnvNodeDir names the folder holding the node binaries (`make node`).
const EnvNodeDir = "PREWARM_NODE_DIR"

// NodeName is the name the kubelet registers.
const NodeName = "prewarm-node"

// SandboxImage is the pause image containerd 2.4 runs pod sandboxes with;
// nothing is pulled, so the suite builds and imports it.
const SandboxImage = "registry.k8s.io/pause:3.10.2"

var nodeBinaries = []string{"kubelet", "kube-controller-manager", "kube-scheduler",
	"containerd", "containerd-shim-runc-v2", "ctr", "runc", "bridge", "host-local", "loopback"}

// Node is a running single-node data plane for a ControlPlane.
type Node struct {
	// Dir holds all node state and the component logs.
	Dir string
	// BinDir holds the binaries (EnvNodeDir).
	BinDir string
	// Bridge is the CNI bridge; Subnet its pod range; Gateway the host's
	// address on it.
	Bridge, Subnet, Gateway string

	cp                                  *ControlPlane
	containerd, kubelet, kcm, scheduler *process
	// madeRunDir: /run/containerd (shim sockets; containerd 2.4 keeps them
	// there whatever its state folder) did not exist before this node.
	madeRunDir bool
}

// runDir is where containerd's shims put their sockets.
const runDir = "/run/containerd"

// NodeBinDir returns EnvNodeDir after checking every binary is there.
func NodeBinDir() (string, error) {
	dir := os.Getenv(EnvNodeDir)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: run `make node` and point %s at its output (or run `make e2e`)", EnvNodeDir, EnvNodeDir)
	}
	for _, b := range nodeBinaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%w: run `make node` to build the node binaries", err)
		}
	}
	return dir, nil
}

// StartContainerd starts containerd alone (images are imported before the
// kubelet starts). Stop cleans up whatever was started.
func StartContainerd(ctx context.Context, cp *ControlPlane, dir string) (*Node, error) {
	bin, err := NodeBinDir()
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		return nil, err
	}
	n := &Node{Dir: dir, BinDir: bin, cp: cp,
		Bridge: "pwcni" + hex.EncodeToString(suffix)}
	// One /24 out of 10.244.0.0/16 per run so parallel runs do not clash.
	octet := 1 + int(suffix[0])%250
	n.Subnet = fmt.Sprintf("10.244.%d.0/24", octet)
	n.Gateway = fmt.Sprintf("10.244.%d.1", octet)
	if _, err := os.Stat(runDir); os.IsNotExist(err) {
		n.madeRunDir = true
	}
	for _, d := range []string{"root", "state", "cni-conf", "cni-data", "kubelet", "pod-logs", "plugins", "runc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(n.path("containerd.toml"), []byte(containerdConfig(n)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(n.path("cni-conf", "10-bridge.conflist"), []byte(bridgeConflist(n)), 0o644); err != nil {
		return nil, err
	}
	// The bridge exists before the kubelet: its gateway address is the
	// node IP (the kubelet refuses a loopback one). The CNI bridge plugin
	// adopts it.
	if err := n.makeBridge(ctx); err != nil {
		n.Stop()
		return nil, err
	}
	n.containerd, err = startProcessEnv(dir, "containerd", n.bin("containerd"),
		[]string{"PATH=" + bin + ":" + os.Getenv("PATH")}, "--config", n.path("containerd.toml"))
	if err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, n.containerd, 30*time.Second, func(context.Context) error {
		_, err := n.Ctr(ctx, "version")
		return err
	}); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// Start starts the kubelet, controller-manager and scheduler and waits
// until the node is Ready and untainted.
func (n *Node) Start(ctx context.Context) error {
	kubeconfig := n.path("kubeconfig")
	if err := writeKubeconfig(kubeconfig, n.cp); err != nil {
		return err
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	if err := os.WriteFile(n.path("kubelet.yaml"), []byte(kubeletConfig(n, ports[0], ports[1])), 0o644); err != nil {
		return err
	}
	if n.kcm, err = startProcess(n.Dir, "kube-controller-manager", n.bin("kube-controller-manager"),
		kcmArgs(n.cp.Dir, kubeconfig)...); err != nil {
		return err
	}
	if n.scheduler, err = startProcess(n.Dir, "kube-scheduler", n.bin("kube-scheduler"),
		"--kubeconfig="+kubeconfig, "--leader-elect=false", "--bind-address=127.0.0.1",
		"--secure-port=0", "--v=1"); err != nil {
		return err
	}
	if n.kubelet, err = startProcessEnv(n.Dir, "kubelet", n.bin("kubelet"),
		[]string{"PATH=" + n.BinDir + ":" + os.Getenv("PATH")},
		"--config="+n.path("kubelet.yaml"), "--kubeconfig="+kubeconfig,
		"--root-dir="+n.path("kubelet"), "--hostname-override="+NodeName,
		"--node-ip="+n.Gateway, "--v=1"); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(n.cp.Config())
	if err != nil {
		return err
	}
	// The kubelet is the one waitHealthy watches; the others are checked
	// each round so a bad flag fails at once, not after the timeout.
	var dead error
	err = waitHealthy(ctx, n.kubelet, 3*time.Minute, func(ctx context.Context) error {
		for _, p := range []*process{n.kcm, n.scheduler} {
			if done, err := p.exited(); done {
				dead = fmt.Errorf("%s %w (%v); see %s", p.name, errExited, err, p.log)
				return nil
			}
		}
		return nodeReady(ctx, cs)
	})
	if dead != nil {
		return dead
	}
	return err
}

// nodeReady passes once the node is Ready with no NoSchedule taint left.
func nodeReady(ctx context.Context, cs kubernetes.Interface) error {
	node, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, t := range node.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule {
			return fmt.Errorf("node tainted %s", t.Key)
		}
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return nil
		}
	}
	return fmt.Errorf("node not Ready")
}

// Ctr runs ctr in containerd's k8s.io namespace and returns its output.
func (n *Node) Ctr(ctx context.Context, args ...string) (string, error) {
	return run(ctx, n.bin("ctr"), append([]string{"--address", n.socket(), "--namespace", "k8s.io"}, args...)...)
}

// ImportImages imports an image tarball (docker or OCI archive).
func (n *Node) ImportImages(ctx context.Context, tarball string) error {
	_, err := n.Ctr(ctx, "images", "import", "--no-unpack=false", tarball)
	return err
}

// LogTail returns the last lines of every node component's log.
func (n *Node) LogTail(lines int) string {
	var b strings.Builder
	for _, p := range []*process{n.containerd, n.kubelet, n.kcm, n.scheduler} {
		if p != nil {
			fmt.Fprintf(&b, "----- last %d lines of %s -----\n%s", lines, p.log, tail(p.log, lines))
		}
	}
	return b.String()
}

func (n *Node) makeBridge(ctx context.Context) error {
	for _, args := range [][]string{
		{"link", "add", "name", n.Bridge, "type", "bridge"},
		{"addr", "add", n.Gateway + "/24", "dev", n.Bridge},
		{"link", "set", n.Bridge, "up"},
	} {
		if _, err := run(ctx, "ip", args...); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) path(parts ...string) string {
	return filepath.Join(append([]string{n.Dir}, parts...)...)
}
func (n *Node) bin(name string) string { return filepath.Join(n.BinDir, name) }
func (n *Node) socket() string         { return n.path("state", "containerd.sock") }

func writeKubeconfig(path string, cp *ControlPlane) error {
	return WriteKubeconfig(path, "local", cp.Config(), "")
}

func kcmArgs(cpDir, kubeconfig string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		// node-lifecycle untaints the node; job/cronjob run the warmer and
		// pruner; serviceaccount(-token) give namespaces their `default`
		// SA; persistentvolume-binder binds cache PVCs; garbage-collector
		// and ttl-after-finished clean up after Jobs; root-ca-certificate-
		// publisher gives each namespace kube-root-ca.crt, which the
		// service account token volume of a pod that does not opt out
		// (Kelos' own Jobs) needs.
		"--controllers=root-ca-certificate-publisher-controller,node-lifecycle-controller,job-controller,cronjob-controller,serviceaccount-controller,serviceaccount-token-controller,persistentvolume-binder-controller,garbage-collector-controller,ttl-after-finished-controller,namespace-controller",
		"--service-account-private-key-file=" + filepath.Join(cpDir, "sa.key"),
		"--root-ca-file=" + filepath.Join(cpDir, "ca.crt"),
		"--use-service-account-credentials=false",
		"--v=1",
	}
}

func containerdConfig(n *Node) string {
	r := strings.NewReplacer("$NODE", n.Dir, "$BIN", n.BinDir, "$SANDBOX", SandboxImage)
	return r.Replace(`version = 3
root = "$NODE/root"
state = "$NODE/state"
[grpc]
  address = "$NODE/state/containerd.sock"
[plugins."io.containerd.cri.v1.images"]
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$SANDBOX"
[plugins."io.containerd.cri.v1.runtime"]
  # The test sandbox has no CAP_SYS_RESOURCE: runc must not lower an OOM score.
  restrict_oom_score_adj = true
  # Network namespaces under the state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "$BIN/runc"
        Root = "$NODE/runc"
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$BIN"]
    conf_dir = "$NODE/cni-conf"
`)
}

// bridgeConflist: pods get addresses on one bridge; no masquerade, no
// routes beyond it.
func bridgeConflist(n *Node) string {
	return fmt.Sprintf(`{"cniVersion":"1.0.0","name":"prewarm-e2e","plugins":[`+
		`{"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,`+
		`"ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":%q}]],"routes":[]}},`+
		`{"type":"loopback"}]}`, n.Bridge, n.path("cni-data"), n.Subnet)
}

func kubeletConfig(n *Node, port, healthz int) string {
	r := strings.NewReplacer("$NODE", n.Dir, "$PORT", strconv.Itoa(port), "$HEALTHZ", strconv.Itoa(healthz), "$ADDRESS", n.Gateway)
	return r.Replace(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
containerRuntimeEndpoint: unix://$NODE/state/containerd.sock
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
# Serves logs/exec to the API server on the node IP (the bridge gateway).
address: $ADDRESS
port: $PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ
failSwapOn: false
# A shared scratch disk must not evict test pods.
evictionHard: {memory.available: "0%", nodefs.available: "0%", imagefs.available: "0%", nodefs.inodesFree: "0%", imagefs.inodesFree: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
resolvConf: ""
podLogsDir: $NODE/pod-logs
volumePluginDir: $NODE/plugins
registerNode: true
`)
}
