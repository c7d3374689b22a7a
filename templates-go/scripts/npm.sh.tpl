{{- /*
prewarm.script.npm: installs node_modules in each workdir from the lockfile
(npm ci; pnpm or yarn when their lockfile is the one present), with the
package manager's store on the cache volume and install snapshots of
node_modules under $PREWARM_CACHE/snapshots.

npm cannot use a read-only cache (it writes _cacache/tmp), so in readOnly
mode, or when the cache does not take writes, the store is a per-pod
directory under HOME; snapshots are still restored from the volume but
never published.
*/ -}}
{{- define "prewarm.script.npm" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

pw_init npm
PW_NPM_CACHE_FAILED=
if pw_cache_writable; then
  : "${npm_config_cache:=$PREWARM_CACHE/store}"
  PW_PNPM_STORE=${npm_config_store_dir:-$PREWARM_CACHE/pnpm-store}
  : "${YARN_CACHE_FOLDER:=$PREWARM_CACHE/yarn}"
else
  [ "$PREWARM_CACHE_MODE" = readWrite ] && PW_NPM_CACHE_FAILED=1
  # A store on the (read-only or failing) volume would fail the install.
  if [ -z "${npm_config_cache-}" ] || pw_under_cache "$npm_config_cache"; then
    npm_config_cache=$(pw_pod_cache store)
  fi
  PW_PNPM_STORE=${npm_config_store_dir:-}
  if [ -z "$PW_PNPM_STORE" ] || pw_under_cache "$PW_PNPM_STORE"; then
    PW_PNPM_STORE=$(pw_pod_cache pnpm-store)
  fi
  if [ -z "${YARN_CACHE_FOLDER-}" ] || pw_under_cache "$YARN_CACHE_FOLDER"; then
    YARN_CACHE_FOLDER=$(pw_pod_cache yarn)
  fi
fi
: "${npm_config_logs_dir:=$HOME/.npm/_logs}"
: "${npm_config_update_notifier:=false}"
# Yarn berry ignores cacheFolder unless the global cache is off.
: "${YARN_ENABLE_GLOBAL_CACHE:=false}"
export npm_config_cache npm_config_logs_dir npm_config_update_notifier YARN_CACHE_FOLDER YARN_ENABLE_GLOBAL_CACHE

pw_npm_workdir() {
  local pm files tool key rc state result statedir count
  if [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then
    pm=npm
    files=
    [ -f npm-shrinkwrap.json ] && files=npm-shrinkwrap.json
    [ -f package-lock.json ] && files="$files package-lock.json"
  elif [ -f pnpm-lock.yaml ]; then
    pm=pnpm
    files=pnpm-lock.yaml
  elif [ -f yarn.lock ]; then
    pm=yarn
    files=yarn.lock
  else
    pw_die "workdir '$PW_WORKDIR': no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml or yarn.lock); a reproducible install needs one"
  fi
  pw_has node || pw_die "node is not installed in this image"
  pw_has "$pm" || pw_die "workdir '$PW_WORKDIR' has a $pm lockfile but $pm is not installed in this image (corepack enable provides pnpm and yarn)"

  # Everything that changes the installed tree goes into the key.
  tool="node=$(node --version) $pm=$("$pm" --version 2>/dev/null) args=$* NODE_ENV=${NODE_ENV-} omit=${npm_config_omit-} include=${npm_config_include-} production=${npm_config_production-} ignore_scripts=${npm_config_ignore_scripts-}"
  # shellcheck disable=SC2086 # $files holds plain lockfile names
  key=$(pw_key "$tool" $files)

  rc=0
  pw_snapshot_restore "$key" node_modules || rc=$?
  if [ "$rc" -eq 0 ]; then
    count=$(pw_npm_count)
    pw_summary npm "$key" snapshot "pm=$pm" ${count:+"packages=$count"}
    return 0
  fi
  result=
  [ "$rc" -eq 2 ] && result=fallback
  [ -n "$PW_NPM_CACHE_FAILED" ] && result=fallback

  case $pm in
    npm) statedir=$npm_config_cache/_cacache ;;
    pnpm) statedir=$PW_PNPM_STORE ;;
    yarn) statedir=$YARN_CACHE_FOLDER ;;
  esac
  state=$(pw_store_state "$statedir")
  : "${result:=$state}"

  rc=0
  case $pm in
    npm)
      npm ci --prefer-offline --no-audit --no-fund "$@" >&2 || rc=$?
      ;;
    pnpm)
      pnpm install --frozen-lockfile --prefer-offline --store-dir "$PW_PNPM_STORE" "$@" >&2 || rc=$?
      ;;
    yarn)
      case $(yarn --version 2>/dev/null) in
        1.*) yarn install --frozen-lockfile --prefer-offline --non-interactive "$@" >&2 || rc=$? ;;
        *) yarn install --immutable "$@" >&2 || rc=$? ;;
      esac
      ;;
  esac
  [ "$rc" -eq 0 ] || pw_die "$pm install failed (exit $rc) in workdir '$PW_WORKDIR'"

  # Yarn PnP leaves no node_modules; publish skips a missing tree.
  pw_snapshot_publish "$key" node_modules
  count=$(pw_npm_count)
  pw_summary npm "$key" "$result" "pm=$pm" ${count:+"packages=$count"}
}

# pw_npm_count: installed packages per npm's hidden lockfile (npm only).
pw_npm_count() {
  if [ -f node_modules/.package-lock.json ]; then
    grep -c '^    "node_modules/' node_modules/.package-lock.json 2>/dev/null || :
  fi
}

pw_each_workdir pw_npm_workdir "$@"
{{- end -}}
