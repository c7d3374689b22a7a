#!/usr/bin/env bash
# make demo: a real etcd + kube-apiserver v1.37.2 on 127.0.0.1, the
# prewarm-workspace chart installed with examples/demo/values.yaml, the Task
# pod it yields admitted under Pod Security "restricted", and the npm and Go
# setup scripts run for real, cold then warm. Everything it starts is
# stopped on exit, on failure and on Ctrl-C. The program is tests/demo.
#
#   ./examples/demo.sh [--quick] [--verbose]     (--help for all flags)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PREWARM_CONTROLPLANE_DIR=${PREWARM_CONTROLPLANE_DIR:-$root/.cache/controlplane/v1.37.2}
if [[ ! -x $PREWARM_CONTROLPLANE_DIR/etcd || ! -x $PREWARM_CONTROLPLANE_DIR/kube-apiserver ]]; then
	echo "building etcd + kube-apiserver v1.37.2 from the Go module proxy (first run only, about 5 minutes)…"
	./tests/controlplane/build.sh "$PREWARM_CONTROLPLANE_DIR"
fi

# Built, then exec'd (not `go run`): Ctrl-C and SIGTERM then reach the demo
# itself, which stops the control plane, and its exit status is the script's.
bin=$root/.cache/bin/prewarm-demo
echo "building the demo program (cd tests && go build ./demo; first run about a minute)…"
(cd tests && go build -o "$bin" ./demo)
exec "$bin" "$@"
