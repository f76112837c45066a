#!/bin/sh
# Compile OwlCheck.java (when needed) against the Debian OWL API jars and run it.
# Usage: tools/owlapi-check/owlcheck.sh FILE [--catalog catalog-v001.xml]
# Exit status: that of OwlCheck (0 clean, 1 problems, 2 usage), or 3 when java/javac or a jar is missing.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
JAVA_DIR=/usr/share/java
JARS="owlapi-distribution commons-rdf-api guava caffeine hppcrt atinject-jsr330-api commons-io xz
jsonld-java jackson-databind jackson-core jackson-annotations httpclient httpclient-cache httpcore
commons-codec commons-logging rdf4j-model-api rdf4j-model rdf4j-model-vocabulary rdf4j-rio-api
rdf4j-rio-jsonld rdf4j-util slf4j-api slf4j-nop"

classpath=""
for jar in $JARS; do
    if [ ! -f "$JAVA_DIR/$jar.jar" ]; then
        echo "owlcheck: missing $JAVA_DIR/$jar.jar; run scripts/install-owlapi.sh" >&2
        exit 3
    fi
    classpath="$classpath:$JAVA_DIR/$jar.jar"
done
for tool in java javac; do
    command -v "$tool" >/dev/null 2>&1 || { echo "owlcheck: $tool not found; run scripts/install-owlapi.sh" >&2; exit 3; }
done

CLASSES="$HERE/classes"
if [ ! -f "$CLASSES/OwlCheck.class" ] || [ "$HERE/OwlCheck.java" -nt "$CLASSES/OwlCheck.class" ]; then
    mkdir -p "$CLASSES"
    javac -nowarn -d "$CLASSES" -cp "${classpath#:}" "$HERE/OwlCheck.java"
fi
exec java -cp "$CLASSES$classpath" OwlCheck "$@"
