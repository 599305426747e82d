"""The verdict: one result per requirement (pass / fail / warn / not_measured), collected while
the run goes, turned into the verdict document (`--report-json`, schema `verdict.schema.json`)
at the end. The terminal table and the Markdown report (`--report-md`) are rendered from that
document (`verdict_md.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract_tests.requirements import Requirement, result_id

CATEGORIES: dict[str, str] = {
    "schema": "Schema conformance (Schemathesis)",
    "envelope": "Response envelopes",
    "normalization": "URL normalization",
    "duplicates": "Duplicates (409)",
    "batch": "Batch add",
    "check": "Check",
    "list": "List and paging",
    "delete": "Delete",
    "auth": "Authentication",
    "isolation": "Team isolation",
    "cache": "Cache invalidation",
    "rate_limit": "Rate limits",
}

PASS, FAIL, WARN, NOT_MEASURED = "pass", "fail", "warn", "not_measured"
NOT_SELECTED = "not_selected"
STATUSES = (PASS, FAIL, WARN, NOT_MEASURED)
EXPECTED_FAILURE, STALE = "expected_failure", "stale"


@dataclass
class TestResult:
    name: str  # the pytest test name (with its parameter)
    category: str
    outcome: str
    detail: str = ""
    warnings: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    baseline: str | None = None  # EXPECTED_FAILURE (listed and failed) or STALE (listed, passed)
    requirement: Requirement | None = None

    @property
    def id(self) -> str:
        """The stable requirement id of this result (the test name for a test declaring none)."""
        if self.requirement is None:
            return self.name
        return result_id(self.requirement, self.name)

    @property
    def counts_as_failure(self) -> bool:
        if self.baseline == STALE:
            return True
        return self.outcome == FAIL and self.baseline != EXPECTED_FAILURE


@dataclass
class Verdict:
    target: str
    run_id: str
    window_s: float
    results: dict[str, TestResult] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    requests: dict[str, int] = field(default_factory=dict)
    requests_by_team: dict[str, dict[str, int]] = field(default_factory=dict)
    schemathesis: list[dict[str, Any]] = field(default_factory=list)  # per check, see schema.py

    def warn(self, test: str, message: str) -> None:
        self.warnings.setdefault(test, []).append(message)

    def record(
        self,
        name: str,
        category: str,
        outcome: str,
        detail: str = "",
        *,
        evidence: list[dict[str, Any]] | None = None,
        baseline: str | None = None,
        requirement: Requirement | None = None,
    ) -> None:
        existing = self.results.get(name)
        if existing is not None and existing.outcome == FAIL:
            return  # a teardown error never hides a failure
        result = TestResult(name, category, outcome, detail, evidence=evidence or [])
        result.baseline = baseline
        result.requirement = requirement
        result.warnings = self.warnings.get(name, [])
        if outcome == PASS and result.warnings:
            result.outcome = WARN
        self.results[name] = result

    @property
    def passed(self) -> bool:
        return not any(r.counts_as_failure for r in self.results.values())

    def category_outcome(self, category: str) -> tuple[str, list[TestResult]]:
        rows = [r for r in self.results.values() if r.category == category]
        if any(r.counts_as_failure for r in rows):
            return FAIL, rows
        # An expected failure (listed in the baseline) shows as a warning of its category.
        outcomes = {WARN if r.outcome == FAIL else r.outcome for r in rows}
        for outcome in (WARN, PASS):
            if outcome in outcomes:
                return outcome, rows
        return (NOT_MEASURED if rows else NOT_SELECTED), rows
