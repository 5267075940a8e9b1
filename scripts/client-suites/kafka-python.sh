#!/usr/bin/env bash
# kafka-python's integration tests (test/integration in its PyPI sdist of a pinned version) against
# a fresh broker with the settings its own fixtures give Kafka. Nothing of it is committed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
VERSION="${KAFKA_PYTHON_VERSION:-3.0.12}"
# The fast subset: one module of producer tests and the admin tests that need no SASL/ACLs.
FAST=(test/integration/test_producer_integration.py test/integration/test_admin_integration.py)

python3 -m pip install -q --disable-pip-version-check pytest-timeout pytest-mock
src="$CACHE_DIR/kafka-python-$VERSION"
if [ ! -d "$src/kafka_python-$VERSION/test/integration" ]; then
    rm -rf "$src"; mkdir -p "$src"
    python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
        "kafka-python==$VERSION" -d "$src"
    tar xzf "$src/kafka_python-$VERSION.tar.gz" -C "$src"
fi
cd "$src/kafka_python-$VERSION"

tests=(test/integration)
[ "$SUBSET" = fast ] && tests=("${FAST[@]}")
out="$RESULTS_DIR/kafka-python-$BROKER.xml"
set +e
# KAFKA_URI makes the fixtures use our broker; KAFKA_ROOT only has to exist. The sdist's own
# pytest options use thread timeouts, which hang on a stuck test; signal ones end it.
run_against_broker kafka-python node.id=0 num.partitions=4 group.min.session.timeout.ms=1000 \
    offsets.topic.num.partitions=2 -- sh -c \
    'KAFKA_URI="tcp://$BOOTSTRAP" KAFKA_VERSION=4.1 KAFKA_ROOT="$PWD" exec python3 -m pytest -q \
        -p no:cacheprovider -o log_level=INFO --timeout=120 --timeout-method=signal \
        --junitxml="$0" "$@"' "$out" "${tests[@]}" > "$RESULTS_DIR/kafka-python-$BROKER.log" 2>&1
set -e
tail -3 "$RESULTS_DIR/kafka-python-$BROKER.log"
check_results kafka-python "$out"
