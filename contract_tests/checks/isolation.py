"""Team isolation: another team cannot see (check, list) a team's entries, and may add the "
"same URL."""

from __future__ import annotations

from typing import Any

from contract_tests import seeds
from contract_tests.checks.common import entry_conformance, expect_status, fail
from contract_tests.context import Ctx


def check_isolation_conformance(ctx: Ctx, entry: dict[str, Any]) -> None:
    b = ctx.b
    url = str(entry["url"])
    primed = ctx.a.check(url)  # a cache keyed without the team would now answer B from A's entry
    if not isinstance(primed.data, dict) or primed.data.get("onList") is not True:
        raise fail("setup: team A must find its own entry.", primed, seeds.CHECK_FOUND)
    ex = b.check(url)
    expect_status(ex, 200, seeds.ISOLATION_CHECK, "Team B checking team A's URL")
    data = ex.data if isinstance(ex.data, dict) else {}
    if data.get("onList") is not False or data.get("entry") is not None:
        raise fail("Team B must not see team A's entry through check.", ex, seeds.ISOLATION_CHECK)


def list_isolation_conformance(ctx: Ctx, entry: dict[str, Any]) -> None:
    b = ctx.b
    ex = b.list(limit=1000)
    expect_status(ex, 200, seeds.ISOLATION_LIST, "Team B listing")
    entries = ex.data.get("entries") if isinstance(ex.data, dict) else None
    if not isinstance(entries, list):
        raise fail("data.entries must be an array.", ex, seeds.ISOLATION_LIST)
    leaked = [
        e
        for e in entries
        if isinstance(e, dict)
        and (e.get("$id") == entry["$id"] or e.get("teamId") == entry["teamId"])
    ]
    if leaked:
        raise fail(f"Team B's list shows team A's entries: {leaked[:3]}.", ex, seeds.ISOLATION_LIST)


def same_url_two_teams_conformance(ctx: Ctx) -> None:
    b = ctx.b
    url = ctx.fresh_url("both-teams")
    mine = ctx.add_entry(url)
    ex = b.add(url)
    expect_status(ex, 201, seeds.ISOLATION_ADD, "Team B adding a URL only team A has listed")
    theirs = entry_conformance(ex, ex.data)
    if theirs.get("$id") == mine["$id"] or theirs.get("teamId") == mine["teamId"]:
        raise fail(
            "Team B's entry must be its own (another $id and teamId).", ex, seeds.ISOLATION_ADD
        )
    for client, own in ((ctx.a, mine), (b, theirs)):
        check = client.check(url)
        entry = check.data.get("entry") if isinstance(check.data, dict) else None
        if not isinstance(entry, dict) or entry.get("$id") != own["$id"]:
            raise fail(
                f"Team {client.team} must find its own entry {own['$id']}.",
                check,
                seeds.ISOLATION_CHECK,
            )
