#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tools/kvm/fetch-kernel.sh's trust in Ubuntu's archive, against a fake
# mirror on loopback: the archive key comes in the archive's own
# ubuntu-keyring package, fetched before anything can be checked, so the
# fingerprint pinned in the script is the only thing that may make it
# trusted. A package holding another key must be refused before apt runs.
# A mirror that cannot be reached at all is exit status 3 (check-kernels
# reports a skip); one that answers with an error is a failure (1).
# The genuine path (Ubuntu's real key, apt checking the suite with it) is
# what `make check-kernels` runs.
#
#   bash tests/kernels/test_fetch.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

T=$(mktemp -d)
HTTP_PID=""
cleanup() {
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
	# The agent gpg started for the key generation.
	gpgconf --homedir "$T/gnupg" --kill all 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

for tool in gpg curl dpkg-deb python3; do
	if ! command -v $tool >/dev/null; then
		fail "setup" "$tool missing (make check-kernels installs it)"
		exit 1
	fi
done

# A key of our own, in a package shaped like Ubuntu's ubuntu-keyring.
mkdir -m 700 "$T/gnupg"
if ! gpg --homedir "$T/gnupg" --batch -q --passphrase '' \
	--quick-gen-key "not Ubuntu <archive@invalid>" ed25519 sign never 2>"$T/gpg.err"; then
	fail "setup" "gpg cannot make a key: $(tail -n 1 "$T/gpg.err")"
	exit 1
fi
fake_fpr=$(gpg --homedir "$T/gnupg" --with-colons -k 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
M=$T/mirror
pkg=$T/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/keyrings" "$M/pool/main/u/ubuntu-keyring" \
	"$M/dists/jammy/main/binary-amd64"
gpg --homedir "$T/gnupg" --batch -q --export >"$pkg/usr/share/keyrings/ubuntu-archive-keyring.gpg"
printf 'Package: ubuntu-keyring\nVersion: 1\nArchitecture: all\nMaintainer: test <t@invalid>\nDescription: fake\n' \
	>"$pkg/DEBIAN/control"
deb=pool/main/u/ubuntu-keyring/ubuntu-keyring_1_all.deb
dpkg-deb -Zgzip --build "$pkg" "$M/$deb" >/dev/null
printf 'Package: ubuntu-keyring\nVersion: 1\nFilename: %s\n\n' "$deb" |
	gzip >"$M/dists/jammy/main/binary-amd64/Packages.gz"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$M" "$port" >"$T/http.log" 2>&1 &
HTTP_PID=$!
for _ in $(seq 50); do
	curl -fs -o /dev/null "http://127.0.0.1:$port/$deb" && break
	sleep 0.1
done

# fetch SUITE MIRROR -> $rc, $err; in a directory of its own each time.
fetch() {
	rm -rf "$T/out"
	err=$(UBUNTU_MIRROR=$2 bash "$ROOT/tools/kvm/fetch-kernel.sh" "$1" "$T/out" 2>&1 >/dev/null)
	rc=$?
}

fetch jammy-updates "http://127.0.0.1:$port"
if [ "$rc" = 1 ] && grep -q "holds no key with fingerprint F6ECB3762474EDA9D21B7022871920D1991BC93C" <<<"$err"; then
	pass "a keyring package with another key ($fake_fpr) is refused: $(tail -n 1 <<<"$err")"
else
	fail "a keyring package with another key" "exit $rc: $err"
fi
if [ -z "$(find "$T/out/apt" -name '*.gpg' 2>/dev/null)" ] && [ ! -d "$T/out/apt/jammy-updates" ]; then
	pass "nothing of it kept, and apt not run"
else
	fail "after the refusal" "$(find "$T/out" | head -n 5 | tr '\n' ' ')"
fi

fetch noble-updates "http://127.0.0.1:$port"
if [ "$rc" = 1 ] && grep -q "cannot fetch" <<<"$err"; then
	pass "a mirror that answers 404 is a failure (exit 1), not a skip"
else
	fail "a mirror that answers 404" "exit $rc: $err"
fi

kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
HTTP_PID=""
fetch jammy-updates "http://127.0.0.1:$port"
if [ "$rc" = 3 ] && grep -q "cannot fetch" <<<"$err"; then
	pass "a mirror nothing answers on is exit 3 (a skip for check-kernels): $(tail -n 1 <<<"$err")"
else
	fail "a mirror nothing answers on" "exit $rc: $err"
fi
