#!/bin/sh
# Installs everything ndbackup needs to build and to run its whole test suite on Debian 12.
# Run as root. Idempotent: packages already present are left as they are.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps-debian.sh: run as root (apt-get install needs it)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# clang + compiler-rt: the asan preset and libFuzzer; libtsan2: GCC's ThreadSanitizer (tsan preset).
# python3-cinderclient: the real `cinder` command the agent tier drives the Cinder-compatible API with.
# iproute2: `ip netns` / veth for the link-cut test (agent tier).
PACKAGES="
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qt6-svg-dev qt6-charts-dev libqt6opengl6-dev
  qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-translations-l10n
  qcoro-qt6-dev libdevmapper-dev libzstd-dev zstd libssl-dev openssl libnbd-dev libnbd-bin nbdkit
  util-linux e2fsprogs btrfs-progs xfsprogs lvm2 kmod cpio xz-utils libfuse3-dev fuse3
  qemu-system-x86 busybox-static linux-image-amd64
  poppler-utils procps jq python3-cinderclient iproute2
  clang libclang-rt-14-dev llvm libtsan2
"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
