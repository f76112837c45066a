#!/bin/sh
# Install Debian's Chromium for the browser tests (tests/web/test_ui_chromium.py). Idempotent:
# does nothing when /usr/bin/chromium is there. Needs root and apt-get; without them it
# says so plainly and exits 0 (the tests then skip locally, and fail under CI).
set -u
if command -v chromium >/dev/null 2>&1; then
    echo "install-chromium: chromium is installed ($(command -v chromium))"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: cannot install chromium: apt-get is not available on this machine" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-chromium: cannot install chromium: run as root (apt-get install -y chromium)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q chromium fonts-dejavu-core >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    if ! apt-get install -y -q chromium fonts-dejavu-core; then
        echo "install-chromium: cannot install chromium: apt-get install failed" >&2
        exit 0
    fi
fi
echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium)"
