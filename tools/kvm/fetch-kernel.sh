#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Fetch and unpack the current Debian kernel of one suite, for booting
# under qemu (tools/kvm/vm.sh). Uses the Debian mirror this machine's apt
# already uses, with a private apt state under DIR (the machine's own apt
# configuration and package state are not touched), and resolves the
# suite's linux-image-amd64 to the image it depends on today.
#
#   tools/kvm/fetch-kernel.sh SUITE DIR
#
# SUITE: bookworm (Linux 6.1), bookworm-backports (6.12), ... Prints
# "KV KDIR": the kernel release and the directory holding boot/vmlinuz-KV
# and lib/modules/KV (depmod run). Unpacked kernels are kept in DIR and
# reused while the suite still points at them.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SUITE DIR" >&2
	exit 2
fi
suite=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
base=${suite%%-*} # bookworm-backports -> bookworm

# The Debian mirror this machine uses: the one serving the base suite's
# main component, else the one serving this machine's own release (the
# archive holds the other suites too).
targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null)
uri=$(awk -v r="$base" '$2 == r && $3 == "main" { print $1; exit }' <<<"$targets")
[ -n "$uri" ] || uri=$(awk -v r="$(. /etc/os-release && echo "$VERSION_CODENAME")" \
	'$2 == r && $3 == "main" { print $1; exit }' <<<"$targets")
if [ -z "$uri" ]; then
	echo "fetch-kernel: no Debian apt source on this machine to fetch '$suite' from" >&2
	exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

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
pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "fetch-kernel: linux-image-amd64 in $suite depends on no kernel image" >&2
	exit 1
fi
kv=${pkg#linux-image-}
kdir=$dir/$kv
if [ ! -f "$kdir/boot/vmlinuz-$kv" ] || [ ! -f "$kdir/lib/modules/$kv/modules.dep" ]; then
	rm -rf "$kdir" "$dir/debs/$pkg"_*.deb
	(cd "$dir/debs" && apt-get "${apt_opts[@]}" download "$pkg" >"$apt_dir/download.log" 2>&1) || {
		echo "fetch-kernel: apt-get download $pkg failed:" >&2
		tail -n 5 "$apt_dir/download.log" >&2
		exit 1
	}
	mkdir -p "$kdir.tmp"
	dpkg-deb -x "$dir/debs/$pkg"_*.deb "$kdir.tmp"
	depmod -b "$kdir.tmp" "$kv"
	rm -f "$dir/debs/$pkg"_*.deb
	mv "$kdir.tmp" "$kdir"
fi
echo "$kv $kdir"
