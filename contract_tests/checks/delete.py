"""DELETE /dnc/{id}: 200, then 404; unknown id 404; another team's entry 403 and kept."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from contract_tests import seeds
from contract_tests.checks.common import data_dict, expect_error, expect_status, fail, on_list
from contract_tests.context import Ctx
from dnc_kit.contract import LIST_LIMIT_MAX


def unknown_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "dnc_" + "".join(secrets.choice(alphabet) for _ in range(24))


@dataclass
class Deletion:
    entry_id: str
    problem: AssertionError | None


def delete_own_entry(ctx: Ctx) -> Deletion:
    """Add an entry and delete it; keep the id for the 404 test even if a check broke."""
    entry = ctx.add_entry(ctx.fresh_url("delete"))
    try:
        delete_then_gone_conformance(ctx, entry)
    except AssertionError as problem:
        return Deletion(str(entry["$id"]), problem)
    return Deletion(str(entry["$id"]), None)


def delete_then_gone_conformance(ctx: Ctx, entry: dict[str, Any]) -> None:
    ex = ctx.a.delete(entry["$id"])
    expect_status(ex, 200, seeds.DELETE_200, "Deleting an entry of the team")
    data = data_dict(ex, seeds.DELETE_200)
    if not isinstance(data.get("message"), str):
        raise fail("A delete answer must carry data.message.", ex, seeds.DELETE_200)
    check = ctx.a.check(entry["url"])
    if on_list(check) is not False:
        raise fail(
            "After a 200 delete the URL must no longer be on the list.", check, seeds.CACHE_DELETE
        )
    listed = ctx.a.list(limit=LIST_LIMIT_MAX)
    entries = listed.data.get("entries") if isinstance(listed.data, dict) else None
    if isinstance(entries, list) and any(
        isinstance(e, dict) and e.get("$id") == entry["$id"] for e in entries
    ):
        raise fail(
            "After a 200 delete the entry must no longer be listed.", listed, seeds.DELETE_GONE
        )
    again = ctx.a.add(entry["url"])
    if again.status != 201:
        raise fail(
            "A deleted URL must be addable again (the deletion is permanent).",
            again,
            seeds.DELETE_GONE,
        )


def delete_twice_conformance(ctx: Ctx, deleted_id: str) -> None:
    ex = ctx.a.delete(deleted_id)
    expect_error(ex, 404, "dnc_not_found", seeds.DELETE_404, "Deleting an entry already deleted")


def delete_unknown_conformance(ctx: Ctx) -> None:
    ex = ctx.a.delete(unknown_id())
    expect_error(ex, 404, "dnc_not_found", seeds.DELETE_404, "Deleting an id that never existed")


def delete_other_team_conformance(ctx: Ctx, owner: str) -> None:
    mine, theirs = ctx.client(owner), ctx.client(ctx.other(owner))
    url = ctx.fresh_url(f"other-team-{owner.lower()}")
    entry = ctx.add_entry(url, mine)
    ex = theirs.delete(entry["$id"])
    expect_error(
        ex,
        403,
        "unauthorized_dnc",
        seeds.DELETE_403,
        f"Team {theirs.team} deleting team {owner}'s entry",
    )
    check = mine.check(url)
    if on_list(check) is not True:
        raise fail(
            f"Team {owner}'s entry must survive team {theirs.team}'s delete attempt.",
            check,
            seeds.DELETE_403,
        )
