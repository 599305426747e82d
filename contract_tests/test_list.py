"""GET /dnc."""

from typing import Any

import pytest

from contract_tests import seeds
from contract_tests.checks import listing
from contract_tests.context import Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.list


@pytest.fixture(scope="module")
def three_entries(dnc_ctx: Ctx) -> list[dict[str, Any]]:
    """Three entries added one after another (oldest first) with distinct $createdAt values,
    so that their order is defined (the order among equal timestamps is a decision)."""
    return listing.distinct_entries(dnc_ctx, 3)


@requires("list.order", seeds.LIST_ORDER, ("list-order-ties",))
def test_list_returns_the_newest_entries_first(
    ctx: Ctx, three_entries: list[dict[str, Any]]
) -> None:
    listing.list_newest_first_conformance(ctx, three_entries)


@requires("list.paging", f"{seeds.LIST_PAGING} and {seeds.LIST_ECHO}")
def test_list_pages_with_limit_and_offset(ctx: Ctx, three_entries: list[dict[str, Any]]) -> None:
    listing.list_paging_conformance(ctx)


@requires("list.defaults", seeds.LIST_PAGING)
def test_list_defaults_to_limit_50_and_offset_0(
    ctx: Ctx, three_entries: list[dict[str, Any]]
) -> None:
    listing.list_defaults_conformance(ctx)


@requires("list.limit.above-100", f"{seeds.LIST_PAGING} and {seeds.LIST_ECHO}")
def test_list_honours_a_limit_above_100_up_to_1000(
    ctx: Ctx, three_entries: list[dict[str, Any]]
) -> None:
    listing.list_large_limit_conformance(ctx)


@requires("list.limit.maximum", f"{seeds.LIST_PAGING} and {seeds.LIST_ECHO}")
def test_list_honours_limit_1000_with_more_than_1000_entries(
    ctx: Ctx, three_entries: list[dict[str, Any]]
) -> None:
    listing.list_full_page_conformance(ctx)


@requires("list.total", seeds.LIST_TOTAL)
def test_list_total_counts_the_entries_of_this_page_only(
    ctx: Ctx, three_entries: list[dict[str, Any]]
) -> None:
    listing.list_total_conformance(ctx)


@requires("list.range", f"{seeds.LIST_PAGING}; out of range: decision list-range", ("list-range",))
def test_list_rejects_or_clamps_an_out_of_range_limit_or_offset(ctx: Ctx) -> None:
    listing.list_range_conformance(ctx)
