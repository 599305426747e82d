"""AsyncDncClient's bulk helpers against the real reference server (in-process, ASGI), also while
another writer deletes and adds between its page reads."""

from __future__ import annotations

import pytest

from dnc_client import AsyncDncClient, BulkProgress, CheckOutcome
from reference_server import Settings
from tests.bulk_harness.servers import (
    BASE,
    KEY,
    UNLIMITED,
    Counted,
    Failing,
    ShiftingList,
    add_newest,
    counting,
    delete_before_offset,
    person,
    reference,
)

pytestmark = pytest.mark.anyio


def client(app: object, counted: Counted | None = None) -> AsyncDncClient:
    return AsyncDncClient(BASE, KEY, transport=counting(app, counted), rate_limits=UNLIMITED)  # type: ignore[arg-type]


async def truth(api: AsyncDncClient, urls: list[str]) -> list[bool | None]:
    """What one check per URL says (None: the API refused the URL)."""
    answers: list[bool | None] = []
    for url in urls:
        try:
            answers.append((await api.check(url)).on_list)
        except Exception:
            answers.append(None)
    return answers


async def test_check_many_answers_every_url_like_a_check_would_in_input_order() -> None:
    async with reference(2500) as ref:
        urls = [
            "LINKEDIN.COM/IN/PERSON-00007",  # documented forms of listed people
            "https://www.linkedin.com/in/person-02499/",
            "in/person-01000",
            "linkedin.com/in/nobody-listed",  # documented form, not listed
            "https://uk.linkedin.com/in/person-00042?trk=x",  # listed, form left to the server
            "https://www.linkedin.com/company/acme",  # not a profile
            "",
            "in/person-00007",  # the same person again
        ] + [person(n) for n in range(100, 130)]
        counted = Counted()
        async with client(ref.app, counted) as api:
            outcomes = await api.check_many(urls)
            expected = await truth(api, urls)
    assert [o.url for o in outcomes] == urls
    assert [o.on_list for o in outcomes] == expected
    assert outcomes[0].entry is not None
    assert outcomes[0].entry.url == person(7)
    assert outcomes[3].normalized_url == "https://linkedin.com/in/nobody-listed"
    assert outcomes[5].error is not None
    assert outcomes[5].on_list is None
    assert outcomes[6].error == "LinkedIn URL is required"
    reads = counted.count("GET", "/v1/dnc")
    checks = counted.count("GET", "/v1/dnc/check") - len(urls)  # minus the truth checks
    # 3 pages matched all but one documented URL; re-reading the head would cost as much as
    # checking that one, so it is checked, with the 2 forms left to the server.
    assert (reads, checks) == (3, 3)


async def test_a_few_urls_against_a_long_list_are_checked_one_by_one() -> None:
    async with reference(3000) as ref:
        counted = Counted()
        async with client(ref.app, counted) as api:
            outcomes = await api.check_many(["in/person-00001", "in/someone-else"])
    assert [o.on_list for o in outcomes] == [True, False]
    assert counted.count("GET", "/v1/dnc") == 0
    assert counted.count("GET", "/v1/dnc/check") == 2


async def test_a_snapshot_that_grows_past_the_cost_of_checks_is_abandoned_for_checks() -> None:
    async with reference(5000) as ref:
        urls = ["in/person-04999", "in/person-00000", "in/someone-else", "in/nobody-else"]
        counted = Counted()
        async with client(ref.app, counted) as api:
            outcomes = await api.check_many(urls)
    assert [o.on_list for o in outcomes] == [True, True, False, False]
    reads, checks = counted.count("GET", "/v1/dnc"), counted.count("GET", "/v1/dnc/check")
    # Page 1 matched person-04999 (the newest); 3 reads spent = 3 URLs left: stop and check.
    assert reads == 3
    assert checks == 3
    assert reads + checks <= 2 * len(urls)


async def test_deletes_before_the_offset_between_reads_hide_nobody_still_listed() -> None:
    async with reference(3500) as ref:
        shifting = ShiftingList(
            ref.app, before_list={2: delete_before_offset(80), 3: delete_before_offset(120)}
        )
        async with client(shifting) as api:
            snapshot = [entry.url async for entry in api.iter_entries()]
            after = {e.url for e in await api.snapshot()}
    assert len(snapshot) == len(set(snapshot))
    assert after <= set(snapshot)  # everything still listed was in the first snapshot
    assert len(after) == 3500 - 200


async def test_check_many_under_a_deleter_reports_every_still_listed_person_on_the_list() -> None:
    async with reference(3500) as ref:
        shifting = ShiftingList(ref.app, before_list={2: delete_before_offset(200)})
        async with client(shifting) as api:
            outcomes = await api.check_many(ref.urls)
            expected = await truth(api, ref.urls)
    # Deleted ones may be reported either way (they were listed when read); no one still
    # listed is ever reported as not listed.
    for outcome, now in zip(outcomes, expected, strict=True):
        assert not (now is True and outcome.on_list is not True), outcome.url


async def test_entries_added_while_paging_are_caught_by_the_head_read() -> None:
    async with reference(2500) as ref:
        late = [person(n) for n in range(90000, 90030)]
        shifting = ShiftingList(ref.app, before_list={3: add_newest(late)})
        async with client(shifting) as api:
            urls = [entry.url async for entry in api.iter_entries()]
    assert len(urls) == len(set(urls)) == 2530


async def test_progress_is_reported_per_page_and_per_check() -> None:
    seen: list[BulkProgress] = []

    async def record(progress: BulkProgress) -> None:
        seen.append(progress)

    async with reference(1500) as ref, client(ref.app) as api:
        urls = [person(1), person(2), person(3), "http://linkedin.com/in/x-y"]
        outcomes = await api.check_many(urls, progress=record)
    assert [o.on_list for o in outcomes] == [True, True, True, False]
    phases = [p.phase for p in seen]
    assert phases.count("snapshot") == 2  # page 2 found all three: no head read needed
    assert phases[-1] == "check"
    assert seen[-1].done == seen[-1].total == 1


async def test_a_failing_api_is_reported_as_errors_never_as_not_on_the_list() -> None:
    async with reference(10) as ref:
        broken = Failing(ref.app, {"/v1/dnc", "/v1/dnc/check"})
        async with AsyncDncClient(
            BASE, KEY, transport=counting(broken), rate_limits=UNLIMITED, max_attempts=1
        ) as api:
            outcomes = await api.check_many([person(n) for n in range(5)] + ["in/x-y-z"])
    assert all(o.on_list is None and o.error for o in outcomes)


async def test_add_many_sends_chunked_batches_and_reports_each_url_in_input_order() -> None:
    async with reference(0) as ref:
        urls = [person(n) for n in range(0, 25)] + ["in/person-00003", "not a url", "  "]
        counted = Counted()
        async with client(ref.app, counted) as api:
            first = await api.add_many(urls, chunk_size=10)
            again = await api.add_many(urls, chunk_size=10)
            listed = await api.snapshot()
    assert [o.url for o in first] == urls
    assert [o.status for o in first] == ["added"] * 25 + ["duplicate", "error", "error"]
    assert [o.status for o in again] == ["duplicate"] * 26 + ["error", "error"]
    assert len(listed) == 25
    assert counted.count("POST", "/v1/dnc/batch") == 6  # 27 sendable rows in 3 chunks, twice


async def test_a_batch_refused_as_too_large_is_split_and_nothing_is_lost() -> None:
    settings = Settings(api_keys={KEY: "team_bulk"}, rate_limits=UNLIMITED, max_batch_entries=4)
    async with reference(0, settings=settings) as ref, client(ref.app) as api:
        outcomes = await api.add_many([person(n) for n in range(10)], chunk_size=10)
        listed = await api.snapshot()
    assert [o.status for o in outcomes] == ["added"] * 10
    assert len(listed) == 10


def test_check_outcomes_use_the_api_field_names() -> None:
    outcome = CheckOutcome(url="in/x", on_list=None, error="boom")
    assert outcome.model_dump()["onList"] is None
