{{- /*
prewarm.script.maven: warms the local repository of each workdir by running
the lifecycle phase the agent will run (dependency:go-offline misses plugin
dependencies): mvn -B -ntp -Dstyle.color=never -Duser.home=$HOME \
  -Dmaven.repo.local=... $PREWARM_MAVEN_GOALS "$@"
PREWARM_MAVEN_GOALS (default "-DskipTests test-compile") is split on blanks;
the user's extra args ("$@") follow it unchanged. ./mvnw is used when the
workdir has one, else mvn. PREWARM_MAVEN_SETTINGS names a settings.xml (from
a Secret) passed with -s.

Maven's default lock works inside one JVM only, so pods never write one
shared repository together. The shared repository is
$PREWARM_CACHE/repository; the per-pod one is PREWARM_MAVEN_REPO_LOCAL
(default $HOME/.m2/repository, Maven's own default for -Duser.home=$HOME,
so the agent finds it without flags).

Maven 3.9 and later:
  readOnly   per-pod head repository plus -Dmaven.repo.local.tail=<shared>:
             reads fall through to the shared tree, all writes go to the
             head.
  readWrite  (the single trusted warmer) writes <shared> directly with
             -Daether.syncContext.named.factory=file-lock
             -Daether.syncContext.named.nameMapper=file-gav; the resolver
             writes each file to a temp name and renames it.
Maven before 3.9 (no tail, no named locks):
  readOnly   the per-pod repository is seeded by copying the shared tree
             (tar to tar). Hard links are not used: the resolver rewrites
             _remote.repositories and maven-metadata files in place, which
             through a link would change the shared copy; in a pod the
             cache volume and the workspace are different file systems
             anyway. The copy costs time and space per pod: prefer a 3.9+
             image.
  readWrite  the same seeded per-pod repository; when the run added
             artifacts, it is published back as a new generation of
             <shared> (see prewarm.scriptpart.trees), without
             *.lastUpdated, *.part, *.lock and .locks.

A build that does not compile does not fail the step (build=failed): the
agent may be there to fix it, and what was resolved before the compiler ran
stays cached. Any other mvn failure fails it.

result: cold, warm, or fallback (the shared repository was unreadable or
could not be copied, or readWrite without a writable cache). Extra fields:
mode, maven (version), fetched (jar and pom files added by the run), build,
published (yes, no, unchanged, readOnly).
*/ -}}
{{- define "prewarm.script.maven" -}}
#!/bin/sh
{{ template "prewarm.script.lib" . }}
{{ template "prewarm.scriptpart.trees" . }}

pw_init maven
: "${PREWARM_MAVEN_GOALS:=-DskipTests test-compile}"
PW_MAVEN_SHARED=$PREWARM_CACHE/repository
PW_MAVEN_LOCAL=${PREWARM_MAVEN_REPO_LOCAL:-$HOME/.m2/repository}
case $PW_MAVEN_LOCAL in /*) ;; *) pw_die "PREWARM_MAVEN_REPO_LOCAL must be an absolute path, not '$PW_MAVEN_LOCAL'" ;; esac
if pw_under_cache "$PW_MAVEN_LOCAL"; then
  pw_warn "PREWARM_MAVEN_REPO_LOCAL=$PW_MAVEN_LOCAL is on the shared cache; this pod uses $HOME/.m2/repository"
  PW_MAVEN_LOCAL=$HOME/.m2/repository
fi
if [ -n "${PREWARM_MAVEN_SETTINGS-}" ] && [ ! -r "$PREWARM_MAVEN_SETTINGS" ]; then
  pw_die "PREWARM_MAVEN_SETTINGS=$PREWARM_MAVEN_SETTINGS is not a readable file (is the registry Secret mounted?)"
fi
# The maven image sets MAVEN_CONFIG=/root/.m2, which mvnw passes as an
# argument; a path there is never a Maven option.
case ${MAVEN_CONFIG-} in
  /*) MAVEN_CONFIG= ;;
esac
export MAVEN_CONFIG
PW_MAVEN_SEEDED=
PW_MAVEN_FAILED=
[ "$PREWARM_CACHE_MODE" = readWrite ] && ! pw_cache_writable && PW_MAVEN_FAILED=1

pw_mvn() {
  if [ -f ./mvnw ]; then
    if [ -x ./mvnw ]; then
      ./mvnw "$@"
    else
      sh ./mvnw "$@"
    fi
  else
    mvn "$@"
  fi
}

# pw_maven_version sets PW_MVN_LINE (the first line of mvn -v), PW_MVN_VERSION
# and PW_MVN_JAVA; colour codes are removed.
pw_maven_version() {
  local out
  out=$(pw_mvn -B -v 2>&1) || pw_die "mvn -v failed in workdir '$PW_WORKDIR': $(printf '%s\n' "$out" | tail -n 5)"
  out=$(printf '%s\n' "$out" | tr -d '\033' | sed 's/\[[0-9;]*m//g')
  PW_MVN_LINE=$(printf '%s\n' "$out" | grep '^Apache Maven ' | head -n 1) || PW_MVN_LINE=
  PW_MVN_VERSION=$(printf '%s\n' "$PW_MVN_LINE" | sed -n 's/^Apache Maven \([0-9][0-9.]*\).*/\1/p')
  PW_MVN_JAVA=$(printf '%s\n' "$out" | sed -n 's/^Java version: \([^,]*\).*/\1/p' | head -n 1)
  [ -n "$PW_MVN_VERSION" ] || pw_die "cannot read the Maven version from mvn -v in workdir '$PW_WORKDIR': $(printf '%s\n' "$out" | head -n 3)"
}

# pw_maven_has_tail: 0 for Maven 3.9 and later (maven.repo.local.tail and
# the named file locks).
pw_maven_has_tail() {
  local major rest minor
  major=${PW_MVN_VERSION%%.*}
  case $PW_MVN_VERSION in
    *.*) rest=${PW_MVN_VERSION#*.} ;;
    *) rest=0 ;;
  esac
  minor=${rest%%.*}
  case $major$minor in '' | *[!0-9]*) return 1 ;; esac
  [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 9 ]; }
}

# pw_maven_key TOOLCHAIN: the key over every pom.xml below the workdir and
# the .mvn files that change resolution.
pw_maven_key() {
  local tool f list
  tool=$1
  list=$(find . \( -name .git -o -name target -o -name node_modules \) -prune -o -type f \
    \( -name pom.xml -o -path ./.mvn/extensions.xml -o -path ./.mvn/maven.config -o -path ./.mvn/wrapper/maven-wrapper.properties \) \
    -print | LC_ALL=C sort)
  set --
  while IFS= read -r f; do
    [ -n "$f" ] && set -- "$@" "$f"
  done <<EOF
$list
EOF
  pw_key "$tool" "$@"
}

# pw_maven_count DIR: jar and pom files under DIR (a symlinked DIR is
# followed).
pw_maven_count() {
  [ -d "$1" ] || {
    echo 0
    return 0
  }
  find "$1/" -type f \( -name '*.jar' -o -name '*.pom' \) 2>/dev/null | wc -l | tr -d ' '
}

# pw_maven_shared_state: cold, warm or fallback (unreadable, warned).
pw_maven_shared_state() {
  if [ ! -e "$PW_MAVEN_SHARED" ]; then
    echo cold
  elif [ ! -d "$PW_MAVEN_SHARED" ] || [ ! -r "$PW_MAVEN_SHARED" ] || [ ! -x "$PW_MAVEN_SHARED" ]; then
    pw_warn "shared repository $PW_MAVEN_SHARED is not a readable directory; resolving cold"
    echo fallback
  else
    pw_store_state "$PW_MAVEN_SHARED"
  fi
}

# pw_maven_seed: (Maven before 3.9) copies the shared repository into the
# per-pod one, once per pod; sets PW_MAVEN_SEED_STATE.
pw_maven_seed() {
  [ -z "$PW_MAVEN_SEEDED" ] || return 0
  PW_MAVEN_SEEDED=1
  mkdir -p "$PW_MAVEN_LOCAL" || pw_die "cannot create the local repository $PW_MAVEN_LOCAL"
  PW_MAVEN_SEED_STATE=$(pw_maven_shared_state)
  [ "$PW_MAVEN_SEED_STATE" = warm ] || return 0
  if pwt_copy "$PW_MAVEN_SHARED/" "$PW_MAVEN_LOCAL"; then
    pw_log "Maven $PW_MVN_VERSION has no maven.repo.local.tail: copied the shared repository into $PW_MAVEN_LOCAL ($(pw_maven_count "$PW_MAVEN_LOCAL") jar and pom files)"
  else
    pw_warn "copying $PW_MAVEN_SHARED into $PW_MAVEN_LOCAL failed; resolving cold"
    rm -rf "$PW_MAVEN_LOCAL"
    mkdir -p "$PW_MAVEN_LOCAL" || pw_die "cannot create the local repository $PW_MAVEN_LOCAL"
    PW_MAVEN_SEED_STATE=fallback
  fi
}

# pw_maven_filter DIR: what a published repository must not hold.
pw_maven_filter() {
  find "$1" -type f \( -name '*.lastUpdated' -o -name '*.part' -o -name '*.lock' \) -exec rm -f {} + 2>/dev/null || :
  find "$1" -type d -name .locks -prune -exec rm -rf {} + 2>/dev/null || :
}

pw_maven_workdir() {
  local key repo state before after fetched published log st rc build
  [ -f pom.xml ] || pw_die "workdir '$PW_WORKDIR' has no pom.xml"
  [ -f ./mvnw ] || pw_has mvn || pw_die "mvn is not installed in this image and workdir '$PW_WORKDIR' has no ./mvnw"
  pw_maven_version
  key=$(pw_maven_key "maven=$PW_MVN_LINE java=$PW_MVN_JAVA goals=$PREWARM_MAVEN_GOALS args=$*")

  # The goals are words (split on blanks, no globbing); "$@" stays as given.
  set -f
  # shellcheck disable=SC2086 # splitting PREWARM_MAVEN_GOALS is intended
  set -- $PREWARM_MAVEN_GOALS "$@"
  set +f
  if [ -n "${PREWARM_MAVEN_SETTINGS-}" ]; then
    set -- -s "$PREWARM_MAVEN_SETTINGS" "$@"
  fi

  published=readOnly
  if pw_maven_has_tail; then
    if pw_cache_writable; then
      state=$(pw_maven_shared_state)
      repo=$PW_MAVEN_SHARED
      mkdir -p "$repo/" || pw_die "cannot create $repo"
      set -- -Daether.syncContext.named.factory=file-lock -Daether.syncContext.named.nameMapper=file-gav "$@"
      published=unchanged
    else
      state=$(pw_maven_shared_state)
      repo=$PW_MAVEN_LOCAL
      mkdir -p "$repo" || pw_die "cannot create the local repository $repo"
      [ "$state" = warm ] && set -- "-Dmaven.repo.local.tail=$PW_MAVEN_SHARED" "$@"
    fi
  else
    pw_maven_seed
    state=$PW_MAVEN_SEED_STATE
    repo=$PW_MAVEN_LOCAL
    pw_cache_writable && published=unchanged
  fi
  [ -n "$PW_MAVEN_FAILED" ] && state=fallback
  set -- -B -ntp -Dstyle.color=never "-Duser.home=$HOME" "-Dmaven.repo.local=$repo" "$@"

  before=$(pw_maven_count "$repo")
  log="$(pw_pod_cache logs)/mvn-$$.log"
  st=$log.failed
  rm -f "$st"
  { pw_mvn "$@" 2>&1 || echo "$?" >"$st"; } | tee "$log" >&2
  build=ok
  if [ -e "$st" ]; then
    rc=$(cat "$st")
    if grep -q -e 'COMPILATION ERROR' -e 'Compilation failure' "$log"; then
      pw_warn "workdir '$PW_WORKDIR' does not compile (mvn exit $rc); what was resolved before the compiler ran is cached, the agent resolves the rest"
      build=failed
    else
      pw_die "mvn failed (exit $rc) in workdir '$PW_WORKDIR'"
    fi
  fi
  rm -f "$st" "$log"
  after=$(pw_maven_count "$repo")
  fetched=$((after - before))
  [ "$fetched" -ge 0 ] || fetched=0

  if [ "$published" = unchanged ] && [ "$fetched" -gt 0 ]; then
    if [ "$repo" = "$PW_MAVEN_SHARED" ]; then
      published=yes
    elif pwt_publish "$PW_MAVEN_LOCAL" "$PW_MAVEN_SHARED" pw_maven_filter; then
      published=yes
    else
      published=no
    fi
  fi
  pw_summary maven "$key" "$state" "mode=$PREWARM_CACHE_MODE" "maven=$PW_MVN_VERSION" "fetched=$fetched" "build=$build" "published=$published"
}

pw_each_workdir pw_maven_workdir "$@"
{{- end -}}
