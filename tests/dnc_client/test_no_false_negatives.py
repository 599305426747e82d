"""Regressions where a listed person came back "not on the list" (the one unforgivable answer
of a Do-Not-Contact list): a deployment that serves shorter pages than the limit it echoes, a
deployment that serves pages no longer than the overlap, and a spelling the deployment does
not normalize, for a username the snapshot lists."""

from __future__ import annotations

import json
from dataclasses import dataclass

import anyio
import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dnc_client.errors import InconsistentSnapshotError
from dnc_client.models import DncEntry, ListPage
from dnc_client.snapshot import SnapshotReader
from tests.bulk_harness.servers import Counted, reference
from tests.dnc_client.test_bulk_shapes import Deployment, client
from tests.dnc_client.test_snapshot import ShiftingList, ids


@dataclass
class CappedList(ShiftingList):
    """Serves at most `cap` entries a page; echoes the limit asked when `echo` is set."""

    cap: int = 100
    echo: bool = True

    def page(self, offset: int, limit: int) -> ListPage:
        served = super().page(offset, min(limit, self.cap))
        return served.model_copy(update={"limit": limit if self.echo else served.limit})


def capped(size: int, cap: int, *, echo: bool) -> CappedList:
    return CappedList(ShiftingList.of(size).entries, cap=cap, echo=echo)


def read_all(server: ShiftingList, reader: SnapshotReader) -> list[DncEntry]:
    """Like test_snapshot's, but a reader that never finishes fails instead of hanging."""
    for _ in range(100):
        read = reader.next_read()
        if read is None:
            return reader.entries
        reader.feed(server.page(read.offset, read.limit))
    raise AssertionError("the snapshot did not finish within 100 reads")


def test_a_server_serving_fewer_entries_than_the_limit_it_echoes_is_read_to_the_end() -> None:
    server = capped(300, 100, echo=True)
    assert ids(read_all(server, SnapshotReader())) == ids(server.entries)


def test_a_short_page_ends_the_list_only_when_the_page_after_it_holds_nothing_unseen() -> None:
    server = capped(300, 100, echo=True)
    server.between_reads[2] = lambda s: s.delete_at(0, 1, 2)
    original = ids(server.entries)
    got = ids(read_all(server, SnapshotReader()))
    assert set(original[3:]) <= set(got)
    assert len(got) == len(set(got))


def test_pages_no_longer_than_the_overlap_still_move_forward() -> None:
    server = capped(300, 50, echo=False)
    reader = SnapshotReader()  # overlap 50: a page of 50 would otherwise be read forever
    assert ids(read_all(server, reader)) == ids(server.entries)
    assert reader.reads < 20


def test_a_server_serving_one_entry_a_page_is_refused_rather_than_read_forever() -> None:
    with pytest.raises(InconsistentSnapshotError):
        read_all(capped(30, 1, echo=False), SnapshotReader())


@dataclass
class CappedPages:
    """A deployment whose list serves at most `cap` entries a page but echoes the limit asked."""

    app: ASGIApp
    cap: int

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/dnc":
            await self.app(scope, receive, send)
            return
        query = httpx.QueryParams(scope["query_string"].decode())
        asked = int(query.get("limit", "100"))
        served = str(query.set("limit", str(min(asked, self.cap))))
        start: list[Message] = []

        async def echo_asked(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
                return
            body = json.loads(message["body"])
            body["data"]["limit"] = asked
            data = json.dumps(body).encode()
            headers = [(k, v) for k, v in start[0]["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(data)).encode()))
            await send({**start[0], "headers": headers})
            await send({"type": "http.response.body", "body": data})

        await self.app({**scope, "query_string": served.encode()}, receive, echo_asked)


@pytest.mark.anyio
async def test_check_many_finds_every_listed_url_on_a_deployment_with_capped_pages() -> None:
    async with reference(300) as ref:
        urls = [f"https://linkedin.com/in/person-{n:05d}" for n in range(300)]
        async with client(CappedPages(ref.app, 100), Counted()) as api:
            with anyio.fail_after(30):
                outcomes = await api.check_many(urls)
                snapshot = await api.snapshot()
    assert all(o.on_list is True for o in outcomes)
    assert len(snapshot) == 300


@pytest.mark.anyio
async def test_a_snapshot_of_pages_no_longer_than_the_overlap_completes() -> None:
    async with reference(300) as ref, client(CappedPages(ref.app, 50), Counted()) as api:
        with anyio.fail_after(30):
            snapshot = await api.snapshot()
    assert len(snapshot) == 300


@pytest.mark.anyio
async def test_a_listed_username_in_a_spelling_the_deployment_misreads_is_listed() -> None:
    not_listed = {"data": {"onList": False, "entry": None}}
    async with reference(300) as ref:
        deployment = Deployment(ref.app, [("?trk=", 200, not_listed)])
        urls = [f"https://www.linkedin.com/in/person-{n:05d}?trk=x" for n in range(250, 350)]
        async with client(deployment, Counted()) as api:
            outcomes = await api.check_many(urls)
    assert [o.on_list for o in outcomes] == [n < 300 for n in range(250, 350)]
    listed = outcomes[:50]
    assert all(o.entry is not None and o.normalized_url == o.entry.url for o in listed)
