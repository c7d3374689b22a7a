package images

// AgentCheck is the agent stand-in's entrypoint: it checks what a real
// coding agent relies on when it starts in the Task pod, and prints one
// "agent-check: ok ..." line or fails naming what is missing. It also prints
// "agent-check: cache <mount> <ro|rw> write=<ok|denied>" per cache mount. It runs with
// the network effectively off: npm offline, GOPROXY=off, GOFLAGS=-mod=mod
// not set (go.sum must already be satisfied from the module cache).
//
//	agent-check npm     node_modules present, `npm test` passes offline
//	agent-check gomod   modules present, `go build ./...` passes offline
//	agent-check maven   `mvn -o test-compile` passes offline
//	agent-check pip     .venv works offline: pip check, import wheel
//	agent-check gradle  `gradle --offline compileTestJava` passes
//	agent-check cargo   `cargo build --frozen` passes (--locked + --offline)
const AgentCheck = `#!/bin/sh
set -eu
fail() { echo "agent-check: FAIL: $*" >&2; exit 1; }
uid=$(id -u)
entry=$(grep "^[^:]*:[^:]*:$uid:" /etc/passwd) || fail "no passwd entry for uid $uid"
pwhome=$(echo "$entry" | cut -d: -f6)
[ -d "$pwhome" ] || fail "passwd home $pwhome of uid $uid does not exist"
[ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ -w "$HOME" ] || fail "HOME=${HOME:-} is not a writable directory"
# The agent keeps its image's HOME: nothing in the pod may move it.
[ "$HOME" = "$pwhome" ] || fail "HOME=$HOME is not the image's own ($pwhome, /etc/passwd of uid $uid)"
[ -d .git ] || fail "$(pwd) is not a git checkout"
# Each cache mount: read-only or not, and whether a write goes through.
awk '$2 ~ "^/cache(/|$)" { split($4, o, ","); print $2, o[1] }' /proc/mounts | while read -r mp opt; do
  if (: >"$mp/.agent-probe") 2>/dev/null; then rm -f "$mp/.agent-probe"; w=ok; else w=denied; fi
  echo "agent-check: cache $mp $opt write=$w"
done
case ${1:-} in
npm)
  [ -d node_modules ] || fail "node_modules missing in $(pwd)"
  npm_config_offline=true npm test >/tmp/agent-test.log 2>&1 || { cat /tmp/agent-test.log >&2; fail "npm test failed offline"; }
  what="npm test"
  ;;
gomod)
  GOPROXY=off GOFLAGS=-mod=readonly go build ./... >/tmp/agent-test.log 2>&1 || { cat /tmp/agent-test.log >&2; fail "go build ./... failed offline"; }
  what="go build ./..."
  ;;
maven)
  # Offline, from the local repository the setup prepared. Maven 3.9+
  # reads MAVEN_ARGS (repository, settings) itself; the image's Maven 3.8
  # does not, so it is passed as 3.9 would take it. Without it, 3.8 refuses
  # artifacts resolved through the settings' mirror ("has not been
  # downloaded from it before").
  # shellcheck disable=SC2086
  mvn -o -B -q ${MAVEN_ARGS:-} -DskipTests test-compile >/tmp/agent-test.log 2>&1 || { cat /tmp/agent-test.log >&2; fail "mvn -o test-compile failed offline"; }
  what="mvn -o test-compile"
  ;;
gradle)
  # Offline, from the pod's GRADLE_USER_HOME the setup prepared (the
  # preset sets it for the agent too; its gradle.properties links the
  # registrySecret file, which names the repository the build declares).
  gradle --offline --no-daemon -q compileTestJava >/tmp/agent-test.log 2>&1 || { cat /tmp/agent-test.log >&2; fail "gradle --offline compileTestJava failed"; }
  what="gradle --offline compileTestJava"
  ;;
cargo)
  # Offline and locked, from the pod's CARGO_HOME the setup seeded and
  # fetched into (the preset sets CARGO_HOME and CARGO_TARGET_DIR for the
  # agent too): cargo extracts the sources from registry/cache and
  # compiles every crate.
  cargo build --frozen -q >/tmp/agent-test.log 2>&1 || { cat /tmp/agent-test.log >&2; fail "cargo build --frozen failed offline"; }
  what="cargo build --frozen"
  ;;
pip)
  # The venv the setup made, with its interpreter at the image's path, and
  # the locked requirements importable; no index is asked.
  [ -x .venv/bin/python ] || fail ".venv/bin/python missing in $(pwd)"
  PIP_NO_INDEX=1 .venv/bin/python -m pip check >/tmp/agent-test.log 2>&1 || { cat /tmp/agent-test.log >&2; fail "pip check failed"; }
  .venv/bin/python -c "import wheel; print('agent-check: wheel', wheel.__version__)" || fail "the venv cannot import wheel"
  what="import wheel"
  ;;
*) fail "usage: agent-check npm|gomod|maven|gradle|pip|cargo" ;;
esac
echo "agent-check: ok uid=$uid passwd-home=$pwhome HOME=$HOME $what passed offline"
`

// KelosEntrypoint is /kelos_entrypoint.sh of the Kelos-shaped agent image:
// Kelos passes the Task's prompt as its argument; instead of an agent it
// runs the stand-in's npm checks.
const KelosEntrypoint = `#!/bin/sh
echo "kelos-entrypoint: prompt: $*"
exec /usr/local/bin/agent-check npm
`
