{{- /*
prewarm.script.lib: the shared part of every preset script. Included right
after "#!/bin/sh" by each ecosystem script. POSIX sh only: it must run under
dash and busybox ash (alpine images) and pass `shellcheck -s sh`.

All configuration arrives through the environment (PREWARM_*) and "$@"; no
value is ever templated into shell source.

Files are created with `true >FILE`, never `: >FILE`: ":" is a special
built-in, and a redirection error on one exits a non-interactive dash or
busybox sh, so a failing `: >FILE` ends the script however it is guarded.
Processes are counted: every external command costs a fork and an exec
(about 1-3 ms), and a restore from a snapshot is over in a few tenths of
a second, so what a builtin can do (read a small file, split words, test
a path) a builtin does.

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
  pw_cpus                  CPUs the container may use (cgroup quota, nproc)
  pw_fs_type PATH          file system type of the mount holding PATH
  pw_fs_network TYPE       0 if TYPE is a network file system
  pw_snapshot_codec        sets PW_CODEC: the codec a publish writes
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
  pw_read1 FILE OPT        PW_READ1: a /proc line, else `uname OPT`
  pw_strip_slash PATH      PATH without trailing slashes
  pw_track / pw_untrack / pw_cleanup   temp paths removed at exit

Snapshot format v2 (docs/caching.md owns the full layout): the snapshot of
a key is the directory $PREWARM_CACHE/snapshots/<key>.v2 holding a text
manifest and shard tars (byte-balanced whole subtrees; compressed with
zstd or lz4 when the cache is a network file system and the image has the
tool, PREWARM_SNAPSHOT_COMPRESSION), each shard checksummed over its
stored bytes (cksum, or sha256 in images without cksum). Restore
checksums each shard while `tar -x` extracts it (read once and teed on a
network volume or for a compressed shard, else read by both at once), with
two extractors per CPU the container may use (cgroup quota), into a temp
dir beside the target, and renames it into place only when every shard
matched: never a half tree. Publish writes snapshots/.tmp-<key>-<pid>.v2/, the manifest
last, syncs, and renames it to <key>.v2 unless that exists (at most one
snapshot per key; a racing loser's directory lands inside the winner's and
is removed at once). A restore on a writable cache touches the snapshot
(mtime = last use, for the pruner) and removes a corrupt one. The v1 single
<key>.tar of older releases is ignored (logged) and replaced by the next
publish. Every temporary name starts with ".tmp-" so a pruner can remove a
crash's leftovers.
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

# pw_clock sets PW_CLOCK to a clock in hundredths of a second: the
# kernel's uptime, read by a builtin (no process: each one costs a fork and
# an exec, and a restore from a snapshot is over in a few tenths of a
# second), else `date`'s whole seconds.
pw_clock() {
  local up rest s f
  PW_CLOCK=
  if [ -r /proc/uptime ] && read -r up rest 2>/dev/null </proc/uptime; then
    s=${up%.*} f=${up#*.}
    case $s.$f in
      "$up") case $s$f in '' | *[!0-9]*) ;; *) [ ${#f} -eq 2 ] && PW_CLOCK=$((s * 100 + ${f#0})) ;; esac ;;
    esac
  fi
  if [ -z "$PW_CLOCK" ]; then
    s=$(date +%s 2>/dev/null) || s=0
    case $s in '' | *[!0-9]*) s=0 ;; esac
    PW_CLOCK=$((s * 100))
  fi
}

# pw_elapsed prints the seconds since PW_T0 (pw_clock's), to a tenth.
pw_elapsed() {
  local d
  pw_clock
  d=$(((PW_CLOCK - PW_T0 + 5) / 10))
  [ "$d" -ge 0 ] || d=0
  printf '%d.%d\n' $((d / 10)) $((d % 10))
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
  : "${PREWARM_REPO:={{ include "prewarm.pod.repo" (dict) }}}"
  : "${PREWARM_CACHE:=/cache/$PW_ECO}"
  : "${PREWARM_HOME:=/workspace/.home}"
  : "${PREWARM_WORKDIRS:=.}"
  : "${PREWARM_CACHE_MODE:=readWrite}"
  : "${PREWARM_SNAPSHOTS:=true}"
  : "${PREWARM_KEY_SALT:=}"
  : "${PREWARM_SNAPSHOT_COMPRESSION:=auto}"
  case $PREWARM_CACHE_MODE in
    readWrite | readOnly) ;;
    *) pw_die "PREWARM_CACHE_MODE must be readWrite or readOnly, not '$PREWARM_CACHE_MODE'" ;;
  esac
  case $PREWARM_SNAPSHOTS in
    true | false) ;;
    *) pw_die "PREWARM_SNAPSHOTS must be true or false, not '$PREWARM_SNAPSHOTS'" ;;
  esac
  case $PREWARM_SNAPSHOT_COMPRESSION in
    auto | none | zstd | lz4) ;;
    *) pw_die "PREWARM_SNAPSHOT_COMPRESSION must be auto, none, zstd or lz4, not '$PREWARM_SNAPSHOT_COMPRESSION'" ;;
  esac
  case $PREWARM_REPO in /*) ;; *) pw_die "PREWARM_REPO must be an absolute path, not '$PREWARM_REPO'" ;; esac
  case $PREWARM_CACHE in /*) ;; *) pw_die "PREWARM_CACHE must be an absolute path, not '$PREWARM_CACHE'" ;; esac
  case $PREWARM_HOME in /*) ;; *) pw_die "PREWARM_HOME must be an absolute path, not '$PREWARM_HOME'" ;; esac
  PREWARM_REPO=$(pw_strip_slash "$PREWARM_REPO")
  PREWARM_CACHE=$(pw_strip_slash "$PREWARM_CACHE")
  # UID 61100 has no passwd entry: tools would otherwise write to "/".
  HOME=$PREWARM_HOME
  if ! { [ -d "$HOME" ] || mkdir -p "$HOME" 2>/dev/null; }; then
    pw_warn "cannot create HOME=$HOME; using a temporary HOME"
    HOME=$(mktemp -d "${TMPDIR:-/tmp}/prewarm-home.XXXXXX") || pw_die "no writable HOME"
  fi
  export HOME
  PW_WRITABLE=
  PW_WORKDIR=.
  PW_TMPS=
  PW_LEASE=
  PW_CODEC=
  trap 'pw_exit' EXIT
  trap 'pw_exit; trap - EXIT; exit 130' INT TERM HUP
  pw_clock
  PW_T0=$PW_CLOCK
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
  set --
  while IFS= read -r p; do
    [ -z "$p" ] || set -- "$@" "$p"
  done <<EOF
$PW_TMPS
EOF
  PW_TMPS=
  [ $# -eq 0 ] || rm -rf "$@" 2>/dev/null || :
  return 0
}

# pw_exit: at exit, the temp paths and then the lease, in one rm.
pw_exit() {
  [ -z "${PW_LEASE-}" ] || pw_track "$PW_LEASE"
  PW_LEASE=
  pw_cleanup
}

# pw_workdirs prints PREWARM_WORKDIRS one per line: relative paths only, no
# ".." component; blank lines are skipped, surrounding blanks trimmed.
pw_workdirs() {
  local wd n
  n=0
  while IFS= read -r wd || [ -n "$wd" ]; do
    case $wd in
      [[:space:]]* | *[[:space:]]) wd=$(printf '%s\n' "$wd" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//') ;;
    esac
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
  pw_clock
  PW_T0=$PW_CLOCK
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
  # getconf answers in the form this prints ("glibc 2.36") without ldd's
  # shell script
  v=$(getconf GNU_LIBC_VERSION 2>/dev/null) || v=
  case $v in
    'glibc '[0-9]*)
      printf '%s\n' "$v"
      return 0
      ;;
  esac
  v=$(ldd --version 2>&1 | head -n 1) || v=
  case $v in
    *musl*) echo musl ;;
    *GLIBC* | *'GNU libc'*) echo "glibc ${v##* }" ;;
    '') echo unknown ;;
    *) printf '%s\n' "$v" ;;
  esac
}

# pw_arch prints `uname -m`: the kernel.arch sysctl where the kernel has
# it (the same name), read by a builtin.
pw_arch() {
  local a
  a=
  [ -r /proc/sys/kernel/arch ] && { read -r a 2>/dev/null </proc/sys/kernel/arch || a=; }
  [ -n "$a" ] || a=$(uname -m 2>/dev/null) || a=
  printf '%s\n' "${a:-unknown}"
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
    printf 'arch=%s\n' "$(pw_arch)"
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
  [ -d "$1" ] || mkdir -p "$1" 2>/dev/null || return 1
  p="$1/.tmp-probe-$$"
  if ! printf 'x' 2>/dev/null >"$p"; then
    rm -f "$p" 2>/dev/null
    return 1
  fi
  rm -f "$p" 2>/dev/null || return 1
}

# pw_free_mb DIR: MiB available on DIR's file system (empty if unknown).
# POSIX df -P prints a 6-column header line (7 words) and one line per file
# system, never wrapped: the available KiB is the 11th word. Split by the
# shell, without globbing (one process, not two).
pw_free_mb() {
  local out
  out=$(df -Pk "$1" 2>/dev/null) || return 0
  set -f
  # shellcheck disable=SC2086 # split into words on purpose
  set -- $out
  set +f
  [ $# -ge 11 ] || return 0
  case ${11} in '' | *[!0-9]*) return 0 ;; esac
  echo $((${11} / 1024))
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
# is a crashed trimmer's; a lease is touched by pw_record_use once it is 10
# minutes old and counts as a crashed setup's after 120 minutes.
# pw_lease_drop (at exit) removes it. Names: pkg/cache (LeasesDir, LockDir).
pw_lease_take() {
  local d h
  d=$PREWARM_CACHE/.prewarm/leases
  # the host name as `uname -n` gives it, read by a builtin where Linux has it
  h=
  [ -r /proc/sys/kernel/hostname ] && { read -r h 2>/dev/null </proc/sys/kernel/hostname || h=; }
  [ -n "$h" ] || h=$(uname -n 2>/dev/null) || h=
  case $h in *[!A-Za-z0-9.-]*) h=$(printf '%s\n' "$h" | tr -c 'A-Za-z0-9.\n-' _) ;; esac
  PW_LEASE=$d/$PW_ECO-$h-$$
  pw_clock
  PW_LEASE_T=$PW_CLOCK
  if ! { [ -d "$d" ] || mkdir -p "$d" 2>/dev/null; } || ! true >"$PW_LEASE" 2>/dev/null; then
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
# shows them. Writable caches only; renews a lease 10 minutes old (a touch
# is a process; most setups are over long before); never fails.
pw_record_use() {
  local key d f tmp created stores p top line
  key=$1
  shift
  pw_cache_writable || return 0
  if [ -n "${PW_LEASE-}" ]; then
    pw_clock
    if [ $((PW_CLOCK - ${PW_LEASE_T:-0})) -ge 60000 ]; then
      touch "$PW_LEASE" 2>/dev/null || :
      PW_LEASE_T=$PW_CLOCK
    fi
  fi
  d=$PREWARM_CACHE/.prewarm/used
  [ -d "$d" ] || mkdir -p "$d" 2>/dev/null || return 0
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
  created=
  if [ -r "$f" ]; then
    while IFS= read -r line; do
      case $line in created=*)
        created=${line#created=}
        break
        ;;
      esac
    done <"$f" 2>/dev/null || :
  fi
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

# Snapshot layout v2 (docs/caching.md): the snapshot of KEY is the directory
# $PREWARM_CACHE/snapshots/KEY.v2, published by one rename, holding
#   manifest   "prewarm-snapshot-v2", "algo=ALGO", "codec=CODEC" (absent:
#              none), "dir MODE PATH"..., "shard FILE SUM"... and
#              "end shards=N" as the last line
#   0.tar ...  the shards: tars of whole subtrees, balanced by bytes,
#              restored by concurrent extractors; 0.tar.zst / 0.tar.lz4
#              when compressed (SUM is of the stored bytes)
pw_snapshot_file() { printf '%s/snapshots/%s.v2\n' "$PREWARM_CACHE" "$1"; }

# pw_sum ALGO: the checksum of stdin as recorded in a manifest.
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

# pw_cpus: the CPUs this container may use: the online CPUs (nproc, else
# getconf), capped by the cgroup CPU quota rounded up (v2 cpu.max, v1
# cpu.cfs_quota_us / cpu.cfs_period_us). PW_CGROUP (default /sys/fs/cgroup)
# points the tests at a fake hierarchy.
pw_cpus() {
  local n q p c d
  n=$(nproc 2>/dev/null) || n=
  case $n in '' | *[!0-9]* | 0) n=$(getconf _NPROCESSORS_ONLN 2>/dev/null) || n= ;; esac
  case $n in '' | *[!0-9]* | 0) n=1 ;; esac
  d=${PW_CGROUP:-/sys/fs/cgroup}
  q=
  p=
  if [ -r "$d/cpu.max" ]; then
    read -r q p 2>/dev/null <"$d/cpu.max" || :
  else
    for c in "$d/cpu" "$d/cpu,cpuacct" "$d/cpuacct,cpu" "$d"; do
      if [ -r "$c/cpu.cfs_quota_us" ] && [ -r "$c/cpu.cfs_period_us" ]; then
        read -r q 2>/dev/null <"$c/cpu.cfs_quota_us" || q=
        read -r p 2>/dev/null <"$c/cpu.cfs_period_us" || p=
        break
      fi
    done
  fi
  # "max" (v2) and -1 (v1) mean no quota.
  case $q in '' | *[!0-9]*) q=0 ;; esac
  case $p in '' | *[!0-9]*) p=0 ;; esac
  if [ "$q" -gt 0 ] && [ "$p" -gt 0 ]; then
    c=$(((q + p - 1) / p))
    [ "$c" -lt "$n" ] && n=$c
  fi
  echo "$n"
}

# pw_fs_type PATH: the file system type of the mount holding PATH: the
# longest mount point that is PATH or a parent of it (of equal ones the
# last, which hides the others) in PREWARM_MOUNTS_FILE (default
# /proc/self/mounts, whose fields escape a space as \040); empty if unknown.
pw_fs_type() {
  local p f dev m t rest best type
  p=$(cd "$1" 2>/dev/null && pwd -P) || p=$1
  f=${PREWARM_MOUNTS_FILE:-/proc/self/mounts}
  [ -r "$f" ] || return 0
  best=0
  type=
  # a builtin loop: the file is a few dozen lines, and awk would cost a process
  while read -r dev m t rest || [ -n "$dev" ]; do
    case $m in *\\*) m=$(pw_mount_unesc "$m") ;; esac
    case $p in
      "$m" | "$m"/*) ;;
      *) [ "$m" = / ] || continue ;;
    esac
    if [ ${#m} -ge "$best" ]; then
      best=${#m}
      type=$t
    fi
  done <"$f"
  [ -z "$type" ] || printf '%s\n' "$type"
}

# pw_mount_unesc FIELD: a /proc/self/mounts field with its octal escapes
# (\040 space, \011 tab, \012 newline, \134 backslash) decoded.
pw_mount_unesc() {
  printf '%s\n' "$1" | awk '{
    s = $0
    o = ""
    while ((i = index(s, "\\")) > 0) {
      c = substr(s, i + 1, 3)
      if (c == "040") c = " "
      else if (c == "011") c = "\t"
      else if (c == "012") c = "\n"
      else if (c == "134") c = "\\"
      else c = "\\" c
      o = o substr(s, 1, i - 1) c
      s = substr(s, i + 4)
    }
    print o s
  }'
}

# pw_fs_network TYPE: 0 if TYPE (as in /proc/self/mounts) is a network
# file system: NFS (EFS, Filestore), SMB, CephFS, GlusterFS, Lustre, 9p and
# the FUSE clients of remote storage (sshfs, gcsfuse, s3fs, ...).
pw_fs_network() {
  case $1 in
    nfs | nfs4 | cifs | smb3 | smbfs | ceph | glusterfs | 9p | lustre | gpfs | beegfs | afs | orangefs) return 0 ;;
    fuse.sshfs | fuse.glusterfs | fuse.ceph | fuse.ceph-fuse | fuse.cephfs | fuse.gcsfuse | fuse.s3fs | \
      fuse.rclone | fuse.juicefs | fuse.goofys | fuse.mountpoint-s3 | fuse.blobfuse | fuse.blobfuse2 | fuse.efs) return 0 ;;
  esac
  return 1
}

# pw_snapshot_codec: sets PW_CODEC to the codec this run's publishes write
# (once per run): PREWARM_SNAPSHOT_COMPRESSION none, zstd or lz4 (a tool
# the image lacks: one warning, then none), or auto: zstd (else lz4) when
# the image has it and the cache is on a network file system, else none.
# Measured (docs/caching.md): on a network volume fewer bytes pay for the
# decompression; on local disk it only costs CPU.
pw_snapshot_codec() {
  [ -z "$PW_CODEC" ] || return 0
  case $PREWARM_SNAPSHOT_COMPRESSION in
    none) PW_CODEC=none ;;
    zstd | lz4)
      PW_CODEC=$PREWARM_SNAPSHOT_COMPRESSION
      if ! pw_has "$PW_CODEC"; then
        pw_warn "PREWARM_SNAPSHOT_COMPRESSION=$PW_CODEC but this image has no $PW_CODEC; publishing snapshots uncompressed"
        PW_CODEC=none
      fi
      ;;
    *)
      PW_CODEC=none
      if pw_fs_network "$(pw_fs_type "$PREWARM_CACHE")"; then
        if pw_has zstd; then
          PW_CODEC=zstd
        elif pw_has lz4; then
          PW_CODEC=lz4
        fi
      fi
      ;;
  esac
}

# pw_codec_ext CODEC: the shard file suffix after ".tar".
pw_codec_ext() {
  case $1 in
    zstd) echo .zst ;;
    lz4) echo .lz4 ;;
  esac
}

# pw_codec_enc / pw_codec_dec CODEC: stdin compressed (fastest level, as
# measured) / decompressed to stdout.
pw_codec_enc() {
  case $1 in
    zstd) zstd -q -1 -c ;;
    lz4) lz4 -q -1 -c ;;
    *) return 1 ;;
  esac
}
pw_codec_dec() {
  case $1 in
    zstd) zstd -q -d -c ;;
    lz4) lz4 -q -d -c ;;
    *) return 1 ;;
  esac
}

# pw_snapshot_jobs SHARDS: concurrent extractors: PREWARM_SNAPSHOT_JOBS, else
# twice pw_cpus (an extractor mostly waits for the file system to create
# its files, so two per CPU keep the disk busy), at most SHARDS, at least 1.
pw_snapshot_jobs() {
  local j
  j=${PREWARM_SNAPSHOT_JOBS:-}
  case $j in '' | *[!0-9]* | 0) j=$(($(pw_cpus) * 2)) ;; esac
  [ "$j" -gt "$1" ] && j=$1
  [ "$j" -ge 1 ] || j=1
  echo "$j"
}

# pw_snapshot_plan SRC N OUT: writes the shard plan of SRC's tree to OUT:
# "shards K", "dir PATH" for every directory split across shards (the
# root "." always) and "unit SHARD PATH" for every whole subtree, paths
# relative ("./..."). Subtrees are the entries of SRC, and of any directory
# bigger than half a shard, recursively; they go to K <= N shards of at
# least PREWARM_SNAPSHOT_SHARD_MIN_KB (default 1024) KiB, largest first onto the lightest shard (by `du -k`, which
# counts blocks, a fair stand-in for file-creation work). A name with a
# newline (the plan is line-based) or a hard link (tar keeps it within one
# archive) makes the whole tree one shard.
pw_snapshot_plan() {
  local src n out odd min
  src=$1
  n=$2
  out=$3
  min=${PREWARM_SNAPSHOT_SHARD_MIN_KB:-1024}
  case $min in '' | *[!0-9]* | 0) min=1024 ;; esac
  odd=$({ find "$src" \( -name '*
*' -o \( ! -type d -links +1 \) \) -print 2>/dev/null || echo find-failed; } | head -n 1)
  if [ -n "$odd" ] || [ "$n" -le 1 ]; then
    printf 'shards 1\nunit 0 .\n' >"$out"
    return
  fi
  (cd "$src" && du -a -k .) 2>/dev/null | awk -v n="$n" -v min="$min" '
    function expand(d, depth,    m, arr, i, c) {
      m = split(substr(kids[d], 2), arr, SUBSEP)
      for (i = 1; i <= m; i++) {
        c = arr[i]
        if ((c in kids) && size[c] > half && depth < 8) {
          print "dir " c
          expand(c, depth + 1)
        } else {
          print "unit " size[c] " " c
        }
      }
    }
    BEGIN { FS = "\t" }
    {
      p = substr($0, length($1) + 2)
      size[p] = $1 + 0
      if (p != ".") {
        q = p
        sub(/\/[^\/]*$/, "", q)
        kids[q] = kids[q] SUBSEP p
      }
    }
    END {
      if (!("." in size)) exit 1
      k = int(size["."] / min)
      if (k > n) k = n
      if (k < 1) k = 1
      half = size["."] / k / 2
      print "shards " k
      print "dir ."
      expand(".", 0)
    }' >"$out.1" || return 1
  {
    grep '^shards \|^dir ' "$out.1"
    grep '^unit ' "$out.1" | sort -k2,2nr -k3 | awk -v k="$(sed -n 's/^shards //p' "$out.1")" '{
      best = 0
      for (i = 1; i < k; i++) if (load[i] < load[best]) best = i
      load[best] += $2
      p = $0
      sub(/^unit [0-9]+ /, "", p)
      print "unit " best " " p
    }'
  } >"$out" || return 1
  rm -f "$out.1"
}

# pw_snapshot_bad SNAP WHY: warn about a corrupt snapshot and remove it when
# the cache takes writes (the next install publishes a good one).
pw_snapshot_bad() {
  pw_warn "snapshot $1 is corrupt ($2); installing instead"
  if pw_cache_writable; then
    rm -rf "$1" 2>/dev/null && pw_warn "removed corrupt snapshot $1"
  fi
  return 0
}

# pw_snapshot_x1 SHARD DEST ALGO WORK I CODEC HOW: one extractor's shard.
# HOW=once (a network volume, or a compressed shard): read once, teed through
# the FIFO WORK/I.fifo into the checksum (WORK/I.sum) and into (the
# decompressor and) tar -x. HOW=twice (an uncompressed shard on local disk):
# the checksum and tar -x each read the file, at once, so the second read
# comes from the page cache: on local disk two pipe copies of every byte
# cost more than that read (measured, docs/caching.md). HOW=tar: tar -x
# only (one cksum of every shard runs beside the extractors). A read error
# flags WORK/read-failed, a decompressor error WORK/dec-failed, a tar error
# WORK/tar-failed.
pw_snapshot_x1() {
  local fifo pid
  if [ "$7" != once ]; then
    pid=
    if [ "$7" = twice ]; then
      pw_snapshot_sum1 "$3" <"$1" >"$4/$5.sum" 2>>"$4/err" &
      pid=$!
    fi
    # shellcheck disable=SC2086 # PW_TARX is a list of options
    tar $PW_TARX -xf "$1" -C "$2" 2>>"$4/err" || true >"$4/tar-failed"
    if [ -n "$pid" ]; then wait "$pid" || true >"$4/read-failed"; fi
    return 0
  fi
  fifo="$4/$5.fifo"
  pw_snapshot_sum1 "$3" <"$fifo" >"$4/$5.sum" &
  pid=$!
  # shellcheck disable=SC2086 # PW_TARX is a list of options
  { cat "$1" 2>>"$4/err" || true >"$4/read-failed"; } | tee "$fifo" 2>>"$4/err" |
    if [ "$6" = none ]; then
      { tar $PW_TARX -xf - -C "$2" 2>>"$4/err" || true >"$4/tar-failed"; cat >/dev/null; }
    else
      { pw_codec_dec "$6" 2>>"$4/err" || true >"$4/dec-failed"; cat >/dev/null; } |
        { tar $PW_TARX -xf - -C "$2" 2>>"$4/err" || true >"$4/tar-failed"; cat >/dev/null; }
    fi
  wait "$pid" || :
}

# pw_tar_x_opts: sets PW_TARX, the options of a snapshot's tar -x: -o, so
# the tree belongs to whoever restores it, as an install would make it (root
# would otherwise chown and chmod every file to the publisher's); with GNU
# tar also 128 KiB records (-b 256, -B to fill them from a pipe): one read
# and, for most files, one write where 10 KiB records take several (measured,
# docs/caching.md).
pw_tar_x_opts() {
  case $(tar --version 2>/dev/null) in
    *'GNU tar'*) PW_TARX='-o -b 256 -B' ;;
    *) PW_TARX=-o ;;
  esac
}

# pw_snapshot_sum1 ALGO [FILE...]: the checksum of stdin as the restore
# reads it back: cksum's own output (CRC and size; the manifest records
# "CRC-SIZE", pw_sum), or the sha256 hex; one process less per shard than
# pw_sum. With FILEs (cksum only): one "CRC SIZE FILE" line each, in order.
pw_snapshot_sum1() {
  if [ "$1" = cksum ]; then
    shift
    cksum "$@"
  else
    pw_sha256
  fi
}

# pw_snapshot_restore KEY TARGET: 0 restored into TARGET, 1 no snapshot (or
# snapshots off, or compressed with a tool this image lacks: warned), 2 the
# snapshot failed (warned; TARGET untouched, no temp left; a corrupt
# snapshot is removed when the cache is writable).
pw_snapshot_restore() {
  local key target snap parent base tmp work old algo codec kind a b n i jobs w pids pid got want ended how z rest list dirs late um err one sums
  key=$1
  target=$2
  [ "$PREWARM_SNAPSHOTS" = true ] || return 1
  snap=$(pw_snapshot_file "$key")
  if [ ! -e "$snap" ]; then
    if [ -e "$PREWARM_CACHE/snapshots/$key.tar" ]; then
      pw_log "ignoring $PREWARM_CACHE/snapshots/$key.tar: a single-tar snapshot of an older prewarm (format v1); the next publish replaces it"
    fi
    return 1
  fi
  if [ ! -d "$snap" ] || [ ! -f "$snap/manifest" ]; then
    pw_snapshot_bad "$snap" "no manifest"
    return 2
  fi
  target=$(pw_strip_slash "$target")
  case $target in
    */*) parent=${target%/*} base=${target##*/} ;;
    *) parent=. base=$target ;;
  esac
  : "${parent:=/}"
  # absolute, so that the work directory can wait for the exit's rm while
  # the script enters other workdirs
  case $parent in
    /*) ;;
    .) [ -z "${PWD-}" ] || parent=$PWD ;;
    *) [ -z "${PWD-}" ] || parent=$PWD/$parent ;;
  esac
  tmp="$parent/.tmp-prewarm-$base-$$"
  work="$parent/.tmp-prewarm-$base-$$.work"
  pw_track "$tmp"
  pw_track "$work"
  if [ -e "$tmp" ] || [ -e "$work" ]; then rm -rf "$tmp" "$work" 2>/dev/null || :; fi
  # The manifest, checked line by line: shard names are plain, paths stay
  # inside the tree, modes are octal, and "end" counts the shards. The
  # shards ("I FILE SUM") and the split directories ("MODE PATH") are kept
  # one per line in list and dirs.
  algo=
  codec=none
  ended=
  n=0
  list=
  dirs=
  while IFS=' ' read -r kind a b; do
    case $kind in
      prewarm-snapshot-v2) ;;
      algo=*) algo=${kind#algo=} ;;
      codec=*) codec=${kind#codec=} ;;
      dir)
        case $a in - | [0-7][0-7][0-7] | [0-7][0-7][0-7][0-7]) ;; *) kind=bad ;; esac
        case $b in . | ./*) ;; *) kind=bad ;; esac
        case /$b/ in */../*) kind=bad ;; esac
        dirs="$dirs$a $b
"
        ;;
      shard)
        case $a in '' | .* | *[!0-9a-z.]*) kind=bad ;; esac
        [ -f "$snap/$a" ] || kind=missing
        list="$list$n $a $b
"
        n=$((n + 1))
        ;;
      end)
        [ "$a" = "shards=$n" ] || kind=bad
        ended=yes
        ;;
      *) kind=bad ;;
    esac
    case $kind in
      bad | missing) break ;;
    esac
  done <"$snap/manifest"
  case $kind in
    '')
      if [ "$ended" != yes ]; then
        pw_snapshot_bad "$snap" "manifest has no end line (truncated)"
        pw_cleanup
        return 2
      fi
      ;;
    missing)
      pw_snapshot_bad "$snap" "shard $a is missing"
      pw_cleanup
      return 2
      ;;
    *)
      pw_snapshot_bad "$snap" "bad manifest line '$kind $a'"
      pw_cleanup
      return 2
      ;;
  esac
  case $algo in
    cksum | sha256) ;;
    *)
      pw_warn "snapshot $snap uses checksum '$algo' that this script cannot check; installing instead"
      pw_cleanup
      return 2
      ;;
  esac
  if [ "$algo" = cksum ] && ! pw_has cksum; then
    pw_warn "snapshot $snap needs cksum, which this image lacks; installing instead"
    pw_cleanup
    return 2
  fi
  # A codec this image lacks is a miss (the snapshot is fine; another
  # image reads it); one this script does not know is a newer format.
  case $codec in
    none) ;;
    zstd | lz4)
      if ! pw_has "$codec"; then
        pw_warn "snapshot $snap is compressed with $codec, which this image lacks; installing instead"
        pw_cleanup
        return 1
      fi
      ;;
    *)
      pw_warn "snapshot $snap uses compression '$codec' that this script cannot read; installing instead"
      pw_cleanup
      return 2
      ;;
  esac
  # One mkdir makes the work directory, the tree and its split directories
  # before any tar runs (two tars creating one missing parent at once can
  # fail: GNU tar gives up when its retry finds it made nothing), under the
  # umask that gives them their recorded mode when they share one with rwx
  # for the owner (as a rule); other modes get a chmod after the
  # extraction. The FIFOs, when the shards are teed, come in one mkfifo
  # (each process costs a fork and an exec).
  set -- "$work" "$tmp"
  z=
  late=
  while IFS=' ' read -r a b; do
    [ -n "$b" ] || continue
    set -- "$@" "$tmp/$b"
    [ "$a" != - ] || continue
    : "${z:=$a}"
    [ "$a" = "$z" ] || late=yes
  done <<EOF
$dirs
EOF
  um=
  case $late:$z in
    :7[0-7][0-7] | :07[0-7][0-7])
      a=${z#"${z%??}"}
      um=0$((7 - ${a%?}))$((7 - ${a#?}))
      ;;
    :) ;;
    *) late=yes ;;
  esac
  if ! err=$({ [ -z "$um" ] || umask "$um"; } && mkdir -p "$@" 2>&1) ||
    ! true >"$work/err" 2>/dev/null; then
    pw_warn "cannot create $tmp to restore the snapshot ($(printf '%s' "$err" | tr '\n' ' ' | cut -c1-200)); installing instead"
    pw_cleanup
    return 2
  fi
  how=once
  if [ "$codec" = none ] && ! pw_fs_network "$(pw_fs_type "$snap")"; then
    how=twice
  else
    set --
    while IFS=' ' read -r i a b; do
      [ -z "$a" ] || set -- "$@" "$work/$i.fifo"
    done <<EOF
$list
EOF
    if ! mkfifo "$@" 2>>"$work/err"; then
      pw_warn "cannot create FIFOs in $work to restore the snapshot ($(tr '\n' ' ' <"$work/err" 2>/dev/null | cut -c1-200)); installing instead"
      pw_cleanup
      return 2
    fi
  fi
  # Concurrent extractors, two per CPU the container may use, each taking
  # every JOBS-th shard; nothing is renamed into place before every shard
  # extracted and matched its checksum. On local disk one cksum reads every
  # shard beside them (a process per shard costs more).
  one=
  if [ "$how" = twice ] && [ "$algo" = cksum ]; then
    set --
    while IFS=' ' read -r i a b; do
      [ -z "$a" ] || set -- "$@" "$a"
    done <<EOF
$list
EOF
    # run in the snapshot, so each line names its shard plainly
    (cd "$snap" && pw_snapshot_sum1 cksum "$@") >"$work/sums" 2>>"$work/err" &
    one=$!
    how=tar
  fi
  jobs=$(pw_snapshot_jobs "$n")
  pw_tar_x_opts
  pids=
  w=0
  while [ "$w" -lt "$jobs" ]; do
    (
      while IFS=' ' read -r i a b; do
        [ -n "$a" ] || continue
        [ $((i % jobs)) -eq "$w" ] || continue
        pw_snapshot_x1 "$snap/$a" "$tmp" "$algo" "$work" "$i" "$codec" "$how"
      done <<EOF
$list
EOF
    ) &
    pids="$pids $!"
    w=$((w + 1))
  done
  for pid in $pids; do
    wait "$pid" || true >"$work/tar-failed"
  done
  sums=/dev/null
  if [ -n "$one" ]; then
    wait "$one" || true >"$work/read-failed"
    sums=$work/sums
  fi
  if [ -e "$work/read-failed" ]; then
    pw_warn "cannot read snapshot $snap ($(tr '\n' ' ' <"$work/err" 2>/dev/null | cut -c1-200)); installing instead"
    pw_cleanup
    return 2
  fi
  {
    while IFS=' ' read -r i a want; do
      [ -n "$a" ] || continue
      got=
      z=
      if [ -n "$one" ]; then
        # the one cksum's line of this shard, which names it
        read -r got z rest <&3 || :
        [ "$rest" = "$a" ] || z=of-another-file
      else
        read -r got z rest <"$work/$i.sum" 2>/dev/null || :
      fi
      [ "$algo" = cksum ] && got=$got-$z
      if [ "$got" != "$want" ]; then
        pw_snapshot_bad "$snap" "shard $a: $algo $got, recorded $want"
        pw_cleanup
        return 2
      fi
    done <<EOF
$list
EOF
  } 3<"$sums"
  if [ -e "$work/dec-failed" ]; then
    pw_snapshot_bad "$snap" "a $codec shard does not decompress: $(tr '\n' ' ' <"$work/err" 2>/dev/null | cut -c1-200)"
    pw_cleanup
    return 2
  fi
  if [ -e "$work/tar-failed" ]; then
    pw_warn "restoring snapshot $snap failed ($(tr '\n' ' ' <"$work/err" 2>/dev/null | cut -c1-200)); installing instead"
    pw_cleanup
    return 2
  fi
  # The split directories' modes mkdir's umask did not give: one chmod for
  # those that share the first mode, one each for the rest.
  if [ -n "$late" ]; then
    set --
    z=
    while IFS=' ' read -r a b; do
      [ -n "$b" ] || continue
      [ "$a" != - ] || continue
      : "${z:=$a}"
      if [ "$a" = "$z" ]; then
        set -- "$@" "$tmp/$b"
      else
        chmod "$a" "$tmp/$b" 2>/dev/null || :
      fi
    done <<EOF
$dirs
EOF
    [ $# -eq 0 ] || chmod "$z" "$@" 2>/dev/null || :
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
  # The work directory (and any tree moved aside) goes at exit, in the one
  # rm that drops the lease; now if its path is relative.
  case $work in /*) ;; *) pw_cleanup ;; esac
  # mtime = last use, for the pruner; only where writes are allowed.
  if pw_cache_writable; then touch -c "$snap" 2>/dev/null || :; fi
  return 0
}

# pw_snapshot_pack SRC TMP PATH...: the shard of PATHs in SRC on stdout,
# compressed with PW_CODEC; an error flags TMP.failed (text in TMP/.err).
pw_snapshot_pack() {
  local src tmp
  src=$1
  tmp=$2
  shift 2
  if [ "$PW_CODEC" = none ]; then
    tar -cf - -C "$src" "$@" 2>>"$tmp/.err" || true >"$tmp.failed"
  else
    { tar -cf - -C "$src" "$@" 2>>"$tmp/.err" || true >"$tmp.failed"; } |
      { pw_codec_enc "$PW_CODEC" 2>>"$tmp/.err" || true >"$tmp.failed"; }
  fi
}

# pw_snapshot_publish KEY SRC: publish SRC's tree as the snapshot of KEY.
# Never fails the script: every problem is a warning.
pw_snapshot_publish() {
  local key src dir final tmp plan algo ext k s line sum mode ok
  key=$1
  src=$2
  [ "$PREWARM_SNAPSHOTS" = true ] || return 0
  [ -d "$src" ] || return 0
  pw_cache_writable || return 0
  final=$(pw_snapshot_file "$key")
  [ -e "$final" ] && return 0
  dir=${final%/*}
  if ! mkdir -p "$dir" 2>/dev/null; then
    pw_warn "cannot create $dir; snapshot not published"
    return 0
  fi
  tmp="$dir/.tmp-$key-$$.v2"
  plan="$dir/.tmp-$key-$$.plan"
  pw_track "$tmp"
  pw_track "$plan"
  pw_track "$plan.1"
  pw_track "$tmp.failed"
  algo=$(pw_sum_algo)
  pw_snapshot_codec
  ext=$(pw_codec_ext "$PW_CODEC")
  ok=yes
  k=${PREWARM_SNAPSHOT_SHARDS:-8}
  case $k in '' | *[!0-9]* | 0) k=8 ;; esac
  [ "$k" -le 64 ] || k=64
  if ! rm -rf "$tmp" "$tmp.failed" 2>/dev/null || ! mkdir "$tmp" 2>/dev/null ||
    ! true >"$tmp/.err" 2>/dev/null || ! pw_snapshot_plan "$src" "$k" "$plan"; then
    pw_warn "cannot plan the snapshot in $tmp; not published"
    pw_cleanup
    return 0
  fi
  k=$(sed -n 's/^shards //p' "$plan")
  {
    printf 'prewarm-snapshot-v2\nalgo=%s\ncodec=%s\n' "$algo" "$PW_CODEC"
    # a split directory keeps its mode (tar creates it with the umask's)
    sed -n 's/^dir //p' "$plan" | while IFS= read -r line; do
      mode=$(stat -c %a "$src/$line" 2>/dev/null) || mode=
      case $mode in [0-7][0-7][0-7] | [0-7][0-7][0-7][0-7]) ;; *) mode=- ;; esac
      printf 'dir %s %s\n' "$mode" "$line"
    done
  } >"$tmp/.manifest" || ok=no
  s=0
  while [ "$ok" = yes ] && [ "$s" -lt "$k" ]; do
    set --
    while IFS= read -r line; do
      case $line in "unit $s "*) set -- "$@" "${line#unit "$s" }" ;; esac
    done <"$plan"
    if [ $# -gt 0 ]; then
      # one pass: tar (and the compressor) write the shard and the
      # checksum reads the same bytes
      sum=$(pw_snapshot_pack "$src" "$tmp" "$@" | { tee "$tmp/$s.tar$ext" || true >"$tmp.failed"; } |
        pw_sum "$algo") || ok=no
      if [ -e "$tmp.failed" ] || [ -z "$sum" ]; then ok=no; fi
      printf 'shard %s.tar%s %s\n' "$s" "$ext" "$sum" >>"$tmp/.manifest" || ok=no
    fi
    s=$((s + 1))
  done
  if [ "$ok" = yes ] && printf 'end shards=%s\n' "$(grep -c '^shard ' "$tmp/.manifest")" >>"$tmp/.manifest" &&
    mv "$tmp/.manifest" "$tmp/manifest" && rm -f "$tmp/.err"; then
    # fsync the shards and the manifest (coreutils and busybox sync take
    # files), else everything.
    sync "$tmp"/* "$tmp" 2>/dev/null || sync
    # One rename publishes the directory. A concurrent publisher that won
    # in between makes mv move ours inside theirs: remove it again.
    if [ ! -e "$final" ] && mv "$tmp" "$final" 2>/dev/null; then
      if [ -e "$final/${tmp##*/}" ]; then
        rm -rf "${final:?}/${tmp##*/}" 2>/dev/null || :
      else
        pw_untrack "$tmp"
        # the older single-tar snapshot of the same key, if any, is replaced
        rm -f "$dir/$key.tar" 2>/dev/null || :
      fi
    fi
  else
    pw_warn "writing snapshot $final failed ($(tr '\n' ' ' <"$tmp/.err" 2>/dev/null | cut -c1-200)); not published"
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
  if { tar -cf - -C "$src" . || true >"$st"; } | tar -xf - -C "$tmp" && [ ! -e "$st" ]; then
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
