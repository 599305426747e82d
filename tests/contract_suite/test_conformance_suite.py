"""The conformance suite tests itself: it passes against the reference server, and each
deliberately broken variant (one documented behaviour broken at a time) is caught by a named test.

Every run is a real `python -m contract_tests.cli` subprocess against a uvicorn-served app,
window 2 s; the variants run six at a time with only their relevant tests selected. The
rate-limit variants mostly wait out windows, while the Schemathesis runs keep a core busy: those
run at a lower CPU priority, so that the rate-limit bursts stay fast enough to be measured.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from jsonschema import Draft202012Validator

from contract_tests.checks.schemathesis_checks import RUN
from contract_tests.verdict_doc import SCHEMA_PATH, spec_sha256

from .faults import Fault, catalogue
from .harness import SuiteRun, run_against

pytestmark = pytest.mark.e2e

FAULTS = catalogue()
WORKERS = 6


ROLLING = "test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window"


def _not_measured(run: SuiteRun) -> str:
    return "\n".join(f"{r['id']}: {r['reason']}" for r in run.verdict.get("not_measured", []))


def test_the_suite_passes_against_the_reference_server_without_a_warning() -> None:
    run = run_against(-1, [])
    assert not run.failed, f"failed: {sorted(run.failed)}\n{run.output[-6000:]}"
    assert run.returncode == 0, run.output[-6000:]
    assert len(run.passed) >= 70, f"only {len(run.passed)} tests passed:\n{run.output[-3000:]}"
    if run.skipped and all(name.startswith(ROLLING) for name in run.skipped):
        # On a loaded machine a 2 s window can be too short to tell rolling from fixed (the
        # suite then says "not measured"): once more, alone, it must be measured and pass.
        again = run_against(-1, ["-m", "rate_limit", "-k", ROLLING])
        assert again.passed == run.skipped, _not_measured(again) or again.output[-3000:]
        run.passed |= again.passed
        run.skipped = set()
    assert not run.skipped, f"not measured against the reference server:\n{_not_measured(run)}"
    verdict = run.verdict
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))).validate(verdict)
    assert verdict["verdict"] == "pass"
    assert verdict["summary"]["warn"] == 0, [r for r in verdict["results"] if r["warnings"]]
    assert verdict["spec"]["sha256"] == spec_sha256()
    checks = {c["name"]: c for c in verdict["schemathesis"]["checks"]}
    for name in RUN:
        assert checks[name]["judged"] > 0, name
    assert verdict["unplanned_429"] == {}
    assert {r["test"] for r in verdict["results"]} <= run.passed
    assert not any(r["id"].startswith("test_") for r in verdict["results"])


def test_tests_needing_a_second_team_are_not_measured_without_its_key() -> None:
    run = run_against(-1, ["-m", "isolation"], second_key=False)
    assert run.returncode == 0, run.output[-3000:]
    assert not run.failed, run.output[-3000:]
    assert run.skipped, run.output[-3000:]
    assert not run.passed, f"passed without a second key: {sorted(run.passed)}"
    assert "NOT MEASURED" in run.output


def caught_by(run: SuiteRun, fault: Fault) -> set[str]:
    """The killers that failed; a killer named without `[...]` stands for every parameter."""
    return {n for n in run.failed if n in fault.killers or n.partition("[")[0] in fault.killers}


def _cpu_heavy(fault: Fault) -> bool:
    return "schema" in " ".join(fault.select)


def _run_fault(index: int) -> SuiteRun:
    fault = FAULTS[index]
    niceness = 10 if _cpu_heavy(fault) else 0
    return run_against(index, list(fault.select), niceness=niceness, window_s=fault.window_s)


def _expected_cost(fault: Fault) -> int:
    """Slowest first (Schemathesis runs, then rate-limit variants), so the pool drains evenly."""
    return 0 if _cpu_heavy(fault) else 1 if "rate_limit" in " ".join(fault.select) else 2


@pytest.fixture(scope="module")
def kill_matrix() -> dict[str, SuiteRun]:
    order = sorted(range(len(FAULTS)), key=lambda i: _expected_cost(FAULTS[i]))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = dict(zip(order, pool.map(_run_fault, order), strict=True))
    runs = [results[i] for i in range(len(FAULTS))]
    return {fault.name: run for fault, run in zip(FAULTS, runs, strict=True)}


def test_at_least_70_broken_variants_break_at_least_50_distinct_behaviours() -> None:
    assert len(FAULTS) >= 70
    assert len({f.behaviour for f in FAULTS}) >= 50
    assert len({f.name for f in FAULTS}) == len(FAULTS)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_broken_variant_is_caught_by_a_named_test(
    fault: Fault, kill_matrix: dict[str, SuiteRun]
) -> None:
    run = kill_matrix[fault.name]
    assert run.returncode != 0, (
        f"{fault.name}: the suite passed a broken server\n{run.output[-4000:]}"
    )
    assert caught_by(run, fault), (
        f"{fault.name}: expected one of {sorted(fault.killers)} to fail, failed: "
        f"{sorted(run.failed)}\n"
        f"{run.output[-4000:]}"
    )


def test_the_kill_matrix_scores_100_percent(
    kill_matrix: dict[str, SuiteRun], capsys: pytest.CaptureFixture[str]
) -> None:
    killed = {
        f.name
        for f in FAULTS
        if kill_matrix[f.name].returncode != 0 and caught_by(kill_matrix[f.name], f)
    }
    lines = [
        "",
        f"Kill matrix: {len(killed)}/{len(FAULTS)} broken variants caught "
        f"({100 * len(killed) // len(FAULTS)}%)",
    ]
    for fault in FAULTS:
        run = kill_matrix[fault.name]
        mark = "KILLED " if fault.name in killed else "SURVIVED"
        tests = ", ".join(sorted(run.failed)) or "-"
        lines.append(
            f"  {mark} {fault.name:<44} [{fault.behaviour}] ({run.seconds:.0f} s) by: {tests}"
        )
    with capsys.disabled():
        print("\n".join(lines))
    assert killed == {f.name for f in FAULTS}
