"""POST /dnc/batch."""

import pytest

from contract_tests.checks import batch
from contract_tests.context import Ctx

pytestmark = pytest.mark.batch


@pytest.fixture(scope="module")
def mixed(dnc_ctx: Ctx) -> batch.BatchRun:
    return batch.mixed_batch(dnc_ctx)


def test_batch_with_some_invalid_entries_still_answers_201(mixed: batch.BatchRun) -> None:
    batch.batch_partial_success_conformance(mixed)


def test_batch_counts_added_duplicates_and_errors(mixed: batch.BatchRun) -> None:
    batch.batch_counts_conformance(mixed)


def test_batch_details_follow_input_order_with_normalized_urls(mixed: batch.BatchRun) -> None:
    batch.batch_details_conformance(mixed)


def test_batch_reports_a_url_repeated_inside_one_batch_as_duplicate(mixed: batch.BatchRun) -> None:
    batch.batch_repeat_conformance(mixed)


def test_batch_without_entries_or_with_an_entry_without_url_answers_400_invalid_request(
    ctx: Ctx,
) -> None:
    batch.batch_rejects_malformed_conformance(ctx)
