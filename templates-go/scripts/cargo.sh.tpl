{{- /*
prewarm.script.cargo: fetches the crates of each workdir's Cargo.lock
(cargo fetch --locked "$@") into a per-pod CARGO_HOME seeded from the
shared cache.

Cargo skips file locking on NFS, so no pod ever writes a shared CARGO_HOME:
  - the shared cache $PREWARM_CACHE/home holds only registry/index,
    registry/cache and git/db (no registry/src: cargo extracts sources
    from registry/cache on demand, offline too);
  - every pod copies those three into its own CARGO_HOME (default
    /workspace/.cargo, on the workspace volume the agent shares), then runs
    cargo fetch there;
  - only when PREWARM_CACHE_MODE=readWrite (granted to the single trusted
    warmer job) and the fetch added something, the pod publishes its three
    directories back as a new generation (see prewarm.scriptpart.trees):
    readers never see a half-written tree.
The agent builds with the same CARGO_HOME and CARGO_TARGET_DIR (default
/workspace/target) and `cargo build --frozen`.

PREWARM_CARGO_CREDENTIALS (a credentials.toml from a Secret) is linked as
$CARGO_HOME/credentials.toml.

CARGO_HOME from the environment is used when it is a per-pod path; the
rust image's /usr/local/cargo (not shared with the agent container) and any
path on the cache volume are replaced by /workspace/.cargo.
/usr/local/cargo/bin stays on PATH (rustup's proxies live there).

When the seeded cache is not empty the fetch first runs with --offline (no
index round trips); if crates are missing it runs again online.

Without Cargo.lock the fetch runs without --locked and cargo writes a
Cargo.lock into the workdir, as the agent's first build would.

result: cold (shared cache empty), warm (seeded from it), fallback (the
cache could not be read or seeded, or readWrite without a writable cache:
then the fetch ran cold). Extra fields: mode, crates (.crate files and git
databases now in CARGO_HOME), fetched (added by this run), published (yes,
no, unchanged, readOnly).
*/ -}}
{{- define "prewarm.script.cargo" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}
{{ template "prewarm.scriptpart.trees" . }}

pw_init cargo
if [ -d /usr/local/cargo/bin ]; then
  case :$PATH: in
    *:/usr/local/cargo/bin:*) ;;
    *) PATH=$PATH:/usr/local/cargo/bin ;;
  esac
  export PATH
fi
pw_has cargo || pw_die "cargo is not installed in this image (PATH=$PATH)"

PW_CARGO_SHARED=$PREWARM_CACHE/home
PW_CARGO_PATHS="registry/index registry/cache git/db"
case ${CARGO_HOME-} in
  '' | /usr/local/cargo | /usr/local/cargo/) CARGO_HOME=/workspace/.cargo ;;
esac
if pw_under_cache "$CARGO_HOME"; then
  pw_warn "CARGO_HOME=$CARGO_HOME is on the shared cache; cargo does not lock on NFS, so this pod uses /workspace/.cargo"
  CARGO_HOME=/workspace/.cargo
fi
: "${CARGO_TARGET_DIR:=/workspace/target}"
export CARGO_HOME CARGO_TARGET_DIR
mkdir -p "$CARGO_HOME" || pw_die "cannot create CARGO_HOME=$CARGO_HOME"
# Registry tokens from a Secret: cargo reads $CARGO_HOME/credentials.toml.
# A link, so the secret is not copied onto the workspace volume.
if [ -n "${PREWARM_CARGO_CREDENTIALS-}" ]; then
  [ -r "$PREWARM_CARGO_CREDENTIALS" ] || pw_die "PREWARM_CARGO_CREDENTIALS=$PREWARM_CARGO_CREDENTIALS is not a readable file (is the registry Secret mounted?)"
  ln -sf "$PREWARM_CARGO_CREDENTIALS" "$CARGO_HOME/credentials.toml" || pw_die "cannot link $CARGO_HOME/credentials.toml"
fi

# pw_cargo_count prints the number of .crate files plus git databases in
# the per-pod CARGO_HOME.
pw_cargo_count() {
  {
    find "$CARGO_HOME/registry/cache" -type f -name '*.crate' 2>/dev/null
    find "$CARGO_HOME/git/db" -mindepth 1 -maxdepth 1 -type d 2>/dev/null
  } | wc -l | tr -d ' '
}

# pw_cargo_seed copies the shared registry/index, registry/cache and git/db
# into CARGO_HOME and sets PW_CARGO_STATE to cold, warm or fallback. A failed
# copy is removed again: a truncated .crate would break the agent's build.
pw_cargo_seed() {
  local p paths
  PW_CARGO_STATE=cold
  [ "$PREWARM_CACHE_MODE" = readWrite ] && ! pw_cache_writable && PW_CARGO_STATE=fallback
  if [ ! -e "$PW_CARGO_SHARED" ]; then
    return 0
  fi
  if [ ! -d "$PW_CARGO_SHARED" ] || [ ! -r "$PW_CARGO_SHARED" ] || [ ! -x "$PW_CARGO_SHARED" ]; then
    pw_warn "shared cargo cache $PW_CARGO_SHARED is not a readable directory; fetching cold"
    PW_CARGO_STATE=fallback
    return 0
  fi
  paths=
  for p in $PW_CARGO_PATHS; do
    [ -d "$PW_CARGO_SHARED/$p" ] && paths="$paths $p"
  done
  [ -n "$paths" ] || return 0
  # shellcheck disable=SC2086 # $paths holds fixed relative names
  if pwt_copy "$PW_CARGO_SHARED" "$CARGO_HOME" $paths; then
    [ "$PW_CARGO_STATE" = fallback ] || PW_CARGO_STATE=warm
    pw_log "seeded $CARGO_HOME from $PW_CARGO_SHARED ($(pw_cargo_count) crates)"
  else
    pw_warn "seeding $CARGO_HOME from $PW_CARGO_SHARED failed; fetching cold"
    for p in $PW_CARGO_PATHS; do
      rm -rf "${CARGO_HOME:?}/$p"
    done
    PW_CARGO_STATE=fallback
  fi
}

# pw_cargo_publish: the trusted writer's CARGO_HOME becomes the new shared
# cache (it was seeded from the old one, so nothing is lost).
pw_cargo_publish() {
  local p paths
  paths=
  for p in $PW_CARGO_PATHS; do
    [ -d "$CARGO_HOME/$p" ] && paths="$paths $p"
  done
  [ -n "$paths" ] || return 1
  # shellcheck disable=SC2086 # $paths holds fixed relative names
  pwt_publish "$CARGO_HOME" "$PW_CARGO_SHARED" : $paths
}

pw_cargo_workdir() {
  local key before after fetched published rc
  [ -f Cargo.toml ] || pw_die "workdir '$PW_WORKDIR' has no Cargo.toml"
  key=$(pw_key "$(cargo --version) args=$*" Cargo.lock)
  before=$(pw_cargo_count)
  rc=0
  if [ -f Cargo.lock ]; then
    # Seeded: try without the network first. A sparse index would otherwise
    # revalidate every crate's index entry over HTTP; a miss falls back.
    rc=1
    if [ "$before" -gt 0 ]; then
      cargo fetch --locked --offline "$@" >/dev/null 2>&1 && rc=0
      [ "$rc" -eq 0 ] || pw_log "workdir '$PW_WORKDIR': the seeded cache misses crates; fetching from the registry"
    fi
    if [ "$rc" -ne 0 ]; then
      rc=0
      cargo fetch --locked "$@" >&2 || rc=$?
    fi
  else
    pw_warn "workdir '$PW_WORKDIR' has no Cargo.lock; cargo fetch resolves the dependencies and writes one"
    cargo fetch "$@" >&2 || rc=$?
  fi
  [ "$rc" -eq 0 ] || pw_die "cargo fetch failed (exit $rc) in workdir '$PW_WORKDIR'"
  after=$(pw_cargo_count)
  fetched=$((after - before))
  [ "$fetched" -ge 0 ] || fetched=0

  published=readOnly
  if pw_cache_writable; then
    if [ "$fetched" -eq 0 ]; then
      published=unchanged
    elif pw_cargo_publish; then
      published=yes
    else
      published=no
    fi
  fi
  pw_summary cargo "$key" "$PW_CARGO_RESULT" "mode=$PREWARM_CACHE_MODE" "crates=$after" "fetched=$fetched" "published=$published"
}

pw_cargo_seed
PW_CARGO_RESULT=$PW_CARGO_STATE
pw_each_workdir pw_cargo_workdir "$@"
{{- end -}}
