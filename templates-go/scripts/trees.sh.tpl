{{- /*
prewarm.scriptpart.trees: tree helpers shared by the cargo, maven and gradle
scripts (included after prewarm.script.lib); it lives in its own file
because three presets use it.

pwt_copy SRC DST [PATH...]: copies SRC's PATHs (default: all of SRC) into
DST, merging with what DST holds; tar to tar, so it works with busybox.
Returns non-zero when either side failed.

pwt_publish SRC LINK FILTER [PATH...]: publishes SRC's PATHs (default: all)
as the new content of LINK for readers on other pods:
  1. copy into LINK.d/.tmp-<generation> (a crash leaves only a ".tmp-"
     name, which the pruner removes), then run FILTER DIR on the copy (a
     function that removes what must not be shared; ":" for none);
  2. rename it to LINK.d/<generation> and sync;
  3. point LINK at it: a new symbolic link renamed over the old one
     (mv -T: GNU and busybox), one rename(2), so a reader resolves either
     the old generation or the new one, never a mix or a half-written file.
     A plain directory at LINK (written in place before) is first moved
     into LINK.d; only then is there a moment without LINK;
  4. remove older generations, keeping the previous one for a reader that
     is still copying or reading it.
Never leaves a partial tree under a final name. Returns non-zero with a
warning on failure.
*/ -}}
{{- define "prewarm.scriptpart.trees" -}}
# ---- prewarm tree helpers (cargo, maven, gradle) ----
pwt_copy() {
  local src dst st
  src=$1
  dst=$2
  shift 2
  [ $# -gt 0 ] || set -- .
  mkdir -p "$dst" 2>/dev/null || return 1
  st=$(mktemp "$HOME/.tmp-prewarm-copy.XXXXXX") || return 1
  rm -f "$st"
  pw_track "$st"
  if { tar -cf - -C "$src" "$@" || true >"$st"; } | tar -xf - -C "$dst" && [ ! -e "$st" ]; then
    rm -f "$st"
    return 0
  fi
  rm -f "$st"
  return 1
}

pwt_publish() {
  local src link filter parent base gens gen staged old tmplink g
  src=$1
  link=$(pw_strip_slash "$2")
  filter=$3
  shift 3
  parent=$(dirname "$link")
  base=$(basename "$link")
  gens=$link.d
  PWT_SEQ=$((${PWT_SEQ:-0} + 1))
  gen=$(date -u +%Y%m%dT%H%M%SZ)-$$-$PWT_SEQ
  staged=$gens/.tmp-$gen
  tmplink=$parent/.tmp-$base-link-$$
  pw_track "$staged"
  pw_track "$tmplink"
  if ! mkdir -p "$staged" 2>/dev/null; then
    pw_warn "cannot create $staged; $link not published"
    pw_cleanup
    return 1
  fi
  if ! pwt_copy "$src" "$staged" "$@"; then
    pw_warn "copying $src to $staged failed; $link not published"
    pw_cleanup
    return 1
  fi
  "$filter" "$staged" || :
  if [ -e "$gens/$gen" ] || ! mv "$staged" "$gens/$gen" 2>/dev/null; then
    pw_warn "cannot rename $staged; $link not published"
    pw_cleanup
    return 1
  fi
  sync 2>/dev/null || :
  old=
  if [ -L "$link" ]; then
    old=$(readlink "$link" 2>/dev/null) || old=
  elif [ -e "$link" ]; then
    if ! mv "$link" "$gens/$gen-before" 2>/dev/null; then
      pw_warn "cannot move the directory $link into $gens; $link not published"
      rm -rf "${gens:?}/$gen"
      pw_cleanup
      return 1
    fi
    old=$base.d/$gen-before
  fi
  rm -f "$tmplink"
  if ! ln -s "$base.d/$gen" "$tmplink" 2>/dev/null; then
    pw_warn "cannot create a symbolic link in $parent; $link not published"
    [ -n "$old" ] && [ ! -e "$link" ] && mv "$parent/$old" "$link" 2>/dev/null
    rm -rf "${gens:?}/$gen"
    pw_cleanup
    return 1
  fi
  if ! mv -f -T "$tmplink" "$link" 2>/dev/null; then
    # mv without -T would move the link into the old target: replace it in
    # two steps instead (a reader may find no cache for that moment).
    if ! { rm -f "$link" && mv -f "$tmplink" "$link"; } 2>/dev/null; then
      pw_warn "cannot switch $link to the new generation"
      pw_cleanup
      return 1
    fi
  fi
  pw_untrack "$tmplink"
  pw_untrack "$staged"
  for g in "$gens"/*; do
    [ -e "$g" ] || continue
    case $g in
      "$gens/$gen" | "$parent/$old") ;;
      *) rm -rf "$g" 2>/dev/null || pw_warn "cannot remove the old generation $g" ;;
    esac
  done
  pw_log "published $link -> $base.d/$gen"
  return 0
}
# ---- end of prewarm tree helpers ----
{{- end -}}
