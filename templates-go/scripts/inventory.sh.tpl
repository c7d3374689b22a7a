{{- /*
prewarm.script.inventory: prints what is on one or more cache volumes, for
`prewarm cache du|ls` in a cluster. Run by the short Job the CLI creates,
as `sh -c <script> prewarm-inventory PRESET=DIR...` in a busybox image
(the prewarm binary is in no image the cluster is sure to have). POSIX sh
only: dash and busybox ash. It only reads.

It gathers facts, nothing else; pkg/cache parses them (ParseDump) and prints
exactly what the path way prints. Output, on stdout and (when it fits in
the 4096 bytes Kubernetes keeps) in PREWARM_TERMINATION_LOG (default
/dev/termination-log):

  prewarm-inventory v1
  cache <preset> <dir>
  entry <bytes> <mtime> <name>        each top-level name; each name in snapshots/
  record <key> <mtime> <created> <preset> <stores,comma> <workdir>
  lease <mtime> <name>
  lock <mtime>
  budget <bytes>
  end <entries>

bytes = `du -s -k` * 1024 (file system blocks), mtime = seconds since the
epoch. Names with a newline are skipped.
*/ -}}
{{- define "prewarm.script.inventory" -}}
#!/bin/sh
# shellcheck disable=SC3043
# ---- prewarm inventory ----
set -u
pw_inv_mtime() { stat -c %Y "$1" 2>/dev/null || date -r "$1" +%s 2>/dev/null || echo 0; }
pw_inv_bytes() {
  local k
  k=$(du -s -k "$1" 2>/dev/null | awk 'NR == 1 { print $1 }')
  case $k in '' | *[!0-9]*) k=0 ;; esac
  echo $((k * 1024))
}
pw_inv_entry() {
  printf 'entry %s %s %s\n' "$(pw_inv_bytes "$1/$2")" "$(pw_inv_mtime "$1/$2")" "$2"
}
pw_inv_field() { sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1; }
pw_inv_cache() {
  local eco root n f k stores wd
  eco=$1
  root=$2
  printf 'cache %s %s\n' "$eco" "$root"
  if [ ! -d "$root" ]; then
    printf 'missing %s\n' "$root"
    return 0
  fi
  PW_INV_N=0
  for f in "$root"/* "$root"/.[!.]* "$root"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    n=${f##*/}
    if [ "$n" = snapshots ] && [ -d "$f" ] && [ ! -L "$f" ]; then
      for k in "$f"/* "$f"/.[!.]* "$f"/..?*; do
        [ -e "$k" ] || [ -L "$k" ] || continue
        pw_inv_entry "$root" "snapshots/${k##*/}"
        PW_INV_N=$((PW_INV_N + 1))
      done
      continue
    fi
    pw_inv_entry "$root" "$n"
    PW_INV_N=$((PW_INV_N + 1))
  done
  for f in "$root"/.prewarm/used/*; do
    [ -f "$f" ] || continue
    stores=$(pw_inv_field stores "$f" | tr ' ' ,)
    wd=$(pw_inv_field workdir "$f")
    printf 'record %s %s %s %s %s %s\n' "${f##*/}" "$(pw_inv_mtime "$f")" "$(pw_inv_field created "$f" | tr -cd 0-9)" \
      "$(pw_inv_field preset "$f" | tr -cd '[:lower:]')" "${stores:--}" "${wd:--}"
  done
  for f in "$root"/.prewarm/leases/*; do
    [ -e "$f" ] || continue
    printf 'lease %s %s\n' "$(pw_inv_mtime "$f")" "${f##*/}"
  done
  if [ -d "$root/.prewarm/lock" ]; then printf 'lock %s\n' "$(pw_inv_mtime "$root/.prewarm/lock")"; fi
  if [ -f "$root/.prewarm/budget" ]; then printf 'budget %s\n' "$(tr -cd 0-9 <"$root/.prewarm/budget")"; fi
  printf 'end %s\n' "$PW_INV_N"
}
pw_inventory() {
  local a out
  out=$(
    echo 'prewarm-inventory v1'
    for a in "$@"; do
      pw_inv_cache "${a%%=*}" "${a#*=}"
    done
  )
  printf '%s\n' "$out"
  if [ "${#out}" -lt 4000 ]; then
    printf '%s\n' "$out" >"${PREWARM_TERMINATION_LOG:-/dev/termination-log}" 2>/dev/null || :
  else
    printf 'prewarm-inventory v1\ntruncated %s\n' "${#out}" >"${PREWARM_TERMINATION_LOG:-/dev/termination-log}" 2>/dev/null || :
  fi
}
pw_inventory "$@"
{{- end -}}
