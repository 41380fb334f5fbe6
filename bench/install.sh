#!/usr/bin/env bash
# Installs the peers `npm run bench` measures against, beyond the interop peers: CI does
# not run the bench, so this is run by hand (as root) before the first `npm run bench`.
# Postfix (smtp-source, the load generator) and swaks come from .ci/install-peers.sh;
# aiosmtpd (the lab-throughput baseline) is installed here. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../.ci/install-peers.sh"

packages=(python3-aiosmtpd)
missing=()
for pkg in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "bench/install: all present (${packages[*]})"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/install: must run as root to install ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -o DPkg::Lock::Timeout=300 --no-install-recommends)
if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
	# A fresh machine, or stale lists: refresh once and retry.
	apt-get update -o DPkg::Lock::Timeout=300
	apt-get install "${apt_opts[@]}" "${missing[@]}"
fi
echo "bench/install: done"
