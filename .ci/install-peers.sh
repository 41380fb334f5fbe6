#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks run as real peers
# (Postfix + Dovecot SASL and Dovecot's IMAP and POP3 as servers, dnsmasq as a DNS
# server, swaks / openssl / mpop / dig / curl / Python's imaplib as clients), then checks that each tool can do what the tests ask of it
# and stops with one line when one cannot. Idempotent: installs nothing when
# everything is present. Never starts the packages' system services and never
# prompts.
#
# Installs use --no-install-recommends, so every package a test needs is named
# here, including what is only "recommended" upstream: swaks needs Net::SSLeay and
# IO::Socket::SSL for STARTTLS / implicit TLS, which Debian ships as recommends.
# tmux is not here: no test or benchmark spawns it (pty tests use node-pty).
set -euo pipefail

packages=(
	postfix                # smtpd + smtp-source: the interop server and the load generator
	dovecot-core           # Dovecot SASL behind Postfix
	dovecot-imapd          # a real IMAP server (the IMAP client conversation's interop test)
	dovecot-pop3d          # a real POP3 server (the POP3 client's interop test)
	swaks                  # a real SMTP client
	libnet-ssleay-perl     # swaks: TLS (only a Recommends of swaks)
	libio-socket-ssl-perl  # swaks: TLS (only a Recommends of swaks)
	openssl                # s_client as a TLS client; the test CA
	dnsmasq-base           # a real DNS server on loopback (MX tests)
	mpop                   # a real POP3 client (journey tests)
	curl                   # a real IMAP client: imap:// and imaps:// (lab IMAP tests); smtp:// uploads (bare-LF test)
	python3                # imaplib, a real IMAP client (lab IMAP tests)
	bind9-dnsutils         # dig: a real DNS client asking the lab's DNS server
	libidn12               # a library Exim (unpacked below) needs that the base image lacks
)

# Exim 4 as a second real server. Debian's exim4-daemon-light conflicts with postfix (both
# are the mail-transport-agent), so it is not installed: its packages are downloaded and
# unpacked into a folder of their own, where test/support/exim.ts runs it with a private
# config. Its other run-time libraries (gnutls, pcre2, libdb, ...) are in the base image.
exim_root=/opt/smtp-tui-peers/exim4
exim_packages=(exim4-daemon-light exim4-base exim4-config)
exim_works() { "$exim_root/usr/sbin/exim4" -C /dev/null -bV >/dev/null 2>&1; }

ensure_exim() {
	# Exim is built to run as Debian-exim (its package's postinst makes that user).
	if ! id Debian-exim >/dev/null 2>&1; then
		if getent group Debian-exim >/dev/null; then
			useradd --system --gid Debian-exim --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin Debian-exim
		else
			useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin Debian-exim
		fi
	fi
	exim_works && return 0
	echo "install-peers: unpacking ${exim_packages[*]} into $exim_root"
	local tmp
	tmp="$(mktemp -d)"
	# apt-get download fetches as the _apt user where it can (else it warns and fetches as root).
	chown _apt "$tmp" 2>/dev/null || true
	if ! (cd "$tmp" && apt-get download -o DPkg::Lock::Timeout=300 "${exim_packages[@]}"); then
		# A fresh machine has no package lists yet, or stale ones: refresh once and retry.
		apt-get update -o DPkg::Lock::Timeout=300
		(cd "$tmp" && apt-get download -o DPkg::Lock::Timeout=300 "${exim_packages[@]}")
	fi
	rm -rf "$exim_root"
	mkdir -p "$exim_root"
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$exim_root"; done
	rm -rf "$tmp"
}

is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${packages[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done
# Every tool must be able to do what the tests ask of it, not just be on disk.
check_tools() {
	local fail=0
	need() { # description, command...
		local what="$1"; shift
		if ! "$@" >/dev/null 2>&1; then
			echo "install-peers: $what: \`$*\` failed" >&2
			fail=1
		fi
	}
	# swaks --support lists what this install can do, one "=== X supported" line each.
	local support
	support="$(swaks --support 2>&1 || true)"
	swaks_can() { grep -qx "=== $1 supported" <<<"$support"; }
	need "swaks cannot do TLS (libnet-ssleay-perl, libio-socket-ssl-perl)" swaks_can 'TLS'
	need "swaks cannot do AUTH" swaks_can 'Basic AUTH'
	need "swaks cannot do AUTH CRAM-MD5 (perl's Digest::MD5)" swaks_can 'AUTH CRAM-MD5'
	need "postfix is missing" test -x /usr/sbin/postfix
	need "postfix smtp-source is missing" test -x /usr/sbin/smtp-source
	need "dovecot is missing" test -x /usr/sbin/dovecot
	need "openssl cannot run s_client" sh -c 'openssl s_client -help 2>&1 | grep -q -- -starttls'
	need "dnsmasq is missing" dnsmasq --version
	need "mpop is missing" mpop --version
	need "dovecot has no imap server (dovecot-imapd)" test -x /usr/lib/dovecot/imap
	need "dovecot has no pop3 server (dovecot-pop3d)" test -x /usr/lib/dovecot/pop3
	need "curl cannot speak imap:// and imaps://" sh -c 'curl --version | grep -i "^Protocols:" | grep -qw imaps'
	need "curl cannot speak smtp://" sh -c 'curl --version | grep -i "^Protocols:" | grep -qw smtp'
	need "python3 has no imaplib or ssl" python3 -c 'import imaplib, ssl'
	need "dig cannot ask a given server and port (bind9-dnsutils)" sh -c 'dig -h 2>&1 | grep -q -- "-p port"'
	need "exim4 (unpacked in $exim_root) cannot run" exim_works
	need "the Debian-exim user Exim runs as is missing" id Debian-exim
	return "$fail"
}

if [ "${#missing[@]}" -eq 0 ] && exim_works && id Debian-exim >/dev/null 2>&1; then
	check_tools || { echo "install-peers: a peer is installed but cannot do what the tests need (above)" >&2; exit 1; }
	echo "install-peers: all present and working (${packages[*]})"
	exit 0
fi
[ "${#missing[@]}" -eq 0 ] || echo "install-peers: installing ${missing[*]}"

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
if [ "${#missing[@]}" -gt 0 ] && ! apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"; then
	# The lists may be stale (a package version gone from the mirror): refresh once and retry.
	apt-get update -o DPkg::Lock::Timeout=300
	apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"
fi
ensure_exim

for pkg in "${packages[@]}"; do
	is_installed "$pkg" || { echo "install-peers: $pkg failed to install" >&2; exit 1; }
done
check_tools || { echo "install-peers: installed, but a peer cannot do what the tests need (above)" >&2; exit 1; }
echo "install-peers: done, every peer checked"
