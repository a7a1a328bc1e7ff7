#!/usr/bin/env bash
# Installs everything the engine, its tests and the lab need on a fresh Debian machine (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  openssh-server openssh-client sudo   # real sshd test hosts; become through sudo
  ansible-core python3                 # side-by-side comparison (tests and bench/)
  coreutils iproute2 procps dpkg-dev   # facts, processes; dpkg-scanpackages for the lab apt repo
  systemd systemd-container python3    # lab nodes: systemd-nspawn booting systemd
  iputils-arping kmod                  # lab networking, Filesystem agent's modprobe
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -q '^installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
