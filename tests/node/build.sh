#!/usr/bin/env bash
# build.sh OUTDIR — build a real node from the Go module proxy into OUTDIR,
# once: kubelet, kube-controller-manager, kube-scheduler (k8s.io/kubernetes,
# with this folder's go.mod replace list), containerd + shim + ctr, runc and
# the CNI bridge/host-local/loopback plugins. A stamp records what was built
# so later runs are instant.
set -euo pipefail

KUBE_VERSION=v1.37.2
CONTAINERD_VERSION=v2.4.2
RUNC_VERSION=v1.5.3
CNI_PLUGINS_VERSION=v1.10.0
OUTDIR=${1:?usage: build.sh OUTDIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO=${GO:-go}
NICE=${NICE:-nice -n 10}

stamp_want() {
	printf '%s\n' "$KUBE_VERSION" "$CONTAINERD_VERSION" "$RUNC_VERSION" "$CNI_PLUGINS_VERSION"
	sha256sum "$HERE/go.mod" "$HERE/go.sum" "$HERE/build.sh" | awk '{print $1}'
}

BINS="kubelet kube-controller-manager kube-scheduler containerd containerd-shim-runc-v2 ctr runc bridge host-local loopback"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
STAMP="$OUTDIR/.stamp"
have_all() { for b in $BINS; do [[ -x $OUTDIR/$b ]] || return 1; done; }
if have_all && [[ -f $STAMP && "$(cat "$STAMP")" == "$(stamp_want)" ]]; then
	echo "node binaries up to date"
	exit 0
fi
rm -f "$STAMP"

# runc links libseccomp (cgo); the other parts are static Go.
if ! pkg-config --exists libseccomp 2>/dev/null; then
	echo "node: runc needs libseccomp-dev and pkg-config (run tests/install-deps.sh as root)" >&2
	exit 1
fi

# Each build goes to a private GOBIN and is renamed into place, so an
# interrupted build never leaves a half-written binary.
TMPBIN=$(mktemp -d "$OUTDIR/.build.XXXXXX")
trap 'rm -rf "$TMPBIN"' EXIT
install_into() { # env... -- go install args
	(cd "$TMPBIN" && env GOWORK=off GOBIN="$TMPBIN" GOFLAGS=-trimpath "$@")
}
took() { echo "node: $1 built in $(($(date +%s) - $2)) s"; }

t=$(date +%s)
install_into CGO_ENABLED=0 $NICE "$GO" install -tags no_btrfs -ldflags "-s -w" \
	github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION \
	github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION \
	github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION
took "containerd $CONTAINERD_VERSION" "$t"

t=$(date +%s)
install_into CGO_ENABLED=1 $NICE "$GO" install -tags seccomp -ldflags "-s -w" \
	github.com/opencontainers/runc@$RUNC_VERSION
took "runc $RUNC_VERSION" "$t"

t=$(date +%s)
install_into CGO_ENABLED=0 $NICE "$GO" install -ldflags "-s -w" \
	github.com/containernetworking/plugins/plugins/main/bridge@$CNI_PLUGINS_VERSION \
	github.com/containernetworking/plugins/plugins/ipam/host-local@$CNI_PLUGINS_VERSION \
	github.com/containernetworking/plugins/plugins/main/loopback@$CNI_PLUGINS_VERSION
took "CNI plugins $CNI_PLUGINS_VERSION" "$t"

# Version ldflags as for the control plane (tests/controlplane/build.sh).
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=37 \
 -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
for name in kubelet kube-controller-manager kube-scheduler; do
	t=$(date +%s)
	(cd "$HERE" && GOWORK=off CGO_ENABLED=0 $NICE "$GO" build -trimpath -ldflags "$ldflags" \
		-o "$TMPBIN/$name" "k8s.io/kubernetes/cmd/$name")
	took "$name $KUBE_VERSION" "$t"
done

for b in $BINS; do mv -f "$TMPBIN/$b" "$OUTDIR/$b"; done
stamp_want >"$STAMP"
echo "node binaries ready in $OUTDIR"
