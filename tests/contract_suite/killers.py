"""The suite's test names that the kill matrix expects to fail, one constant each."""

NORM = "test_documented_url_forms_are_stored_as_the_canonical_url"
CHECK_FORMS = "test_check_finds_a_listed_url_by_every_documented_form"
INVALID = "test_a_url_that_is_not_a_linkedin_profile_answers_400_invalid_url"
W30 = "test_add_and_delete_share_exactly_30_requests_per_window"
R60 = "test_check_and_list_share_exactly_60_requests_per_window"
B10 = "test_batch_admits_exactly_10_requests_per_window"
BODY429 = "test_a_429_carries_rate_limit_exceeded_a_message_and_reset_time_within_the_window"
AFTER = "test_requests_are_admitted_again_after_reset_time"
OTHER = "test_one_team_exhausting_a_bucket_does_not_throttle_another_team"
ENV_OK = "test_every_success_answer_carries_error_null_and_data"
ENV_ERR = "test_every_error_answer_carries_an_error_code_and_a_message"
ST = "test_generated_requests_pass_the_schemathesis_check"
SCHEMA = f"{ST}[response_schema_conformance]"
SERVER_ERROR = f"{ST}[not_a_server_error]"
DELETE_403 = "test_delete_of_another_teams_entry_answers_403_unauthorized_dnc_and_keeps_it"

ROLLING = "test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window"
DELETE_OWN = "test_delete_of_an_own_entry_answers_200_and_removes_it"
DUPLICATES = "test_every_documented_form_of_a_listed_url_answers_409_dnc_entry_exists"
LARGE_LIMIT = "test_list_honours_a_limit_above_100_up_to_1000"
AUDIT = "test_every_answer_the_run_saw_matches_its_documented_schema"
INVALID_REFUSED = "test_generated_input_the_pages_call_invalid_is_refused"
DELETE_TWICE = "test_delete_of_an_already_deleted_entry_answers_404_dnc_not_found"
NOT_FOUND = "test_check_of_an_unlisted_url_answers_on_list_false_and_entry_null"
AUTH_WRONG = "test_every_operation_with_a_wrong_api_key_answers_401_unauthorized"
PAGING = "test_list_pages_with_limit_and_offset"


def st(check: str) -> str:
    """The test of one Schemathesis check."""
    return f"{ST}[{check}]"


def team_b(test: str) -> str:
    """The team-B half of a per-team test."""
    return f"{test}[team_B]"


BATCH_OTHER_TEAM = "test_a_batch_adds_a_url_another_team_holds_for_its_own_team"
ERROR_LEAK = "test_no_error_answer_carries_another_teams_data"
TOTAL = "test_list_total_counts_the_entries_of_this_page_only"
LIMIT_1000 = "test_list_honours_limit_1000_with_more_than_1000_entries"
RETRY_SPREAD = "test_a_retry_at_reset_time_after_spread_out_traffic_is_admitted"
