"""Envelopes on every answer: success `{"error": null, "data": ...}`, error "
"`{"error", "message"}`."""

from __future__ import annotations

from contract_tests import seeds
from contract_tests.checks.common import envelope_problem, fail
from contract_tests.checks.delete import unknown_id
from contract_tests.client import Exchange
from contract_tests.context import Ctx


def _audit(exchanges: list[Exchange], seed: str) -> None:
    broken = [(ex, envelope_problem(ex)) for ex in exchanges]
    broken = [(ex, p) for ex, p in broken if p is not None]
    if broken:
        ex, problem = broken[0]
        raise fail(
            f"{len(broken)} of {len(exchanges)} answers break the envelope; the first: {problem}.",
            ex,
            seed,
        )


def _seen(ctx: Ctx, method: str, path: str, status: int) -> bool:
    return any(
        ex.method == method and ex.path.startswith(path) and ex.status == status
        for ex in ctx.log.exchanges
    )


def success_envelope_conformance(ctx: Ctx) -> None:
    """Probe each success shape the run has not seen yet, then audit every 2xx answer seen."""
    url = ctx.fresh_url("envelope")
    entry_id: str | None = None
    if not _seen(ctx, "POST", "/dnc", 201) or not _seen(ctx, "DELETE", "/dnc/", 200):
        entry = ctx.a.add(url)
        if isinstance(entry.data, dict) and isinstance(entry.data.get("$id"), str):
            entry_id = entry.data["$id"]
    if not _seen(ctx, "GET", "/dnc/check", 200):
        ctx.a.check(url)
    if not _seen(ctx, "GET", "/dnc", 200):
        ctx.a.list(limit=1)
    if not _seen(ctx, "POST", "/dnc/batch", 201):
        ctx.a.batch([url])
    if entry_id is not None:
        ctx.a.delete(entry_id)
    successes = [ex for ex in ctx.log.exchanges if 200 <= ex.status < 300]
    if not successes:
        raise AssertionError(
            f"No success answer was seen at all.\n  documented: {seeds.ENVELOPE_SUCCESS}"
        )
    _audit(successes, seeds.ENVELOPE_SUCCESS)


def error_envelope_conformance(ctx: Ctx) -> None:
    """Probe 400, 401, 404 and 409 unless seen already, then audit every error answer seen."""
    if not _seen(ctx, "GET", "/dnc/check", 400):
        ctx.a.check(None)
    if not any(ex.status == 401 for ex in ctx.log.exchanges):
        ctx.a.request("GET", "/dnc", authorization="", auth_label="no Authorization header")
    if not _seen(ctx, "DELETE", "/dnc/", 404):
        ctx.a.delete(unknown_id())
    if not _seen(ctx, "POST", "/dnc", 409):
        url = ctx.fresh_url("envelope-409")
        ctx.a.add(url)
        ctx.a.add(url)
    errors = [ex for ex in ctx.log.exchanges if ex.status >= 400]
    _audit(errors, seeds.ENVELOPE_ERROR)
