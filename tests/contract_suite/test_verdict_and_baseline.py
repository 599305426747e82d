"""The verdict file and baselines, end to end: a failure listed in the baseline does not fail
the run, a listed requirement that passes does (stale baseline), an unknown id is refused, and
no key ever reaches the outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from contract_tests.verdict_doc import SCHEMA_PATH

from .faults import catalogue
from .harness import KEY_A, KEY_B, run_against

pytestmark = pytest.mark.e2e

TOTAL = "list.total"  # the requirement id of test_list_total_counts_the_entries_of_this_page_only
TOTAL_TEST = "test_list_total_counts_the_entries_of_this_page_only"
FAULT = next(i for i, f in enumerate(catalogue()) if f.name == "list total off by one")
# Only the total test: the list category's other tests would fill the list past 1000 entries.
LIST_TOTAL = ["-m", "list", "-k", "total"]
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _baseline(tmp_path: Path, *ids: str) -> Path:
    path = tmp_path / "baseline.yaml"
    lines = ["expected-failures:"] + [f"  - id: {i}\n    reason: known (TICKET-1)" for i in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _result(verdict: dict[str, object], test: str) -> dict[str, object]:
    results = verdict["results"]
    assert isinstance(results, list)
    return next(r for r in results if r["id"] == test)


def test_a_failure_listed_in_the_baseline_does_not_fail_the_run(tmp_path: Path) -> None:
    run = run_against(FAULT, [*LIST_TOTAL, "--baseline", str(_baseline(tmp_path, TOTAL))])
    assert run.returncode == 0, run.output[-4000:]
    Draft202012Validator(SCHEMA).validate(run.verdict)
    assert run.verdict["verdict"] == "pass"
    row = _result(run.verdict, TOTAL)
    assert (row["status"], row["baseline"]) == ("fail", "expected_failure")
    assert row["evidence"], row
    assert run.verdict["summary"]["expected_failures"] == 1
    assert "Expected failures (baseline)" in run.files["md"]


def test_the_same_failure_without_a_baseline_fails_the_run_and_no_key_reaches_any_output() -> None:
    run = run_against(FAULT, LIST_TOTAL)
    assert run.returncode == 1, run.output[-4000:]
    assert TOTAL_TEST in run.failed
    assert run.verdict["verdict"] == "fail"
    assert _result(run.verdict, TOTAL)["status"] == "fail"
    for text in (run.output, *run.files.values()):
        assert KEY_A not in text
        assert KEY_B not in text


def test_a_listed_requirement_that_passes_fails_the_run_as_a_stale_baseline(
    tmp_path: Path,
) -> None:
    run = run_against(-1, [*LIST_TOTAL, "--baseline", str(_baseline(tmp_path, TOTAL))])
    assert run.returncode == 1, run.output[-4000:]
    Draft202012Validator(SCHEMA).validate(run.verdict)
    assert run.verdict["verdict"] == "fail"
    row = _result(run.verdict, TOTAL)
    assert (row["status"], row["baseline"]) == ("pass", "stale")
    assert run.verdict["summary"]["stale_baseline"] == 1
    assert "STALE BASELINE" in run.output


def test_a_baseline_naming_a_requirement_the_suite_lacks_is_refused(tmp_path: Path) -> None:
    run = run_against(-1, [*LIST_TOTAL, "--baseline", str(_baseline(tmp_path, "list.nope"))])
    assert run.returncode == 4, run.output[-3000:]
    assert "list.nope" in run.output


def test_an_old_baseline_naming_a_test_function_still_works_with_a_deprecation_note(
    tmp_path: Path,
) -> None:
    run = run_against(FAULT, [*LIST_TOTAL, "--baseline", str(_baseline(tmp_path, TOTAL_TEST))])
    assert run.returncode == 0, run.output[-4000:]
    row = _result(run.verdict, TOTAL)
    assert (row["status"], row["baseline"], row["test"]) == ("fail", "expected_failure", TOTAL_TEST)
    assert any(TOTAL_TEST in n and repr(TOTAL) in n for n in run.verdict["notes"]), run.verdict
    junit = run.files["junit"]
    assert f'name="requirement" value="{TOTAL}"' in junit
