package cluster

import (
	"path/filepath"
	"strconv"
)

func startEtcd(dir, bin, clientURL string, peerPort int) (*process, error) {
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	return startProcess(dir, "etcd", bin,
		"--name=prewarm-test",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=prewarm-test="+peerURL,
		"--initial-cluster-state=new",
		// Test data is thrown away: skip fsync, keep the backend small.
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=1073741824",
		"--log-level=warn",
	)
}

func apiserverArgs(dir string, p *pki, etcdURL string, port int) []string {
	return []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file=" + p.certFile,
		"--tls-private-key-file=" + p.keyFile,
		"--etcd-servers=" + etcdURL,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPubFile,
		"--service-account-signing-key-file=" + p.saKeyFile,
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--anonymous-auth=false",
		// Only a config string: nothing routes to these addresses.
		"--service-cluster-ip-range=10.0.0.0/24",
		// The lease reconciler refuses a loopback advertise address, and
		// nothing needs the `kubernetes` Service's endpoints here.
		"--endpoint-reconciler-type=none",
		// Both are on by default; naming them fails loudly if one is renamed.
		// ServiceAccount stays on, so tests create the `default` SA
		// themselves (EnsureNamespace) as no controller-manager runs.
		"--enable-admission-plugins=PodSecurity,ValidatingAdmissionPolicy",
		// Like kubeadm/kind, so privileged pods reach PodSecurity instead of
		// being refused by validation first.
		"--allow-privileged=true",
		// A node (StartNode) registers 127.0.0.1 as its InternalIP and an
		// unresolvable hostname: logs/exec must dial the IP.
		"--kubelet-preferred-address-types=InternalIP",
		"--profiling=false",
		"--v=1",
	}
}
