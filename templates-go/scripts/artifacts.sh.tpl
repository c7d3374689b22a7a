{{- /*
prewarm.script.artifacts: pinned downloads (model weights, datasets,
toolchains) fetched once into a content-addressed store on the cache volume,
verified, and presented at the paths the agent expects. POSIX sh (dash,
busybox ash); curl, else wget (busybox's will do).

Settings (environment):
  PREWARM_ARTIFACTS       one artifact per line: "<sha256> <target> <url>"
                          target: a relative path under PREWARM_ARTIFACTS_DIR,
                          or hf:<org>/<name>@<commit>:<file> for the Hugging
                          Face hub layout under PREWARM_HF_HOME
  PREWARM_ARTIFACTS_DIR   where plain targets go (default /workspace/artifacts)
  PREWARM_HF_HOME         HF_HOME of the hub layout (default $PREWARM_CACHE/hf)
  PREWARM_ARTIFACTS_HEADERS  optional file of "Name: value" lines sent with
                          every request (a Secret's key, for auth headers)

Layout on the cache:
  blobs/sha256/<hex>      the content, mode 0444, published with ln from a
                          .tmp- name after its sha256 matched
  hf/hub/models--<org>--<name>/blobs/<sha256>      hard link to the blob
  hf/hub/models--<org>--<name>/snapshots/<commit>/<file> -> ../../blobs/<sha256>
  hf/hub/models--<org>--<name>/refs/main           the commit
This is the hub cache layout Hugging Face documents for reimplementations
(huggingface.co/docs/hub/local-cache): for files stored with LFS the blob
name is the file's sha256, snapshots hold relative links into blobs, refs
map a branch to a commit; with HF_HOME pointing at PREWARM_HF_HOME and
HF_HUB_OFFLINE=1 the libraries resolve files without the network.

Every artifact is fetched and verified before anything is placed: a wrong
sha256 fails the step naming the URL and leaves nothing at any target. A
blob already in the store is not fetched again. Plain targets are symbolic
links into the store (read-only content; the agent mounts the cache
read-only).
*/ -}}
{{- define "prewarm.script.artifacts" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

pw_init artifacts
: "${PREWARM_ARTIFACTS:=}"
: "${PREWARM_ARTIFACTS_DIR:=/workspace/artifacts}"
: "${PREWARM_HF_HOME:=$PREWARM_CACHE/hf}"
case $PREWARM_ARTIFACTS_DIR in /*) ;; *) pw_die "PREWARM_ARTIFACTS_DIR must be an absolute path, not '$PREWARM_ARTIFACTS_DIR'" ;; esac
case $PREWARM_HF_HOME in /*) ;; *) pw_die "PREWARM_HF_HOME must be an absolute path, not '$PREWARM_HF_HOME'" ;; esac

PW_ART_RESULT=
if pw_cache_writable; then
  PW_ART_STORE=$PREWARM_CACHE/blobs/sha256
else
  [ "$PREWARM_CACHE_MODE" = readWrite ] && PW_ART_RESULT=fallback
  PW_ART_STORE=$(pw_pod_cache blobs)
  if pw_under_cache "$PREWARM_HF_HOME"; then PREWARM_HF_HOME=$HOME/.cache/huggingface; fi
fi

# pw_art_check SHA TARGET URL: validates one line (dies naming it).
pw_art_check() {
  case $1 in
    *[!0-9a-f]* | '') pw_die "artifact '$2': sha256 '$1' must be 64 lower-case hex digits" ;;
  esac
  [ ${#1} -eq 64 ] || pw_die "artifact '$2': sha256 '$1' must be 64 lower-case hex digits"
  case $3 in
    http://* | https://*) ;;
    *) pw_die "artifact '$2': url '$3' must start with http:// or https://" ;;
  esac
  case $2 in
    hf:*/*@*:*) ;;
    hf:*) pw_die "artifact '$2': a hub target is hf:<org>/<name>@<commit>:<file>" ;;
    /* | '') pw_die "artifact '$2': the target must be a relative path" ;;
  esac
  case /$2/ in
    */../* | */./*) pw_die "artifact '$2': '.' and '..' are not allowed in a target" ;;
  esac
}

# pw_art_fetch URL OUT: downloads URL to OUT with the optional headers.
pw_art_fetch() {
  local h
  if pw_has curl; then
    if [ -n "${PREWARM_ARTIFACTS_HEADERS:-}" ]; then
      curl -fsSL --retry 2 -H "@$PREWARM_ARTIFACTS_HEADERS" -o "$2" "$1"
    else
      curl -fsSL --retry 2 -o "$2" "$1"
    fi
  elif pw_has wget; then
    (
      set -- "$1" "$2"
      if [ -n "${PREWARM_ARTIFACTS_HEADERS:-}" ]; then
        while IFS= read -r h || [ -n "$h" ]; do
          [ -n "$h" ] && set -- "$@" --header "$h"
        done <"$PREWARM_ARTIFACTS_HEADERS"
      fi
      u=$1 o=$2
      shift 2
      wget -q "$@" -O "$o" "$u"
    )
  else
    pw_die "neither curl nor wget is in this image"
  fi
}

# pw_art_get SHA URL TARGET: puts the verified blob into the store (no-op
# when it is there); prints fetched or cached.
pw_art_get() {
  local blob tmp got
  blob=$PW_ART_STORE/$1
  if [ -f "$blob" ]; then
    echo cached
    return 0
  fi
  mkdir -p "$PW_ART_STORE" || pw_die "cannot create $PW_ART_STORE"
  tmp=$PW_ART_STORE/.tmp-$1-$$
  pw_track "$tmp"
  [ -z "${PREWARM_ARTIFACTS_HEADERS:-}" ] || [ -r "$PREWARM_ARTIFACTS_HEADERS" ] ||
    pw_die "artifact '$3': cannot read the headers file $PREWARM_ARTIFACTS_HEADERS"
  pw_art_fetch "$2" "$tmp" >&2 || { rm -f "$tmp"; pw_die "artifact '$3': downloading $2 failed; nothing was placed"; }
  got=$(pw_sha256 <"$tmp") || got=
  if [ "$got" != "$1" ]; then
    rm -f "$tmp"
    pw_die "artifact '$3': $2 has sha256 $got, want $1; nothing was placed"
  fi
  chmod 0444 "$tmp" 2>/dev/null || :
  sync "$tmp" 2>/dev/null || :
  ln "$tmp" "$blob" 2>/dev/null || [ -f "$blob" ] || mv -f "$tmp" "$blob" || pw_die "cannot publish $blob"
  rm -f "$tmp"
  pw_untrack "$tmp"
  echo fetched
}

# pw_art_link TARGET LINK: makes LINK a symbolic link to TARGET (atomic).
pw_art_link() {
  local tmp
  mkdir -p "$(dirname "$2")" || pw_die "cannot create $(dirname "$2")"
  tmp=$(dirname "$2")/.tmp-link-$$
  rm -f "$tmp"
  if ! ln -s "$1" "$tmp" || ! mv -f "$tmp" "$2"; then
    rm -f "$tmp"
    pw_die "cannot place $2"
  fi
}

# pw_art_place SHA TARGET: presents the blob at TARGET.
pw_art_place() {
  local blob repo org name commit file dir up t
  blob=$PW_ART_STORE/$1
  case $2 in
    hf:*)
      t=${2#hf:}
      repo=${t%%@*}
      t=${t#*@}
      commit=${t%%:*}
      file=${t#*:}
      org=${repo%%/*}
      name=${repo#*/}
      dir=$PREWARM_HF_HOME/hub/models--$org--$name
      mkdir -p "$dir/blobs" "$dir/refs" || pw_die "cannot create $dir"
      if [ ! -e "$dir/blobs/$1" ]; then
        ln "$blob" "$dir/blobs/$1" 2>/dev/null || cp "$blob" "$dir/blobs/$1" || pw_die "cannot add $dir/blobs/$1"
      fi
      # one ../ per directory of the file inside the snapshot
      up=../..
      t=$file
      while :; do
        case $t in */*) up=$up/.. t=${t#*/} ;; *) break ;; esac
      done
      pw_art_link "$up/blobs/$1" "$dir/snapshots/$commit/$file"
      if ! printf '%s' "$commit" >"$dir/refs/.tmp-main-$$" || ! mv -f "$dir/refs/.tmp-main-$$" "$dir/refs/main"; then
        pw_die "cannot write $dir/refs/main"
      fi
      ;;
    *) pw_art_link "$blob" "$PREWARM_ARTIFACTS_DIR/$2" ;;
  esac
}

pw_artifacts() {
  local sha target url rest n fetched cached how key
  n=0
  while read -r sha target url rest <&3; do
    case $sha in '' | '#'*) continue ;; esac
    [ -z "$rest" ] || pw_die "artifact line '$sha $target $url $rest': want '<sha256> <target> <url>'"
    pw_art_check "$sha" "$target" "$url"
    n=$((n + 1))
  done 3<<EOF
$PREWARM_ARTIFACTS
EOF
  [ "$n" -gt 0 ] || pw_die "PREWARM_ARTIFACTS lists no artifacts"
  key=$(printf '%s\n' "$PREWARM_ARTIFACTS" | pw_sha256)
  fetched=0
  cached=0
  # 1. fetch and verify everything; 2. only then place anything
  while read -r sha target url rest <&3; do
    case $sha in '' | '#'*) continue ;; esac
    how=$(pw_art_get "$sha" "$url" "$target") || exit 1
    case $how in fetched) fetched=$((fetched + 1)) ;; *) cached=$((cached + 1)) ;; esac
  done 3<<EOF
$PREWARM_ARTIFACTS
EOF
  while read -r sha target url rest <&3; do
    case $sha in '' | '#'*) continue ;; esac
    pw_art_place "$sha" "$target"
  done 3<<EOF
$PREWARM_ARTIFACTS
EOF
  if [ -z "$PW_ART_RESULT" ]; then
    if [ "$fetched" -gt 0 ]; then PW_ART_RESULT=cold; else PW_ART_RESULT=warm; fi
  fi
  pw_summary artifacts "$key" "$PW_ART_RESULT" "artifacts=$n" "fetched=$fetched" "cached=$cached"
}

pw_artifacts
{{- end -}}
