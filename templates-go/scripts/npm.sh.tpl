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
# `node --version` takes about 10 ms (node starts up): it runs while the
# cache is probed, and pw_npm_node reads its answer.
PW_NODE_VER=
PW_NODE_FILE=$HOME/.tmp-prewarm-node-version-$$
pw_track "$PW_NODE_FILE"
node --version >"$PW_NODE_FILE" 2>/dev/null &
PW_NODE_PID=$!
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

# pw_npm_node sets PW_NODE_VER to `node --version` (the same for every
# workdir).
pw_npm_node() {
  if [ -n "$PW_NODE_PID" ]; then
    wait "$PW_NODE_PID" 2>/dev/null || :
    PW_NODE_PID=
    read -r PW_NODE_VER <"$PW_NODE_FILE" 2>/dev/null || PW_NODE_VER=
  fi
  [ -n "$PW_NODE_VER" ] || PW_NODE_VER=$(node --version)
}

pw_npm_workdir() {
  local pm files tool key rc state result statedir count v
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

  # Everything that changes the installed tree goes into the key. The shell
  # reads npm's version from its package.json: `node -e` took 0.08 s here,
  # as long as the rest of a restore's fixed cost, and `npm --version` more.
  if [ "$pm" = npm ]; then
    v=$(pw_npm_version) || v=
    [ -n "$v" ] || v=$(npm --version 2>/dev/null) || v=
  else
    v=$("$pm" --version 2>/dev/null)
  fi
  pw_npm_node
  tool="node=$PW_NODE_VER $pm=$v"
  tool="$tool args=$* NODE_ENV=${NODE_ENV-} omit=${npm_config_omit-} include=${npm_config_include-} production=${npm_config_production-} ignore_scripts=${npm_config_ignore_scripts-}"
  # shellcheck disable=SC2086 # $files holds plain lockfile names
  key=$(pw_key "$tool" $files)

  rc=0
  pw_snapshot_restore "$key" node_modules || rc=$?
  if [ "$rc" -eq 0 ]; then
    count=$(pw_npm_count)
    pw_summary npm "$key" snapshot "pm=$pm" ${count:+"packages=$count"}
    # a restore reads no store: the record names none
    pw_record_use "$key"
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
  pw_npm_install "$pm" "$@" || rc=$?
  if [ "$rc" -ne 0 ] && pw_npm_cache_filled; then
    # The shared store filled up during the install: a full cache costs a
    # warning and a per-pod install, never the step.
    pw_warn "$pm install failed (exit $rc) after cache $PREWARM_CACHE filled up; retrying with a per-pod cache"
    pw_npm_use_pod_cache
    result=fallback
    rc=0
    pw_npm_install "$pm" "$@" || rc=$?
  fi
  [ "$rc" -eq 0 ] || pw_die "$pm install failed (exit $rc) in workdir '$PW_WORKDIR'"
  # mtime = last use for the store entries this install used (shared store only)
  if [ "$pm" = npm ] && [ "$PW_WRITABLE" = yes ] && pw_under_cache "$npm_config_cache"; then
    # shellcheck disable=SC2086 # $files holds plain lockfile names
    pw_npm_mark_used $files
  fi

  # Yarn PnP leaves no node_modules; publish skips a missing tree.
  pw_snapshot_publish "$key" node_modules
  count=$(pw_npm_count)
  pw_summary npm "$key" "$result" "pm=$pm" ${count:+"packages=$count"}
  pw_record_use "$key" "$statedir"
}

# pw_npm_version prints the version of the npm on PATH as `npm --version`
# would, from its package.json (npm-cli.js's ../package.json, links
# resolved, as npm finds it), read by the shell; nothing when that file is
# not npm's or cannot be read (the caller then asks npm).
pw_npm_version() {
  local f line name ver
  f=$(command -v npm) || return 0
  f=$(readlink -f "$f" 2>/dev/null) || return 0
  f=${f%/*}/../package.json
  [ -r "$f" ] || return 0
  name=
  ver=
  while IFS= read -r line; do
    case $line in
      '  "name": "'*) name=${line#*: \"} name=${name%%\"*} ;;
      '  "version": "'*) ver=${line#*: \"} ver=${ver%%\"*} ;;
    esac
    [ -z "$name" ] || [ -z "$ver" ] || break
  done <"$f"
  [ "$name" = npm ] || return 0
  case $ver in '' | *[!0-9A-Za-z.+-]*) return 0 ;; esac
  printf '%s\n' "$ver"
}

# pw_npm_mark_used LOCKFILE...: sets the mtime of the npm cache (_cacache)
# entries the lockfiles name to now, so the pruner (oldest mtime first)
# dates them by their last use. npm reads a package whose lockfile entry
# has resolved and integrity straight from content-v2 by digest and
# rewrites no index bucket, so without this a bucket's mtime is the fetch
# time. One node process (the image has node): per package, the content
# files of its integrity (content-v2/<algo>/<hex split 2/2/rest>) and the
# index bucket of its tarball request (index-v5/<sha256 of
# "make-fetch-happen:request-cache:<url>" split 2/2/rest>), the url as npm
# requests it: resolved, or, when registry.npmjs.org, the same path on the
# configured registry (npm's replace-registry-host default). A lockfile
# without resolved (omit-lockfile-registry-resolved) makes npm fetch the
# packument and the conventional tarball url and caches the tarball again
# as "pacote:tarball:<name>@<version>", buckets npm rewrites itself; they
# are marked too. The registry: npm_config_registry, else a
# registry= line of the project, user or global npmrc. Links and bundled
# packages are never fetched. pnpm and yarn stores are removed whole by the
# pruner: nothing to mark. Never fails the setup.
pw_npm_mark_used() {
  node -e 'const fs = require("fs"), path = require("path"), crypto = require("crypto"), url = require("url");
const cc = process.argv[1], env = process.env, now = new Date(), seen = new Set();
const touch = (p) => { if (p && !seen.has(p)) { seen.add(p); try { fs.utimesSync(p, now, now); } catch (e) {} } };
const seg = (h) => [h.slice(0, 2), h.slice(2, 4), h.slice(4)];
const bkey = (k) => path.join(cc, "index-v5", ...seg(crypto.createHash("sha256").update(k).digest("hex")));
const bucket = (u) => { try {
  return bkey("make-fetch-happen:request-cache:" + url.format(new URL(u), { auth: false, fragment: false, search: true, unicode: false }));
} catch (e) { return null; } };
let reg = env.npm_config_registry || env.NPM_CONFIG_REGISTRY;
for (const f of [".npmrc", env.npm_config_userconfig || env.NPM_CONFIG_USERCONFIG || path.join(env.HOME || "/", ".npmrc"),
  env.npm_config_globalconfig || env.NPM_CONFIG_GLOBALCONFIG || path.join(path.dirname(path.dirname(process.execPath)), "etc", "npmrc")]) {
  if (reg) break;
  try { const m = /^[ \t]*registry[ \t]*=[ \t]*(\S+)/m.exec(fs.readFileSync(f, "utf8")); if (m) reg = m[1].replace(/\$\{(\w+)\}/g, (_, v) => env[v] || ""); } catch (e) {}
}
reg = reg || "https://registry.npmjs.org/";
const mark = (name, p) => {
  if (!p || p.link || p.inBundle) return;
  for (const sri of String(p.integrity || "").split(/\s+/)) {
    const m = /^(sha\d+)-([A-Za-z0-9+\/=]+)/.exec(sri);
    if (m) touch(path.join(cc, "content-v2", m[1], ...seg(Buffer.from(m[2], "base64").toString("hex"))));
  }
  let r = p.resolved;
  if (!r && name && p.version) {
    touch(bucket(reg.replace(/\/+$/, "") + "/" + name.replace("/", "%2f")));
    touch(bkey("pacote:tarball:" + name + "@" + p.version));
    r = "https://registry.npmjs.org/" + name + "/-/" + name.replace(/^@[^\/]+\//, "") + "-" + p.version + ".tgz";
  }
  if (!/^https?:/.test(r || "")) return;
  touch(bucket(r));
  try { if (new URL(r).host === "registry.npmjs.org") touch(bucket(new URL(new URL(r).pathname, reg).href)); } catch (e) {}
};
for (const f of process.argv.slice(2)) {
  let j;
  try { j = JSON.parse(fs.readFileSync(f, "utf8")); } catch (e) { continue; }
  if (j.packages) {
    for (const [k, p] of Object.entries(j.packages)) {
      const i = k.lastIndexOf("node_modules/");
      if (i >= 0) mark(p.name || k.slice(i + 13), p);
    }
  } else {
    const walk = (d) => { for (const [n, p] of Object.entries(d || {})) { mark(n, p); walk(p && p.dependencies); } };
    walk(j.dependencies);
  }
}' "$npm_config_cache/_cacache" "$@" 2>/dev/null || :
  return 0
}

# pw_npm_install PM ARGS...: one install with the current store settings.
pw_npm_install() {
  local pm
  pm=$1
  shift
  case $pm in
    npm) npm ci --prefer-offline --no-audit --no-fund "$@" >&2 ;;
    pnpm) pnpm install --frozen-lockfile --prefer-offline --store-dir "$PW_PNPM_STORE" "$@" >&2 ;;
    yarn)
      case $(yarn --version 2>/dev/null) in
        1.*) yarn install --frozen-lockfile --prefer-offline --non-interactive "$@" >&2 ;;
        *) yarn install --immutable "$@" >&2 ;;
      esac
      ;;
  esac
}

# pw_npm_cache_filled: 0 when the store is on the cache volume and that
# volume is now below its free-space floor (it filled during the install).
pw_npm_cache_filled() {
  local free min
  [ -z "$PW_NPM_CACHE_FAILED" ] || return 1
  pw_under_cache "$npm_config_cache" || return 1
  min=${PREWARM_CACHE_MIN_FREE_MB:-256}
  case $min in '' | *[!0-9]*) min=256 ;; esac
  free=$(pw_free_mb "$PREWARM_CACHE") || return 1
  [ -n "$free" ] && [ "$free" -lt "$min" ]
}

# pw_npm_use_pod_cache: move every package-manager store off the volume and
# stop publishing snapshots to it.
pw_npm_use_pod_cache() {
  PW_NPM_CACHE_FAILED=1
  PW_WRITABLE=no
  npm_config_cache=$(pw_pod_cache store)
  PW_PNPM_STORE=$(pw_pod_cache pnpm-store)
  YARN_CACHE_FOLDER=$(pw_pod_cache yarn)
  export npm_config_cache YARN_CACHE_FOLDER
}

# pw_npm_count: installed packages per npm's hidden lockfile (npm only).
pw_npm_count() {
  if [ -f node_modules/.package-lock.json ]; then
    grep -c '^    "node_modules/' node_modules/.package-lock.json 2>/dev/null || :
  fi
}

pw_each_workdir pw_npm_workdir "$@"
{{- end -}}
