"""The Markdown verdict (`--report-md`, e.g. for `$GITHUB_STEP_SUMMARY`) and the terminal table,
both rendered from the verdict document (`verdict_doc.build`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ICON = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "warn": "⚠️ warning",
    "not_measured": "➖ not measured",
    "not_selected": "· not selected",
}
SHOWN_WARNINGS = 20


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _counts(doc: dict[str, Any], category: str) -> dict[str, int]:
    rows = [r for r in doc["results"] if r["category"] == category]
    return {s: sum(1 for r in rows if r["status"] == s) for s in ICON}


def markdown(doc: dict[str, Any]) -> str:
    run, target = doc["run"], doc["target"]
    lines = [
        f"# DNC API conformance: **{doc['verdict'].upper()}**",
        "",
        f"Target `{target['label']}` · run `{run['id']}` · rate-limit window "
        f"{run['rate_window_s']:g} s · {run['duration_s']:.0f} s · {run['finished_at']}",
        "",
        f"Judged by `{doc['spec']['file']}` sha256 `{doc['spec']['sha256'][:16]}…` · suite "
        f"{doc['suite']['version']} · Schemathesis {doc['schemathesis']['version']}"
        + (f" · baseline `{run['baseline']}`" if run["baseline"] else ""),
        "",
        "| Category | Verdict | Passed | Failed | Warnings | Not measured |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for category in doc["categories"]:
        c = _counts(doc, category["id"])
        lines.append(
            f"| {category['title']} | {ICON[category['status']]} | {c['pass']} | {c['fail']} | "
            f"{c['warn']} | {c['not_measured']} |"
        )
    sections: tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...] = (
        ("Failures", lambda r: r["status"] == "fail" and r["baseline"] is None),
        (
            "Stale baseline (listed as expected failures, but passed)",
            lambda r: r["baseline"] == "stale",
        ),
        ("Expected failures (baseline)", lambda r: r["baseline"] == "expected_failure"),
        ("Warnings", lambda r: r["status"] == "warn"),
        ("Not measured", lambda r: r["status"] == "not_measured"),
    )
    for title, wanted in sections:
        rows = [r for r in doc["results"] if wanted(r)]
        if not rows:
            continue
        lines += ["", f"## {title}", ""]
        for r in rows:
            detail = _first_line(r["detail"])
            lines.append(f"- **{r['id']}** ({r['category']}){': ' + detail if detail else ''}")
            rest = r["detail"].strip().splitlines()[1:]
            if rest:  # the whole message (e.g. every finding of a Schemathesis check)
                lines += ["", "  ```text", *(f"  {line}" for line in rest), "  ```", ""]
            if r["status"] == "fail" and r["checks"]:
                lines.append(f"  - requires: {r['checks']}")
            for w in r["warnings"][:SHOWN_WARNINGS]:
                lines.append(f"  - {w}")
            if len(r["warnings"]) > SHOWN_WARNINGS:
                lines.append(f"  - … and {len(r['warnings']) - SHOWN_WARNINGS} more")
    st = doc["schemathesis"]
    if st["ran"]:
        names = ", ".join(f"`{c['name']}`" for c in st["checks"] if c["source"] == "schemathesis")
        lines += ["", "## Schemathesis checks", "", f"Ran on every generated request: {names}."]
        for c in st["not_run"]:
            why = f" (decision {c['decision']})" if c["decision"] else ""
            lines.append(f"- not run: `{c['name']}`{why}: {c['reason']}")
    if doc["requests"]:
        shown = ", ".join(f"{b} {n}" for b, n in doc["requests"].items())
        lines += ["", f"Requests sent per bucket: {shown}; per team (each its own budget):", ""]
        for team, counts in doc["requests_by_team"].items():
            per = ", ".join(f"{b} {n}" for b, n in counts.items())
            lines.append(f"- {'no team key' if team == '-' else 'team ' + team}: {per}")
    lines += [""] + [f"> {note}" for note in doc["notes"]]
    lines += [
        "",
        "Required: documented behaviour (a failure makes the run fail). Warnings: a different "
        "choice where the documentation is silent (fails only with `--strict`). Not measured: "
        "a prerequisite was missing or the category was switched off; it never counts as "
        "passed. Expected failures: listed in the baseline; a listed one that passes fails the "
        "run (stale baseline).",
    ]
    return "\n".join(lines) + "\n"


def table_text(doc: dict[str, Any]) -> str:
    lines = []
    for category in doc["categories"]:
        lines.append(
            f"  {category['title']:<36} {ICON[category['status']]}  ({category['tests']} tests)"
        )
    return "\n".join(lines)
