#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Every C source is clang-formatted (.clang-format, kernel style).
cd "$(dirname "$0")/../.."
if out=$(make -s format-check 2>&1); then
	echo "PASS: clang-format"
else
	echo "FAIL: clang-format: run 'make format'; first complaints:"
	echo "$out" | grep -E 'error|warning' | head -n 5
fi
