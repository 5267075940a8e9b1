#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run the whole suite.
#   - kcat from Debian's packages (the kcat tests drive it)
#   - fastlog itself, editable, with both native parts built in release mode, and the test
#     clients (confluent-kafka, kafka-python, aiokafka, their codecs) from PyPI
#   - clippy, if rustup can add it (the suite lints the Rust engine)
#   - Apache Kafka's jars (tools for the Java-tool tests) from Maven Central, cached in ~/.m2
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kcat >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
    $apt_get update -qq
    DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq kcat >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo (Rust) is needed to build fastlog's storage engine" >&2
    exit 1
fi
# The suite runs `cargo clippy -D warnings` on the engine (tests/unit/test_storage_native_checks.py).
if ! cargo clippy --version >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1; then
    rustup component add clippy
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
# An editable install writes no bytecode, and with PYTHONDONTWRITEBYTECODE=1 (set on our CI
# machines) Python never caches it: every broker a test starts would compile every module again
# (~0.3 s each). Written once here; Python still recompiles a module whose source changed.
python3 -m compileall -q src/fastlog
# Resolve the Kafka jars once, up front, so no test pays for the download.
python3 -c "from fastlog import kafka_dist; kafka_dist.classpath()"

exec python3 -m pytest -q -p no:cacheprovider "$@"
