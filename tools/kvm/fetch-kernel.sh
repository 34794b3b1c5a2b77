#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Fetch and unpack the current kernel of one Debian or Ubuntu suite, for
# booting under qemu (tools/kvm/vm.sh). Uses a private apt state under DIR
# (the machine's own apt configuration and package state are not touched),
# and resolves the suite's kernel metapackage (linux-image-amd64,
# Ubuntu's linux-image-generic) to the image it depends on today.
#
#   tools/kvm/fetch-kernel.sh SUITE DIR
#
# SUITE: bookworm (Linux 6.1), bookworm-backports (6.12), ..., or Ubuntu's
# jammy-updates (5.15), noble-updates (6.8), ... Prints "KV KDIR": the
# kernel release and the directory holding boot/vmlinuz-KV and
# lib/modules/KV (depmod run). Unpacked kernels are kept in DIR and reused
# while the suite still points at them.
#
# Debian suites come from the Debian mirror this machine's apt uses.
# Ubuntu suites come from UBUNTU_MIRROR (default
# http://archive.ubuntu.com/ubuntu), checked against Ubuntu's archive
# signing key, which is taken from the archive's own ubuntu-keyring
# package and trusted only if its fingerprint is the one written below.
# Exit status 3: the Ubuntu mirror cannot be reached at all (no network
# path to it), so the caller can tell that from a broken fetch.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SUITE DIR" >&2
	exit 2
fi
suite=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
base=${suite%%-*} # bookworm-backports -> bookworm

case $base in
trusty | xenial | bionic | focal | jammy | noble | oracular | plucky | questing | resolute)
	distro=ubuntu ;;
*) distro=debian ;;
esac

# Ubuntu Archive Automatic Signing Key (2018) <ftpmaster@ubuntu.com>.
UBUNTU_KEY_FPR=F6ECB3762474EDA9D21B7022871920D1991BC93C
UBUNTU_MIRROR=${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}

# ubuntu_keyring FILE: Ubuntu's archive key alone, as a keyring for apt's
# signed-by. The package it comes in is fetched unauthenticated (there is
# no key yet to check it with); the pinned fingerprint is what makes the
# key trusted.
ubuntu_keyring() {
	local out=$1 t rel deb rc=0
	[ -s "$out" ] && return 0
	t=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$t'; trap - RETURN" RETURN
	curl -fsS --retry 2 --connect-timeout 15 -o "$t/Packages.gz" \
		"$UBUNTU_MIRROR/dists/$base/main/binary-amd64/Packages.gz" 2>"$t/err" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "fetch-kernel: cannot fetch $UBUNTU_MIRROR/dists/$base: $(tail -n 1 "$t/err")" >&2
		# curl: 6 no such host, 7 refused, 28 timed out.
		case $rc in 6 | 7 | 28) return 3 ;; *) return 1 ;; esac
	fi
	rel=$(gzip -dc "$t/Packages.gz" |
		awk '$1 == "Package:" { p = $2 } p == "ubuntu-keyring" && $1 == "Filename:" { print $2; exit }')
	if [ -z "$rel" ]; then
		echo "fetch-kernel: no ubuntu-keyring package in $base" >&2
		return 1
	fi
	deb=$t/keyring.deb
	curl -fsS --retry 2 -o "$deb" "$UBUNTU_MIRROR/$rel" || return 1
	dpkg-deb -x "$deb" "$t/x" || return 1
	mkdir -m 700 "$t/gnupg"
	gpg --homedir "$t/gnupg" -q --batch --import \
		"$t/x/usr/share/keyrings/ubuntu-archive-keyring.gpg" 2>/dev/null
	gpg --homedir "$t/gnupg" -q --batch --export "$UBUNTU_KEY_FPR" >"$t/key.gpg" 2>/dev/null
	if [ "$(gpg --show-keys --with-colons "$t/key.gpg" 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }')" != "$UBUNTU_KEY_FPR" ]; then
		echo "fetch-kernel: $rel holds no key with fingerprint $UBUNTU_KEY_FPR" >&2
		return 1
	fi
	mkdir -p "$(dirname "$out")"
	mv "$t/key.gpg" "$out"
}

if [ $distro = ubuntu ]; then
	uri=$UBUNTU_MIRROR
	keyring=$dir/apt/ubuntu-archive-$UBUNTU_KEY_FPR.gpg
	rc=0
	ubuntu_keyring "$keyring" || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
	meta=linux-image-generic
else
	# The Debian mirror this machine uses: the one serving the base
	# suite's main component, else the one serving this machine's own
	# release (the archive holds the other suites too).
	targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null)
	uri=$(awk -v r="$base" '$2 == r && $3 == "main" { print $1; exit }' <<<"$targets")
	[ -n "$uri" ] || uri=$(awk -v r="$(. /etc/os-release && echo "$VERSION_CODENAME")" \
		'$2 == r && $3 == "main" { print $1; exit }' <<<"$targets")
	if [ -z "$uri" ]; then
		echo "fetch-kernel: no Debian apt source on this machine to fetch '$suite' from" >&2
		exit 1
	fi
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	meta=linux-image-amd64
fi

apt_dir=$dir/apt/$suite
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$dir/debs"
echo "deb [signed-by=$keyring] $uri $suite main" >"$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=$apt_dir/none"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "APT::Sandbox::User=root" -q)
apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
	echo "fetch-kernel: apt-get update for $suite failed:" >&2
	tail -n 5 "$apt_dir/update.log" >&2
	exit 1
}
pkg=$(apt-cache "${apt_opts[@]}" depends "$meta" 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "fetch-kernel: $meta in $suite depends on no kernel image" >&2
	exit 1
fi
kv=${pkg#linux-image-}
kdir=$dir/$kv
# Ubuntu ships the modules apart from the image (virtio, 9p and veth are
# in the extra ones).
pkgs=("$pkg")
[ $distro = ubuntu ] && pkgs+=("linux-modules-$kv" "linux-modules-extra-$kv")
if [ ! -f "$kdir/boot/vmlinuz-$kv" ] || [ ! -f "$kdir/lib/modules/$kv/modules.dep" ]; then
	rm -rf "$kdir" "$dir/debs"/*.deb
	(cd "$dir/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >"$apt_dir/download.log" 2>&1) || {
		echo "fetch-kernel: apt-get download ${pkgs[*]} failed:" >&2
		tail -n 5 "$apt_dir/download.log" >&2
		exit 1
	}
	mkdir -p "$kdir.tmp"
	for p in "${pkgs[@]}"; do
		dpkg-deb -x "$dir/debs/$p"_*.deb "$kdir.tmp"
	done
	depmod -b "$kdir.tmp" "$kv"
	rm -f "$dir/debs"/*.deb
	mv "$kdir.tmp" "$kdir"
fi
echo "$kv $kdir"
