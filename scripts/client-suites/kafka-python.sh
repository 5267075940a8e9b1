#!/usr/bin/env bash
# kafka-python's integration tests (test/integration in its PyPI sdist of a pinned version) against
# a fresh broker with the settings its own fixtures give Kafka. Nothing of it is committed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
VERSION="${KAFKA_PYTHON_VERSION:-3.0.12}"
# The broker version the fixtures expect the client to infer from ApiVersions: kafka-python
# 3.0.12 infers 4.3, its newest, from Kafka 4.4 (fastlog's reference) and from fastlog.
KAFKA_VERSION="${KAFKA_VERSION:-4.3}"
# The whole suite takes about a minute, so the fast subset (SUBSET=fast) is all of it.

python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore pytest-timeout pytest-mock
src="$CACHE_DIR/kafka-python-$VERSION"
if [ ! -d "$src/kafka_python-$VERSION/test/integration" ]; then
    rm -rf "$src"; mkdir -p "$src"
    python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
        "kafka-python==$VERSION" -d "$src"
    tar xzf "$src/kafka_python-$VERSION.tar.gz" -C "$src"
    # Its test/ folder has no __init__.py, so Python's own `test` package would shadow it.
    touch "$src/kafka_python-$VERSION/test/__init__.py"
fi
# The sdist lacks test/service.py, which the fixtures import: ours serves the external broker.
cp "$HERE/kafka_python_service.py" "$src/kafka_python-$VERSION/test/service.py"
cd "$src/kafka_python-$VERSION"

# test_ssl_integration starts its own SSL broker from servers/resources, which the sdist does
# not ship: it cannot run against either broker here.
tests=(test/integration --ignore=test/integration/test_ssl_integration.py)
# The fixtures give the broker an authorizer that allows all when no ACL matches (its ACL test
# creates, describes and deletes bindings); fastlog's authorizer answers to Kafka's class name.
acl_settings=(authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
              allow.everyone.if.no.acl.found=true)
out="$RESULTS_DIR/kafka-python-$BROKER.xml"
set +e
# KAFKA_URI makes the fixtures use our broker; KAFKA_ROOT only has to exist. The sdist's own
# pytest options use thread timeouts, which hang on a stuck test; signal ones end it.
export KAFKA_VERSION
run_against_broker kafka-python node.id=0 advertised.listeners=PLAINTEXT://127.0.0.1:{port} num.partitions=4 group.min.session.timeout.ms=1000 \
    offsets.topic.num.partitions=2 "${acl_settings[@]}" -- sh -c \
    'KAFKA_URI="tcp://$BOOTSTRAP" KAFKA_ROOT="$PWD" exec python3 -m pytest -q \
        -p no:cacheprovider -o log_level=INFO --timeout=120 --timeout-method=signal \
        --junitxml="$0" "$@"' "$out" "${tests[@]}" > "$RESULTS_DIR/kafka-python-$BROKER.log" 2>&1
set -e
tail -3 "$RESULTS_DIR/kafka-python-$BROKER.log"
check_results kafka-python "$out"
