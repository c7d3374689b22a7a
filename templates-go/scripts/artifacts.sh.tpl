{{- /*
prewarm.script.artifacts: pinned downloads (model weights, datasets,
toolchains) fetched once into a content-addressed store on the cache volume,
verified, and presented at the paths the agent expects. POSIX sh (dash,
busybox ash); curl, else wget (busybox's will do).

Settings (environment; the artifacts preset sets them from its options):
  PREWARM_ARTIFACTS       one artifact per line: "<sha256> <target> <url>"
                          target: a relative path under PREWARM_ARTIFACTS_DIR,
                          or hf:<org>/<name>@<commit>:<file> for the Hugging
                          Face hub layout under PREWARM_HF_HOME
  PREWARM_ARTIFACTS_DIR   where plain targets go (default /workspace/artifacts)
  PREWARM_HF_HOME         HF_HOME of the hub layout (default
                          $PREWARM_HOME/.cache/huggingface, on the workspace)
  PREWARM_ARTIFACTS_HEADERS  optional file of "Name: value" lines sent with
                          every request (a Secret's key, for auth headers)

The store, on the cache volume:
  blobs/sha256/<hex>      the content, mode 0444, published with ln from a
                          .tmp- name only after its sha256 matched
A writable cache (the warmer, a trusted writer) fetches into the store. A
read-only cache (Task pods) is only read: a blob the store has is used in
place, through the read-only mount; one it lacks is fetched into a per-pod
store under $HOME/.cache/prewarm/artifacts (fail open: slower, never
broken).

What the agent sees (links only; the content stays on the read-only mount):
  <PREWARM_ARTIFACTS_DIR>/<path> -> <store>/<sha256>
  <HF_HOME>/hub/models--<org>--<name>/blobs/<sha256> -> <store>/<sha256>
  <HF_HOME>/hub/models--<org>--<name>/snapshots/<commit>/<file> -> ../../blobs/<sha256>
  <HF_HOME>/hub/models--<org>--<name>/refs/main    the commit
That is the hub cache layout Hugging Face documents for reimplementations
(huggingface.co/docs/hub/local-cache): under $HF_HOME/hub a folder per repo
named models--<org>--<name>; blobs/ holds the content, named by the file's
sha256 for files stored with LFS; snapshots/<commit>/ holds the repo's files
as relative links into blobs/; refs/<branch> holds the commit the branch
points to. Here a blob is itself a link into the store, so the tree costs
no space and the content stays read-only. With HF_HOME=PREWARM_HF_HOME and
HF_HUB_OFFLINE=1 the libraries resolve revision main through refs/main
without the network. Only models, and only refs/main, are laid out.

Every artifact is fetched and verified before anything is placed: a wrong
sha256 fails the step naming the URL and leaves nothing at any target. A
blob already in a store is not fetched again.
*/ -}}
{{- define "prewarm.script.artifacts" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

pw_init artifacts
: "${PREWARM_ARTIFACTS:=}"
: "${PREWARM_ARTIFACTS_DIR:=/workspace/artifacts}"
: "${PREWARM_HF_HOME:=$PREWARM_HOME/.cache/huggingface}"
case $PREWARM_ARTIFACTS_DIR in /*) ;; *) pw_die "PREWARM_ARTIFACTS_DIR must be an absolute path, not '$PREWARM_ARTIFACTS_DIR'" ;; esac
case $PREWARM_HF_HOME in /*) ;; *) pw_die "PREWARM_HF_HOME must be an absolute path, not '$PREWARM_HF_HOME'" ;; esac

# PW_ART_SHARED: the store on the volume; PW_ART_STORE: where this run
# writes (the shared store when the cache is writable, else per pod).
PW_ART_RESULT=
PW_ART_SHARED=$PREWARM_CACHE/blobs/sha256
if pw_cache_writable; then
  PW_ART_STORE=$PW_ART_SHARED
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

# pw_art_blob SHA: the path of a stored blob (shared store first), or 1.
pw_art_blob() {
  if [ -f "$PW_ART_SHARED/$1" ]; then
    printf '%s\n' "$PW_ART_SHARED/$1"
  elif [ -f "$PW_ART_STORE/$1" ]; then
    printf '%s\n' "$PW_ART_STORE/$1"
  else
    return 1
  fi
}

# pw_art_get SHA URL TARGET: puts the verified blob into PW_ART_STORE
# unless a store has it; prints fetched or cached.
pw_art_get() {
  local blob tmp got
  if pw_art_blob "$1" >/dev/null; then
    echo cached
    return 0
  fi
  blob=$PW_ART_STORE/$1
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
  blob=$(pw_art_blob "$1") || pw_die "artifact '$2': blob $1 vanished from the store"
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
      pw_art_link "$blob" "$dir/blobs/$1"
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
  # a use record without stores: the pruner never trims pinned blobs
  # (read-only Task pods use them without a lease)
  pw_record_use "$key"
  pw_summary artifacts "$key" "$PW_ART_RESULT" "artifacts=$n" "fetched=$fetched" "cached=$cached"
}

pw_artifacts
{{- end -}}
