"""Team isolation, in both directions: the other team cannot see (check, list) a team's entries,
and may add the same URL itself."""

from __future__ import annotations

from typing import Any

from contract_tests import seeds
from contract_tests.checks.common import entry_conformance, expect_status, fail
from contract_tests.context import Ctx


def check_isolation_conformance(ctx: Ctx, owner: str, entry: dict[str, Any]) -> None:
    mine, theirs = ctx.client(owner), ctx.client(ctx.other(owner))
    url = str(entry["url"])
    primed = mine.check(url)  # a cache keyed without the team would now answer from this entry
    if not isinstance(primed.data, dict) or primed.data.get("onList") is not True:
        raise fail(f"setup: team {owner} must find its own entry.", primed, seeds.CHECK_FOUND)
    ex = theirs.check(url)
    expect_status(ex, 200, seeds.ISOLATION_CHECK, f"Team {theirs.team} checking team {owner}'s URL")
    data = ex.data if isinstance(ex.data, dict) else {}
    if data.get("onList") is not False or data.get("entry") is not None:
        raise fail(
            f"Team {theirs.team} must not see team {owner}'s entry through check.",
            ex,
            seeds.ISOLATION_CHECK,
        )


def list_isolation_conformance(ctx: Ctx, owner: str, entry: dict[str, Any]) -> None:
    theirs = ctx.client(ctx.other(owner))
    ex = theirs.list(limit=1000)
    expect_status(ex, 200, seeds.ISOLATION_LIST, f"Team {theirs.team} listing")
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
        raise fail(
            f"Team {theirs.team}'s list shows team {owner}'s entries: {leaked[:3]}.",
            ex,
            seeds.ISOLATION_LIST,
        )


def same_url_two_teams_conformance(ctx: Ctx, first: str) -> None:
    """Team `first` lists a URL, then the other team adds the same URL: its own new entry."""
    one, two = ctx.client(first), ctx.client(ctx.other(first))
    url = ctx.fresh_url("both-teams")
    mine = ctx.add_entry(url, one)
    ex = two.add(url)
    expect_status(
        ex, 201, seeds.ISOLATION_ADD, f"Team {two.team} adding a URL only team {first} has listed"
    )
    theirs = entry_conformance(ex, ex.data)
    if theirs.get("$id") == mine["$id"] or theirs.get("teamId") == mine["teamId"]:
        raise fail(
            f"Team {two.team}'s entry must be its own (another $id and teamId).",
            ex,
            seeds.ISOLATION_ADD,
        )
    for client, own in ((one, mine), (two, theirs)):
        check = client.check(url)
        entry = check.data.get("entry") if isinstance(check.data, dict) else None
        if not isinstance(entry, dict) or entry.get("$id") != own["$id"]:
            raise fail(
                f"Team {client.team} must find its own entry {own['$id']}.",
                check,
                seeds.ISOLATION_CHECK,
            )
