{{- /*
prewarm.script.gradle: resolves the dependencies of each workdir into a
per-pod GRADLE_USER_HOME that reads a shared, read-only dependency cache.

Gradle's caches need Gradle processes that talk to each other; pods do not,
so a writable GRADLE_USER_HOME is never shared:
  - GRADLE_USER_HOME (default /workspace/.gradle; a path on the cache volume
    is replaced by it) is per pod, on the workspace volume the agent shares;
  - the shared cache is GRADLE_RO_DEP_CACHE (default $PREWARM_CACHE/ro),
    laid out as $GRADLE_RO_DEP_CACHE/modules-2 (Gradle 6.2 and later read it
    without locks; misses go to the per-pod home);
  - only with PREWARM_CACHE_MODE=readWrite (the single trusted warmer job):
    the per-pod home is seeded with a copy of modules-2, Gradle runs
    without GRADLE_RO_DEP_CACHE, and when it added files its
    caches/modules-2 is published, without *.lock and gc.properties, as a
    new generation of $GRADLE_RO_DEP_CACHE/modules-2 (see
    prewarm.scriptpart.trees): readers see the old tree or the new one.
Gradle before 6.2 has no read-only cache: readers copy modules-2 into their
home instead.

PREWARM_GRADLE_PROPERTIES (a gradle.properties from a Secret) is linked as
$GRADLE_USER_HOME/gradle.properties.

The build runs as ./gradlew when the workdir has one, else gradle, always
with --no-daemon. What it runs:
  PREWARM_GRADLE_TASKS set: those tasks (split on blanks), then "$@";
  Gradle 6.2+: --write-verification-metadata sha256 help --dry-run "$@"
    (resolves and downloads every resolvable configuration, plugins and
    buildSrc included; the verification-metadata.dryrun.xml it writes is
    removed again unless it was there before);
  older Gradle: an init script's prewarmResolve task that resolves every
    resolvable configuration of every project, then "$@". (`gradle
    dependencies` is not enough: it resolves metadata, not the jars.)

result: cold, warm, or fallback (the shared cache was unreadable or could
not be copied, or readWrite without a writable cache). Extra fields: mode,
gradle (version), fetched (files added under modules-2/files-2.1),
published (yes, no, unchanged, readOnly).
*/ -}}
{{- define "prewarm.script.gradle" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}
{{ template "prewarm.scriptpart.trees" . }}

pw_init gradle
case ${GRADLE_USER_HOME-} in
  '') GRADLE_USER_HOME=/workspace/.gradle ;;
esac
if pw_under_cache "$GRADLE_USER_HOME"; then
  pw_warn "GRADLE_USER_HOME=$GRADLE_USER_HOME is on the shared cache; Gradle homes cannot be shared between pods, so this pod uses /workspace/.gradle"
  GRADLE_USER_HOME=/workspace/.gradle
fi
PW_GRADLE_RO=${GRADLE_RO_DEP_CACHE:-$PREWARM_CACHE/ro}
PW_GRADLE_RO=$(pw_strip_slash "$PW_GRADLE_RO")
PW_GRADLE_MODULES=$GRADLE_USER_HOME/caches/modules-2
mkdir -p "$GRADLE_USER_HOME" || pw_die "cannot create GRADLE_USER_HOME=$GRADLE_USER_HOME"
export GRADLE_USER_HOME
# Repository credentials from a Secret (ORG_GRADLE_PROJECT_* style
# properties): Gradle reads $GRADLE_USER_HOME/gradle.properties. A link, so
# the secret is not copied onto the workspace volume.
if [ -n "${PREWARM_GRADLE_PROPERTIES-}" ]; then
  [ -r "$PREWARM_GRADLE_PROPERTIES" ] || pw_die "PREWARM_GRADLE_PROPERTIES=$PREWARM_GRADLE_PROPERTIES is not a readable file (is the registry Secret mounted?)"
  ln -sf "$PREWARM_GRADLE_PROPERTIES" "$GRADLE_USER_HOME/gradle.properties" || pw_die "cannot link $GRADLE_USER_HOME/gradle.properties"
fi
unset GRADLE_RO_DEP_CACHE
PW_GRADLE_SEEDED=
PW_GRADLE_FAILED=
[ "$PREWARM_CACHE_MODE" = readWrite ] && ! pw_cache_writable && PW_GRADLE_FAILED=1

pw_gradle() {
  if [ -f ./gradlew ]; then
    if [ -x ./gradlew ]; then
      ./gradlew "$@"
    else
      sh ./gradlew "$@"
    fi
  else
    gradle "$@"
  fi
}

# pw_gradle_version sets PW_GRADLE_VERSION (e.g. 8.10.2) from --version.
pw_gradle_version() {
  local out
  out=$(pw_gradle --no-daemon --version 2>&1) || pw_die "gradle --version failed in workdir '$PW_WORKDIR': $(printf '%s\n' "$out" | tail -n 5)"
  PW_GRADLE_VERSION=$(printf '%s\n' "$out" | sed -n 's/^Gradle \([0-9][0-9.]*[^ ]*\).*/\1/p' | head -n 1)
  [ -n "$PW_GRADLE_VERSION" ] || pw_die "cannot read the Gradle version in workdir '$PW_WORKDIR': $(printf '%s\n' "$out" | tail -n 3)"
}

# pw_gradle_at_least MAJOR MINOR
pw_gradle_at_least() {
  local major rest minor
  major=${PW_GRADLE_VERSION%%.*}
  case $PW_GRADLE_VERSION in
    *.*) rest=${PW_GRADLE_VERSION#*.} ;;
    *) rest=0 ;;
  esac
  minor=${rest%%[!0-9]*}
  case $major in '' | *[!0-9]*) return 1 ;; esac
  case $minor in '' | *[!0-9]*) minor=0 ;; esac
  [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# pw_gradle_key TOOLCHAIN: the key over the build scripts, version catalog,
# wrapper properties, lockfiles and verification metadata of the workdir.
pw_gradle_key() {
  local tool f list
  tool=$1
  list=$(find . \( -name .git -o -name .gradle -o -name build -o -name node_modules \) -prune -o -type f \
    \( -name '*.gradle' -o -name '*.gradle.kts' -o -name '*.lockfile' -o -path ./gradle/libs.versions.toml \
    -o -path ./gradle/wrapper/gradle-wrapper.properties -o -path ./gradle/verification-metadata.xml \) \
    -print | LC_ALL=C sort)
  set --
  while IFS= read -r f; do
    [ -n "$f" ] && set -- "$@" "$f"
  done <<EOF
$list
EOF
  pw_key "$tool" "$@"
}

pw_gradle_count() {
  find "$PW_GRADLE_MODULES/files-2.1" -type f 2>/dev/null | wc -l | tr -d ' '
}

# pw_gradle_ro_state: cold, warm or fallback (unreadable, warned).
pw_gradle_ro_state() {
  if [ ! -e "$PW_GRADLE_RO/modules-2" ]; then
    echo cold
  elif [ ! -d "$PW_GRADLE_RO/modules-2" ] || [ ! -r "$PW_GRADLE_RO/modules-2" ] || [ ! -x "$PW_GRADLE_RO/modules-2" ]; then
    pw_warn "shared dependency cache $PW_GRADLE_RO/modules-2 is not a readable directory; resolving cold"
    echo fallback
  else
    pw_store_state "$PW_GRADLE_RO/modules-2"
  fi
}

# pw_gradle_seed: copies the shared modules-2 into the per-pod home, once
# per pod (the writer, and readers of Gradle before 6.2).
pw_gradle_seed() {
  [ -z "$PW_GRADLE_SEEDED" ] || return 0
  PW_GRADLE_SEEDED=1
  PW_GRADLE_SEED_STATE=$(pw_gradle_ro_state)
  [ "$PW_GRADLE_SEED_STATE" = warm ] || return 0
  if pwt_copy "$PW_GRADLE_RO/modules-2/" "$PW_GRADLE_MODULES"; then
    pw_log "copied $PW_GRADLE_RO/modules-2 into $PW_GRADLE_MODULES ($(pw_gradle_count) files)"
  else
    pw_warn "copying $PW_GRADLE_RO/modules-2 into $PW_GRADLE_MODULES failed; resolving cold"
    rm -rf "$PW_GRADLE_MODULES"
    PW_GRADLE_SEED_STATE=fallback
  fi
}

# pw_gradle_filter DIR: Gradle's read-only cache must not hold lock files
# or gc.properties.
pw_gradle_filter() {
  find "$1" -type f \( -name '*.lock' -o -name gc.properties \) -exec rm -f {} + 2>/dev/null || :
}

# pw_gradle_init_script prints the path of the init script that resolves
# every resolvable configuration (Gradle before 6.2).
pw_gradle_init_script() {
  local f
  f="$(pw_pod_cache init)/prewarm-resolve.gradle"
  cat >"$f" <<'EOF'
// prewarm: resolve (and download) every resolvable configuration.
allprojects {
    task prewarmResolve {
        doLast {
            project.configurations.each { c ->
                if (!c.hasProperty('canBeResolved') || c.canBeResolved) {
                    c.resolve()
                }
            }
        }
    }
}
EOF
  printf '%s\n' "$f"
}

pw_gradle_workdir() {
  local key state before after fetched published dryrun had_dryrun had_dir rc
  if [ ! -f ./gradlew ]; then
    pw_has gradle || pw_die "gradle is not installed in this image and workdir '$PW_WORKDIR' has no ./gradlew"
  fi
  pw_gradle_version
  key=$(pw_gradle_key "gradle=$PW_GRADLE_VERSION tasks=${PREWARM_GRADLE_TASKS-} args=$*")

  published=readOnly
  unset GRADLE_RO_DEP_CACHE
  if pw_cache_writable; then
    pw_gradle_seed
    state=$PW_GRADLE_SEED_STATE
    published=unchanged
  elif pw_gradle_at_least 6 2; then
    state=$(pw_gradle_ro_state)
    if [ "$state" = warm ]; then
      GRADLE_RO_DEP_CACHE=$PW_GRADLE_RO
      export GRADLE_RO_DEP_CACHE
    fi
  else
    pw_gradle_seed
    state=$PW_GRADLE_SEED_STATE
  fi
  [ -n "$PW_GRADLE_FAILED" ] && state=fallback

  dryrun=gradle/verification-metadata.dryrun.xml
  had_dryrun=
  had_dir=
  [ -e "$dryrun" ] && had_dryrun=1
  [ -d gradle ] && had_dir=1
  if [ -n "${PREWARM_GRADLE_TASKS-}" ]; then
    set -f
    # shellcheck disable=SC2086 # splitting PREWARM_GRADLE_TASKS is intended
    set -- $PREWARM_GRADLE_TASKS "$@"
    set +f
  elif pw_gradle_at_least 6 2; then
    set -- --write-verification-metadata sha256 help --dry-run "$@"
  else
    set -- --init-script "$(pw_gradle_init_script)" prewarmResolve "$@"
  fi

  before=$(pw_gradle_count)
  rc=0
  pw_gradle --no-daemon "$@" >&2 || rc=$?
  if [ -z "$had_dryrun" ]; then
    rm -f "$dryrun"
    [ -n "$had_dir" ] || rmdir gradle 2>/dev/null || :
  fi
  [ "$rc" -eq 0 ] || pw_die "gradle failed (exit $rc) in workdir '$PW_WORKDIR'"
  after=$(pw_gradle_count)
  fetched=$((after - before))
  [ "$fetched" -ge 0 ] || fetched=0

  if [ "$published" = unchanged ] && [ "$fetched" -gt 0 ]; then
    mkdir -p "$PW_GRADLE_RO" 2>/dev/null || :
    if pwt_publish "$PW_GRADLE_MODULES" "$PW_GRADLE_RO/modules-2" pw_gradle_filter; then
      published=yes
    else
      published=no
    fi
  fi
  pw_summary gradle "$key" "$state" "mode=$PREWARM_CACHE_MODE" "gradle=$PW_GRADLE_VERSION" "fetched=$fetched" "published=$published"
}

pw_each_workdir pw_gradle_workdir "$@"
{{- end -}}
