"""GET /dnc: newest first, limit/offset paging, defaults, `total`, range errors."""

from __future__ import annotations

import itertools
import math
import time
from datetime import datetime
from typing import Any

import pytest

from contract_tests import seeds
from contract_tests.checks.common import data_dict, entry_conformance, expect_status, fail
from contract_tests.client import Exchange
from contract_tests.config import LIMITS
from contract_tests.context import NOT_MEASURED, Ctx
from dnc_kit.contract import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, LIST_LIMIT_MIN


def _page(ex: Exchange, seed: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    expect_status(ex, 200, seed, "Listing entries")
    data = data_dict(ex, seed)
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise fail("data.entries must be an array.", ex, seed)
    for entry in entries:
        entry_conformance(ex, entry, seed)
    return data, entries


def _created(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entry["$createdAt"]).replace("Z", "+00:00"))


def distinct_entries(ctx: Ctx, count: int) -> list[dict[str, Any]]:
    """Add entries a little apart until `count` of them carry distinct creation times (a server
    with second precision needs a pause of a second between them)."""
    entries: list[dict[str, Any]] = []
    pause = 0.02
    # Names whose alphabetical order matches neither creation order nor its reverse, so that a
    # list sorted by URL (either way) cannot pass for "newest first".
    names = ["list-b", "list-c", "list-a", "list-e", "list-d", "list-f"]
    for i in range(count * 2):
        if len(entries) == count:
            break
        if entries:
            time.sleep(pause)
        entry = ctx.add_entry(ctx.fresh_url(names[i % len(names)]))
        if entries and _created(entry) <= _created(entries[-1]):
            pause = 1.05
            continue
        entries.append(entry)
    return entries


def list_newest_first_conformance(ctx: Ctx, ours: list[dict[str, Any]]) -> None:
    """`ours` were created in this order, oldest first."""
    ex = ctx.a.list(limit=LIST_LIMIT_MAX)
    _, entries = _page(ex, seeds.LIST_ORDER)
    stamps = [_created(e) for e in entries]
    for i in range(1, len(stamps)):
        if stamps[i] > stamps[i - 1]:
            raise fail(
                f"Entry {i} ({entries[i]['$id']}, {entries[i]['$createdAt']}) is newer than "
                f"entry {i - 1} "
                f"({entries[i - 1]['$id']}, {entries[i - 1]['$createdAt']}).",
                ex,
                seeds.LIST_ORDER,
            )
    position = {e["$id"]: i for i, e in enumerate(entries)}
    missing = [e["$id"] for e in ours if e["$id"] not in position]
    if missing:
        raise fail(
            f"Entries just added are missing from the first page: {missing}.", ex, seeds.LIST_ORDER
        )
    for older, newer in itertools.pairwise(ours):
        if _created(newer) > _created(older) and position[newer["$id"]] > position[older["$id"]]:
            raise fail(
                f"{newer['$id']} was added after {older['$id']} but is listed after it.",
                ex,
                seeds.LIST_ORDER,
            )


def list_total_conformance(ctx: Ctx) -> None:
    """`total` is the number of entries in this page: on full pages and on partial ones (the
    last page, and a limit above the list's length), where a server echoing `limit` shows."""
    whole = ctx.a.list(limit=LIST_LIMIT_MAX)
    _, everything = _page(whole, seeds.LIST_TOTAL)
    n = len(everything)
    pages: list[dict[str, int]] = [{"limit": 2}, {"limit": 1, "offset": 1}, {}]
    if n < LIST_LIMIT_MAX - 3:
        pages.append({"limit": n + 3})  # one page holding the whole (shorter) list
    if n:
        pages.append({"limit": 5, "offset": n - 1})  # the last page: one entry
    for params in pages:
        ex = ctx.a.list(**params)
        data, entries = _page(ex, seeds.LIST_TOTAL)
        if data.get("total") != len(entries):
            raise fail(
                f"data.total is {data.get('total')!r} but the page holds {len(entries)} entries.",
                ex,
                seeds.LIST_TOTAL,
            )


def list_paging_conformance(ctx: Ctx) -> None:
    """Needs at least 3 entries on team A's list."""
    ex0 = ctx.a.list(limit=3, offset=0)
    data0, first = _page(ex0, seeds.LIST_PAGING)
    if len(first) != 3:
        raise fail(
            f"limit=3 on a list of 3 or more entries returned {len(first)} entries.",
            ex0,
            seeds.LIST_PAGING,
        )
    if data0.get("limit") != 3 or data0.get("offset") != 0:
        raise fail(
            f"data.limit/offset must echo 3/0, got {data0.get('limit')!r}/{data0.get('offset')!r}.",
            ex0,
            seeds.LIST_ECHO,
        )
    ex1 = ctx.a.list(limit=2, offset=1)
    data1, second = _page(ex1, seeds.LIST_PAGING)
    if data1.get("limit") != 2 or data1.get("offset") != 1:
        raise fail(
            f"data.limit/offset must echo 2/1, got {data1.get('limit')!r}/{data1.get('offset')!r}.",
            ex1,
            seeds.LIST_ECHO,
        )
    want = [e["$id"] for e in first[1:3]]
    got = [e["$id"] for e in second]
    if got != want:
        raise fail(
            f"limit=2&offset=1 must return entries 2-3 of limit=3&offset=0 ({want}), got {got}.",
            ex1,
            seeds.LIST_PAGING,
        )


def list_defaults_conformance(ctx: Ctx) -> None:
    """Without parameters: limit 50, offset 0 (openapi.yaml's default). With a short window the
    list is first filled past the default (one batch under the run prefix) so that the default
    page size shows."""
    default = LIST_LIMIT_DEFAULT
    first = ctx.a.list(limit=default + 1)
    _, present = _page(first, seeds.LIST_PAGING)
    if len(present) <= default and not ctx.config.long_window:
        missing = default + 1 - len(present)
        filled = ctx.a.batch([ctx.fresh_url("list-fill") for _ in range(missing)])
        if filled.status != 201:
            raise fail("setup: a batch of fresh URLs must answer 201.", filled, seeds.BATCH_201)
    ex = ctx.a.list()
    data, entries = _page(ex, seeds.LIST_PAGING)
    if data.get("limit") != default or data.get("offset") != 0:
        raise fail(
            f"Without parameters data.limit/offset must be {default}/0, got "
            f"{data.get('limit')!r}/{data.get('offset')!r}.",
            ex,
            seeds.LIST_PAGING,
        )
    if len(entries) > default:
        raise fail(
            f"The default page holds {len(entries)} entries, more than {default}.",
            ex,
            seeds.LIST_PAGING,
        )
    full = ctx.a.list(limit=default + 1)
    _, more = _page(full, seeds.LIST_PAGING)
    if len(entries) != min(default, len(more)):
        held = f"more than {default}" if len(more) > default else str(len(more))
        raise fail(
            f"The list holds {held} entries but the "
            f"default page holds {len(entries)} (documented default limit: {default}).",
            ex,
            seeds.LIST_PAGING,
        )


def list_range_conformance(ctx: Ctx) -> None:
    """Out of range: 400 (dnc-kit decision) or clamped 200 (others may) — both accepted."""
    out_of_range = ({"limit": LIST_LIMIT_MIN - 1}, {"limit": LIST_LIMIT_MAX + 1}, {"offset": -1})
    for params in (*out_of_range, {"limit": "abc"}):
        ex = ctx.a.request("GET", "/dnc", params=params)
        if ex.status in (400, 422):
            expect_status(ex, ex.status, seeds.ENVELOPE_ERROR)
            continue
        if ex.status != 200:
            raise fail(
                f"{params} must answer 400 (rejected) or 200 (clamped), got {ex.status}.",
                ex,
                seeds.LIST_PAGING,
            )
        data, entries = _page(ex, seeds.LIST_PAGING)
        limit, offset = data.get("limit"), data.get("offset")
        if not (
            isinstance(limit, int)
            and LIST_LIMIT_MIN <= limit <= LIST_LIMIT_MAX
            and isinstance(offset, int)
            and offset >= 0
        ):
            raise fail(
                f"A clamped answer must echo limit {LIST_LIMIT_MIN}-{LIST_LIMIT_MAX} and offset "
                ">= 0, got "
                f"{limit!r}/{offset!r}.",
                ex,
                seeds.LIST_ECHO,
            )
        if len(entries) > limit or data.get("total") != len(entries):
            raise fail(
                "A clamped answer must hold at most `limit` entries and total = entries.length.",
                ex,
                seeds.LIST_TOTAL,
            )


LARGE_LIMITS = (150, LIST_LIMIT_MAX)
LARGE_FILL = 101  # more than 100 entries, so that a limit capped at 100 shows
# Batches filling the list: the pages recommend 100-500 URLs per request.
FILL_BATCH = 250
# Filling the list past the largest limit costs as many deletes at the end (there is no bulk
# delete): measured only when those deletes fit in this many seconds of the write bucket.
FULL_FILL_BUDGET_S = 90.0


def list_large_limit_conformance(ctx: Ctx) -> None:
    """A limit above 100 (documented range 1-1000) is honoured: a page with limit L holding
    fewer than L entries is the whole rest of the list (the next page is empty), and data.limit
    echoes L. With a short window the list is first filled past 100 entries (one batch under
    the run prefix); otherwise the team's existing entries must be enough."""
    first = ctx.a.list(limit=LIST_LIMIT_MAX)
    _, present = _page(first, seeds.LIST_PAGING)
    if len(present) < LARGE_FILL:
        if ctx.config.long_window:
            pytest.skip(
                f"{NOT_MEASURED}the team lists {len(present)} entries; a limit above 100 needs "
                "more than 100 (filled only with a window of 10 s or less)"
            )
        missing = LARGE_FILL - len(present)
        # Batches of 25 (a server may limit the batch size; the pages name no limit).
        for start in range(0, missing, 25):
            urls = [ctx.fresh_url("list-large") for _ in range(min(25, missing - start))]
            filled = ctx.a.batch(urls)
            if filled.status != 201:
                raise fail("setup: a batch of fresh URLs must answer 201.", filled, seeds.BATCH_201)
    for limit in LARGE_LIMITS:
        ex = ctx.a.list(limit=limit)
        data, entries = _page(ex, seeds.LIST_PAGING)
        if data.get("limit") != limit:
            raise fail(
                f"limit={limit} lies in the documented range {LIST_LIMIT_MIN}-{LIST_LIMIT_MAX}: "
                "data.limit must echo it, "
                f"got {data.get('limit')!r}.",
                ex,
                seeds.LIST_ECHO,
            )
        if len(entries) > limit:
            raise fail(f"limit={limit} returned {len(entries)} entries.", ex, seeds.LIST_PAGING)
        if len(entries) == limit:
            continue
        rest = ctx.a.list(limit=1, offset=len(entries))
        _, more = _page(rest, seeds.LIST_PAGING)
        if more:
            raise fail(
                f"limit={limit} returned {len(entries)} entries although more exist (offset="
                f"{len(entries)} still lists one): the limit was not honoured.",
                ex,
                seeds.LIST_PAGING,
            )


def fill_cost_s(ctx: Ctx, entries: int) -> float:
    """Seconds the write bucket needs to delete `entries` at the end of the run."""
    return math.ceil(entries / LIMITS["write"]) * ctx.config.window_s


def list_full_page_conformance(ctx: Ctx) -> None:
    """limit=LIST_LIMIT_MAX on a list holding more entries: a full page of exactly that many
    (a server capping the page anywhere below shows), echoed. The
    list is filled past the limit by batches under the run prefix when deleting them again
    fits FULL_FILL_BUDGET_S; otherwise the team's own entries must be enough."""
    top = LIST_LIMIT_MAX
    first = ctx.a.list(limit=top, offset=1)  # one more than a full page exists?
    _, beyond = _page(first, seeds.LIST_PAGING)
    missing = top + 1 - (len(beyond) + 1)
    if missing > 0:
        cost = fill_cost_s(ctx, missing)
        if cost > FULL_FILL_BUDGET_S:
            pytest.skip(
                f"{NOT_MEASURED}the team lists fewer than {top + 1} entries; filling it costs "
                f"{missing} deletes at the end (no bulk delete), {cost:.0f} s at "
                f"{LIMITS['write']} writes per {ctx.config.window_s:g} s (measured when that "
                f"is at most {FULL_FILL_BUDGET_S:g} s, e.g. a window of 2 s)"
            )
        for start in range(0, missing, FILL_BATCH):
            urls = [ctx.fresh_url("list-full") for _ in range(min(FILL_BATCH, missing - start))]
            filled = ctx.a.batch(urls)
            if filled.status != 201:
                raise fail("setup: a batch of fresh URLs must answer 201.", filled, seeds.BATCH_201)
    ex = ctx.a.list(limit=top)
    data, entries = _page(ex, seeds.LIST_PAGING)
    if data.get("limit") != top:
        raise fail(
            f"limit={top} lies in the documented range: data.limit must echo it, got "
            f"{data.get('limit')!r}.",
            ex,
            seeds.LIST_ECHO,
        )
    if len(entries) != top:
        raise fail(
            f"The team lists more than {top} entries, but limit={top} returned "
            f"{len(entries)}: the documented limit was not honoured.",
            ex,
            seeds.LIST_PAGING,
        )
