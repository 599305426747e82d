"""POST /dnc/batch."""

import pytest

from contract_tests import seeds
from contract_tests.checks import batch
from contract_tests.context import Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.batch


@pytest.fixture(scope="module")
def mixed(dnc_ctx: Ctx) -> batch.BatchRun:
    return batch.mixed_batch(dnc_ctx)


@requires("batch.partial-success", seeds.BATCH_201)
def test_batch_with_some_invalid_entries_still_answers_201(mixed: batch.BatchRun) -> None:
    batch.batch_partial_success_conformance(mixed)


@requires("batch.counts", seeds.BATCH_COUNTS)
def test_batch_counts_added_duplicates_and_errors(mixed: batch.BatchRun) -> None:
    batch.batch_counts_conformance(mixed)


@requires("batch.details", seeds.BATCH_DETAILS, ("batch-detail-url",))
def test_batch_details_follow_input_order_with_normalized_urls(mixed: batch.BatchRun) -> None:
    batch.batch_details_conformance(mixed)


@requires("batch.repeat-is-duplicate", seeds.BATCH_DUPLICATE, ("batch-repeats",))
def test_batch_reports_a_url_repeated_inside_one_batch_as_duplicate(mixed: batch.BatchRun) -> None:
    batch.batch_repeat_conformance(mixed)


@requires("batch.malformed-400", seeds.BATCH_400, ("batch-entry-shape",))
def test_batch_without_entries_or_with_an_entry_without_url_answers_400_invalid_request(
    ctx: Ctx,
) -> None:
    batch.batch_rejects_malformed_conformance(ctx)
