#!/usr/bin/env bash
# Run the client libraries' own test suites against fastlog, each checked against its list of
# expected failures (<suite>.expected-failures). Fails if any suite has a failure off its list.
#   run-all.sh          the full sets: franz-go, kafka-python, librdkafka (+ confluent-kafka-python
#                       when CKP_SOURCE points at its checkout; no registry ships its tests)
#   run-all.sh --fast   the subsets .ci/run runs: franz-go without its slowest tests, kafka-python
#   BROKER=kafka run-all.sh   the same against Apache Kafka, the control (no list applies)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d -t client-suites.XXXXXX)}"
if [ "${1:-}" = --fast ]; then
    export SUBSET=fast
    suites=(franz-go kafka-python)
else
    export SUBSET=full
    suites=(franz-go kafka-python librdkafka)
    [ -n "${CKP_SOURCE:-}" ] && suites+=(confluent-kafka-python)
fi
failed=()
for suite in "${suites[@]}"; do
    echo "== client suite $suite ($SUBSET, ${BROKER:-fastlog}); results in $RESULTS_DIR"
    started=$SECONDS
    bash "$here/$suite.sh" || failed+=("$suite")
    echo "== $suite took $((SECONDS - started)) s"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "client suites with failures off their lists: ${failed[*]}"
    exit 1
fi
echo "client suites: no failure off the lists (${suites[*]})"
