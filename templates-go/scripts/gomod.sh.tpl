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

No snapshots for Go: the module cache is the installed tree.
*/ -}}
{{- define "prewarm.script.gomod" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

pw_init gomod
: "${PREWARM_PREBUILD:=build}"
case $PREWARM_PREBUILD in
  build | test | none) ;;
  *) pw_die "PREWARM_PREBUILD must be build, test or none, not '$PREWARM_PREBUILD'" ;;
esac
pw_has go || pw_die "go is not installed in this image"

PW_GO_FAILED=
PW_GO_SHARED=$PREWARM_CACHE/mod
if pw_cache_writable; then
  : "${GOMODCACHE:=$PREWARM_CACHE/mod}"
  : "${GOCACHE:=$PREWARM_CACHE/build}"
  PW_GO_SHARED=$GOMODCACHE
else
  [ "$PREWARM_CACHE_MODE" = readWrite ] && PW_GO_FAILED=1
  if [ -z "${GOMODCACHE-}" ] || pw_under_cache "$GOMODCACHE"; then
    GOMODCACHE=$HOME/go/pkg/mod
  fi
  if [ -z "${GOCACHE-}" ] || pw_under_cache "$GOCACHE"; then
    GOCACHE=$HOME/.cache/go-build
  fi
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

# pw_go_mark_used: sets the mtime of the module cache entries this
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
  local f
  set --
  for f in go.sum go.work.sum; do
    [ -f "$f" ] && set -- "$@" "$PWD/$f"
  done
  [ $# -gt 0 ] || return 0
  # shellcheck disable=SC2016 # awk's $1, $2
  (cd "$GOMODCACHE" 2>/dev/null && awk '
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

pw_go_workdir() {
  local files f gover key state result rc prebuild
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
  # mtime = last use for the modules this workdir used (shared cache only;
  # GOCACHE: go refreshes the mtime of the entries it uses itself)
  if [ "$PW_WRITABLE" = yes ]; then pw_go_mark_used; fi
  pw_summary gomod "$key" "$result" "prebuild=$prebuild"
  pw_record_use "$key" "$GOMODCACHE" "$GOCACHE"
}

pw_each_workdir pw_go_workdir "$@"
{{- end -}}
