#!/bin/sh
# Install what the tests need beyond Python: Java + the OWL API (Protégé's library),
# Chromium (web UI tests), Virtuoso (tests/sparql/test_virtuoso.py) and jemalloc (the query workers' allocator). Needs root for apt-get;
# without it, says so and lets the tests skip those checks (they fail instead when CI is set).
set -u
here=$(dirname "$0")
for script in "$here"/install-owlapi.sh "$here"/install-chromium.sh "$here"/install-virtuoso.sh "$here"/install-jemalloc.sh; do
    [ -f "$script" ] && sh "$script"
done
exit 0
