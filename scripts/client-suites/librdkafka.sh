#!/usr/bin/env bash
# librdkafka's tests/ (Debian's source package of a pinned version, from deb-src) against a fresh
# broker, run as its own quick mode: `./run-test.sh -Q -E -L` (quick, no sockem, no local-only
# tests). Nothing of it is committed. Needs root (apt-get) and a C toolchain.
set -euo pipefail
source "$(dirname "$0")/common.sh"
VERSION="${LIBRDKAFKA_DEB_VERSION:-2.8.0-1}"
SUITE="${LIBRDKAFKA_DEB_SUITE:-trixie}"
# The fast subset: produce/consume, groups and the admin API test.
FAST="${LIBRDKAFKA_FAST:-0001 0002 0005 0030 0040 0081}"

# Debian's source packages: a deb-src entry for the suite that has this version, on the mirror
# this machine's own Debian entries use.
sources=/etc/apt/sources.list.d/fastlog-client-suites-src.sources
if [ ! -x "$CACHE_DIR/librdkafka-$VERSION/tests/test-runner" ] \
        && ! apt-cache showsrc librdkafka 2>/dev/null | grep -q "^Version: $VERSION$"; then
    mirror="$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security \
              | awk '{print $2; exit}')"
    [ -n "$mirror" ] || mirror="$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list)"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" "$SUITE" > "$sources"
    apt-get update -qq
fi
src="$CACHE_DIR/librdkafka-$VERSION"
if [ ! -x "$src/tests/test-runner" ]; then
    rm -rf "$src"; mkdir -p "$src"
    (cd "$CACHE_DIR" && apt-get source -qq --download-only "librdkafka=$VERSION" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    tar xzf "$CACHE_DIR/librdkafka_${VERSION%-*}.orig.tar.gz" -C "$src" --strip-components=1
    # Not configure.log: librdkafka's mklove takes every configure.* file beside it for a module.
    (cd "$src" && ./configure --disable-gssapi > build-configure.log 2>&1 && make -s -j2 libs > make.log 2>&1 \
        && make -s -j2 -C tests build > tests-make.log 2>&1) \
        || { tail -30 "$src"/*.log "$src"/tests/*.log 2>/dev/null; exit 1; }
fi

# KAFKA_PATH/bin/kafka-*.sh: the tests call Kafka's CLI tools; ours run the Maven-resolved jars.
kafka_path="$RESULTS_DIR/kafka-path"
mkdir -p "$kafka_path/bin"
# Kafka's main classes as fastlog.kafka_dist names them for the pinned Kafka version.
read -r classpath topics_class configs_class < <(python3 -c 'from fastlog import kafka_dist as k
print(k.classpath(), k.TOPIC_COMMAND, k.CONFIG_COMMAND)')
for tool in "kafka-topics.sh:$topics_class" kafka-acls.sh:org.apache.kafka.tools.AclCommand \
            "kafka-configs.sh:$configs_class"; do
    printf '#!/bin/sh\nexec java -Xmx256M -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "%s" %s "$@"\n' \
        "$classpath" "${tool#*:}" > "$kafka_path/bin/${tool%%:*}"
    chmod +x "$kafka_path/bin/${tool%%:*}"
done

tests_env=""
[ "$SUBSET" = fast ] && tests_env="$FAST"
# The broker settings librdkafka's own test clusters run with: 4 partitions a new topic,
# Kafka's default 3 s initial rebalance delay (0118 subscribes its second consumer 1 s after the
# first and expects both in the first generation) and the allow-all ACL authorizer (fastlog's
# answers to Kafka's class name).
settings=(num.partitions=4 group.initial.rebalance.delay.ms=3000
          authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
          allow.everyone.if.no.acl.found=true)
out="$RESULTS_DIR/librdkafka-$BROKER.json"
rm -f "$out"
cd "$src/tests"
set +e
run_against_broker librdkafka "${settings[@]}" -- sh -c '
    printf "bootstrap.servers=%s\nbroker.address.family=v4\n" "$BOOTSTRAP" > test.conf
    if [ -z "$0" ]; then
        exec env TEST_REPORT="$1" TEST_KAFKA_VERSION=4.0.0 KAFKA_PATH="$2" BROKERS="$BOOTSTRAP" ./run-test.sh -Q -E -L
    fi
    for t in $0; do
        env TESTS="$t" TEST_REPORT="$1.$t" TEST_KAFKA_VERSION=4.0.0 KAFKA_PATH="$2" BROKERS="$BOOTSTRAP" ./run-test.sh -Q -E -L
    done
    python3 -c "import json, sys
merged = {\"tests\": {}}
for path in sys.argv[2:]:
    merged[\"tests\"].update(json.load(open(path))[\"tests\"])
json.dump(merged, open(sys.argv[1], \"w\"))" "$1" "$1".*' "$tests_env" "$out" "$kafka_path" \
    > "$RESULTS_DIR/librdkafka-$BROKER.log" 2>&1
set -e
check_results librdkafka "$out"
