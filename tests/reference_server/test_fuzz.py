"""Arbitrary input never yields a 500 or a non-envelope answer (hypothesis, in-process)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_server import Settings
from reference_server.testing import inprocess_client

# Input handling happens before storage: the embedded backend is enough here.
pytestmark = pytest.mark.sqlite_only

AUTH = {"Authorization": "Bearer key-team-a-primary"}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["url", "entries", "x"]) | st.text(max_size=5), children)
    ),
    max_leaves=12,
)
url_like = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s: f"linkedin.com/in/{s}", st.text(max_size=30)),
)


@pytest.fixture
def call(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., httpx.Response]]:
    """Send requests from sync hypothesis tests to one in-process app on a portal loop."""
    portal: BlockingPortal
    with start_blocking_portal(backend="asyncio") as portal:
        manager = portal.wrap_async_context_manager(inprocess_client(make_settings()))
        with manager as client:

            def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
                async def go() -> httpx.Response:
                    return await client.request(method, path, headers=AUTH, **kwargs)

                return portal.call(go)

            yield send


def _assert_envelope(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, response.text
    body = response.json()
    if response.status_code < 400:
        assert body["error"] is None
        assert "data" in body
    else:
        assert isinstance(body["error"], str)
        assert isinstance(body["message"], str)


@FUZZ
@given(body=json_values)
def test_any_json_body_to_add_answers_a_documented_status(
    call: Callable[..., httpx.Response], body: Any
) -> None:
    _assert_envelope(call("POST", "/v1/dnc", content=json.dumps(body)), {201, 400, 409})


@FUZZ
@given(body=json_values | st.fixed_dictionaries({"entries": st.lists(json_values, max_size=5)}))
def test_any_json_body_to_batch_answers_a_documented_status(
    call: Callable[..., httpx.Response], body: Any
) -> None:
    _assert_envelope(call("POST", "/v1/dnc/batch", content=json.dumps(body)), {201, 400})


@FUZZ
@given(raw=st.binary(max_size=80))
def test_any_bytes_as_a_body_answer_a_documented_status(
    call: Callable[..., httpx.Response], raw: bytes
) -> None:
    _assert_envelope(call("POST", "/v1/dnc", content=raw), {201, 400, 409})


@FUZZ
@given(url=url_like)
def test_any_url_to_check_answers_200_or_400(call: Callable[..., httpx.Response], url: str) -> None:
    _assert_envelope(call("GET", "/v1/dnc/check?url=" + quote(url, safe="")), {200, 400})


@FUZZ
@given(limit=st.text(max_size=12), offset=st.text(max_size=12))
def test_any_list_parameters_answer_200_or_400(
    call: Callable[..., httpx.Response], limit: str, offset: str
) -> None:
    query = f"limit={quote(limit, safe='')}&offset={quote(offset, safe='')}"
    _assert_envelope(call("GET", "/v1/dnc?" + query), {200, 400})


@FUZZ
@given(entry_id=st.text(min_size=1, max_size=40))
def test_any_id_to_delete_answers_404_or_a_routing_error(
    call: Callable[..., httpx.Response], entry_id: str
) -> None:
    _assert_envelope(call("DELETE", "/v1/dnc/" + quote(entry_id, safe="")), {404, 405})
