# Sourced by each suite's script: paths, the broker to test against and the results folder.
#   BROKER=fastlog|kafka   which broker the suite runs against (kafka is the control run by hand)
#   SUBSET=fast|full       the fast subset (.ci/run) or every test
#   RESULTS_DIR            where results and broker logs go (a temp folder unless set)
#   CACHE_DIR              where fetched and built suites are kept between runs, per version
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BROKER="${BROKER:-fastlog}"
SUBSET="${SUBSET:-full}"
RESULTS_DIR="${RESULTS_DIR:-$(mktemp -d -t client-suites.XXXXXX)}"
CACHE_DIR="${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fastlog/client-suites}"
mkdir -p "$RESULTS_DIR" "$CACHE_DIR"
export PYTHONPATH="$REPO/src${PYTHONPATH:+:$PYTHONPATH}"

# run_against_broker NAME SETTINGS... -- COMMAND...: COMMAND runs with $BOOTSTRAP set
run_against_broker() {
    local name="$1"; shift
    local args=()
    while [ "$1" != "--" ]; do args+=(--set "$1"); shift; done
    python3 "$HERE/broker.py" --broker "$BROKER" --log "$RESULTS_DIR/$name-$BROKER-broker.log" "${args[@]}" "$@"
}

# check_results NAME RESULTS_FILE: fail on a test outside NAME.expected-failures
check_results() {
    local list="$HERE/$1.expected-failures"
    [ "$BROKER" = fastlog ] || list=/dev/null
    python3 "$HERE/check.py" "$1 on $BROKER" "$2" "$list"
}

# skipped_tests NAME: the tests NAME.expected-failures marks `# skip:` (they hang), one a line
skipped_tests() {
    sed -n 's/^\([^#[:space:]]*\)[[:space:]]*#[[:space:]]*skip:.*/\1/p' "$HERE/$1.expected-failures"
}
