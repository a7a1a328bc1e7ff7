#!/usr/bin/env bash
# The main job on the built-in example: install what is needed, bring up the local lab (three
# systemd-nspawn nodes on an isolated bridge), deploy the PBX HA cluster onto it, show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
engine() { node_modules/.bin/ts-node engine "$@"; }
engine lab up --nodes 3
engine run playbooks/deploy.yml -i inventory/lab.yml
engine status -i inventory/lab.yml
