//go:build tools

// Package node only pins the modules build.sh compiles with the Kubernetes
// replace list; the imports keep `go mod tidy` from dropping them.
package node

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
