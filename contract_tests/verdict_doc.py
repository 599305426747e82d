"""The verdict document (`--report-json PATH`): what was judged, by which spec, against what,
when, and one result per requirement with its evidence. Its schema is `verdict.schema.json`
(next to this file); secrets never appear in it (`redact`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from contract_tests.checks.schemathesis_checks import NOT_RUN
from contract_tests.config import LIMITS, RunConfig
from contract_tests.report import CATEGORIES, NOT_MEASURED, STATUSES, Verdict
from dnc_kit.resources import OPENAPI_PATH

FORMAT_VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("verdict.schema.json")
REDACTED = "[REDACTED]"


def suite_version() -> str:
    try:
        return metadata.version("dnc-kit")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+checkout"


def schemathesis_version() -> str:
    try:
        return metadata.version("schemathesis")
    except metadata.PackageNotFoundError:
        return "?"


def spec_sha256(path: Path = OPENAPI_PATH) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key_fingerprint(key: str | None) -> str | None:
    """Enough to tell keys apart in a report, useless to an attacker."""
    if not key:
        return None
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:12]


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class RunFacts:
    """What the plugin knows at the end of the session."""

    started_at: float
    finished_at: float
    selected: frozenset[str]  # categories with at least one selected test
    unplanned_429: dict[str, int]
    baseline: str | None  # the baseline file given, if any


def build(verdict: Verdict, run: RunConfig, facts: RunFacts) -> dict[str, Any]:
    results = []
    for r in verdict.results.values():
        requirement = r.requirement
        results.append(
            {
                "id": r.id,
                "test": r.name,
                "category": r.category,
                "status": r.outcome,
                "checks": requirement.checks if requirement else "",
                "source": requirement.source if requirement else "documented",
                "decisions": list(requirement.decisions) if requirement else [],
                "detail": r.detail,
                "warnings": list(r.warnings),
                "evidence": r.evidence,
                "baseline": r.baseline,
            }
        )
    summary = {s: sum(1 for r in verdict.results.values() if r.outcome == s) for s in STATUSES}
    summary["expected_failures"] = sum(
        1 for r in verdict.results.values() if r.baseline == "expected_failure"
    )
    summary["stale_baseline"] = sum(1 for r in verdict.results.values() if r.baseline == "stale")
    categories = []
    for key, title in CATEGORIES.items():
        outcome, rows = verdict.category_outcome(key)
        categories.append(
            {
                "id": key,
                "title": title,
                "status": outcome if key in facts.selected else "not_selected",
                "tests": len(rows),
            }
        )
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "verdict": "pass" if verdict.passed else "fail",
        "suite": {"name": "dnc-kit conformance", "version": suite_version()},
        "spec": {"file": OPENAPI_PATH.name, "sha256": spec_sha256()},
        "target": {
            "base_url": run.base_url,
            "label": verdict.target,
            "embedded": run.embedded,
            "team_a_key": key_fingerprint(run.api_key),
            "team_b_key": key_fingerprint(run.second_api_key),
        },
        "run": {
            "id": run.run_id,
            "started_at": iso(facts.started_at),
            "finished_at": iso(facts.finished_at),
            "duration_s": round(facts.finished_at - facts.started_at, 1),
            "rate_window_s": run.window_s,
            "clock_skew_s": run.clock_skew_s,
            "strict": run.strict,
            "baseline": facts.baseline,
            "limits": dict(LIMITS),
        },
        "summary": summary,
        "categories": categories,
        "results": results,
        "not_measured": [
            {"id": r.id, "test": r.name, "reason": r.detail}
            for r in verdict.results.values()
            if r.outcome == NOT_MEASURED
        ],
        "schemathesis": {
            "version": schemathesis_version(),
            "ran": "schema" in facts.selected,
            "checks": verdict.schemathesis,
            "not_run": [
                {"name": n.name, "reason": n.reason, "decision": n.decision} for n in NOT_RUN
            ],
        },
        "requests": dict(sorted(verdict.requests.items())),
        "requests_by_team": verdict.requests_by_team,
        "unplanned_429": dict(sorted(facts.unplanned_429.items())),
        "notes": list(verdict.notes),
    }
    return cast(dict[str, Any], redact(doc, [run.api_key, run.second_api_key]))


def redact(value: Any, secrets: Sequence[str | None]) -> Any:
    """Every occurrence of a secret in any string of `value`, replaced."""
    keys = [s for s in secrets if s]
    if isinstance(value, str):
        for key in keys:
            value = value.replace(key, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: redact(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, keys) for v in value]
    return value


def write(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
