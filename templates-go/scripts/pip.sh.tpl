{{- /*
prewarm.script.pip: creates <workdir>/.venv and installs the locked
dependencies into it: requirements.txt with pip (--require-hashes when the
file carries hashes), uv.lock with `uv sync --locked`, poetry.lock with
`poetry install --no-root`. The tool's cache is on the volume; the venv
itself is kept as an install snapshot under $PREWARM_CACHE/snapshots.

A venv is not relocatable: it records the interpreter's path and its own.
The key therefore includes the base interpreter's path and the venv's
absolute path, and the agent image needs the same interpreter at the same
path (the script warns about it).

readOnly, or a volume that does not take writes: the tool cache is per pod
(pip would silently disable a read-only cache, uv fails on one); snapshots
are still restored but never published.
*/ -}}
{{- define "prewarm.script.pip" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}

pw_init pip
PW_PIP_FAILED=
if pw_cache_writable; then
  : "${PIP_CACHE_DIR:=$PREWARM_CACHE/store}"
  : "${UV_CACHE_DIR:=$PREWARM_CACHE/uv}"
  : "${POETRY_CACHE_DIR:=$PREWARM_CACHE/poetry}"
else
  [ "$PREWARM_CACHE_MODE" = readWrite ] && PW_PIP_FAILED=1
  if [ -z "${PIP_CACHE_DIR-}" ] || pw_under_cache "$PIP_CACHE_DIR"; then
    PIP_CACHE_DIR=$(pw_pod_cache store)
  fi
  if [ -z "${UV_CACHE_DIR-}" ] || pw_under_cache "$UV_CACHE_DIR"; then
    UV_CACHE_DIR=$(pw_pod_cache uv)
  fi
  if [ -z "${POETRY_CACHE_DIR-}" ] || pw_under_cache "$POETRY_CACHE_DIR"; then
    POETRY_CACHE_DIR=$(pw_pod_cache poetry)
  fi
fi
: "${PIP_DISABLE_PIP_VERSION_CHECK:=1}"
# The cache and the venv are on different volumes: uv must copy.
: "${UV_LINK_MODE:=copy}"
: "${POETRY_VIRTUALENVS_IN_PROJECT:=true}"
export PIP_CACHE_DIR UV_CACHE_DIR POETRY_CACHE_DIR PIP_DISABLE_PIP_VERSION_CHECK UV_LINK_MODE POETRY_VIRTUALENVS_IN_PROJECT

# The base interpreter, resolved once: later workdirs may find an earlier
# workdir's .venv/bin first on PATH.
PW_PY=${PREWARM_PYTHON:-}
if [ -z "$PW_PY" ]; then
  if pw_has python3; then
    PW_PY=python3
  elif pw_has python; then
    PW_PY=python
  else
    pw_die "no python3 or python in this image"
  fi
fi
PW_PY_INFO=$("$PW_PY" -c 'import platform, sys
base = getattr(sys, "_base_executable", None) or sys.executable
print(base)
print(platform.python_implementation(), platform.python_version(), sys.implementation.cache_tag)') ||
  pw_die "$PW_PY does not run"
PW_PY=$(printf '%s\n' "$PW_PY_INFO" | sed -n 1p)
PW_PY_VERSION=$(printf '%s\n' "$PW_PY_INFO" | sed -n 2p)
pw_warn "a venv is not relocatable: the agent image needs the same interpreter at the same path ($PW_PY, $PW_PY_VERSION)"

# pw_pip_mark_used REPORT: sets the mtime of the pip HTTP cache entries of
# the distributions an install report (`pip install --report`, pip >=
# 22.2) lists to now, so the pruner (oldest mtime first) dates them by
# their last use: pip serves a cached wheel (immutable, max-age) without a
# request and never rewrites its entry. An entry is
# $PIP_CACHE_DIR/http-v2/<h0>/<h1>/<h2>/<h3>/<h4>/<h> and <h>.body (pip >=
# 23.3; before: http/..., no .body), h = sha224 of the request URL as
# cachecontrol normalizes it (no fragment; scheme and host in lower case;
# an empty path is "/"); the URL is the report's download_info.url, quoted
# as requests quotes it. Index pages are not marked: pip asks for them
# again on every install (max-age=0) and rewrites their entry itself. Wheels pip builds from sdists (wheels/)
# are not marked. One python process; never fails the setup.
pw_pip_mark_used() {
  .venv/bin/python -c 'import hashlib, json, os, re, sys, urllib.parse
cache, report = sys.argv[1], sys.argv[2]
for item in json.load(open(report)).get("install", []):
    try:
        # quoted as requests sends it (requote_uri: its safe characters)
        url = urllib.parse.quote(item["download_info"]["url"], safe="!#$%&\x27()*+,/:;=?@[]~")
        # RFC 3986 appendix B, as cachecontrol parses it
        m = re.match(r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?", url)
        if not m.group(2) or not m.group(4):
            continue
        key = m.group(2).lower() + "://" + m.group(4).lower() + (m.group(5) or "/") + ("?" + m.group(7) if m.group(7) else "")
        h = hashlib.sha224(key.encode()).hexdigest()
        for d in ("http-v2", "http"):
            for f in (h, h + ".body"):
                try:
                    os.utime(os.path.join(cache, d, *h[:5], f))
                except OSError:
                    pass
    except Exception:
        pass' "$PIP_CACHE_DIR" "$1" 2>/dev/null || :
  return 0
}

# pw_pip_has_report: the venv's pip (the interpreter's ensurepip one,
# version $1) takes `install --report` (pip >= 22.2).
pw_pip_has_report() {
  local major minor
  major=${1%%.*}
  case $1 in
    *.*) minor=${1#*.} minor=${minor%%.*} ;;
    *) minor=0 ;;
  esac
  case $major in '' | *[!0-9]*) return 1 ;; esac
  case $minor in '' | *[!0-9]*) return 1 ;; esac
  [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 2 ]; }
}

pw_pip_workdir() {
  local tool toolver files f req hashes key rc state result statedir venv report
  venv=$PWD/.venv
  files=
  if [ -f uv.lock ]; then
    tool=uv
    files="uv.lock pyproject.toml"
  elif [ -f poetry.lock ]; then
    tool=poetry
    files="poetry.lock pyproject.toml"
  else
    tool=pip
    for f in requirements*.txt; do
      [ -f "$f" ] && files="$files $f"
    done
    [ -n "$files" ] || pw_die "workdir '$PW_WORKDIR': no requirements*.txt, uv.lock or poetry.lock"
  fi
  case $tool in
    uv | poetry)
      pw_has "$tool" || pw_die "workdir '$PW_WORKDIR' has $tool's lockfile but $tool is not installed in this image"
      ;;
  esac

  # pip: the venv's pip is the interpreter's bundled (ensurepip) one.
  case $tool in
    pip) toolver=$("$PW_PY" -c 'import ensurepip; print(ensurepip.version())' 2>/dev/null) || toolver= ;;
    *) toolver=$("$tool" --version 2>/dev/null | head -n 1) || toolver= ;;
  esac
  # shellcheck disable=SC2086 # $files holds plain file names
  key=$(pw_key "python=$PW_PY_VERSION exe=$PW_PY venv=$venv tool=$tool $toolver args=$*" $files)

  rc=0
  pw_snapshot_restore "$key" .venv || rc=$?
  if [ "$rc" -eq 0 ]; then
    if .venv/bin/python -c '' 2>/dev/null; then
      pw_summary pip "$key" snapshot "tool=$tool"
      pw_record_use "$key"
      return 0
    fi
    pw_warn "the restored venv does not run; installing instead"
    rm -rf .venv
    rc=2
  fi
  result=
  [ "$rc" -eq 2 ] && result=fallback
  [ -n "$PW_PIP_FAILED" ] && result=fallback
  case $tool in
    pip) statedir=$PIP_CACHE_DIR ;;
    uv) statedir=$UV_CACHE_DIR ;;
    poetry) statedir=$POETRY_CACHE_DIR ;;
  esac
  state=$(pw_store_state "$statedir")
  : "${result:=$state}"

  rc=0
  case $tool in
    pip)
      "$PW_PY" -m venv .venv >&2 || pw_die "python -m venv failed in workdir '$PW_WORKDIR' (Debian needs python3-venv)"
      # requirements.txt, else every requirements*.txt through one file;
      # --require-hashes when what is installed carries hashes.
      hashes=
      if [ -f requirements.txt ]; then
        req=requirements.txt
        grep -q -e '--hash[=[:space:]]' requirements.txt && hashes=--require-hashes
      else
        req=$HOME/.tmp-prewarm-requirements-$$.txt
        pw_track "$req"
        for f in $files; do
          printf '%s %s/%s\n' -r "$PWD" "$f"
        done >"$req" || pw_die "cannot write $req"
        # shellcheck disable=SC2086 # $files holds plain file names
        grep -q -e '--hash[=[:space:]]' $files && hashes=--require-hashes
      fi
      # mtime = last use for the store entries this install read (shared
      # store on a writable cache only): the install writes a report
      report=
      if [ "$PW_WRITABLE" = yes ] && pw_under_cache "$PIP_CACHE_DIR" && pw_pip_has_report "$toolver"; then
        report=$HOME/.tmp-prewarm-pip-report-$$.json
        pw_track "$report"
        # pip fails an install whose report it cannot write: never risk it
        : 2>/dev/null >"$report" || report=
      fi
      .venv/bin/python -m pip install -r "$req" ${hashes:+"$hashes"} ${report:+"--report=$report"} "$@" >&2 || rc=$?
      if [ "$rc" -eq 0 ] && [ -n "$report" ] && [ -f "$report" ]; then
        pw_pip_mark_used "$report"
        rm -f "$report"
      fi
      ;;
    uv)
      UV_PYTHON=${UV_PYTHON:-$PW_PY} uv sync --locked "$@" >&2 || rc=$?
      ;;
    poetry)
      poetry env use "$PW_PY" >&2 || :
      poetry install --no-root --no-interaction "$@" >&2 || rc=$?
      ;;
  esac
  [ "$rc" -eq 0 ] || pw_die "$tool install failed (exit $rc) in workdir '$PW_WORKDIR'"

  pw_snapshot_publish "$key" .venv
  pw_summary pip "$key" "$result" "tool=$tool"
  pw_record_use "$key" "$statedir"
}

pw_each_workdir pw_pip_workdir "$@"
{{- end -}}
