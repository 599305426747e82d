"""POST /dnc of a URL already listed, in every documented form: 409 dnc_entry_exists."""

from __future__ import annotations

from contract_tests import seeds
from contract_tests.checks.common import expect_error, fail
from contract_tests.context import Ctx


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


def duplicate_forms_conformance(ctx: Ctx) -> None:
    slug = ctx.fresh_slug("duplicate")
    entry = ctx.add_entry(f"https://linkedin.com/in/{slug}")
    for form in documented_forms(slug):
        ex = ctx.a.add(form)
        expect_error(ex, 409, "dnc_entry_exists", seeds.DUPLICATE, f"Adding {form!r} again")
    check = ctx.a.check(entry["url"])
    found = check.data.get("entry") if isinstance(check.data, dict) else None
    if not isinstance(found, dict) or found.get("$id") != entry["$id"]:
        raise fail(
            "After the refused duplicates the original entry must still be the listed one.",
            check,
            seeds.DUPLICATE,
        )
