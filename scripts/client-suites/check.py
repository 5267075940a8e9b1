"""Compare a client test suite's results with its list of expected failures.

    python3 check.py SUITE RESULTS EXPECTED_FAILURES [--only-listed-run]

RESULTS is a JUnit XML file (pytest --junitxml), a `go test -json` stream, librdkafka's
test-runner report (TEST_REPORT), or plain lines
`PASS name` / `FAIL name`. EXPECTED_FAILURES has one test name a line, then `#` and why it fails
on fastlog; blank lines and lines starting with `#` are comments. A reason that starts with
`skip:` marks a test that hangs instead of failing: the suite's script does not run it.

Exit 1 if a test outside the list failed. A listed test that now passes is reported (take it off
the list) but does not fail the run; a listed test that did not run at all is only counted.
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def read_expected(path: Path) -> dict[str, str]:
    expected: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition("#")
        if not reason.strip():
            raise SystemExit(f"{path}: {name.strip()} has no reason")
        expected[name.strip()] = reason.strip()
    return expected


def read_junit(text: str) -> dict[str, str]:
    results: dict[str, str] = {}
    for case in ET.fromstring(text).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("skipped") is not None:
            results[name] = "SKIP"
        elif case.find("failure") is not None or case.find("error") is not None:
            results[name] = "FAIL"
        else:
            results[name] = "PASS"
    return results


def read_go_json(text: str) -> dict[str, str]:
    results: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        test, action = event.get("Test"), event.get("Action")
        if test and "/" not in test and action in ("pass", "fail", "skip"):
            results[test] = action.upper()
    return results


def read_librdkafka_report(report: dict) -> dict[str, str]:
    states = {"PASSED": "PASS", "FAILED": "FAIL", "SKIPPED": "SKIP"}
    return {name: states.get(test["state"], "FAIL") for name, test in report["tests"].items()}


def read_plain(text: str) -> dict[str, str]:
    results: dict[str, str] = {}
    for line in text.splitlines():
        status, _, name = line.strip().partition(" ")
        if status in ("PASS", "FAIL", "SKIP") and name:
            results[name.strip()] = status
    return results


def read_results(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("<"):
        return read_junit(text)
    if text.lstrip().startswith("{"):
        try:
            whole = json.loads(text)
        except ValueError:
            return read_go_json(text)
        return read_librdkafka_report(whole) if "tests" in whole else read_go_json(text)
    return read_plain(text)


def main() -> int:
    suite, results_path, expected_path = sys.argv[1:4]
    results = read_results(Path(results_path))
    expected = read_expected(Path(expected_path))
    passed = sorted(n for n, s in results.items() if s == "PASS")
    failed = sorted(n for n, s in results.items() if s == "FAIL")
    skipped = sorted(n for n, s in results.items() if s == "SKIP")
    unexpected = [n for n in failed if n not in expected]
    now_passing = [n for n in passed if n in expected]
    for name in failed:
        tag = "expected failure" if name in expected else "UNEXPECTED FAILURE"
        print(f"  {tag}: {name}" + (f"  ({expected[name]})" if name in expected else ""))
    for name in now_passing:
        print(f"  NOW PASSES (take it off {Path(expected_path).name}): {name}")
    not_run = [n for n in expected if n not in results or results[n] == "SKIP"]
    print(f"{suite}: {len(passed)} pass, {len(failed)} fail ({len(failed) - len(unexpected)} expected, "
          f"{len(unexpected)} unexpected), {len(skipped)} skipped by the suite, "
          f"{len(now_passing)} listed but passing, {len(not_run)} listed but not run")
    if not results:
        print(f"{suite}: no test results in {results_path}")
        return 1
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
