"""The end of the run: the verdict document, the table and notes in the terminal, and the
files asked for (`--report-md`, `--report-json`, `--trace-file`)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from contract_tests import verdict_doc, verdict_md
from contract_tests.context import NOT_MEASURED
from contract_tests.report import EXPECTED_FAILURE, STALE
from contract_tests.run_state import STATE, RunState

SHOWN_WARNINGS = 15


def document(state: RunState) -> dict[str, Any]:
    ctx = state.ctx
    facts = verdict_doc.RunFacts(
        started_at=state.started_at,
        finished_at=time.time(),
        selected=frozenset(state.selected),
        unplanned_429=dict(ctx.pacer.unplanned_429) if ctx is not None else {},
        baseline=str(state.run.baseline) if state.run.baseline is not None else None,
    )
    return verdict_doc.build(state.verdict, state.run, facts)


def _close_verdict(state: RunState) -> None:
    """Counts and notes known only at the end of the session."""
    verdict, ctx = state.verdict, state.ctx
    verdict.duration_s = time.monotonic() - state.started
    if ctx is not None:
        verdict.requests = ctx.log.count_by_bucket()
        verdict.requests_by_team = ctx.log.count_by_team()
        unplanned = sum(ctx.pacer.unplanned_429.values())
        detail = f" {dict(ctx.pacer.unplanned_429)}, waited out and retried" if unplanned else ""
        verdict.notes.append(
            f"Unplanned 429 answers (outside the rate-limit tests): {unplanned}{detail}"
        )
    for problem in state.cleanup_problems:
        verdict.notes.append(f"Cleanup: {problem}")
    for old, new in sorted(state.legacy.items()):
        verdict.notes.append(
            f"Baseline: {old!r} names a test function (deprecated, still honoured); list the "
            f"requirement id {new!r} instead"
        )


def _print(tw: Any, state: RunState, doc: dict[str, Any], exitstatus: int) -> None:
    run = state.run
    tw.section("DNC conformance verdict")
    tw.line(f"Target: {doc['target']['label']}   run id: {run.run_id}   window: {run.window_s:g} s")
    tw.line(verdict_md.table_text(doc))
    missing = doc["not_measured"]
    if missing:
        tw.line("")
        tw.line(f"NOT MEASURED ({len(missing)}; never counted as passed):", yellow=True, bold=True)
        for row in missing:
            tw.line(f"  - {row['id']}: {row['reason'].replace(NOT_MEASURED, '')}", yellow=True)
    for row in doc["results"]:
        if row["baseline"] == EXPECTED_FAILURE:
            tw.line(f"EXPECTED FAILURE (baseline): {row['id']}", yellow=True)
        elif row["baseline"] == STALE:
            tw.line(f"STALE BASELINE (listed, but passed): {row['id']}", red=True, bold=True)
    for row in doc["results"]:
        if not row["warnings"]:
            continue
        tw.line("")
        tw.line(
            f"WARNINGS from {row['id']} ({len(row['warnings'])}; fail only with --strict):",
            yellow=True,
        )
        for w in row["warnings"][:SHOWN_WARNINGS]:
            tw.line(f"  - {w}", yellow=True)
        if len(row["warnings"]) > SHOWN_WARNINGS:
            more = len(row["warnings"]) - SHOWN_WARNINGS
            tw.line(f"  - … and {more} more (see --report-md)", yellow=True)
    if doc["requests"]:
        tw.line("")
        tw.line("Requests per bucket: " + ", ".join(f"{k} {v}" for k, v in doc["requests"].items()))
    for note in doc["notes"]:
        tw.line(note)
    tw.line("")
    passed = doc["verdict"] == "pass" and exitstatus == 0
    tw.line("VERDICT: " + ("PASS" if passed else "FAIL"), bold=True, green=passed, red=not passed)


def _write_files(tw: Any, state: RunState, doc: dict[str, Any], trace: str | None) -> None:
    run = state.run
    if run.report_md is not None:
        run.report_md.parent.mkdir(parents=True, exist_ok=True)
        run.report_md.write_text(verdict_md.markdown(doc), encoding="utf-8")
        tw.line(f"Markdown verdict written to {run.report_md}")
    if run.report_json is not None:
        verdict_doc.write(doc, run.report_json)
        tw.line(f"Verdict document written to {run.report_json}")
    if trace and state.ctx is not None:
        secrets = [run.api_key, run.second_api_key]
        with Path(trace).open("w", encoding="utf-8") as out:
            for ex in state.ctx.log.exchanges:
                row = {"test": ex.test, "at": round(ex.sent_at, 3), **ex.evidence()}
                out.write(json.dumps(verdict_doc.redact(row, secrets), ensure_ascii=False) + "\n")
        tw.line(f"Trace of {len(state.ctx.log.exchanges)} exchanges written to {trace}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    _close_verdict(state)
    doc = document(state)
    _print(terminalreporter, state, doc, exitstatus)
    _write_files(terminalreporter, state, doc, config.getoption("--trace-file"))
