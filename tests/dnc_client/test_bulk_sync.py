"""DncClient's bulk helpers against the reference server on a real loopback port (uvicorn),
also while another writer deletes between its page reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dnc_client import BulkProgress, DncClient
from reference_server import Settings, create_app
from tests.bulk_harness.servers import (
    KEY,
    TEAM,
    UNLIMITED,
    Counted,
    CountingSyncTransport,
    ShiftingList,
    delete_before_offset,
    person,
    seed_over_http,
    serve_in_thread,
)

SEEDED = [person(n) for n in range(2600)]


@pytest.fixture
def shifting() -> Iterator[tuple[str, ShiftingList]]:
    app = ShiftingList(
        create_app(Settings(api_keys={KEY: TEAM}, rate_limits=UNLIMITED), access_log=False)
    )
    with serve_in_thread(app) as base_url:
        seed_over_http(base_url, SEEDED)
        yield base_url, app


def test_the_blocking_client_snapshots_the_list_over_http_while_entries_are_deleted(
    shifting: tuple[str, ShiftingList],
) -> None:
    base_url, app = shifting
    app.before_list = {app.list_requests + 2: delete_before_offset(100)}
    counted = Counted()
    progress: list[BulkProgress] = []
    with DncClient(
        base_url, KEY, transport=CountingSyncTransport(counted), rate_limits=UNLIMITED
    ) as api:
        urls = [entry.url for entry in api.iter_entries(progress=progress.append)]
        still = {entry.url for entry in api.snapshot()}
    assert len(urls) == len(set(urls))
    assert still <= set(urls)
    assert len(still) == 2500
    assert progress[-1].phase == "snapshot"
    assert progress[-1].done == len(urls)
    assert counted.count("GET", "/v1/dnc") >= 4


def test_the_blocking_client_checks_many_urls_and_adds_many(
    shifting: tuple[str, ShiftingList],
) -> None:
    base_url, _ = shifting
    with DncClient(base_url, KEY, rate_limits=UNLIMITED) as api:
        fresh = [person(n) for n in range(5000, 5012)]
        added = api.add_many(["", *fresh, fresh[0]], chunk_size=5)
        urls = [
            "in/person-00010",
            "WWW.LINKEDIN.COM/IN/PERSON-05011/",
            "in/nobody-here",
            "not a url",
        ]
        outcomes = api.check_many(urls)
    assert [o.status for o in added] == ["error", *["added"] * 12, "duplicate"]
    assert [o.on_list for o in outcomes] == [True, True, False, None]
    assert outcomes[3].error is not None
