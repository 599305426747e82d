"""The 5-minute check cache is invalidated at once by add, batch and delete, for each team
(the cache is primed first)."""

from __future__ import annotations

from contract_tests import seeds
from contract_tests.checks.common import fail, on_list
from contract_tests.client import DncClient
from contract_tests.context import Ctx


def _prime(client: DncClient, url: str, expected: bool) -> None:
    ex = client.check(url)
    if on_list(ex) is not expected:
        raise fail(
            f"setup: check must answer onList {str(expected).lower()} before the write.",
            ex,
            seeds.CHECK_FOUND,
        )


def cache_after_add_conformance(ctx: Ctx, team: str) -> None:
    client = ctx.client(team)
    url = ctx.fresh_url(f"cache-add-{team.lower()}")
    _prime(client, url, False)
    ctx.add_entry(url, client)
    ex = client.check(url)
    if on_list(ex) is not True:
        raise fail(
            f"Team {team}: a check right after the add (cache primed with onList false) must "
            "see the entry.",
            ex,
            seeds.CACHE_ADD,
        )


def cache_after_delete_conformance(ctx: Ctx, team: str) -> None:
    client = ctx.client(team)
    url = ctx.fresh_url(f"cache-delete-{team.lower()}")
    entry = ctx.add_entry(url, client)
    _prime(client, url, True)
    deleted = client.delete(entry["$id"])
    if deleted.status != 200:
        raise fail("setup: deleting the entry must answer 200.", deleted, seeds.DELETE_200)
    ex = client.check(url)
    if on_list(ex) is not False:
        raise fail(
            f"Team {team}: a check right after the delete (cache primed with onList true) must "
            "answer onList false.",
            ex,
            seeds.CACHE_DELETE,
        )


def cache_after_batch_conformance(ctx: Ctx, team: str) -> None:
    client = ctx.client(team)
    url = ctx.fresh_url(f"cache-batch-{team.lower()}")
    _prime(client, url, False)
    ex = client.batch([url])
    if ex.status != 201:
        raise fail("setup: a batch with one new URL must answer 201.", ex, seeds.BATCH_201)
    ex = client.check(url)
    if on_list(ex) is not True:
        raise fail(
            f"Team {team}: a check right after the batch (cache primed with onList false) must "
            "see the entry.",
            ex,
            seeds.CACHE_BATCH,
        )
