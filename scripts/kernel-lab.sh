#!/usr/bin/env bash
# kernel-lab.sh - let a real Linux kernel enforce a network ACL and record what clients experience.
#
# Usage:  sudo scripts/kernel-lab.sh [--acl FILE[#id]] [--out DIR] [--mode bind|kernel|both] ... (--help)
#
# Builds the topology of record-captures.sh in network namespaces named ack-<pid>-* (deleted on exit, also on
# failure or Ctrl-C), makes the server's iptables/ip6tables enforce the ACL statelessly (test/kernel/translate.ts),
# records the router side of the server link and the server's NFLOG drops with tcpdump, and runs connection attempts
# from the linux, windows, windows-legacy and NAT clients. Writes <out>/<mode>.pcap, <mode>.nflog.pcap and
# <mode>.attempts.json. The code is test/kernel/ (lab.ts, agents/); this script compiles it to dist/kernel-lab.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
  echo "kernel-lab.sh: must be run as root (sudo $0)" >&2
  exit 1
fi
cd "$REPO"
npx tsc -p test/kernel/tsconfig.lab.json
exec node dist/kernel-lab/test/kernel/main.js "$@"
