#!/bin/sh
# Install Debian's Virtuoso server binary for tests/sparql/test_virtuoso.py (`sdkg push` and
# `sdkg serve --store-url` against a real Virtuoso). Only virtuoso-opensource-7-bin
# (virtuoso-t, isql-vt; ~4 MB download): the tests start it on 127.0.0.1 with a private
# database and ini, so the full virtuoso-opensource package, its system service and its
# debconf dba password are not needed. Idempotent: does nothing when virtuoso-t is there.
# Needs root and apt-get; without them it says so plainly and exits 0 (the test then skips
# locally, and fails under CI).
set -u
if command -v virtuoso-t >/dev/null 2>&1; then
    echo "install-virtuoso: virtuoso-t is installed ($(command -v virtuoso-t))"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-virtuoso: cannot install virtuoso: apt-get is not available on this machine" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-virtuoso: cannot install virtuoso: run as root (apt-get install -y virtuoso-opensource-7-bin)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
packages="virtuoso-opensource-7-bin"
if ! apt-get install -y -q --no-install-recommends $packages >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    if ! apt-get install -y -q --no-install-recommends $packages; then
        echo "install-virtuoso: cannot install virtuoso: apt-get install failed" >&2
        exit 0
    fi
fi
echo "install-virtuoso: installed $(virtuoso-t -? 2>&1 | grep -m1 -i version || echo virtuoso-t)"
