"""An answer httpx cannot read (a body that is not the gzip its header names) is a
DncConnectionError from both clients: the outcome is unknown, never "not listed"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dnc_client import AsyncDncClient, DncClient, DncConnectionError
from tests.bulk_harness.servers import corrupt_gzip, serve_in_thread

KEY = "sk_test_unreadable_answers_01"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(corrupt_gzip) as url:
        yield url


def test_the_sync_client_reports_a_corrupt_body_as_a_connection_error(base_url: str) -> None:
    with DncClient(base_url, KEY) as api, pytest.raises(DncConnectionError) as raised:
        api.check("https://linkedin.com/in/alice")
    assert "DecodingError" in str(raised.value)
    assert KEY not in str(raised.value)


@pytest.mark.anyio
async def test_the_async_client_reports_a_corrupt_body_as_a_connection_error(
    base_url: str,
) -> None:
    async with AsyncDncClient(base_url, KEY) as api:
        with pytest.raises(DncConnectionError) as raised:
            await api.check("https://linkedin.com/in/alice")
    assert "DecodingError" in str(raised.value)
    assert KEY not in str(raised.value)
