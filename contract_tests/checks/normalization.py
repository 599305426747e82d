"""URL normalization, data-driven from fixtures/normalization.json (moved under the run prefix,
see contract_tests/fixtures.py). Batch add checks many cases with few requests; check verifies
that the documented forms are found."""

from __future__ import annotations

from typing import Any

from contract_tests import seeds
from contract_tests.checks.common import entry_conformance, expect_status, fail
from contract_tests.client import Exchange
from contract_tests.context import Ctx
from contract_tests.fixtures import NormCase

# Every case in one batch where possible: the pages recommend 100-500 URLs per request.
BATCH_SIZE = 250
Sent = list[tuple[list[NormCase], Exchange]]


def send_in_batches(ctx: Ctx, cases: list[NormCase]) -> Sent:
    sent: Sent = []
    for start in range(0, len(cases), BATCH_SIZE):
        chunk = cases[start : start + BATCH_SIZE]
        sent.append((chunk, ctx.a.batch([c.input for c in chunk])))
    return sent


def case_problem(case: NormCase, detail: Any) -> str | None:
    if not isinstance(detail, dict):
        return f"{case.label}: no detail item"
    status, url = detail.get("status"), detail.get("url")
    if case.expected is None:
        if status != "error":
            return (
                f"{case.label}: sent {case.input!r}, must be rejected (status error), "
                f"got {status!r} url {url!r}"
            )
        return None
    if status not in ("added", "duplicate") or url != case.expected:
        return (
            f"{case.label}: sent {case.input!r}, expected {case.expected!r}, "
            f"got status {status!r} url {url!r}"
        )
    return None


def mismatches(sent: Sent, documented: bool) -> tuple[list[str], list[str]]:
    """(per-case problems, whole-batch problems) of the documented (or the inferred) cases."""
    problems: list[str] = []
    whole: list[str] = []
    for chunk, ex in sent:
        if not any(case.documented == documented for case in chunk):
            continue
        details = ex.data.get("details") if isinstance(ex.data, dict) else None
        if ex.status != 201 or not isinstance(details, list) or len(details) != len(chunk):
            whole.append(
                f"a batch of {len(chunk)} cases was not answered 201 with one detail per "
                f"entry:\n{ex.describe()}"
            )
            continue
        for case, detail in zip(chunk, details, strict=True):
            if case.documented != documented:
                continue
            problem = case_problem(case, detail)
            if problem is not None:
                problems.append(problem)
    return problems, whole


def documented_normalization_conformance(sent: Sent) -> None:
    problems, whole = mismatches(sent, documented=True)
    broken = whole + problems
    if broken:
        shown = "\n  ".join(broken[:12])
        more = f"\n  … and {len(broken) - 12} more" if len(broken) > 12 else ""
        raise AssertionError(
            f"{len(broken)} documented normalization case(s) broken (via POST "
            "/dnc/batch):\n  "
            f"{shown}{more}\n  documented: {seeds.NORMALIZATION}"
        )


def inferred_normalization_conformance(ctx: Ctx, sent: Sent) -> None:
    problems, whole = mismatches(sent, documented=False)
    differing = whole + problems
    for problem in differing:
        ctx.warn("inferred case differs (a decision, not documented): " + problem)
    if ctx.config.strict and differing:
        raise AssertionError(
            f"--strict: {len(differing)} inferred normalization case(s) differ from "
            "fixtures/normalization.json:\n  " + "\n  ".join(differing[:12])
        )


def check_finds_documented_forms_conformance(ctx: Ctx, cases: list[NormCase]) -> None:
    """Every documented form of a URL added by the batch is found by check, with its canonical "
    "url."""
    for case in cases:
        if case.expected is None:
            continue
        ex = ctx.a.check(case.input)
        expect_status(ex, 200, seeds.NORMALIZATION_CHECK, f"Checking {case.input!r}")
        data = ex.data if isinstance(ex.data, dict) else {}
        entry = data.get("entry")
        if (
            data.get("onList") is not True
            or not isinstance(entry, dict)
            or entry.get("url") != case.expected
        ):
            raise fail(
                f"Checking {case.input!r} must find the listed {case.expected!r} ({case.note}).",
                ex,
                seeds.NORMALIZATION_CHECK,
            )


def add_normalizes_conformance(ctx: Ctx) -> None:
    slug = ctx.fresh_slug("single-add")
    sent = f"WWW.LinkedIn.COM/in/{slug.upper()}/"
    ex = ctx.a.add(sent)
    expect_status(ex, 201, seeds.NORMALIZATION, f"Adding {sent!r}")
    entry = entry_conformance(ex, ex.data)
    if entry.get("url") != f"https://linkedin.com/in/{slug}":
        raise fail(
            f"Adding {sent!r} must store https://linkedin.com/in/{slug}.", ex, seeds.NORMALIZATION
        )


def invalid_url_conformance(ctx: Ctx) -> None:
    sent = f"{ctx.config.marker}-invalid-url"
    ex = ctx.a.add(sent)
    if ex.status != 400 or ex.error != "invalid_url":
        raise fail(f"Adding {sent!r} must answer 400 invalid_url.", ex, seeds.INVALID_URL)
    for empty in ("", None):
        ex = ctx.a.request("POST", "/dnc", json={} if empty is None else {"url": empty})
        if ex.status != 400 or ex.error not in ("invalid_request", "invalid_url"):
            raise fail(
                "Adding without a url must answer 400 invalid_request.", ex, seeds.MISSING_URL
            )
        if empty is None and ex.error != "invalid_request":
            raise fail(
                "Adding without a url field must answer 400 invalid_request.", ex, seeds.MISSING_URL
            )
