{{- /*
prewarm.script.lib: the shared part of every preset script. Included right
after "#!/bin/sh" by each ecosystem script. POSIX sh only: it must run under
dash and busybox ash (alpine images) and pass `shellcheck -s sh`.

All configuration arrives through the environment (PREWARM_*) and "$@"; no
value is ever templated into shell source.

Functions (names are a stable interface; other preset scripts build on them):
  pw_init ECO              defaults, HOME, umask, timer, validation
  pw_log / pw_warn / pw_die MSG...   messages on stderr ("prewarm: ...")
  pw_workdirs              validated workdirs, one per line
  pw_each_workdir FN ARGS  for each workdir: cd into it, restart the timer,
                           run FN ARGS (call as a plain statement)
  pw_enter_workdir WD      cd into PREWARM_REPO/WD, set PW_WORKDIR, timer
  pw_key TOOLCHAIN FILE... hex sha256 key (ecosystem, files, toolchain,
                           arch, libc, salt); pass FILEs relative to the
                           workdir so the key does not depend on the path
  pw_cache_writable        0 if mode readWrite and PREWARM_CACHE is writable
                           (and not nearly full: PREWARM_CACHE_MIN_FREE_MB)
  pw_store_state DIR       prints cold (absent/empty) or warm
  pw_snapshot_restore KEY TARGET   0 restored, 1 miss, 2 corrupt/failed
  pw_snapshot_publish KEY SRC      never fails; no-op unless writable
  pw_atomic_copy_tree SRC DST      copy SRC to DST via temp dir + rename
  pw_summary ECO KEY RESULT [k=v...]  the one stdout line per workdir,
                           also appended to the termination message
  pw_term_msg LINE         append LINE to PREWARM_TERMINATION_LOG
  pw_under_cache PATH      0 if PATH is PREWARM_CACHE or below it
  pw_pod_cache NAME        prints (and creates) a per-pod writable cache dir
  pw_record_use KEY PATH...  use record .prewarm/used/<key> (last use of the
                           key and of the stores PATH... on the cache)
  pw_lease_take / pw_lease_drop   the setup's lease on the cache's stores
  pw_has CMD               0 if CMD is on PATH
  pw_strip_slash PATH      PATH without trailing slashes
  pw_track / pw_untrack / pw_cleanup   temp paths removed at exit

Snapshot format: $PREWARM_CACHE/snapshots/<key>.tar, an uncompressed tar
of the tree's contents followed by a 92-byte trailer line
"prewarm-snapshot-v1 cksum=<crc>-<bytes>" (or "sha256=<hex>" in images
without cksum), space-padded, recording the checksum of every byte before
it. Uncompressed because restore speed is the point: gunzip alone costs
more CPU than extracting the tree. (gzip's CRC would not do anyway: some bit
flips in a deflate stream decode to the same bytes.) Restore checks the
trailer and the checksum first, extracts into a temp dir beside the target
and renames it into place. Publish writes snapshots/.tmp-<key>-<pid>.tar,
appends the trailer, syncs it, then `ln` (atomic, fails if the final name
exists) so a key has at most one snapshot and a concurrent publisher loses
cleanly; file systems without hard links fall back to rename. A restore on
a writable cache touches the snapshot (mtime = last use, for the pruner)
and removes a corrupt one. Every temporary name starts with ".tmp-" so a
pruner can remove a crash's leftovers.
*/ -}}
{{- define "prewarm.script.lib" -}}
# shellcheck disable=SC3043
# ---- prewarm shared library (POSIX sh: dash, busybox ash) ----
set -eu
umask 0002

pw_log() { printf 'prewarm: %s\n' "$*" >&2; }
pw_warn() { printf 'prewarm: warning: %s\n' "$*" >&2; }
pw_die() { printf 'prewarm: error: %s\n' "$*" >&2; exit 1; }
pw_has() { command -v "$1" >/dev/null 2>&1; }

# pw_now prints seconds since the epoch, fractional where date supports %N.
pw_now() {
  local t
  t=$(date +%s.%N 2>/dev/null) || t=
  case $t in
    '' | *[!0-9.]* | .* | *.) t=$(date +%s) ;;
  esac
  printf '%s\n' "$t"
}

# pw_elapsed prints the seconds since PW_T0 (one decimal when measurable).
pw_elapsed() {
  local now
  now=$(pw_now)
  case $PW_T0$now in
    *.*) awk -v a="$PW_T0" -v b="$now" 'BEGIN { d = b - a; if (d < 0) d = 0; printf "%.1f\n", d }' ;;
    *) echo $((now - PW_T0)) ;;
  esac
}

# pw_strip_slash drops trailing slashes (not from "/").
pw_strip_slash() {
  local p
  p=$1
  while :; do
    case $p in
      / | '') break ;;
      */) p=${p%/} ;;
      *) break ;;
    esac
  done
  printf '%s\n' "$p"
}

pw_init() {
  [ $# -ge 1 ] || pw_die "pw_init: missing ecosystem name"
  PW_ECO=$1
  : "${PREWARM_REPO:=/workspace/repo}"
  : "${PREWARM_CACHE:=/cache/$PW_ECO}"
  : "${PREWARM_HOME:=/workspace/.home}"
  : "${PREWARM_WORKDIRS:=.}"
  : "${PREWARM_CACHE_MODE:=readWrite}"
  : "${PREWARM_SNAPSHOTS:=true}"
  : "${PREWARM_KEY_SALT:=}"
  case $PREWARM_CACHE_MODE in
    readWrite | readOnly) ;;
    *) pw_die "PREWARM_CACHE_MODE must be readWrite or readOnly, not '$PREWARM_CACHE_MODE'" ;;
  esac
  case $PREWARM_SNAPSHOTS in
    true | false) ;;
    *) pw_die "PREWARM_SNAPSHOTS must be true or false, not '$PREWARM_SNAPSHOTS'" ;;
  esac
  case $PREWARM_REPO in /*) ;; *) pw_die "PREWARM_REPO must be an absolute path, not '$PREWARM_REPO'" ;; esac
  case $PREWARM_CACHE in /*) ;; *) pw_die "PREWARM_CACHE must be an absolute path, not '$PREWARM_CACHE'" ;; esac
  case $PREWARM_HOME in /*) ;; *) pw_die "PREWARM_HOME must be an absolute path, not '$PREWARM_HOME'" ;; esac
  PREWARM_REPO=$(pw_strip_slash "$PREWARM_REPO")
  PREWARM_CACHE=$(pw_strip_slash "$PREWARM_CACHE")
  # UID 61100 has no passwd entry: tools would otherwise write to "/".
  HOME=$PREWARM_HOME
  if ! mkdir -p "$HOME" 2>/dev/null; then
    pw_warn "cannot create HOME=$HOME; using a temporary HOME"
    HOME=$(mktemp -d "${TMPDIR:-/tmp}/prewarm-home.XXXXXX") || pw_die "no writable HOME"
  fi
  export HOME
  PW_WRITABLE=
  PW_WORKDIR=.
  PW_TMPS=
  PW_LEASE=
  trap 'pw_cleanup; pw_lease_drop' EXIT
  trap 'pw_cleanup; pw_lease_drop; trap - EXIT; exit 130' INT TERM HUP
  PW_T0=$(pw_now)
}

# pw_track / pw_untrack remember temp paths that pw_cleanup removes when the
# script exits or is interrupted (a crash leaves only ".tmp-*" names).
pw_track() {
  PW_TMPS="$PW_TMPS
$1"
}
pw_untrack() {
  local rest p
  rest=
  while IFS= read -r p; do
    [ -n "$p" ] && [ "$p" != "$1" ] && rest="$rest
$p"
  done <<EOF
$PW_TMPS
EOF
  PW_TMPS=$rest
}
pw_cleanup() {
  local p
  [ -n "${PW_TMPS-}" ] || return 0
  while IFS= read -r p; do
    [ -n "$p" ] && rm -rf "$p" 2>/dev/null
  done <<EOF
$PW_TMPS
EOF
  PW_TMPS=
  return 0
}

# pw_workdirs prints PREWARM_WORKDIRS one per line: relative paths only, no
# ".." component; blank lines are skipped, surrounding blanks trimmed.
pw_workdirs() {
  local wd n
  n=0
  while IFS= read -r wd || [ -n "$wd" ]; do
    wd=$(printf '%s\n' "$wd" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    [ -n "$wd" ] || continue
    case $wd in
      /*) pw_die "workdir '$wd' must be relative to the repo (PREWARM_WORKDIRS), not absolute" ;;
    esac
    case /$wd/ in
      */../*) pw_die "workdir '$wd' must stay inside the repo: '..' is not allowed (PREWARM_WORKDIRS)" ;;
    esac
    printf '%s\n' "$wd"
    n=$((n + 1))
  done <<EOF
$PREWARM_WORKDIRS
EOF
  [ "$n" -gt 0 ] || printf '.\n'
}

pw_enter_workdir() {
  PW_WORKDIR=$1
  cd "$PREWARM_REPO/$1" 2>/dev/null || pw_die "workdir '$1': $PREWARM_REPO/$1 is not a directory"
  PW_T0=$(pw_now)
}

# pw_each_workdir FN ARGS...: runs FN ARGS once per workdir, inside it.
pw_each_workdir() {
  local _pw_fn _pw_list _pw_wd
  _pw_fn=$1
  shift
  _pw_list=$(pw_workdirs) || exit 1
  while IFS= read -r _pw_wd <&3; do
    [ -n "$_pw_wd" ] || continue
    pw_enter_workdir "$_pw_wd"
    "$_pw_fn" "$@"
  done 3<<EOF
$_pw_list
EOF
}

# pw_sha256 prints the hex sha256 of stdin.
pw_sha256() {
  local out
  if pw_has sha256sum; then
    out=$(sha256sum) || return 1
  elif pw_has shasum; then
    out=$(shasum -a 256) || return 1
  elif pw_has openssl; then
    out=$(openssl dgst -sha256 -r) || return 1
  else
    pw_die "no sha256 tool (sha256sum, shasum or openssl) in this image"
  fi
  printf '%s\n' "${out%% *}"
}

# pw_libc names the C library: musl, "glibc <version>" or what ldd says.
pw_libc() {
  local f v
  for f in /lib/ld-musl-*.so.1; do
    if [ -e "$f" ]; then
      echo musl
      return 0
    fi
  done
  v=$(ldd --version 2>&1 | head -n 1) || v=
  case $v in
    *musl*) echo musl ;;
    *GLIBC* | *'GNU libc'*) echo "glibc ${v##* }" ;;
    '') echo unknown ;;
    *) printf '%s\n' "$v" ;;
  esac
}

# pw_key TOOLCHAIN FILE...: sha256 over the ecosystem, TOOLCHAIN (a version
# string; include anything else that changes the installed tree), each
# FILE's name and content hash, `uname -m`, the libc and PREWARM_KEY_SALT.
pw_key() {
  local tool f sum
  tool=${1-}
  [ $# -gt 0 ] && shift
  {
    printf 'prewarm-key v1\n'
    printf 'ecosystem=%s\n' "$PW_ECO"
    printf 'toolchain=%s\n' "$tool"
    printf 'arch=%s\n' "$(uname -m 2>/dev/null || echo unknown)"
    printf 'libc=%s\n' "$(pw_libc)"
    printf 'salt=%s\n' "$PREWARM_KEY_SALT"
    for f in "$@"; do
      if [ -f "$f" ]; then
        sum=$(pw_sha256 <"$f") || sum=unreadable
      else
        sum=absent
      fi
      printf 'file=%s sha256=%s\n' "$f" "$sum"
    done
  } | pw_sha256
}

# pw_probe_dir DIR: 0 if DIR exists (created if needed) and takes a write.
pw_probe_dir() {
  local p
  mkdir -p "$1" 2>/dev/null || return 1
  p="$1/.tmp-probe-$$"
  if ! (printf 'x' >"$p") 2>/dev/null; then
    rm -f "$p" 2>/dev/null
    return 1
  fi
  rm -f "$p" 2>/dev/null || return 1
}

# pw_free_mb DIR: MiB available on DIR's file system (empty if unknown).
pw_free_mb() {
  df -Pk "$1" 2>/dev/null | awk 'NR == 2 && $4 ~ /^[0-9]+$/ { print int($4 / 1024) }'
}

# pw_cache_writable: 0 if PREWARM_CACHE_MODE=readWrite and the cache takes
# writes and has PREWARM_CACHE_MIN_FREE_MB (default 256) MiB free: a full
# cache would fail the install, so it counts as unwritable. The answer is
# remembered; the warning is printed once.
pw_cache_writable() {
  local free min own
  if [ -z "$PW_WRITABLE" ]; then
    PW_WRITABLE=no
    if [ "$PREWARM_CACHE_MODE" = readWrite ]; then
      min=${PREWARM_CACHE_MIN_FREE_MB:-256}
      case $min in '' | *[!0-9]*) min=256 ;; esac
      if ! pw_probe_dir "$PREWARM_CACHE"; then
        # Present but not writable: name its owner and mode and the fix in
        # one line (fsGroup is not applied to hostPath and many NFS-style
        # volumes, so a root-owned 0755 root stays unwritable).
        own=$(stat -c 'uid %u gid %g mode %a' "$PREWARM_CACHE" 2>/dev/null) || own=
        if [ -n "$own" ]; then
          pw_warn "cache $PREWARM_CACHE is not writable by uid $(id -u) ($own; fsGroup is not applied to this volume type): create the volume owned by uid $(id -u) (EFS access point uid/gid, NFS export owner or mode 1777) or run the one-time root permissions Job (docs/caching.md#cache-volume-permissions); installing with a per-pod cache"
        else
          pw_warn "cache $PREWARM_CACHE is absent or not writable; installing with a per-pod cache"
        fi
      else
        free=$(pw_free_mb "$PREWARM_CACHE") || free=
        if [ -n "$free" ] && [ "$free" -lt "$min" ]; then
          pw_warn "cache $PREWARM_CACHE has $free MiB free (less than PREWARM_CACHE_MIN_FREE_MB=$min); installing with a per-pod cache"
        elif pw_lease_take; then
          PW_WRITABLE=yes
        fi
      fi
    fi
  fi
  [ "$PW_WRITABLE" = yes ]
}

# pw_lease_take: registers this setup as a user of the cache's stores,
# .prewarm/leases/<eco>-<host>-<pid>, and returns 1 (lease removed, warned)
# when a trimmer (the pruner, `prewarm cache clear`) holds .prewarm/lock.
# The lease is written before the lock is looked at, and a trimmer takes the
# lock before it looks at leases, so one of the two always sees the other:
# no store is removed under a running setup. A lock older than 60 minutes
# is a crashed trimmer's; a lease is touched after every workdir
# (pw_record_use) and counts as a crashed setup's after 120 minutes.
# pw_lease_drop (at exit) removes it. Names: pkg/cache (LeasesDir, LockDir).
pw_lease_take() {
  local d
  d=$PREWARM_CACHE/.prewarm/leases
  PW_LEASE=$d/$PW_ECO-$(uname -n 2>/dev/null | tr -c 'A-Za-z0-9.\n-' _)-$$
  if ! mkdir -p "$d" 2>/dev/null || ! : >"$PW_LEASE" 2>/dev/null; then
    PW_LEASE=
    pw_warn "cannot write a lease in $d; installing with a per-pod cache"
    return 1
  fi
  if [ -d "$PREWARM_CACHE/.prewarm/lock" ] &&
    [ -z "$(find "$PREWARM_CACHE/.prewarm/lock" -maxdepth 0 -mmin +60 2>/dev/null)" ]; then
    pw_lease_drop
    pw_warn "cache $PREWARM_CACHE is being trimmed ($(cat "$PREWARM_CACHE/.prewarm/lock/owner" 2>/dev/null || echo 'lock held')); installing with a per-pod cache"
    return 1
  fi
  return 0
}
pw_lease_drop() {
  [ -z "${PW_LEASE-}" ] || rm -f "$PW_LEASE" 2>/dev/null || :
  PW_LEASE=
  return 0
}

# pw_record_use KEY PATH...: writes .prewarm/used/<KEY> (preset, workdir,
# the stores among PATH... = their top-level names under PREWARM_CACHE, and
# when the key was first recorded); its mtime is the key's last use, so
# nothing depends on atime (noatime mounts). The pruner trims stores and
# snapshots least recently used first by these records; `prewarm cache ls`
# shows them. Writable caches only; renews the lease; never fails.
pw_record_use() {
  local key d f tmp created stores p top
  key=$1
  shift
  pw_cache_writable || return 0
  [ -z "${PW_LEASE-}" ] || touch "$PW_LEASE" 2>/dev/null || :
  d=$PREWARM_CACHE/.prewarm/used
  mkdir -p "$d" 2>/dev/null || return 0
  stores=
  for p in "$@"; do
    case $p in
      "$PREWARM_CACHE"/*) top=${p#"$PREWARM_CACHE"/} top=${top%%/*} ;;
      *) continue ;;
    esac
    case " $stores " in *" $top "*) ;; *) stores="${stores:+$stores }$top" ;; esac
  done
  f=$d/$key
  tmp=$d/.tmp-$key-$$
  created=$(sed -n 's/^created=//p' "$f" 2>/dev/null | head -n 1) || created=
  case $created in '' | *[!0-9]*) created=$(date +%s) ;; esac
  if printf 'preset=%s\nworkdir=%s\nstores=%s\ncreated=%s\n' "$PW_ECO" "$PW_WORKDIR" "$stores" "$created" >"$tmp" 2>/dev/null &&
    mv -f "$tmp" "$f" 2>/dev/null; then
    :
  else
    rm -f "$tmp" 2>/dev/null || :
  fi
  return 0
}

# pw_under_cache PATH: 0 if PATH is PREWARM_CACHE or inside it.
pw_under_cache() {
  case $1 in
    "$PREWARM_CACHE" | "$PREWARM_CACHE"/*) return 0 ;;
  esac
  return 1
}

# pw_pod_cache NAME: a writable per-pod directory (on the workspace volume).
pw_pod_cache() {
  local d
  d="$HOME/.cache/prewarm/$PW_ECO/$1"
  mkdir -p "$d" || pw_die "cannot create per-pod cache $d"
  printf '%s\n' "$d"
}

# pw_store_state DIR: cold if DIR is absent or empty, else warm.
pw_store_state() {
  local f
  if [ -d "$1" ]; then
    for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
      if [ -e "$f" ] || [ -L "$f" ]; then
        echo warm
        return 0
      fi
    done
  fi
  echo cold
}

pw_snapshot_file() { printf '%s/snapshots/%s.tar\n' "$PREWARM_CACHE" "$1"; }

# Snapshot trailer: the last PW_TRAILER_LEN bytes of a snapshot file are
# "prewarm-snapshot-v1 ALGO=VALUE", space-padded to 91 characters, and a
# newline. ALGO=VALUE checks every byte before the trailer: cksum=CRC-LENGTH
# (POSIX cksum: CRC-32 plus the byte count) or sha256=HEX.
PW_TRAILER_LEN=92

# pw_sum ALGO: the checksum of stdin as recorded in a trailer.
pw_sum() {
  case $1 in
    cksum) cksum | awk '{ print $1 "-" $2 }' ;;
    sha256) pw_sha256 ;;
    *) return 1 ;;
  esac
}

# pw_sum_algo: cksum where available (fast; integrity, not authenticity:
# whoever can write the cache can rewrite any checksum), else sha256.
# PREWARM_SNAPSHOT_CHECKSUM (cksum or sha256) forces one.
pw_sum_algo() {
  case ${PREWARM_SNAPSHOT_CHECKSUM:-} in
    cksum | sha256) echo "$PREWARM_SNAPSHOT_CHECKSUM" ;;
    *) if pw_has cksum; then echo cksum; else echo sha256; fi ;;
  esac
}

# pw_snapshot_bad SNAP WHY: warn about a corrupt snapshot and remove it when
# the cache takes writes (the next install publishes a good one).
pw_snapshot_bad() {
  pw_warn "snapshot $1 is corrupt ($2); installing instead"
  if pw_cache_writable; then
    rm -f "$1" 2>/dev/null && pw_warn "removed corrupt snapshot $1"
  fi
  return 0
}

# pw_snapshot_restore KEY TARGET: 0 restored into TARGET, 1 no snapshot (or
# snapshots off), 2 the snapshot failed (warned; TARGET untouched, no temp
# left; a corrupt snapshot is removed when the cache is writable).
pw_snapshot_restore() {
  local key target snap parent base tmp err st old size trailer rec algo want got n sumf pid tarok
  key=$1
  target=$2
  [ "$PREWARM_SNAPSHOTS" = true ] || return 1
  snap="$PREWARM_CACHE/snapshots/$key.tar"
  [ -e "$snap" ] || return 1
  if ! size=$(wc -c <"$snap" 2>/dev/null); then
    pw_warn "cannot read snapshot $snap; installing instead"
    return 2
  fi
  size=${size##*[!0-9]}
  case $size in '' | *[!0-9]*) size=0 ;; esac
  if [ "$size" -le "$PW_TRAILER_LEN" ]; then
    pw_snapshot_bad "$snap" "only $size bytes"
    return 2
  fi
  trailer=$(tail -c "$PW_TRAILER_LEN" "$snap" 2>/dev/null) || trailer=
  case $trailer in
    "prewarm-snapshot-v1 "*=*) rec=${trailer#prewarm-snapshot-v1 } ;;
    *)
      pw_snapshot_bad "$snap" "no checksum trailer; truncated?"
      return 2
      ;;
  esac
  rec=${rec%% *}
  algo=${rec%%=*}
  want=${rec#*=}
  case $algo in
    cksum | sha256) ;;
    *)
      pw_warn "snapshot $snap uses checksum '$algo' that this script cannot check; installing instead"
      return 2
      ;;
  esac
  if [ "$algo" = cksum ] && ! pw_has cksum; then
    pw_warn "snapshot $snap needs cksum, which this image lacks; installing instead"
    return 2
  fi
  n=$((size - PW_TRAILER_LEN))
  target=$(pw_strip_slash "$target")
  case $target in
    */*) parent=${target%/*} base=${target##*/} ;;
    *) parent=. base=$target ;;
  esac
  : "${parent:=/}"
  tmp="$parent/.tmp-prewarm-$base-$$"
  err="$tmp.err"
  st="$tmp.failed"
  pw_track "$tmp"
  pw_track "$err"
  pw_track "$st"
  rm -rf "$tmp" "$err" "$st" 2>/dev/null || :
  if ! mkdir -p "$tmp" 2>/dev/null || ! : >"$err" 2>/dev/null; then
    pw_warn "cannot create $tmp to restore the snapshot; installing instead"
    pw_cleanup
    return 2
  fi
  # The checksum pass runs beside the extraction (both read the file, on
  # two cores this costs little over tar alone); nothing is renamed into
  # place before the checksum matched. tar stops at the archive's
  # end-of-archive blocks, before the trailer.
  sumf="$tmp.sum"
  pw_track "$sumf"
  ({ head -c "$n" "$snap" 2>>"$err" || : >"$st"; } | pw_sum "$algo" >"$sumf") &
  pid=$!
  tarok=yes
  tar -xf "$snap" -C "$tmp" 2>>"$err" || tarok=no
  wait "$pid" || :
  got=$(cat "$sumf" 2>/dev/null) || got=
  if [ -e "$st" ]; then
    pw_warn "cannot read snapshot $snap ($(tr '\n' ' ' <"$err" 2>/dev/null | cut -c1-200)); installing instead"
    pw_cleanup
    return 2
  fi
  if [ "$got" != "$want" ]; then
    pw_snapshot_bad "$snap" "$algo $got, recorded $want"
    pw_cleanup
    return 2
  fi
  if [ "$tarok" != yes ]; then
    pw_warn "restoring snapshot $snap failed ($(tr '\n' ' ' <"$err" 2>/dev/null | cut -c1-200)); installing instead"
    pw_cleanup
    return 2
  fi
  if [ -e "$target" ] || [ -L "$target" ]; then
    old="$parent/.tmp-prewarm-old-$base-$$"
    pw_track "$old"
    if ! mv "$target" "$old" 2>/dev/null; then
      pw_warn "cannot move the existing $target aside; installing instead"
      pw_cleanup
      return 2
    fi
  fi
  if ! mv "$tmp" "$target" 2>/dev/null; then
    pw_warn "cannot rename the restored tree into $target; installing instead"
    pw_cleanup
    return 2
  fi
  pw_untrack "$tmp"
  pw_cleanup
  # mtime = last use, for the pruner; only where writes are allowed.
  if pw_cache_writable; then touch -c "$snap" 2>/dev/null || :; fi
  return 0
}

# pw_snapshot_publish KEY SRC: publish SRC's tree as the snapshot of KEY.
# Never fails the script: every problem is a warning.
pw_snapshot_publish() {
  local key src dir final tmp err algo sum
  key=$1
  src=$2
  [ "$PREWARM_SNAPSHOTS" = true ] || return 0
  [ -d "$src" ] || return 0
  pw_cache_writable || return 0
  final=$(pw_snapshot_file "$key")
  [ -e "$final" ] && return 0
  dir=$(dirname "$final")
  if ! mkdir -p "$dir" 2>/dev/null; then
    pw_warn "cannot create $dir; snapshot not published"
    return 0
  fi
  tmp="$dir/.tmp-$key-$$.tar"
  err="$dir/.tmp-$key-$$.err"
  pw_track "$tmp"
  pw_track "$err"
  algo=$(pw_sum_algo)
  if tar -cf "$tmp" -C "$src" . 2>>"$err" && sum=$(pw_sum "$algo" <"$tmp") && [ -n "$sum" ] &&
    printf '%-91s\n' "prewarm-snapshot-v1 $algo=$sum" >>"$tmp"; then
    # fsync the file (coreutils and busybox sync take files), else all.
    sync "$tmp" 2>/dev/null || sync
    if ln "$tmp" "$final" 2>/dev/null; then
      :
    elif [ ! -e "$final" ]; then
      # no hard links on this file system: rename is atomic too (it would
      # replace a concurrent publisher's equally complete snapshot).
      mv -f "$tmp" "$final" 2>/dev/null || pw_warn "cannot publish snapshot $final"
    fi
  else
    pw_warn "writing snapshot $final failed ($(tr '\n' ' ' <"$err" 2>/dev/null | cut -c1-200)); not published"
  fi
  pw_cleanup
  return 0
}

# pw_atomic_copy_tree SRC DST: copies SRC into a temp dir beside DST and
# renames it to DST (an existing DST is moved aside first and removed). DST
# is never seen half-copied. Returns non-zero (with a warning) on failure.
pw_atomic_copy_tree() {
  local src dst parent base tmp old st
  src=$1
  dst=$(pw_strip_slash "$2")
  parent=$(dirname "$dst")
  base=$(basename "$dst")
  tmp="$parent/.tmp-$base-$$"
  old="$parent/.tmp-old-$base-$$"
  st="$parent/.tmp-$base-$$.failed"
  pw_track "$tmp"
  pw_track "$old"
  pw_track "$st"
  if ! mkdir -p "$parent" 2>/dev/null || ! rm -rf "$tmp" "$st" 2>/dev/null || ! mkdir "$tmp" 2>/dev/null; then
    pw_warn "cannot create $tmp; $dst not updated"
    pw_cleanup
    return 1
  fi
  if { tar -cf - -C "$src" . || : >"$st"; } | tar -xf - -C "$tmp" && [ ! -e "$st" ]; then
    :
  else
    pw_warn "copying $src to $dst failed; $dst not updated"
    pw_cleanup
    return 1
  fi
  sync 2>/dev/null || :
  if [ -e "$dst" ] || [ -L "$dst" ]; then
    mv "$dst" "$old" 2>/dev/null || :
  fi
  if ! mv "$tmp" "$dst" 2>/dev/null; then
    pw_warn "cannot rename $tmp to $dst"
    pw_cleanup
    return 1
  fi
  # A concurrent writer recreated DST in between: mv nested ours inside it.
  if [ -e "$dst/$(basename "$tmp")" ]; then
    rm -rf "${dst:?}/$(basename "$tmp")" 2>/dev/null || :
  else
    pw_untrack "$tmp"
  fi
  pw_cleanup
  return 0
}

# pw_summary ECO KEY RESULT [FIELD=VALUE...]: the one stdout line per workdir.
# cache=writable|readonly|unwritable records what pw_cache_writable found
# (absent when the script never asked), so a reader can tell why a run was
# cold. The same line also goes to the termination message (pw_term_msg).
pw_summary() {
  local eco key result f line
  eco=$1
  key=$2
  result=$3
  shift 3
  # the key's first 20 characters, without a subshell
  if [ ${#key} -gt 20 ]; then key=${key%"${key#????????????????????}"}; fi
  line="prewarm: $eco key=$key result=$result seconds=$(pw_elapsed) workdir=$PW_WORKDIR"
  case $PW_WRITABLE in
    yes) line="$line cache=writable" ;;
    no) if [ "$PREWARM_CACHE_MODE" = readOnly ]; then line="$line cache=readonly"; else line="$line cache=unwritable"; fi ;;
  esac
  for f in "$@"; do
    line="$line $f"
  done
  printf '%s\n' "$line"
  pw_term_msg "$line"
}

# pw_term_msg LINE: appends LINE to the container's termination message
# (PREWARM_TERMINATION_LOG, default /dev/termination-log) so it stays in
# status.initContainerStatuses[].state.terminated.message after the logs
# are gone. Only into a file that exists (the kubelet creates it; nothing
# is created on a host), never past Kubernetes' 4096-byte limit, and never
# failing the step: one printf (a builtin), no subprocess.
pw_term_msg() {
  local f
  f=${PREWARM_TERMINATION_LOG:-/dev/termination-log}
  : "${PW_TERM_BYTES:=0}"
  [ -f "$f" ] && [ -w "$f" ] || return 0
  [ $((PW_TERM_BYTES + ${#1} + 1)) -le 4096 ] || return 0
  # shellcheck disable=SC2015
  { printf '%s\n' "$1" >>"$f"; } 2>/dev/null && PW_TERM_BYTES=$((PW_TERM_BYTES + ${#1} + 1)) || :
  return 0
}
# ---- end of prewarm shared library ----
{{- end -}}
