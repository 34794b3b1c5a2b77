#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Unpack the ELF vmlinux (with its .BTF section) from a bzImage.

  vmlinux-elf.py VMLINUZ OUT

The compressed kernel sits somewhere inside the bzImage; each known
compression's magic is tried in turn until one decompresses to an ELF file.
xz and gzip are decompressed here, zstd with the zstd command. `bpftool btf
dump file OUT format c` then gives that kernel's full vmlinux.h.
"""
import gzip
import lzma
import subprocess
import sys
import zlib

MAGICS = [
    ("xz", b"\xfd7zXZ\x00"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
    ("gzip", b"\x1f\x8b\x08"),
]


def attempt(kind, blob):
    if kind == "xz":
        return lzma.LZMADecompressor().decompress(blob)
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(blob)
    out = subprocess.run(["zstd", "-qdc"], input=blob, capture_output=True)
    return out.stdout  # trailing data makes zstd complain; the frame is out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: vmlinux-elf.py VMLINUZ OUT")
    img = open(sys.argv[1], "rb").read()
    for kind, magic in MAGICS:
        pos = img.find(magic)
        while pos >= 0:
            try:
                data = attempt(kind, img[pos:])
            except (lzma.LZMAError, zlib.error, gzip.BadGzipFile, OSError):
                data = b""
            if data[:4] == b"\x7fELF":
                with open(sys.argv[2], "wb") as f:
                    f.write(data)
                return
            pos = img.find(magic, pos + 1)
    sys.exit("vmlinux-elf.py: no compressed ELF kernel found in " + sys.argv[1])


main()
