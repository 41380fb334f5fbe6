#!/usr/bin/env bash
# Installs the Debian packages the interop tests run as real peers
# (Postfix + Dovecot SASL as a server, swaks / openssl as clients, tmux for
# terminal tests). Idempotent: returns at once when everything is present.
# Never starts the packages' system services and never prompts.
set -euo pipefail

packages=(postfix dovecot-core swaks tmux openssl dnsmasq-base mpop)

is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${packages[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-peers: all present (${packages[*]})"
	exit 0
fi
echo "install-peers: installing ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-peers: must run as root to install packages" >&2
	exit 1
fi

# invoke-rc.d asks /usr/sbin/policy-rc.d whether a service may start; 101
# means "no". Put ours in place for the install only and put back whatever
# was there before (Docker images often ship one already).
policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
	backup="$(mktemp /tmp/policy-rc.d.XXXXXX)"
	cp -p "$policy" "$backup"
fi
restore_policy() {
	if [ -n "$backup" ]; then
		cp -p "$backup" "$policy"
		rm -f "$backup"
	else
		rm -f "$policy"
	fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# Written by smtp-tui .ci/install-peers.sh for the install only.\nexit 101\n' >"$policy"
chmod 0755 "$policy"

# Without these Postfix's postinst asks which kind of mail setup to make.
debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string localhost
SEL

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# Only refresh the lists when a package is not known yet (a fresh machine).
for pkg in "${missing[@]}"; do
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		apt-get update -o DPkg::Lock::Timeout=300
		break
	fi
done
if ! apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"; then
	# The lists may be stale (a package version gone from the mirror): refresh once and retry.
	apt-get update -o DPkg::Lock::Timeout=300
	apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"
fi

for pkg in "${packages[@]}"; do
	is_installed "$pkg" || { echo "install-peers: $pkg failed to install" >&2; exit 1; }
done
echo "install-peers: done"
