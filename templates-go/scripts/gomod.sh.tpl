{{- /*
prewarm.script.gomod: downloads the modules of each workdir (go mod
download) into the module cache and, unless PREWARM_PREBUILD=none, compiles
the packages (build) or packages and tests (test) to fill the build cache.

readWrite: GOMODCACHE=$PREWARM_CACHE/mod and GOCACHE=$PREWARM_CACHE/build on
the volume (both are safe to share where file locking works), GOFLAGS gets
-modcacherw so the tree stays removable.

readOnly (and readWrite when the volume does not take writes, which is then
result=fallback): the module cache and build cache are per pod, under HOME
on the workspace volume, and the volume's module download cache is served
as the first GOPROXY entry (file://$PREWARM_CACHE/mod/cache/download),
falling back to the configured proxy. The build cache is not seeded from the
volume: Go has no read-only GOCACHE layer and copying a shared build cache
(often many GB) costs more than compiling the workspace once; the prebuild
fills the per-pod GOCACHE for the agent. No -mod=mod is needed: the file
proxy only replaces the download source.

snapshot (PREWARM_SNAPSHOTS=true, the preset's snapshots option): for a
cache on a network volume (NFS, EFS, Filestore, CephFS), where every file
go reads or writes costs round trips. The module cache and build cache are
per pod, on local disk under HOME (the readOnly paths, so the agent finds
them the same way), and kept on the volume as two sharded snapshots per
key (go version, GOOS/GOARCH, go.mod, go.sum, go.work*, args, prebuild;
each cache its own key, "part=mod" and "part=build"). Both present: they
are restored (pw_snapshot_restore: checksummed shards, concurrent
extractors, all or nothing) and go mod download and the prebuild run as
local cache hits: result=snapshot. Otherwise go mod download reads the
volume's module download cache as the first GOPROXY entry (falling back to
the configured proxy), the prebuild compiles locally, and, when the cache
is writable, each missing part is published (the build cache only after a
prebuild that succeeded) and the module files this run fetched are added
to the volume's download cache (file by file, temp + rename) so other keys
find them. A broken snapshot is a warning and this cold path, never a
failed step. readOnly restores and never writes. A second workdir merges
its restore into the caches the first one filled. The build cache of a
key is the first publisher's: later commits with the same go.sum hit on
the dependencies and recompile only the packages that changed.

auto (PREWARM_SNAPSHOTS=auto, the preset's default: its agent env is the
per-pod paths under HOME, as for snapshot mode): the shape is picked here,
by the file system of the cache volume (pw_fs_type, pw_fs_network). A
network file system runs the snapshot mode. A local one, when the cache is
writable, runs the readWrite shape with the per-pod paths made symlinks to
the volume's caches ($HOME/go/pkg/mod -> $PREWARM_CACHE/mod,
$HOME/.cache/go-build -> $PREWARM_CACHE/build; the paths are the
GOMODCACHE/GOCACHE of the env when not under the cache), and go runs with
GOMODCACHE/GOCACHE = those per-pod paths, as the agent does: the build
cache's action IDs hold each dependency's directory, so the same
GOMODCACHE string is what makes the agent's build a cache hit. A per-pod
path that is already a directory with files is left alone (warned): this
run takes the per-pod shape. A cache that does not take writes (readOnly,
or result=fallback) gets the readOnly shape, never a symlink into it.
Unset PREWARM_SNAPSHOTS means false (the env of pods rendered before auto
existed is explicit, so they keep their shape).

The summary line names the shape: shape=direct (the caches on the volume,
linked or not), shape=pod (per-pod caches, the volume as a file GOPROXY)
or shape=snapshot.
*/ -}}
{{- define "prewarm.script.gomod" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

# PREWARM_SNAPSHOTS for Go: true, false or auto (the preset's default).
# Unset means false here (pw_init's default true is npm's and pip's);
# pw_init, which knows only true and false, still rejects any other value.
PW_GO_SNAPSHOT=${PREWARM_SNAPSHOTS:-false}
if [ "$PW_GO_SNAPSHOT" = auto ]; then PREWARM_SNAPSHOTS=true; fi
pw_init gomod
# auto: snapshots for a cache on a network file system, else the caches on
# the volume, linked at the per-pod paths (PW_GO_LINK=yes).
PW_GO_LINK=
if [ "$PW_GO_SNAPSHOT" = auto ]; then
  if pw_fs_network "$(pw_fs_type "$PREWARM_CACHE")"; then
    PW_GO_SNAPSHOT=true
  else
    PW_GO_SNAPSHOT=false
    PW_GO_LINK=yes
  fi
fi
PREWARM_SNAPSHOTS=$PW_GO_SNAPSHOT
: "${PREWARM_PREBUILD:=build}"
case $PREWARM_PREBUILD in
  build | test | none) ;;
  *) pw_die "PREWARM_PREBUILD must be build, test or none, not '$PREWARM_PREBUILD'" ;;
esac
pw_has go || pw_die "go is not installed in this image"

# pw_go_link LINK TARGET: makes the per-pod path LINK a symlink to the
# cache directory TARGET (creating TARGET and LINK's parent). An absent
# LINK, a symlink elsewhere (stale) or an empty directory is replaced; a
# directory with files or another file is left alone: warned, returns 1.
pw_go_link() {
  local link target
  link=$(pw_strip_slash "$1")
  target=$2
  if ! mkdir -p "$target" "${link%/*}" 2>/dev/null; then
    pw_warn "cannot create $target or ${link%/*}; using per-pod caches"
    return 1
  fi
  if [ -L "$link" ]; then
    [ "$(readlink "$link" 2>/dev/null)" = "$target" ] && return 0
    rm -f "$link" 2>/dev/null || :
  elif [ -d "$link" ]; then
    if ! rmdir "$link" 2>/dev/null; then
      pw_warn "$link is a directory with files; leaving it (the agent uses it) and using per-pod caches instead of $target"
      return 1
    fi
  elif [ -e "$link" ]; then
    pw_warn "$link is not a directory; leaving it and using per-pod caches instead of $target"
    return 1
  fi
  if ! ln -s "$target" "$link" 2>/dev/null; then
    pw_warn "cannot link $link to $target; using per-pod caches"
    return 1
  fi
  return 0
}

# pw_go_unlink LINK: removes LINK when it is a symlink into the cache (a
# run that does not write the cache keeps no path into it).
pw_go_unlink() {
  local link
  link=$(pw_strip_slash "$1")
  [ -L "$link" ] || return 0
  if pw_under_cache "$(readlink "$link" 2>/dev/null)"; then
    rm -f "$link" 2>/dev/null || :
  fi
  return 0
}

PW_GO_FAILED=
PW_GO_SHARED=$PREWARM_CACHE/mod
if pw_cache_writable && [ "$PREWARM_SNAPSHOTS" = false ] && [ -z "$PW_GO_LINK" ]; then
  : "${GOMODCACHE:=$PREWARM_CACHE/mod}"
  : "${GOCACHE:=$PREWARM_CACHE/build}"
  PW_GO_SHARED=$GOMODCACHE
  PW_GO_SHAPE=direct
  PW_GO_STORES="$GOMODCACHE $GOCACHE"
else
  [ "$PREWARM_CACHE_MODE" = readWrite ] && [ "$PW_WRITABLE" != yes ] && PW_GO_FAILED=1
  if [ -z "${GOMODCACHE-}" ] || pw_under_cache "$GOMODCACHE"; then
    GOMODCACHE=$HOME/go/pkg/mod
  fi
  if [ -z "${GOCACHE-}" ] || pw_under_cache "$GOCACHE"; then
    GOCACHE=$HOME/.cache/go-build
  fi
  GOMODCACHE=$(pw_strip_slash "$GOMODCACHE")
  GOCACHE=$(pw_strip_slash "$GOCACHE")
  PW_GO_SHAPE=pod
  [ "$PREWARM_SNAPSHOTS" = true ] && PW_GO_SHAPE=snapshot
  PW_GO_STORES=
  if [ -n "$PW_GO_LINK" ] && [ "$PW_WRITABLE" = yes ] &&
    pw_go_link "$GOMODCACHE" "$PREWARM_CACHE/mod" && pw_go_link "$GOCACHE" "$PREWARM_CACHE/build"; then
    # go keeps the per-pod paths (the agent's): see auto above
    PW_GO_SHAPE=direct
    PW_GO_STORES="$PREWARM_CACHE/mod $PREWARM_CACHE/build"
  else
    pw_go_unlink "$GOMODCACHE"
    pw_go_unlink "$GOCACHE"
  fi
fi
if [ "$PW_GO_SHAPE" != direct ]; then
  if [ -d "$PW_GO_SHARED/cache/download" ] && [ -r "$PW_GO_SHARED/cache/download" ]; then
    : "${GOPROXY:=$(cd "$HOME" && go env GOPROXY)}"
    case ,$GOPROXY, in
      *",file://$PW_GO_SHARED/cache/download,"*) ;;
      *) GOPROXY="file://$PW_GO_SHARED/cache/download${GOPROXY:+,$GOPROXY}" ;;
    esac
    export GOPROXY
  else
    pw_warn "no readable module cache at $PW_GO_SHARED; downloading from the proxy"
  fi
fi
# Without -modcacherw the module cache is read-only and cannot be removed.
: "${GOFLAGS:=$(cd "$HOME" && go env GOFLAGS)}"
case " $GOFLAGS " in
  *" -modcacherw "*) ;;
  *) GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" ;;
esac
export GOMODCACHE GOCACHE GOFLAGS

# pw_go_mark_used DIR: sets the mtime of the module cache DIR's entries this
# workdir's go.sum (and go.work.sum) names to now: the download files
# (cache/download/<path>/@v/<version>.{info,mod,zip,ziphash}) and the
# extracted module directory (<path>@<version>, dated by its own mtime).
# go never rewrites these once fetched, so without this their mtime is the
# fetch time and the pruner (oldest mtime first) would trim a module every
# warm install reads before one fetched yesterday and never used again.
# Paths are escaped as Go escapes them (an upper-case letter becomes "!"
# and the letter in lower case). One awk pass and one touch per ~thousand
# names (xargs); relative to GOMODCACHE so no name needs quoting; a name
# with other characters or a ".." is skipped. Never fails the setup.
pw_go_mark_used() {
  local f dir
  dir=$1
  set --
  for f in go.sum go.work.sum; do
    [ -f "$f" ] && set -- "$@" "$PWD/$f"
  done
  [ $# -gt 0 ] || return 0
  # shellcheck disable=SC2016 # awk's $1, $2
  (cd "$dir" 2>/dev/null && awk '
    NF >= 2 {
      v = $2
      sub(/\/go\.mod$/, "", v)
      s = $1 "@" v
      if (s ~ /[^A-Za-z0-9._~+\/@-]/ || s ~ /(^|\/)\.\.(\/|@|$)/ || s ~ /^\//) next
      gsub(/[ABCDEFGHIJKLMNOPQRSTUVWXYZ]/, "!&", s)
      s = tolower(s)
      if (s in seen) next
      seen[s] = 1
      i = index(s, "@")
      d = "cache/download/" substr(s, 1, i - 1) "/@v/" substr(s, i + 1)
      print s
      print d ".info"
      print d ".mod"
      print d ".zip"
      print d ".ziphash"
    }' "$@" | xargs touch -c) 2>/dev/null || :
  return 0
}

# pw_go_snap_restore KEY DIR: restores snapshot KEY into DIR (a cache the
# go commands share across workdirs): straight into DIR when DIR is absent
# or empty, else into a temp beside it and merged in (both caches are
# content-addressed: a file in both is the same file). Returns as
# pw_snapshot_restore: 0 restored, 1 no snapshot, 2 failed (warned).
pw_go_snap_restore() {
  local key dir tmp rc
  key=$1
  dir=$(pw_strip_slash "$2")
  mkdir -p "${dir%/*}" 2>/dev/null || :
  if [ "$(pw_store_state "$dir")" = cold ]; then
    pw_snapshot_restore "$key" "$dir"
    return
  fi
  tmp="${dir%/*}/.tmp-prewarm-merge-${dir##*/}-$$"
  rc=0
  pw_snapshot_restore "$key" "$tmp" || rc=$?
  # tracked only now: pw_snapshot_restore's own cleanup removes every
  # tracked path
  pw_track "$tmp"
  if [ "$rc" -eq 0 ]; then
    if ! (cd "$tmp" && tar -cf - .) | (cd "$dir" && tar -xf -); then
      pw_warn "merging the restored snapshot into $dir failed; building instead"
      rc=2
    fi
  fi
  rm -rf "$tmp" 2>/dev/null || :
  pw_untrack "$tmp"
  return "$rc"
}

# pw_go_fill_shared: adds the module download files (.info, .mod, .zip,
# .ziphash) of the local GOMODCACHE that the volume's download cache lacks,
# each copied to a ".tmp-" name beside its place and renamed, so the file
# GOPROXY never serves half a file (go falls back to the next GOPROXY
# entry for a file that is not there yet). One listing of each side, then
# one cp and one mv per missing file. Writable caches only; never fails.
pw_go_fill_shared() {
  local src dst list f d
  src=$GOMODCACHE/cache/download
  dst=$PW_GO_SHARED/cache/download
  [ "$PW_WRITABLE" = yes ] && [ -d "$src" ] || return 0
  list=$PREWARM_CACHE/.tmp-prewarm-godl-$$
  pw_track "$list"
  pw_track "$list.have"
  if ! mkdir -p "$dst" 2>/dev/null ||
    ! (cd "$dst" && find . -type f) >"$list.have" 2>/dev/null ||
    ! (cd "$src" && find . -type f \( -name '*.info' -o -name '*.mod' -o -name '*.zip' -o -name '*.ziphash' \)) 2>/dev/null |
    awk -v have="$list.have" '
      BEGIN { while ((getline l <have) > 0) { sub(/^\.\//, "", l); seen[l] = 1 } }
      { sub(/^\.\//, "") }
      !($0 in seen) && !/(^|\/)\./ && !/[^A-Za-z0-9._~+\/@!-]/' >"$list"; then
    pw_warn "cannot list the module download caches; $dst not filled"
    rm -f "$list" "$list.have" 2>/dev/null || :
    return 0
  fi
  while IFS= read -r f; do
    d=${f%/*}
    [ -d "$dst/$d" ] || mkdir -p "$dst/$d" 2>/dev/null || continue
    if cp "$src/$f" "$dst/$d/.tmp-prewarm-$$" 2>/dev/null && mv -f "$dst/$d/.tmp-prewarm-$$" "$dst/$f" 2>/dev/null; then
      :
    else
      rm -f "$dst/$d/.tmp-prewarm-$$" 2>/dev/null || :
      pw_warn "cannot add $f to $dst; other keys download it again"
    fi
  done <"$list"
  rm -f "$list" "$list.have" 2>/dev/null || :
  return 0
}

pw_go_workdir() {
  local files f gover key state result rc prebuild kmod kbuild rmod rbuild
  [ -f go.mod ] || pw_die "workdir '$PW_WORKDIR' has no go.mod"
  gover=$(go env GOVERSION) || pw_die "go env GOVERSION failed in workdir '$PW_WORKDIR'"
  files=go.mod
  for f in go.sum go.work go.work.sum; do
    [ -f "$f" ] && files="$files $f"
  done
  # shellcheck disable=SC2086 # $files holds plain file names
  key=$(pw_key "go=$gover args=$* prebuild=$PREWARM_PREBUILD" $files)

  state=$(pw_store_state "$PW_GO_SHARED/cache/download")
  result=$state
  [ -n "$PW_GO_FAILED" ] && result=fallback

  rmod=1
  rbuild=1
  if [ "$PREWARM_SNAPSHOTS" = true ]; then
    f=$(go env GOOS GOARCH | tr '\n' ' ') || pw_die "go env GOOS GOARCH failed in workdir '$PW_WORKDIR'"
    # shellcheck disable=SC2086 # $files holds plain file names
    kmod=$(pw_key "go=$gover goos/goarch=$f args=$* prebuild=$PREWARM_PREBUILD part=mod" $files)
    # shellcheck disable=SC2086
    kbuild=$(pw_key "go=$gover goos/goarch=$f args=$* prebuild=$PREWARM_PREBUILD part=build" $files)
    rmod=0
    pw_go_snap_restore "$kmod" "$GOMODCACHE" || rmod=$?
    rbuild=0
    pw_go_snap_restore "$kbuild" "$GOCACHE" || rbuild=$?
    if [ "$rmod" -eq 0 ] && [ "$rbuild" -eq 0 ]; then
      result=snapshot
    elif [ "$rmod" -eq 2 ] || [ "$rbuild" -eq 2 ]; then
      result=fallback
    fi
  fi

  rc=0
  go mod download "$@" >&2 || rc=$?
  [ "$rc" -eq 0 ] || pw_die "go mod download failed (exit $rc) in workdir '$PW_WORKDIR'"

  # Warming the build cache is best effort: the agent may be there to fix
  # a broken build. -buildvcs=false: setup images need no git.
  prebuild=$PREWARM_PREBUILD
  rc=0
  case $PREWARM_PREBUILD in
    build) go build -buildvcs=false ./... >&2 || rc=$? ;;
    test) go test -buildvcs=false -run '^$' ./... >&2 || rc=$? ;;
  esac
  if [ "$rc" -ne 0 ]; then
    pw_warn "prebuild ($PREWARM_PREBUILD) failed (exit $rc) in workdir '$PW_WORKDIR'; the module cache is ready, the build cache is partial"
    prebuild=failed
  fi
  if [ "$PREWARM_SNAPSHOTS" = true ]; then
    # publish the parts not restored (no-ops unless the cache is writable)
    [ "$rmod" -eq 0 ] || pw_snapshot_publish "$kmod" "$GOMODCACHE"
    if [ "$rbuild" -ne 0 ] && [ "$prebuild" != failed ]; then
      pw_snapshot_publish "$kbuild" "$GOCACHE"
    fi
    if [ "$rmod" -ne 0 ]; then
      pw_go_fill_shared
      if [ "$PW_WRITABLE" = yes ]; then pw_go_mark_used "$PW_GO_SHARED"; fi
    fi
    pw_summary gomod "$key" "$result" "prebuild=$prebuild" "shape=$PW_GO_SHAPE"
    if [ "$result" = snapshot ]; then
      # a restore reads no store: the record names none
      pw_record_use "$key"
    else
      pw_record_use "$key" "$PW_GO_SHARED"
    fi
    return 0
  fi
  # mtime = last use for the modules this workdir used (shared cache only;
  # GOCACHE: go refreshes the mtime of the entries it uses itself)
  if [ "$PW_WRITABLE" = yes ]; then pw_go_mark_used "$PW_GO_SHARED"; fi
  pw_summary gomod "$key" "$result" "prebuild=$prebuild" "shape=$PW_GO_SHAPE"
  # shellcheck disable=SC2086 # $PW_GO_STORES: two paths without spaces or a pod's
  pw_record_use "$key" $PW_GO_STORES
}

pw_each_workdir pw_go_workdir "$@"
{{- end -}}
