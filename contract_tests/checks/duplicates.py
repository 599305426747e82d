"""POST /dnc of a URL already listed, in every documented form: 409 dnc_entry_exists."""

from __future__ import annotations

from collections import Counter

from contract_tests import seeds
from contract_tests.checks.common import expect_error, fail
from contract_tests.context import Ctx
from dnc_kit.contract import LIST_LIMIT_MAX


def documented_forms(slug: str) -> list[str]:
    """The documented spellings of https://linkedin.com/in/<slug> (seed "URL Format Support")."""
    return [
        f"https://linkedin.com/in/{slug}",
        f"https://www.linkedin.com/in/{slug}/",
        f"linkedin.com/in/{slug}",
        f"in/{slug}",
        f"https://linkedin.com/in/{slug}/",
        f"www.linkedin.com/in/{slug}",
        f"LINKEDIN.COM/IN/{slug.upper()}",
    ]


def duplicate_forms_conformance(ctx: Ctx, team: str) -> None:
    client = ctx.client(team)
    slug = ctx.fresh_slug(f"duplicate-{team.lower()}")
    entry = ctx.add_entry(f"https://linkedin.com/in/{slug}", client)
    for form in documented_forms(slug):
        ex = client.add(form)
        expect_error(
            ex, 409, "dnc_entry_exists", seeds.DUPLICATE, f"Team {team} adding {form!r} again"
        )
    check = client.check(entry["url"])
    found = check.data.get("entry") if isinstance(check.data, dict) else None
    if not isinstance(found, dict) or found.get("$id") != entry["$id"]:
        raise fail(
            "After the refused duplicates the original entry must still be the listed one.",
            check,
            seeds.DUPLICATE,
        )

    stored_once_conformance(ctx, team)


def stored_once_conformance(ctx: Ctx, team: str) -> None:
    """After the refused duplicates, each of the run's URLs is listed once: a 409 that still
    stored a second copy breaks "a list holds a URL once"."""
    ex = ctx.client(team).list(limit=LIST_LIMIT_MAX)
    entries = ex.data.get("entries") if isinstance(ex.data, dict) else None
    if ex.status != 200 or not isinstance(entries, list):
        raise fail("Listing entries must answer 200 with data.entries.", ex, seeds.LIST_PAGING)
    urls = Counter(
        str(e.get("url"))
        for e in entries
        if isinstance(e, dict) and ctx.config.marker in str(e.get("url", ""))
    )
    twice = sorted(url for url, n in urls.items() if n > 1)
    if twice:
        raise fail(
            f"After the refused duplicates, team {team}'s list shows URL(s) more than once: "
            f"{twice[:5]}.",
            ex,
            seeds.DUPLICATE,
        )
