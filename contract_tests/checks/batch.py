"""POST /dnc/batch: status 201 with partial errors, counts, details in input order with
normalized URLs, a URL repeated inside one batch, and 400 for missing/empty/malformed entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract_tests import seeds
from contract_tests.checks.common import data_dict, envelope_conformance, expect_error, fail
from contract_tests.client import Exchange
from contract_tests.context import Ctx


@dataclass
class BatchRun:
    exchange: Exchange
    sent: list[str]
    expected: list[tuple[str | None, str]]  # (normalized url or None for error, status)


def mixed_batch(ctx: Ctx) -> BatchRun:
    """One batch: new URLs in several forms, an already-listed URL, an invalid one, a repeat."""
    listed = ctx.fresh_slug("batch-listed")
    ctx.add_entry(f"https://linkedin.com/in/{listed}")
    new1, new2, new3 = (ctx.fresh_slug(f"batch-new{i}") for i in (1, 2, 3))
    invalid = f"{ctx.config.marker}-invalid-url"
    plan: list[tuple[str, str | None, str]] = [
        (f"https://linkedin.com/in/{new1}", f"https://linkedin.com/in/{new1}", "added"),
        (f"in/{listed}", f"https://linkedin.com/in/{listed}", "duplicate"),
        (invalid, None, "error"),
        (f"linkedin.com/in/{new2}", f"https://linkedin.com/in/{new2}", "added"),
        (f"https://www.linkedin.com/in/{new1}/", f"https://linkedin.com/in/{new1}", "duplicate"),
        (f"in/{new3}", f"https://linkedin.com/in/{new3}", "added"),
    ]
    ex = ctx.a.batch([p[0] for p in plan])
    return BatchRun(ex, [p[0] for p in plan], [(p[1], p[2]) for p in plan])


def _details(run: BatchRun, seed: str) -> list[dict[str, Any]]:
    data = data_dict(run.exchange, seed)
    details = data.get("details")
    if not isinstance(details, list) or not all(isinstance(d, dict) for d in details):
        raise fail("data.details must be an array of objects.", run.exchange, seed)
    return details


def batch_partial_success_conformance(run: BatchRun) -> None:
    if run.exchange.status != 201:
        raise fail(
            f"A batch with one invalid entry must still answer 201, got {run.exchange.status}.",
            run.exchange,
            seeds.BATCH_201,
        )
    envelope_conformance(run.exchange)


def batch_counts_conformance(run: BatchRun) -> None:
    data = data_dict(run.exchange, seeds.BATCH_COUNTS)
    want = {
        "added": sum(1 for _, s in run.expected if s == "added"),
        "duplicates": sum(1 for _, s in run.expected if s == "duplicate"),
        "errors": sum(1 for _, s in run.expected if s == "error"),
    }
    got = {k: data.get(k) for k in want}
    if got != want:
        raise fail(f"Counts must be {want}, got {got}.", run.exchange, seeds.BATCH_COUNTS)


def batch_details_conformance(run: BatchRun) -> None:
    details = _details(run, seeds.BATCH_DETAILS)
    if len(details) != len(run.sent):
        raise fail(
            f"details must hold one item per entry ({len(run.sent)}), got {len(details)}.",
            run.exchange,
            seeds.BATCH_DETAILS,
        )
    for i, (detail, (url, status), sent) in enumerate(
        zip(details, run.expected, run.sent, strict=True)
    ):
        if status == "duplicate" and i == 4:
            continue  # the in-batch repeat has its own test
        if detail.get("status") != status:
            raise fail(
                f"details[{i}] (sent {sent!r}) must have status {status!r}, got "
                f"{detail.get('status')!r}.",
                run.exchange,
                seeds.BATCH_DETAILS,
            )
        if url is not None and detail.get("url") != url:
            raise fail(
                f"details[{i}] (sent {sent!r}) must report the normalized URL {url!r}, got "
                f"{detail.get('url')!r}.",
                run.exchange,
                seeds.BATCH_DETAILS,
            )
        if status == "error" and not (isinstance(detail.get("error"), str) and detail["error"]):
            raise fail(
                f"details[{i}] has status error but no error message.",
                run.exchange,
                seeds.BATCH_DETAILS,
            )


def batch_repeat_conformance(run: BatchRun) -> None:
    details = _details(run, seeds.BATCH_DUPLICATE)
    if len(details) < 5:
        raise fail(
            "details is too short to hold the repeated entry.", run.exchange, seeds.BATCH_DETAILS
        )
    url, _ = run.expected[4]
    detail = details[4]
    if detail.get("status") != "duplicate" or detail.get("url") != url:
        raise fail(
            f"The 5th entry repeats the 1st ({run.sent[4]!r}); it must be a duplicate of "
            f"{url!r}, got {detail}.",
            run.exchange,
            seeds.BATCH_DUPLICATE,
        )


def batch_rejects_malformed_conformance(ctx: Ctx) -> None:
    ok = ctx.fresh_url("batch-never-added")
    bodies: list[tuple[Any, str]] = [
        ({}, "no entries array"),
        ({"entries": []}, "an empty entries array"),
        ({"entries": [{"link": ok}]}, "an entry without a url field"),
        ({"entries": [{"url": ok}, {}]}, "a valid entry followed by one without a url"),
    ]
    for body, what in bodies:
        ex = ctx.a.request("POST", "/dnc/batch", json=body)
        expect_error(ex, 400, "invalid_request", seeds.BATCH_400, f"A batch with {what}")
    ex = ctx.a.request("POST", "/dnc/batch", json={"entries": "in/x"})
    if ex.status != 400:
        raise fail(
            f"A batch whose entries is not an array must answer 400, got {ex.status}.",
            ex,
            seeds.BATCH_400,
        )
    envelope_conformance(ex)
    check = ctx.a.check(ok)
    if not isinstance(check.data, dict) or check.data.get("onList") is not False:
        raise fail(
            "A batch rejected with 400 must not add its valid entries.", check, seeds.BATCH_400
        )
    nonstring_url_conformance(ctx)


def nonstring_url_conformance(ctx: Ctx) -> None:
    """An entry whose url is present but not a string: the whole request answers 400
    invalid_request, or (decision batch-entry-shape) 201 with that entry an `error`; either
    way nothing is added for it."""
    ex = ctx.a.request("POST", "/dnc/batch", json={"entries": [{"url": 0}, {"url": None}]})
    if ex.status == 400:
        expect_error(ex, 400, "invalid_request", seeds.BATCH_400, "A batch with a non-string url")
        return
    if ex.status != 201:
        raise fail(
            "A batch whose entries have a non-string url must answer 400 invalid_request or 201 "
            f"with per-entry errors, got {ex.status}.",
            ex,
            seeds.BATCH_400,
        )
    envelope_conformance(ex)
    data = data_dict(ex, seeds.BATCH_DETAILS)
    details = data.get("details")
    statuses = [d.get("status") if isinstance(d, dict) else None for d in details or []]
    if statuses != ["error", "error"] or data.get("added") != 0 or data.get("errors") != 2:
        raise fail(
            "A batch accepted with 201 must report each entry whose url is not a string as an "
            f"error (added 0, errors 2), got statuses {statuses}.",
            ex,
            seeds.BATCH_DETAILS,
        )
