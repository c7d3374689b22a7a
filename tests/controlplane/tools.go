//go:build tools

// Package controlplane only pins the modules build.sh compiles; the imports
// keep `go mod tidy` from dropping them.
package controlplane

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
