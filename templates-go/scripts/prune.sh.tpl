{{- /*
prewarm.script.prune: keeps one cache volume under its byte budget. Run by
the pruner CronJobs of the prewarm-caches and prewarm-workspace charts as
`sh -c <script> prune` in a busybox image. POSIX sh only: it must run under
dash and busybox ash and pass `shellcheck -s sh`.

Configuration, from the environment only:
  PREWARM_CACHE            the cache root (absolute; never empty or "/")
  PREWARM_PRUNE_MAX_BYTES  the budget in bytes (a positive integer)

What it does, in this order:
  1. removes temporaries that crashed writers left: every name starting with
     ".tmp-" anywhere under PREWARM_CACHE (publish temps in snapshots/, the
     write probe, atomic-copy temps; see prewarm.script.lib) whose mtime is
     more than 60 minutes old and, for a directory, with nothing inside it
     modified in the last 60 minutes. A younger temp may be a publish in
     progress and is kept;
  2. while the volume uses more than the budget, removes install snapshots
     (snapshots/<key>.tar.gz plus any snapshots/<key>.* sidecar, always
     together, the data file first so a reader never sees a sidecar-only
     snapshot as valid) least recently used first. "Used" is the mtime: the
     library's pw_snapshot_restore touches a snapshot after every restore on
     a writable cache; read-only consumers cannot, so there it is the
     publish time. A temp name (".tmp-*") is never a snapshot, so a
     snapshot being published is never removed;
  3. while still over the budget, trims package-manager stores (npm store,
     pnpm-store, yarn; pip store, uv, poetry; gomod mod, build) entry by
     entry, just enough to get under the budget. Stores in least recently
     used order: a store is a top-level directory that a use record
     (.prewarm/used/<key>, written by pw_record_use after each install)
     names in its "stores=" line, and its last use is the newest such
     record's mtime. Stores no record names are never touched (cargo, maven
     and gradle publish generations instead). Within a store, entries go
     oldest mtime first, and an entry's mtime is its last use: go
     refreshes the mtime of the GOCACHE entries it uses (hourly), and the
     setups set the mtime of the entries their install used, which the
     tools never rewrite once fetched (npm.sh pw_npm_mark_used: the index
     bucket and content of each package of the lockfile; gomod.sh
     pw_go_mark_used: each go.sum module's download files and extracted
     directory; pip.sh pw_pip_mark_used: the http cache entry, and its
     .body, of each distribution `pip install --report` lists, pip >= 22.2;
     pip rewrites index page entries itself; uv, poetry and pip's wheels/
     keep the time an entry was written). Neither order reads atime
     (noatime mounts):
       - an entry is a file (pip http/wheels, GOCACHE: each file stands
         alone, a missing one is a cache miss the tool fetches or builds
         again), or a file and its FILE.body
         (pip's http-v2 keeps a response's body apart and reads metadata
         without its body as an empty response: the metadata goes first);
       - in the npm cache (_cacache) an entry is an index bucket and the
         content only it names, the bucket removed first: npm fails on an
         index entry whose content is gone (pw_prune_cacache_units);
       - in GOMODCACHE (mod) an extracted module (mod/<path>@<version>/) is
         one entry, removed whole (renamed to a .tmp-trash-* name first),
         and the files under mod/cache are entries;
       - pnpm-store and uv hard-link or index their content, yarn (v1
         keeps each package as an extracted tree) and poetry are not
         known file by file: each of these stores is one entry, removed
         whole.
     Directories left empty are removed. Stores are trimmed only under the
     trim lock (mkdir .prewarm/lock) and only when no live lease is in
     .prewarm/leases: every setup that writes the cache holds one while it
     runs (pw_lease_take), and one that starts while the lock is held
     installs with a per-pod cache, so no entry is ever removed under a
     running setup; such a run skips the stores and says so. Leases not
     touched for 120 minutes and locks older than 60 are a crash's and are
     removed;
  4. records the budget in .prewarm/budget (read by `prewarm cache du`)
     and prints one line on stdout:
     prewarm: prune cache=<path> before=<bytes> after=<bytes> removed=<n> budget=<bytes> stores=<n> entries=<n>
     (bytes as counted by `du -s -k`, so file system blocks; removed counts
     snapshots, stores the stores trimmed, entries the store entries
     removed). Details go to stderr;
  5. records that line in PREWARM_CACHE/.prewarm-usage (pw_prune_record:
     written to a ".tmp-" name, then renamed, so a reader never sees half a
     line), where the metrics exporter reads bytes used against the budget.

Only names below PREWARM_CACHE are ever removed: find does not follow
symbolic links and stays on one file system (-xdev), rm -rf removes a link,
not its target. When what is left still exceeds the budget the script
warns. It exits 1 when something could not be removed, so the Job shows
the problem.
*/ -}}
{{- define "prewarm.script.prune" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

# ---- prewarm prune ----
# Temporaries younger than this many minutes may belong to a live writer.
PW_PRUNE_TMP_MINUTES=60

# pw_prune_root prints the physical path of PREWARM_CACHE after refusing an
# empty, relative or "/" value, "." or ".." components and a non-directory.
pw_prune_root() {
  local c real
  c=${PREWARM_CACHE-}
  [ -n "$c" ] || pw_die "PREWARM_CACHE is empty; refusing to prune"
  case $c in
    /*) ;;
    *) pw_die "PREWARM_CACHE must be an absolute path, not '$c'; refusing to prune" ;;
  esac
  c=$(pw_strip_slash "$c")
  [ "$c" != / ] || pw_die "PREWARM_CACHE is '/'; refusing to prune"
  case /$c/ in
    */./* | */../*) pw_die "PREWARM_CACHE must not contain '.' or '..' components, not '$c'; refusing to prune" ;;
  esac
  [ -d "$c" ] || pw_die "PREWARM_CACHE=$c is not a directory; refusing to prune"
  real=$(cd "$c" && pwd -P) || pw_die "cannot enter PREWARM_CACHE=$c"
  case $real in
    / | '') pw_die "PREWARM_CACHE=$c resolves to '/'; refusing to prune" ;;
  esac
  printf '%s\n' "$real"
}

# pw_prune_budget prints PREWARM_PRUNE_MAX_BYTES as a decimal integer > 0.
pw_prune_budget() {
  local b
  b=${PREWARM_PRUNE_MAX_BYTES-}
  case $b in
    '' | *[!0-9]*) pw_die "PREWARM_PRUNE_MAX_BYTES must be a positive integer (bytes), not '$b'" ;;
  esac
  # no octal: drop leading zeros
  b=${b#"${b%%[!0]*}"}
  [ -n "$b" ] || pw_die "PREWARM_PRUNE_MAX_BYTES must be greater than 0"
  [ ${#b} -le 18 ] || pw_die "PREWARM_PRUNE_MAX_BYTES is too large: '$b'"
  printf '%s\n' "$b"
}

# pw_prune_bytes PATH...: bytes used by the existing PATHs (du -s -k * 1024).
pw_prune_bytes() {
  local p k sum
  sum=0
  for p in "$@"; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    k=$(du -s -k "$p" 2>/dev/null | awk 'NR == 1 { print $1 }') || k=
    case $k in '' | *[!0-9]*) k=0 ;; esac
    sum=$((sum + k * 1024))
  done
  printf '%s\n' "$sum"
}

# pw_prune_temps ROOT: removes stale ".tmp-*" names below ROOT; prints how
# many. Every ".tmp-*" is pruned from the walk, so nothing inside a live
# temp tree is ever touched; a stale temp directory is kept when anything
# inside it changed recently (a long copy still running).
pw_prune_temps() {
  # The inner script's variables belong to that child shell.
  # shellcheck disable=SC2016
  find "$1" -xdev -mindepth 1 -name '.tmp-*' -prune -mmin "+$PW_PRUNE_TMP_MINUTES" -exec sh -c '
    m=$1
    shift
    for p do
      if [ -d "$p" ] && [ ! -L "$p" ]; then
        if [ -n "$(find "$p" -xdev -mmin "-$m" 2>/dev/null | head -n 1)" ]; then
          printf "prewarm: keeping %s: something inside changed in the last %s minutes\n" "$p" "$m" >&2
          continue
        fi
        chmod -R u+w "$p" 2>/dev/null || :
      fi
      if rm -rf "$p" 2>/dev/null && [ ! -e "$p" ] && [ ! -L "$p" ]; then
        printf "prewarm: removed stale temporary %s\n" "$p" >&2
        echo removed
      else
        printf "prewarm: warning: cannot remove stale temporary %s\n" "$p" >&2
        echo failed
      fi
    done
  ' sh "$PW_PRUNE_TMP_MINUTES" {} + || pw_warn "prune: find reported errors while looking for stale temporaries under $1"
}

# pw_prune_lru DIR: snapshot keys in DIR, least recently used first, one per
# line. A key's entries are <key> and <key>.*; its last use is its newest
# entry's mtime. Names outside [A-Za-z0-9._+-] and dot names are skipped.
pw_prune_lru() {
  local names n key seen order
  if [ ! -d "$1" ] || [ -L "$1" ]; then return 0; fi
  names=$(cd "$1" && ls -A -t) || return 0
  seen=' '
  order=
  while IFS= read -r n; do
    case $n in
      '' | .* | *[!A-Za-z0-9._+-]*) continue ;;
    esac
    key=${n%%.*}
    case $seen in
      *" $key "*) continue ;;
    esac
    seen="$seen$key "
    # newest first in, so prepending leaves the oldest first
    order="$key
$order"
  done <<EOF
$names
EOF
  printf '%s' "$order"
}

# pw_prune_entries DIR KEY: the existing entries of snapshot KEY, the data
# file (<key>.tar.gz, or <key> itself) first, one per line.
pw_prune_entries() {
  local dir key f
  dir=$1
  key=$2
  for f in "$dir/$key.tar.gz" "$dir/$key"; do
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "$f"; fi
  done
  for f in "$dir/$key".*; do
    [ "$f" = "$dir/$key.tar.gz" ] && continue
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "$f"; fi
  done
}

# pw_prune_record ROOT LINE: replaces ROOT/.prewarm-usage with LINE,
# atomically (temp + rename). A failure is a warning: usage reporting never
# fails the prune.
pw_prune_record() {
  local tmp
  tmp="$1/.tmp-usage-$$"
  if { printf '%s\n' "$2" >"$tmp"; } 2>/dev/null && mv -f "$tmp" "$1/.prewarm-usage" 2>/dev/null; then
    return 0
  fi
  rm -f "$tmp" 2>/dev/null || :
  pw_warn "prune: cannot record usage in $1/.prewarm-usage"
  return 0
}

# Trim protocol thresholds, shared with pw_lease_take and pkg/cache.
PW_PRUNE_LOCK_MINUTES=60
PW_PRUNE_LEASE_MINUTES=120

# pw_prune_store_lru ROOT: the stores named by use records, least recently
# used first, one per line. Names must be plain top-level directory names.
pw_prune_store_lru() {
  local names n st s seen order
  [ -d "$1/.prewarm/used" ] || return 0
  names=$(cd "$1/.prewarm/used" && ls -t) || return 0
  seen=' '
  order=
  while IFS= read -r n; do
    case $n in '' | .* | *[!0-9a-f]*) continue ;; esac
    st=$(sed -n 's/^stores=//p' "$1/.prewarm/used/$n" 2>/dev/null | head -n 1) || st=
    for s in $st; do
      case $s in
        '' | .* | snapshots | *[!A-Za-z0-9._-]*) continue ;;
      esac
      case $seen in *" $s "*) continue ;; esac
      seen="$seen$s "
      order="$s
$order"
    done
  done <<EOF
$names
EOF
  printf '%s' "$order"
}

# pw_prune_lock ROOT: takes ROOT/.prewarm/lock (mkdir); a lock older than
# PW_PRUNE_LOCK_MINUTES is a crashed trimmer's and is replaced.
pw_prune_lock() {
  local l
  l=$1/.prewarm/lock
  mkdir -p "$1/.prewarm" 2>/dev/null || return 1
  if ! mkdir "$l" 2>/dev/null; then
    [ -n "$(find "$l" -maxdepth 0 -mmin "+$PW_PRUNE_LOCK_MINUTES" 2>/dev/null)" ] || return 1
    pw_log "prune: removing the stale lock $l ($(cat "$l/owner" 2>/dev/null))"
    rm -rf "$l" 2>/dev/null || return 1
    mkdir "$l" 2>/dev/null || return 1
  fi
  printf 'prewarm-prune %s pid %s\n' "$(uname -n 2>/dev/null)" "$$" >"$l/owner" 2>/dev/null || :
  return 0
}

# pw_prune_leases ROOT: removes stale leases; prints the live ones.
pw_prune_leases() {
  local f
  for f in "$1"/.prewarm/leases/*; do
    [ -f "$f" ] || continue
    case ${f##*/} in .tmp-*) continue ;; esac
    if [ -n "$(find "$f" -maxdepth 0 -mmin "+$PW_PRUNE_LEASE_MINUTES" 2>/dev/null)" ]; then
      rm -f "$f" 2>/dev/null && pw_log "prune: removed the stale lease ${f##*/}"
      continue
    fi
    printf '%s\n' "${f##*/}"
  done
}

# pw_prune_record_budget ROOT BUDGET: writes .prewarm/budget (atomically)
# unless it already says BUDGET; 0 when it wrote it.
pw_prune_record_budget() {
  local t
  [ "$(cat "$1/.prewarm/budget" 2>/dev/null)" != "$2" ] || return 1
  mkdir -p "$1/.prewarm" 2>/dev/null || return 1
  t=$1/.prewarm/.tmp-budget-$$
  if printf '%s\n' "$2" >"$t" 2>/dev/null && mv -f "$t" "$1/.prewarm/budget" 2>/dev/null; then
    return 0
  fi
  rm -f "$t" 2>/dev/null || :
  return 1
}

# pw_prune_cacache_units DIR: the entries of an npm cache (DIR/_cacache,
# cacache's layout), "BYTES PATH" per line in the order they may go. npm
# reads a cached response through its index entry (index-v5/<bucket>, JSON
# lines naming the content by "integrity") and fails on an index entry
# whose content file is gone, so an entry is an index bucket, removed
# first, and then each content file (content-v2/<algo>/<hex of the
# digest>) no remaining bucket names. Files outside index-v5 and
# content-v2 (tmp/) go first, then content no bucket names;
# then the buckets, oldest mtime first (npm rewrites a bucket whenever it
# stores the response again). Other names under DIR (_logs, _npx/<hash>)
# are entries of their own, whole, by mtime.
pw_prune_cacache_units() {
  local c
  c=$1/_cacache
  # names cacache does not index (tmp/, strays), oldest first
  find "$c" -xdev -mindepth 1 \( -path "$c/index-v5" -o -path "$c/content-v2" -o -name '.tmp-*' \) -prune -o \( -type f -o -type l \) -exec stat -c '%Y %b %B %n' {} + 2>/dev/null |
    awk '{ n = substr($0, length($1) + length($2) + length($3) + 4); print $1, $2 * $3, n }' | sort -n -k 1,1 | cut -d ' ' -f 2-
  {
    # (absent directories are fine: set -e must not end the group)
    find "$c/index-v5" -xdev -type f ! -name '.tmp-*' -exec stat -c 'B %Y %b %B %n' {} + 2>/dev/null || :
    find "$c/content-v2" -xdev -type f ! -name '.tmp-*' -exec stat -c 'C %Y %b %B %n' {} + 2>/dev/null || :
  } | sort -n -k 2,2 | awk -v content="$c/content-v2" '
    BEGIN {
      b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
      for (i = 0; i < 64; i++) val[substr(b64, i + 1, 1)] = i
      hx = "0123456789abcdef"
      # powers of two without ^ (busybox awk may lack math support)
      p2[0] = 1
      for (i = 1; i < 8; i++) p2[i] = p2[i - 1] * 2
    }
    function tohex(s,   o, i, c, acc, bits, byte, p) {
      o = ""; acc = 0; bits = 0
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (!(c in val)) break
        acc = acc * 64 + val[c]; bits += 6
        if (bits >= 8) {
          bits -= 8; p = p2[bits]
          byte = int(acc / p); acc -= byte * p
          o = o substr(hx, int(byte / 16) + 1, 1) substr(hx, byte % 16 + 1, 1)
        }
      }
      return o
    }
    # input: oldest first
    {
      path = substr($0, length($1) + length($2) + length($3) + length($4) + 5)
      bytes = $3 * $4
      if ($1 == "C") { nc++; cpath[nc] = path; csize[path] = bytes; next }
      nb++; bpath[nb] = path; bsize[nb] = bytes; refs[nb] = " "
      while ((getline line < path) > 0) {
        if (!match(line, /"integrity":"[^"]*"/)) continue
        integ = substr(line, RSTART + 13, RLENGTH - 14)
        sub(/ .*/, "", integ); sub(/\?.*/, "", integ)
        algo = integ; sub(/-.*/, "", algo)
        h = tohex(substr(integ, length(algo) + 2))
        if (length(h) < 5) continue
        cp = content "/" algo "/" substr(h, 1, 2) "/" substr(h, 3, 2) "/" substr(h, 5)
        if (index(refs[nb], " " cp " ") == 0) { refs[nb] = refs[nb] cp " "; count[cp]++ }
      }
      close(path)
    }
    END {
      for (i = 1; i <= nc; i++) if (!(cpath[i] in count)) print csize[cpath[i]], cpath[i]
      for (i = 1; i <= nb; i++) {
        print bsize[i], bpath[i]
        m = split(refs[i], r, " ")
        for (j = 1; j <= m; j++) if (--count[r[j]] == 0 && (r[j] in csize)) print csize[r[j]], r[j]
      }
    }'
  # the rest of the npm cache, each top-level name whole
  find "$1" -xdev -mindepth 1 -maxdepth 1 ! -name _cacache ! -name '.tmp-*' -exec stat -c '%Y %n' {} + 2>/dev/null |
    sort -n -k 1,1 | cut -d ' ' -f 2- | while IFS= read -r p; do
      printf '%s %s\n' "$(pw_prune_bytes "$p")" "$p"
    done
}

# pw_prune_units ROOT STORE FILE: writes the entries of store STORE to
# FILE, one "BYTES PATH" line each, oldest mtime first (see the header for
# what an entry is). BYTES are allocated blocks, as du counts them.
pw_prune_units() {
  local d
  d=$1/$2
  case $2 in
    pnpm-store | uv | yarn | poetry)
      printf '%s %s\n' "$(pw_prune_bytes "$d")" "$d" >"$3"
      return 0
      ;;
  esac
  if [ -d "$d/_cacache" ]; then
    pw_prune_cacache_units "$d" >"$3"
    return 0
  fi
  {
    if [ "$2" = mod ]; then
      # extracted modules, whole
      find "$d" -xdev -mindepth 1 \( -path "$d/cache" -o -name '.tmp-*' \) -prune -o -type d -name '*@*' -prune -print 2>/dev/null |
        while IFS= read -r m; do
          printf '%s %s %s\n' "$(stat -c %Y "$m" 2>/dev/null || echo 0)" "$(pw_prune_bytes "$m")" "$m"
        done
      find "$d" -xdev -mindepth 1 \( -name '.tmp-*' -o \( -type d -name '*@*' ! -path "$d/cache/*" \) \) -prune -o \( -type f -o -type l \) -exec stat -c '%Y %b %B %n' {} + 2>/dev/null |
        awk '{ n = substr($0, length($1) + length($2) + length($3) + 4); print $1, $2 * $3, n }'
    else
      # FILE and FILE.body are one entry (pip's http-v2 cache keeps a
      # response's body apart; its metadata without the body would read
      # as an empty response): FILE's mtime, both sizes
      find "$d" -xdev -mindepth 1 -name '.tmp-*' -prune -o \( -type f -o -type l \) -exec stat -c '%Y %b %B %n' {} + 2>/dev/null |
        awk '{ n = substr($0, length($1) + length($2) + length($3) + 4); k++; name[k] = n; mt[n] = $1; sz[n] = $2 * $3 }
          END {
            for (i = 1; i <= k; i++) {
              n = name[i]
              if (n ~ /\.body$/ && (substr(n, 1, length(n) - 5) in mt)) continue
              b = sz[n]
              if ((n ".body") in sz) b += sz[n ".body"]
              print mt[n], b, n
            }
          }'
    fi
  } | sort -n -k 1,1 | cut -d ' ' -f 2- >"$3"
}

# pw_prune_unit PATH: removes one store entry (a file with its FILE.body,
# the file first); 0 when it is gone. A
# directory (an extracted module, a whole store) is renamed to a
# .tmp-trash-* name beside it first (atomic), then deleted; a file in a
# read-only directory (GOMODCACHE) gets its directory made writable.
pw_prune_unit() {
  local p t
  p=$1
  if [ -d "$p" ] && [ ! -L "$p" ]; then
    t=${p%/*}/.tmp-trash-${p##*/}-$$
    chmod u+w "${p%/*}" 2>/dev/null || :
    mv "$p" "$t" 2>/dev/null || return 1
    chmod -R u+w "$t" 2>/dev/null || :
    rm -rf "$t" 2>/dev/null || pw_warn "prune: cannot remove all of $t; the next run removes it"
    return 0
  fi
  rm -f "$p" 2>/dev/null || { chmod u+w "${p%/*}" 2>/dev/null && rm -f "$p" 2>/dev/null; } || :
  [ ! -e "$p" ] && [ ! -L "$p" ] || return 1
  # the body of a pip http-v2 response goes after its metadata
  case $p in *.body) ;; *) rm -f "$p.body" 2>/dev/null || : ;; esac
  return 0
}

pw_prune() {
  local root budget before cur after removed failed temps key size f entries snapdir stores trimmed order live line units n gone b p
  root=$(pw_prune_root) || exit 1
  budget=$(pw_prune_budget) || exit 1
  failed=0
  # The usage file exists before the volume is measured, so its own block
  # is in every count (a first run records a placeholder readers skip).
  [ -e "$root/.prewarm-usage" ] || pw_prune_record "$root" "prewarm: prune first run in progress"
  before=$(pw_prune_bytes "$root")

  temps=$(pw_prune_temps "$root") || temps=failed
  if printf '%s\n' "$temps" | grep -q '^failed$'; then failed=1; fi
  temps=$(printf '%s\n' "$temps" | grep -c '^removed$') || :
  if [ "$temps" -gt 0 ]; then pw_log "prune: removed $temps stale temporaries"; fi

  removed=0
  # du walks the whole volume (a Go module cache holds millions of files):
  # measure again only when something was removed.
  cur=$before
  if [ "$temps" -gt 0 ]; then cur=$(pw_prune_bytes "$root"); fi
  snapdir=$root/snapshots
  if [ "$cur" -gt "$budget" ]; then
    while IFS= read -r key <&4; do
      [ -n "$key" ] || continue
      [ "$cur" -gt "$budget" ] || break
      entries=$(pw_prune_entries "$snapdir" "$key")
      [ -n "$entries" ] || continue
      size=0
      while IFS= read -r f; do
        size=$((size + $(pw_prune_bytes "$f")))
      done <<EOF
$entries
EOF
      # all files of the snapshot in one go, the data file first
      while IFS= read -r f; do
        rm -rf "$f" 2>/dev/null || :
      done <<EOF
$entries
EOF
      if [ -z "$(pw_prune_entries "$snapdir" "$key")" ]; then
        removed=$((removed + 1))
        cur=$((cur - size))
        pw_log "prune: removed snapshot $key ($size bytes)"
      else
        failed=1
        pw_warn "prune: cannot remove every file of snapshot $key in $snapdir"
      fi
    done 4<<EOF
$(pw_prune_lru "$snapdir")
EOF
  fi

  stores=0
  trimmed=0
  order=
  if [ "$cur" -gt "$budget" ]; then order=$(pw_prune_store_lru "$root"); fi
  if [ -n "$order" ]; then
    if ! pw_prune_lock "$root"; then
      pw_warn "prune: $root/.prewarm/lock is held ($(cat "$root/.prewarm/lock/owner" 2>/dev/null || echo 'unknown owner')); stores are not trimmed this run"
    else
      live=$(pw_prune_leases "$root")
      if [ -n "$live" ]; then
        pw_warn "prune: $(printf '%s\n' "$live" | grep -c .) running setups hold leases on $root ($(printf '%s' "$live" | tr '\n' ' ')); stores are not trimmed this run"
      else
        units=$root/.prewarm/.tmp-units-$$
        while IFS= read -r f <&4; do
          [ -n "$f" ] || continue
          [ "$cur" -gt "$budget" ] || break
          if [ ! -d "$root/$f" ] || [ -L "$root/$f" ]; then continue; fi
          # fresh lock: setups take one older than PW_PRUNE_LOCK_MINUTES for a crash's
          touch "$root/.prewarm/lock" 2>/dev/null || :
          pw_prune_units "$root" "$f" "$units"
          n=0
          gone=0
          while IFS=' ' read -r b p <&5; do
            [ "$cur" -gt "$budget" ] || break
            case $p in "$root/$f" | "$root/$f"/*) ;; *) continue ;; esac
            if pw_prune_unit "$p"; then
              n=$((n + 1))
              gone=$((gone + b))
              cur=$((cur - b))
            else
              failed=1
              pw_warn "prune: cannot remove $p"
            fi
          done 5<"$units"
          rm -f "$units" 2>/dev/null || :
          # directories the trim left empty (the store itself too)
          find "$root/$f" -xdev -depth -type d -empty -exec rmdir {} \; 2>/dev/null || :
          if [ "$n" -gt 0 ]; then
            stores=$((stores + 1))
            trimmed=$((trimmed + n))
            pw_log "prune: trimmed store $f: removed $n entries, $gone bytes, oldest first"
          fi
        done 4<<EOF
$order
EOF
      fi
      rm -rf "$root/.prewarm/lock" 2>/dev/null || :
    fi
  fi

  after=$cur
  if pw_prune_record_budget "$root" "$budget" || [ "$removed" -gt 0 ] || [ "$stores" -gt 0 ]; then
    after=$(pw_prune_bytes "$root")
  fi
  if [ "$after" -gt "$budget" ]; then
    pw_warn "prune: $root still uses $after bytes, over the budget of $budget bytes, with $(pw_prune_lru "$snapdir" | grep -c .) snapshots left; the remaining stores need a bigger volume or budget"
  fi
  line=$(printf 'prewarm: prune cache=%s before=%s after=%s removed=%s budget=%s stores=%s entries=%s' \
    "$(pw_strip_slash "$PREWARM_CACHE")" "$before" "$after" "$removed" "$budget" "$stores" "$trimmed")
  printf '%s\n' "$line"
  pw_prune_record "$root" "$line"
  [ "$failed" -eq 0 ] || exit 1
}

pw_prune
{{- end -}}
