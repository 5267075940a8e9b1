#!/usr/bin/env bash
# confluent-kafka-python's integration tests against a fresh broker. No package registry ships
# them (its PyPI sdist has no tests/), so this runs by hand only, on a checkout given as
# CKP_SOURCE (the tag matching the installed client), with a venv holding the tests' needs (its
# conftest imports trivup and the Schema Registry client even for the tests run here):
#     python3 -m venv --system-site-packages /tmp/ckp-venv      # keeps the installed client
#     /tmp/ckp-venv/bin/pip install trivup httpx attrs cachetools authlib avro fastavro \
#         pytest-timeout pytest-asyncio respx requests-mock 'pluggy<1.6.0'
#     CKP_SOURCE=/path/to/confluent-kafka-python CKP_PYTHON=/tmp/ckp-venv/bin/python \
#         scripts/client-suites/confluent-kafka-python.sh
# Left out as the issue says: schema_registry (needs a Schema Registry), share_consumer* (KIP-932
# share groups) and the describe test that starts its own SASL cluster.
set -euo pipefail
source "$(dirname "$0")/common.sh"
: "${CKP_SOURCE:?set CKP_SOURCE to a confluent-kafka-python checkout (no registry ships its tests)}"
python="${CKP_PYTHON:-python3}"
cd "$CKP_SOURCE"

# The allow-all ACL authorizer its own test clusters run with (fastlog's answers to Kafka's
# class name).
settings=(authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
          allow.everyone.if.no.acl.found=true super.users=User:ANONYMOUS)
out="$RESULTS_DIR/confluent-kafka-python-$BROKER.xml"
set +e
run_against_broker confluent-kafka-python "${settings[@]}" -- sh -c \
    'BROKERS="$BOOTSTRAP" exec "$0" -m pytest -q -p no:cacheprovider --timeout=300 --timeout-method=signal \
        --junitxml="$1" tests/integration \
        --ignore=tests/integration/schema_registry --ignore=tests/integration/share_consumer \
        --ignore=tests/integration/share_consumer_sasl --ignore=tests/integration/share_consumer_oauth \
        --deselect=tests/integration/admin/test_describe_operations.py::test_describe_operations' \
    "$python" "$out" > "$RESULTS_DIR/confluent-kafka-python-$BROKER.log" 2>&1
set -e
tail -3 "$RESULTS_DIR/confluent-kafka-python-$BROKER.log"
check_results confluent-kafka-python "$out"
