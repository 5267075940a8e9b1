#!/usr/bin/env bash
# franz-go's pkg/kgo tests against a fresh broker. The source is the Go module proxy's zip of a
# pinned franz-go version (the zip carries the _test.go files); nothing of it is committed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
VERSION="${FRANZ_GO_VERSION:-v1.22.3}"
# The fast subset: every test but the slow ones (TestIssue523 sleeps through three rebalances,
# TestIssue434 and TestIssue337 through long polls); TestGroupETL, the group ETL, stays in.
FAST_SKIP='TestIssue523|TestIssue434|TestIssue337'

module_dir="$(go mod download -json "github.com/twmb/franz-go@$VERSION" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
cd "$module_dir/pkg/kgo"    # read-only module cache: the test binary goes to RESULTS_DIR
go test -vet=off -c -o "$RESULTS_DIR/kgo.test" .          # build before the broker starts

skip=""
[ "$BROKER" = fastlog ] && skip="$(skipped_tests franz-go | paste -sd'|')"
[ "$SUBSET" = fast ] && skip="${skip:+$skip|}$FAST_SKIP"
run=()
[ -n "$skip" ] && run=(-test.skip "^($skip)\$")
out="$RESULTS_DIR/franz-go-$BROKER.json"
set +e
run_against_broker franz-go num.partitions=1 -- sh -c \
    'KGO_SEEDS="$BOOTSTRAP" KGO_TEST_RF=1 exec go tool test2json -t -p kgo "$0" -test.v=test2json -test.timeout=25m "$@"' \
    "$RESULTS_DIR/kgo.test" "${run[@]}" > "$out"
set -e
check_results franz-go "$out"
