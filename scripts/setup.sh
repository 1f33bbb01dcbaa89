#!/usr/bin/env bash
# Installs what imgmount needs on a fresh Debian 12 machine (build, tests, benchmark) and builds
# the release variant into build/release. Safe to run again: apt runs only if something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  cmake g++ make pkg-config libfuse3-dev fuse3 libarchive-dev libzstd-dev zlib1g-dev libisal-dev
  rapidjson-dev libssl-dev catch2 clang-format git libcli11-dev
  # registry references: the HTTP client of layers/registry/ (loaded when first used)
  libcurl4-openssl-dev
  # fuzzing (scripts/fuzz): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # tests: real image tools and the oracle, xattr/capability tools, compressors
  umoci skopeo buildah containerd fuse-overlayfs zstd gzip isal attr libcap2-bin tar libarchive-tools procps
  util-linux diffutils findutils python3
  # the registry the registry tests push to and read from (distribution 2.8)
  docker-registry
  # htpasswd (bcrypt) for the registry auth tests
  apache2-utils
  # tests of the man page and the shell completions
  man-db groff-base zsh
  # benchmark peers and data generation (squashfuse_ll over a squashfs of the same tree)
  archivemount perl openssl squashfuse squashfs-tools
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  # Wait for another apt or dpkg run to finish instead of failing on its lock.
  apt_options=(-q -o DPkg::Lock::Timeout=600)
  "${sudo_cmd[@]}" apt-get "${apt_options[@]}" update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get "${apt_options[@]}" install -y "${missing[@]}"
fi

scripts/build.sh release
