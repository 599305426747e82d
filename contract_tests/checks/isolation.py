"""Team isolation, in both directions: the other team cannot see (check, list) a team's entries,
and may add the same URL itself."""

from __future__ import annotations

import json
from typing import Any

from contract_tests import seeds
from contract_tests.checks.common import entry_conformance, expect_status, fail
from contract_tests.context import Ctx
from dnc_kit.contract import LIST_LIMIT_MAX


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
    ex = theirs.list(limit=LIST_LIMIT_MAX)
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


def batch_same_url_two_teams_conformance(ctx: Ctx, first: str) -> None:
    """Team `first` lists a URL; the other team's batch holding it must add it for itself (a
    `duplicate` would leave the person contactable by that team)."""
    one, two = ctx.client(first), ctx.client(ctx.other(first))
    url = ctx.fresh_url("both-teams-batch")
    ctx.add_entry(url, one)
    ex = two.batch([url])
    expect_status(
        ex, 201, seeds.ISOLATION_ADD, f"Team {two.team} batch-adding a URL only team {first} lists"
    )
    details = ex.data.get("details") if isinstance(ex.data, dict) else None
    status = details[0].get("status") if isinstance(details, list) and details else None
    if not isinstance(details, list) or len(details) != 1 or status != "added":
        raise fail(
            f"Team {two.team}'s batch must add a URL that only team {first} has listed "
            f"(details[0].status 'added'), got {status!r}.",
            ex,
            seeds.ISOLATION_BATCH,
        )
    check = two.check(url)
    if not isinstance(check.data, dict) or check.data.get("onList") is not True:
        raise fail(
            f"After its batch added the URL, team {two.team}'s check must find it.",
            check,
            seeds.ISOLATION_BATCH,
        )


def _created_by(ctx: Ctx, team: str) -> tuple[set[str], set[str], set[str]]:
    """The team ids, entry ids and URLs of entries the run saw `team` create."""
    team_ids: set[str] = set()
    ids: set[str] = set()
    urls: set[str] = set()
    for ex in list(ctx.log.exchanges):
        if ex.team != team or ex.status != 201 or not isinstance(ex.data, dict):
            continue
        data = ex.data
        if isinstance(data.get("$id"), str):
            ids.add(data["$id"])
            urls.add(str(data.get("url")))
            if isinstance(data.get("teamId"), str):
                team_ids.add(data["teamId"])
        for detail in data.get("details") or []:
            if isinstance(detail, dict) and detail.get("status") == "added":
                urls.add(str(detail.get("url")))
    return team_ids, ids, urls


def error_answers_keep_to_their_team_conformance(
    ctx: Ctx, team: str, theirs: dict[str, Any]
) -> None:
    """No error answer to `team` carries the other team's data: its team id, the URLs only it
    lists, or its entry ids (unless the request itself named the id). Probed with a delete of
    the other team's entry (403), then every error answer the run saw."""
    other = ctx.other(team)
    probe = ctx.client(team).delete(str(theirs["$id"]))
    expect_status(probe, 403, seeds.DELETE_403, f"Team {team} deleting team {other}'s entry")
    their_teams, their_ids, their_urls = _created_by(ctx, other)
    our_teams, _, our_urls = _created_by(ctx, team)
    their_teams.add(str(theirs.get("teamId")))
    tokens = {t for t in their_teams - our_teams if len(t) >= 4}
    tokens |= their_urls - our_urls
    for ex in [e for e in list(ctx.log.exchanges) if e.team == team and e.status >= 400]:
        sent = ex.request_line()
        named = {i for i in their_ids if i not in sent}
        leaked = sorted(t for t in tokens | named if t not in sent and json.dumps(t) in ex.text)
        if leaked:
            raise fail(
                f"An error answer to team {team} carries team {other}'s data: {leaked[:3]}.",
                ex,
                seeds.ISOLATION_DATA,
            )
