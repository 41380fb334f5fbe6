#!/usr/bin/env bash
# Installs the peers `npm run bench` measures against, beyond the interop peers, then checks
# that each can do what the bench asks of it. CI does not run the bench, so this is run by
# hand (as root) before the first `npm run bench`. Postfix (smtp-source, the load generator,
# and smtpd, the second lab-throughput baseline) and swaks come from .ci/install-peers.sh;
# aiosmtpd (the first baseline) and ss (which reads each server's listen backlog) are
# installed here. Idempotent; installs with --no-install-recommends, as on a clean machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../.ci/install-peers.sh"

packages=(
	python3-aiosmtpd  # the lab-throughput baseline (bench/aiosmtpd_sink.py)
	iproute2          # ss: the listen backlog of the lab, given to aiosmtpd
)
# Debian's python3-aiosmtpd is importable by Debian's own Python (bench/lab-load.ts uses it).
python=/usr/bin/python3

# Each tool must do what the bench asks, not just be on disk.
check_tools() {
	local fail=0
	need() { # description, command...
		local what="$1"; shift
		if ! "$@" >/dev/null 2>&1; then
			echo "bench/install: $what: \`$*\` failed" >&2
			fail=1
		fi
	}
	# smtp-source prints its usage (and exits 1) when given no target: the options used are in it.
	need "smtp-source lacks -c -s -l -m -f -t" sh -c 'smtp-source 2>&1 | grep -qE -- "-[a-zA-Z]*c[a-zA-Z]* -s sess -l msglen -m msgs .*-f from -t to"'
	need "aiosmtpd is not importable by $python" "$python" -c 'import aiosmtpd.smtp, aiosmtpd.main'
	need "bench/aiosmtpd_sink.py does not load" env PYTHONPATH="$here" "$python" -c 'import aiosmtpd_sink'
	need "ss cannot list listening TCP sockets" ss -Hltn
	need "postfix is missing (the Postfix baseline)" test -x /usr/sbin/postfix
	need "postconf cannot read Postfix's defaults" postconf -d mail_version
	return "$fail"
}

is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${packages[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench/install: must run as root to install ${missing[*]}" >&2
		exit 1
	fi
	echo "bench/install: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-y -o DPkg::Lock::Timeout=300 --no-install-recommends)
	if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
		# A fresh machine, or stale lists: refresh once and retry.
		apt-get update -o DPkg::Lock::Timeout=300
		apt-get install "${apt_opts[@]}" "${missing[@]}"
	fi
	for pkg in "${packages[@]}"; do
		is_installed "$pkg" || { echo "bench/install: $pkg failed to install" >&2; exit 1; }
	done
fi

check_tools || { echo "bench/install: a bench peer is installed but cannot do what the bench needs (above)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || echo "bench/install: note: the Postfix baseline runs only when the bench runs as root (Postfix's master switches users); it is skipped otherwise"
echo "bench/install: all present and working (${packages[*]}, smtp-source, postfix)"
