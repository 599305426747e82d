"""GET /dnc/check: found and not-found shapes, missing url."""

from __future__ import annotations

from contract_tests import seeds
from contract_tests.checks.common import (
    data_dict,
    entry_conformance,
    expect_error,
    expect_status,
    fail,
)
from contract_tests.context import Ctx


def check_found_conformance(ctx: Ctx) -> None:
    url = ctx.fresh_url("check-found")
    entry = ctx.add_entry(url)
    ex = ctx.a.check(url)
    expect_status(ex, 200, seeds.CHECK_FOUND, "Checking a listed URL")
    data = data_dict(ex, seeds.CHECK_FOUND)
    if data.get("onList") is not True:
        raise fail(
            f"A URL just added must be onList true; onList was {data.get('onList')!r}.",
            ex,
            seeds.CHECK_FOUND,
        )
    found = entry_conformance(ex, data.get("entry"), seeds.CHECK_FOUND)
    if found.get("$id") != entry["$id"] or found.get("url") != url:
        raise fail(
            f"The entry returned by check must be the one added ($id {entry['$id']}, url {url}).",
            ex,
            seeds.CHECK_FOUND,
        )


def check_not_found_conformance(ctx: Ctx) -> None:
    url = ctx.fresh_url("check-absent")
    ex = ctx.a.check(url)
    expect_status(ex, 200, seeds.CHECK_NOT_FOUND, "Checking a URL that is not listed")
    data = data_dict(ex, seeds.CHECK_NOT_FOUND)
    if data.get("onList") is not False or "entry" not in data or data["entry"] is not None:
        raise fail(
            "A URL never added must answer onList false and entry null.", ex, seeds.CHECK_NOT_FOUND
        )


def check_missing_url_conformance(ctx: Ctx) -> None:
    ex = ctx.a.check(None)
    expect_error(ex, 400, "invalid_request", seeds.MISSING_URL, "Check without a url parameter")
    ex = ctx.a.check("")
    # empty-url decision: invalid_request here; others may answer invalid_url.
    expect_error(
        ex, 400, ("invalid_request", "invalid_url"), seeds.MISSING_URL, "Check with an empty url"
    )
