#!/usr/bin/env bash
# build-offline-fixtures.sh [OUT]: makes the machine ready for the offline
# cargo, maven and gradle script tests (tests/scripts/offline_*_test.go)
# and writes OUT/offline-fixtures.env (default OUT: <repo>/.cache/fixtures).
#
# No crates.io, PyPI or Maven Central: the real tools run against Debian
# packages served from 127.0.0.1 by the Go tests.
#   cargo   crate sources of librust-*-dev under /usr/share/cargo/registry;
#           the test packs them into .crate files and a sparse index.
#   maven   Debian's local repository /usr/share/maven-repo (maven plus the
#           compiler and resources plugins), served as a remote repository.
#   gradle  Debian's gradle 4.4.1 (runs on Java 17 with Debian's patches),
#           resolving from the same Maven repository.
#
# Idempotent: as root it apt-get installs only what is missing; otherwise it
# prints the apt-get command and exits 1. cargo and rustc are not Debian's
# (bookworm's cargo predates sparse registries): they must be on PATH or in
# ~/.cargo/bin (rustup), version 1.70 or newer.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-$repo/.cache/fixtures}

# Keep in sync with the report/CI docs: the exact Debian packages.
# busybox-static, not busybox: the two conflict, and the e2e images need the
# static one (tests/images); its /bin/busybox serves the script tests too.
packages=(
  busybox-static dash shellcheck
  maven openjdk-17-jdk-headless
  libmaven-compiler-plugin-java libmaven-resources-plugin-java junit5
  libcommons-cli-java libcommons-io-java
  gradle
  librust-itoa-dev librust-ryu-dev librust-cfg-if-dev librust-fnv-dev
  librust-either-dev librust-scopeguard-dev
  librust-static-assertions-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "offline fixtures: missing Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "offline fixtures: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A stale package list is the usual reason for a failed install: retry once
  # after apt-get update.
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PATH=$PATH:$HOME/.cargo/bin
cargo_bin=$(command -v cargo || true)
# Debian's cargo (the e2e images', tests/install-deps.sh) may come first on
# PATH; it is too old here, so a rustup cargo wins over it.
if [ "$cargo_bin" = /usr/bin/cargo ] && [ -x "$HOME/.cargo/bin/cargo" ]; then
  cargo_bin=$HOME/.cargo/bin/cargo
fi
if [ -z "$cargo_bin" ]; then
  echo "offline fixtures: cargo is not on PATH nor in ~/.cargo/bin; install Rust 1.70+ with rustup (https://rustup.rs)" >&2
  exit 1
fi
cargo_version=$("$cargo_bin" --version)
minor=$(printf '%s\n' "$cargo_version" | sed -n 's/^cargo 1\.\([0-9]*\).*/\1/p')
if [ -z "$minor" ] || [ "$minor" -lt 70 ]; then
  echo "offline fixtures: $cargo_version is too old (sparse registries need cargo 1.70+); install a newer Rust with rustup" >&2
  exit 1
fi

crates_dir=/usr/share/cargo/registry
maven_repo=/usr/share/maven-repo
for d in "$crates_dir/itoa-1.0.1" "$maven_repo/org/apache/maven/plugins/maven-compiler-plugin" "$maven_repo/org/apache/maven/plugins/maven-resources-plugin"; do
  [ -d "$d" ] || { echo "offline fixtures: $d is missing after installing the packages" >&2; exit 1; }
done

# Plugin versions as Debian ships them: the one version directory holding a
# jar (the others, and "debian", are relocation poms); the maven test pins
# these in its pom.
plugin_version() {
  local d v
  for d in "$maven_repo/org/apache/maven/plugins/$1"/*/; do
    v=$(basename "$d")
    [ "$v" = debian ] && continue
    [ -e "$d/$1-$v.jar" ] || continue
    printf '%s\n' "$v"
    return 0
  done
  echo "offline fixtures: no $1 jar under $maven_repo" >&2
  return 1
}
compiler_version=$(plugin_version maven-compiler-plugin)
resources_version=$(plugin_version maven-resources-plugin)

mkdir -p "$out"
tmp=$(mktemp "$out/.offline-fixtures.env.XXXXXX")
{
  echo "# written by tests/scripts/testdata/build-offline-fixtures.sh"
  echo "CARGO=$cargo_bin"
  echo "CARGO_VERSION=$cargo_version"
  echo "CRATES_DIR=$crates_dir"
  echo "MAVEN_REPO=$maven_repo"
  echo "MAVEN_COMPILER_PLUGIN_VERSION=$compiler_version"
  echo "MAVEN_RESOURCES_PLUGIN_VERSION=$resources_version"
  echo "MVN=$(command -v mvn)"
  echo "GRADLE=$(command -v gradle)"
  echo "DASH=$(command -v dash)"
  echo "BUSYBOX=$(command -v busybox)"
  echo "SHELLCHECK=$(command -v shellcheck)"
} >"$tmp"
mv -f "$tmp" "$out/offline-fixtures.env"
echo "offline fixtures: ready ($out/offline-fixtures.env)" >&2
