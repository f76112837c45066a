#!/bin/sh
# Install what tools/owlapi-check needs: a JDK (javac) and the Debian OWL API jars with their
# dependencies. Idempotent: installs only what is missing. Exits 0 when everything is present
# afterwards, 1 (with a plain message) when it cannot install.
set -u

JAVA_DIR=/usr/share/java
JARS="owlapi-distribution commons-rdf-api guava caffeine hppcrt atinject-jsr330-api commons-io xz
jsonld-java jackson-databind jackson-core jackson-annotations httpclient httpclient-cache httpcore
commons-codec commons-logging rdf4j-model-api rdf4j-model rdf4j-model-vocabulary rdf4j-rio-api
rdf4j-rio-jsonld rdf4j-util slf4j-api slf4j-nop"

missing_jars() {
    for jar in $JARS; do
        [ -f "$JAVA_DIR/$jar.jar" ] || echo "$jar"
    done
}

packages=""
command -v javac >/dev/null 2>&1 || packages="$packages default-jdk-headless"
[ -z "$(missing_jars)" ] || packages="$packages libowlapi-java libslf4j-java"

if [ -z "$packages" ]; then
    echo "install-owlapi: javac and the OWL API jars are already installed."
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-owlapi: cannot install$packages: not running as root. Install them with apt-get, or run as root."
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-owlapi: cannot install$packages: apt-get is not available on this system."
    exit 1
fi

echo "install-owlapi: installing$packages ..."
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $packages >/tmp/install-owlapi.log 2>&1; then
    apt-get update >>/tmp/install-owlapi.log 2>&1
    # shellcheck disable=SC2086
    if ! apt-get install -y --no-install-recommends $packages >>/tmp/install-owlapi.log 2>&1; then
        echo "install-owlapi: cannot install$packages: apt-get failed (log: /tmp/install-owlapi.log)."
        exit 1
    fi
fi

still_missing=$(missing_jars | tr '\n' ' ')
if [ -n "$still_missing" ] || ! command -v javac >/dev/null 2>&1; then
    echo "install-owlapi: installed$packages, but still missing: ${still_missing:-javac}"
    exit 1
fi
echo "install-owlapi: done."
