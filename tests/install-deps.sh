#!/usr/bin/env bash
# Installs the system tools the script tests run for real. Debian packages
# only; as root it installs what is missing, otherwise it names what to do.
set -euo pipefail
need=()
command -v busybox >/dev/null || need+=(busybox-static) # static: the e2e images copy it
command -v dash >/dev/null || need+=(dash)
command -v shellcheck >/dev/null || need+=(shellcheck)
# Real package managers for the offline pip/cargo/maven/gradle fixtures:
# Debian ships crate sources and jars that tests serve on 127.0.0.1.
for pkg in maven openjdk-17-jdk-headless libmaven-compiler-plugin-java \
  libmaven-resources-plugin-java junit5 libcommons-cli-java libcommons-io-java gradle \
  librust-itoa-dev librust-ryu-dev librust-cfg-if-dev librust-fnv-dev librust-either-dev \
  librust-scopeguard-dev librust-static-assertions-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# The e2e node: runc links libseccomp (make node); images carry
# busybox-static, tini-static, Debian's Python with venv and the wheel
# package the pip scenario serves, Debian's cargo (with rustc and the
# standard library: the cargo images; not a rustup toolchain) (tests/images,
# tests/e2e); the harness deletes the CNI bridge with ip.
for pkg in libseccomp-dev pkg-config busybox-static iproute2 tini python3-venv python3-wheel-whl cargo; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# make bench's network-volume mode: sshd on 127.0.0.1 + an sshfs (FUSE) mount.
for pkg in sshfs openssh-server; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# Snapshot compression: the script tests round-trip zstd and lz4 shards.
for pkg in zstd lz4; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
for pkg in ${PREWARM_EXTRA_APT_PACKAGES:-}; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "deps: system tools present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "deps: installing ${need[*]} (apt-get)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
