#!/usr/bin/env bash
# Installs everything the engine, its tests and the lab need on a fresh Debian machine (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  openssh-server openssh-client sudo   # real sshd test hosts; become through sudo
  ansible-core python3                 # side-by-side comparison (tests and bench/)
  python3-apt                          # the package_facts target prepares with it (apt's facts for Ansible)
  coreutils iproute2 procps dpkg-dev   # facts, processes; dpkg-scanpackages for the lab apt repo
  systemd systemd-container python3    # lab nodes: systemd-nspawn booting systemd
  python3-venv                         # moto's EC2 API emulator for the AWS tests (from PyPI)
  iputils-arping kmod                  # lab networking, Filesystem agent's modprobe
  corosync pacemaker pcs crmsh         # the cluster stack the roles deploy onto the lab nodes
  resource-agents fence-agents         # IPaddr2, Filesystem, anything; fence_ipmilan
  openipmi ipmitool                    # the lab nodes' simulated BMCs (ipmi_sim); fence_ipmilan's client
  drbd-utils                           # drbdadm parses the generated DRBD configuration
  xfsprogs                             # the lab's data volume is xfs (it grows online here)
  kamailio kamailio-sqlite-modules sqlite3 sip-tester  # the lab's stand-in PBX (registrations in
                                       # SQLite on the shared volume), sipp to talk SIP to it
  openssl                              # password_hash filter
  docker.io busybox-static             # the stand-in PBX as a container in the lab nodes
  awscli                               # the EBS resource agent calls it (tested against moto)
  bind9 bind9-dnsutils                 # DNS SRV pools: BIND on a lab node, dig for the tests
  curl tar zip unzip cron              # uri, get_url, unarchive and cron on the hosts; archives for their tests
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -q '^installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  # Packages with daemons (corosync, pcsd, kamailio) must not start on this machine: they run
  # inside the lab nodes only. A policy-rc.d of our own keeps them down during the install.
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && own_policy=true
  fi
  status=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || status=$?
  if $own_policy; then rm -f "$policy"; fi
  [ $status -eq 0 ] || exit $status
fi

# moto's server (a local EC2 API) in its own virtualenv, with Debian's python3.
if [ ! -x .venv-moto/bin/moto_server ]; then
  /usr/bin/python3 -m venv .venv-moto
  .venv-moto/bin/pip install -q 'moto[server]==5.2.5'
fi

# pyinfra for the benchmark only (bash scripts/setup.sh --bench), in its own virtualenv.
if [ "${1:-}" = --bench ] && [ ! -x .venv-pyinfra/bin/pyinfra ]; then
  /usr/bin/python3 -m venv .venv-pyinfra
  .venv-pyinfra/bin/pip install -q 'pyinfra==3.10.0'
fi

# Also builds the engine into dist/ (the prepare script), which `node engine` runs.
npm ci --no-audit --no-fund --loglevel=error
