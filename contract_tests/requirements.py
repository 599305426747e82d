"""One requirement per test: what it checks, in the words of the seed pages (or the decision of
openapi.yaml it depends on). The verdict file quotes these; a test without an entry here is a
defect (tests/contract_suite checks that every test has one)."""

from __future__ import annotations

from dataclasses import dataclass

from contract_tests import seeds
from contract_tests.checks.schemathesis_checks import REQUIRES


@dataclass(frozen=True)
class Requirement:
    checks: str  # the seed sentence (or spec decision) the test checks
    decisions: tuple[str, ...] = ()  # x-dnc-decisions ids whose other choices it tolerates

    @property
    def source(self) -> str:
        return "documented" if not self.checks.startswith("decision ") else "decision"


R = Requirement
BY_TEST: dict[str, Requirement] = {
    # auth
    "test_every_operation_without_an_api_key_answers_401_unauthorized": R(seeds.AUTH),
    "test_every_operation_with_a_wrong_api_key_answers_401_unauthorized": R(
        seeds.AUTH, ("auth-header",)
    ),
    # batch
    "test_batch_with_some_invalid_entries_still_answers_201": R(seeds.BATCH_201),
    "test_batch_counts_added_duplicates_and_errors": R(seeds.BATCH_COUNTS),
    "test_batch_details_follow_input_order_with_normalized_urls": R(
        seeds.BATCH_DETAILS, ("batch-detail-url",)
    ),
    "test_batch_reports_a_url_repeated_inside_one_batch_as_duplicate": R(
        seeds.BATCH_DUPLICATE, ("batch-repeats",)
    ),
    "test_batch_without_entries_or_with_an_entry_without_url_answers_400_invalid_request": R(
        seeds.BATCH_400, ("batch-entry-shape",)
    ),
    # cache
    "test_check_sees_an_add_at_once_after_a_cached_miss": R(seeds.CACHE_ADD),
    "test_check_sees_a_delete_at_once_after_a_cached_hit": R(seeds.CACHE_DELETE),
    "test_check_sees_a_batch_add_at_once_after_a_cached_miss": R(seeds.CACHE_BATCH),
    # check
    "test_check_finds_a_listed_url_with_its_full_entry": R(seeds.CHECK_FOUND),
    "test_check_of_an_unlisted_url_answers_on_list_false_and_entry_null": R(seeds.CHECK_NOT_FOUND),
    "test_check_without_a_url_answers_400_invalid_request": R(seeds.MISSING_URL, ("empty-url",)),
    # delete
    "test_delete_of_an_own_entry_answers_200_and_removes_it": R(
        f"{seeds.DELETE_200} and {seeds.DELETE_GONE}"
    ),
    "test_delete_of_an_already_deleted_entry_answers_404_dnc_not_found": R(seeds.DELETE_404),
    "test_delete_of_an_unknown_id_answers_404_dnc_not_found": R(seeds.DELETE_404),
    "test_delete_of_another_teams_entry_answers_403_unauthorized_dnc_and_keeps_it": R(
        seeds.DELETE_403
    ),
    # duplicates
    "test_every_documented_form_of_a_listed_url_answers_409_dnc_entry_exists": R(seeds.DUPLICATE),
    # envelope
    "test_every_success_answer_carries_error_null_and_data": R(seeds.ENVELOPE_SUCCESS),
    "test_every_error_answer_carries_an_error_code_and_a_message": R(seeds.ENVELOPE_ERROR),
    "test_every_answer_the_run_saw_matches_its_documented_schema": R(
        'the pages\' "Response Format" and "Response Fields" of each operation (openapi.yaml '
        "schemas of 2xx, 401, 403, 404, 409 and 429 bodies)",
        ("invalid-input-status", "body-size"),
    ),
    # isolation
    "test_another_team_cannot_see_an_entry_through_check": R(seeds.ISOLATION_CHECK),
    "test_another_teams_list_does_not_show_the_entries": R(seeds.ISOLATION_LIST),
    "test_two_teams_can_each_add_the_same_url": R(seeds.ISOLATION_ADD),
    "test_a_batch_adds_a_url_another_team_holds_for_its_own_team": R(seeds.ISOLATION_BATCH),
    "test_no_error_answer_carries_another_teams_data": R(seeds.ISOLATION_DATA),
    # list
    "test_list_returns_the_newest_entries_first": R(seeds.LIST_ORDER, ("list-order-ties",)),
    "test_list_pages_with_limit_and_offset": R(f"{seeds.LIST_PAGING} and {seeds.LIST_ECHO}"),
    "test_list_defaults_to_limit_50_and_offset_0": R(seeds.LIST_PAGING),
    "test_list_honours_a_limit_above_100_up_to_1000": R(
        f"{seeds.LIST_PAGING} and {seeds.LIST_ECHO}"
    ),
    "test_list_honours_limit_1000_with_more_than_1000_entries": R(
        f"{seeds.LIST_PAGING} and {seeds.LIST_ECHO}"
    ),
    "test_list_total_counts_the_entries_of_this_page_only": R(seeds.LIST_TOTAL),
    "test_list_rejects_or_clamps_an_out_of_range_limit_or_offset": R(
        f"{seeds.LIST_PAGING}; out of range: decision list-range", ("list-range",)
    ),
    # normalization
    "test_documented_url_forms_are_stored_as_the_canonical_url": R(seeds.NORMALIZATION),
    "test_check_finds_a_listed_url_by_every_documented_form": R(seeds.NORMALIZATION_CHECK),
    "test_single_add_stores_the_canonical_url": R(seeds.NORMALIZATION),
    "test_a_url_that_is_not_a_linkedin_profile_answers_400_invalid_url": R(
        f"{seeds.INVALID_URL} and {seeds.MISSING_URL}", ("empty-url",)
    ),
    "test_inferred_normalization_cases_match_dnc_kit_decisions": R(
        "decision unicode-slugs and the inferred cases of fixtures/normalization.json "
        "(warnings only)",
        ("unicode-slugs", "url-pattern"),
    ),
    # rate limits
    "test_add_and_delete_share_exactly_30_requests_per_window": R(
        seeds.RATE_WRITE, ("rate-limit-counting",)
    ),
    "test_check_and_list_share_exactly_60_requests_per_window": R(
        seeds.RATE_READ, ("rate-limit-counting",)
    ),
    "test_batch_admits_exactly_10_requests_per_window": R(
        seeds.RATE_BATCH, ("rate-limit-counting",)
    ),
    "test_a_429_carries_rate_limit_exceeded_a_message_and_reset_time_within_the_window": R(
        seeds.RATE_429, ("reset-time",)
    ),
    "test_requests_are_admitted_again_after_reset_time": R(seeds.RATE_RESET, ("reset-time",)),
    "test_a_retry_at_reset_time_after_spread_out_traffic_is_admitted": R(
        seeds.RATE_RESET, ("reset-time", "rate-limit-counting")
    ),
    "test_one_team_exhausting_a_bucket_does_not_throttle_another_team": R(seeds.RATE_TEAM),
    "test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window": R(
        seeds.RATE_ROLLING, ("rate-limit-counting",)
    ),
    # schema (the parametrized Schemathesis test takes its text from the check, see below)
    "test_every_generated_request_gets_an_answer": R(REQUIRES["answered"]),
    "test_every_answer_to_a_generated_request_carries_the_envelope": R(REQUIRES["envelope"]),
    "test_generated_input_the_pages_call_invalid_is_refused": R(
        REQUIRES["documented_invalid_refused"]
    ),
    "test_a_generated_batch_entry_whose_url_is_not_a_string_is_refused_or_an_entry_error": R(
        REQUIRES["batch_entry_shape"], ("batch-entry-shape",)
    ),
}
SCHEMATHESIS_TEST = "test_generated_requests_pass_the_schemathesis_check"


def requirement_for(name: str) -> Requirement | None:
    """The requirement of a test by its pytest name (with parameters, e.g. `test_x[team_B]`)."""
    base, _, param = name.partition("[")
    if base == SCHEMATHESIS_TEST:
        check = param.rstrip("]")
        return R(f"Schemathesis check {check}: {REQUIRES.get(check, '?')}")
    return BY_TEST.get(base)
