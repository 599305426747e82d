"""The verdict: one row per category (pass / fail / warning / not measured), printed at the end of
the run and written as Markdown with `--report-md PATH` (e.g. for a CI job summary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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

PASS, FAIL, WARN, NOT_MEASURED = "pass", "fail", "warning", "not measured"
NOT_SELECTED = "not selected"
ICON = {
    PASS: "✅ pass",
    FAIL: "❌ fail",
    WARN: "⚠️ warning",
    NOT_MEASURED: "➖ not measured",
    NOT_SELECTED: "· not selected",
}


@dataclass
class TestResult:
    name: str
    category: str
    outcome: str
    detail: str = ""
    warnings: list[str] = field(default_factory=list)


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

    def warn(self, test: str, message: str) -> None:
        self.warnings.setdefault(test, []).append(message)

    def record(self, name: str, category: str, outcome: str, detail: str = "") -> None:
        existing = self.results.get(name)
        if existing is not None and existing.outcome == FAIL:
            return  # a teardown error never hides a failure
        result = TestResult(name, category, outcome, detail)
        result.warnings = self.warnings.get(name, [])
        if outcome == PASS and result.warnings:
            result.outcome = WARN
        self.results[name] = result

    @property
    def passed(self) -> bool:
        return not any(r.outcome == FAIL for r in self.results.values())

    def category_outcome(self, category: str) -> tuple[str, list[TestResult]]:
        rows = [r for r in self.results.values() if r.category == category]
        outcomes = {r.outcome for r in rows}
        for outcome in (FAIL, WARN, PASS):
            if outcome in outcomes:
                return outcome, rows
        return (NOT_MEASURED if rows else NOT_SELECTED), rows

    def markdown(self) -> str:
        head = "PASS" if self.passed else "FAIL"
        lines = [
            f"# DNC API conformance: **{head}**",
            "",
            f"Target `{self.target}` · run `{self.run_id}` · rate-limit window {self.window_s:g} s"
            f" · {self.duration_s:.0f} s",
            "",
            "| Category | Verdict | Passed | Failed | Warnings | Not measured |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        for key, title in CATEGORIES.items():
            outcome, rows = self.category_outcome(key)
            counts = {
                o: sum(1 for r in rows if r.outcome == o) for o in (PASS, FAIL, WARN, NOT_MEASURED)
            }
            lines.append(
                f"| {title} | {ICON[outcome]} | {counts[PASS]} | {counts[FAIL]} | {counts[WARN]}"
                f" | {counts[NOT_MEASURED]} |"
            )
        for outcome, title in (
            (FAIL, "Failures"),
            (WARN, "Warnings"),
            (NOT_MEASURED, "Not measured"),
        ):
            rows = [r for r in self.results.values() if r.outcome == outcome]
            if not rows:
                continue
            lines += ["", f"## {title}", ""]
            for r in rows:
                detail = r.detail.strip().splitlines()[0] if r.detail.strip() else ""
                lines.append(f"- **{r.name}** ({r.category}){': ' + detail if detail else ''}")
                for w in r.warnings[:20]:
                    lines.append(f"  - {w}")
                if len(r.warnings) > 20:
                    lines.append(f"  - … and {len(r.warnings) - 20} more")
        if self.requests:
            shown = ", ".join(f"{b} {n}" for b, n in sorted(self.requests.items()))
            lines += ["", f"Requests sent per bucket: {shown}."]
        lines += [""] + [f"> {note}" for note in self.notes]
        lines += [
            "",
            "Required: documented behaviour (a failure makes the run fail). Warnings: a different "
            "choice where the documentation is silent (fails only with `--strict`). Not measured: "
            "a prerequisite was missing or the category was switched off; it never counts as "
            "passed.",
        ]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(), encoding="utf-8")

    def table_text(self) -> str:
        lines = []
        for key, title in CATEGORIES.items():
            outcome, rows = self.category_outcome(key)
            lines.append(f"  {title:<36} {ICON[outcome]}  ({len(rows)} tests)")
        return "\n".join(lines)
