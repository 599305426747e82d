"""check_many with the spellings people have in their exports: each spelling shape is learned
from the deployment with a few checks of listed URLs, then matched locally; a shape the
deployment answers any other way is checked URL by URL. Real reference server, in-process."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from dnc_client import AsyncDncClient
from tests.bulk_harness.servers import (
    BASE,
    KEY,
    UNLIMITED,
    Counted,
    ShiftingList,
    add_newest,
    counting,
    delete_before_offset,
    inner_api,
    person,
    reference,
)

pytestmark = pytest.mark.anyio

SHAPES = (
    "http://www.linkedin.com/in/{u}",
    "http://linkedin.com/in/{u}/",
    "https://www.linkedin.com/in/{u}?utm_source=share&utm_medium=member_desktop",
    "https://www.linkedin.com/in/{u}?trk=public_profile_{n}",
    "https://uk.linkedin.com/in/{u}",
    "https://de.linkedin.com/in/{u}/",
    "https://m.linkedin.com/in/{u}",
    "https://www.linkedin.com/in/{u}/details/experience/",
    "  https://www.linkedin.com/in/{u}/ ",
    "HTTPS://WWW.LINKEDIN.COM/IN/{u}",  # documented
)


def spelled(number: int, rng: random.Random) -> str:
    username = f"person-{number:05d}"
    return rng.choice(SHAPES).format(u=username, n=number)


def client(app: ASGIApp, counted: Counted) -> AsyncDncClient:
    return AsyncDncClient(BASE, KEY, transport=counting(app, counted), rate_limits=UNLIMITED)


@dataclass
class Deployment:
    """The reference server, but its check answers some spellings its own way: a deployment
    whose normalizer differs from the reference's. `answer(url)` returns (status, body) or
    None to let the reference answer."""

    app: ASGIApp
    rules: list[tuple[str, int, object]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/dnc/check":
            url = httpx.QueryParams(scope["query_string"].decode()).get("url", "")
            for needle, status, body in self.rules:
                if needle in url:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [(b"content-type", b"application/json")],
                        }
                    )
                    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
                    return
        await self.app(scope, receive, send)


async def test_every_spelling_is_answered_like_its_check_with_a_few_checks_per_shape() -> None:
    rng = random.Random(5)
    async with reference(1500) as ref:
        numbers = rng.sample(range(1500), 200) + list(range(5000, 5200))
        urls = [spelled(n, rng) for n in numbers]
        counted = Counted()
        async with client(ref.app, counted) as api:
            outcomes = await api.check_many(urls)
            checks = counted.count("GET", "/v1/dnc/check")
            truth = [(await api.check(url)).on_list for url in urls]
    assert [o.on_list for o in outcomes] == truth
    assert sum(truth) == 200
    assert counted.count("GET", "/v1/dnc") <= 4  # 2 pages, 1 read proving the end, the head
    assert checks <= 2 * (len(SHAPES) - 1)  # two probes per learned shape, nothing per URL
    listed = [o for o in outcomes if o.on_list]
    assert all(o.entry is not None and o.normalized_url == o.entry.url for o in listed)


async def test_an_all_http_www_export_costs_the_snapshot_and_two_checks() -> None:
    async with reference(1200) as ref:
        urls = [f"http://www.linkedin.com/in/person-{n:05d}" for n in range(600, 1800)]
        counted = Counted()
        async with client(ref.app, counted) as api:
            outcomes = await api.check_many(urls)
    assert [o.on_list for o in outcomes] == [n < 1200 for n in range(600, 1800)]
    assert counted.count("GET", "/v1/dnc/check") == 2


async def test_a_shape_the_deployment_refuses_is_unknown_never_not_listed() -> None:
    async with reference(300) as ref:
        invalid = {"error": "invalid_url", "message": "Invalid LinkedIn URL format"}
        deployment = Deployment(ref.app, [("m.linkedin.com", 400, invalid)])
        urls = [f"https://m.linkedin.com/in/person-{n:05d}" for n in range(250, 350)]
        urls += [f"http://linkedin.com/in/person-{n:05d}" for n in range(250, 350)]
        counted = Counted()
        async with client(deployment, counted) as api:
            outcomes = await api.check_many(urls)
    mobile, http = outcomes[:100], outcomes[100:]
    # a username the snapshot lists is listed whatever the deployment says of its spelling
    assert all(o.on_list is True for o in mobile[:50])
    assert all(o.on_list is None and o.error for o in mobile[50:])
    assert [o.on_list for o in http] == [n < 300 for n in range(250, 350)]
    # the mobile shape: 2 probes (inputs), then every other URL through the API; http: 2 probes
    assert counted.count("GET", "/v1/dnc/check") == 2 + 98 + 2


async def test_a_shape_answered_with_another_entry_is_checked_url_by_url() -> None:
    async with reference(300) as ref:
        other = {"onList": True, "entry": None}
        deployment = Deployment(ref.app, [("?ref=", 200, {"data": other})])
        urls = [f"https://linkedin.com/in/person-{n:05d}?ref=x" for n in range(250, 350)]
        counted = Counted()
        async with client(deployment, counted) as api:
            outcomes = await api.check_many(urls)
    # not confirmed (no entry to compare): the deployment's own answer for each URL
    assert all(o.on_list is True for o in outcomes)
    assert counted.count("GET", "/v1/dnc/check") == 2 + 98  # probes answer 2 of the inputs


async def test_spellings_stay_exact_while_entries_are_added_and_deleted_between_page_reads() -> (
    None
):
    rng = random.Random(11)
    async with reference(2500) as ref:
        late = [person(n) for n in range(9000, 9040)]
        shifting = ShiftingList(
            ref.app,
            before_list={
                2: delete_before_offset(80),
                3: add_newest(late),
                4: delete_before_offset(120),
            },
        )
        numbers = list(range(0, 2500, 5)) + list(range(9000, 9040)) + list(range(7000, 7300))
        urls = [spelled(n, rng) for n in numbers]
        counted = Counted()
        async with client(shifting, counted) as api:
            outcomes = await api.check_many(urls, concurrency=4)
            after = {entry.url for entry in await api.snapshot()}
    for number, outcome in zip(numbers, outcomes, strict=True):
        if number >= 7000 and number < 9000:
            assert outcome.on_list is False, outcome  # never listed: no false positive
        elif person(number) in after and number < 9000:
            assert outcome.on_list is True, outcome  # listed throughout: no false negative


@dataclass
class DeletesFirstProbed:
    """The reference server, but the entry of the first URL checked is deleted just before that
    check is answered: a colleague removing it between the snapshot and the probe."""

    app: ASGIApp
    done: bool = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.done and scope["type"] == "http" and scope["path"] == "/v1/dnc/check":
            self.done = True
            url = httpx.QueryParams(scope["query_string"].decode()).get("url", "")
            async with inner_api(self.app) as api:
                entry = (await api.get("/dnc/check", params={"url": url})).json()["data"]["entry"]
                assert (await api.delete(f"/dnc/{entry['$id']}")).status_code == 200
        await self.app(scope, receive, send)


async def test_a_probe_deleted_since_the_snapshot_is_replaced_not_taken_as_a_verdict() -> None:
    async with reference(300) as ref:
        urls = [f"http://www.linkedin.com/in/person-{n:05d}" for n in range(200, 400)]
        counted = Counted()
        async with client(DeletesFirstProbed(ref.app), counted) as api:
            outcomes = await api.check_many(urls)
    # 2 probes, the documented form of the one that said "not listed" (deleted), 1 more probe
    assert counted.count("GET", "/v1/dnc/check") == 4
    assert sum(1 for o in outcomes if o.on_list) in {99, 100}  # the deleted one either way
    assert all(o.on_list is False for o in outcomes[100:])


async def test_a_shape_the_deployment_does_not_normalize_is_checked_url_by_url() -> None:
    async with reference(300) as ref:
        not_listed = {"data": {"onList": False, "entry": None}}
        deployment = Deployment(ref.app, [("http://", 200, not_listed)])
        urls = [f"http://linkedin.com/in/person-{n:05d}" for n in range(250, 350)]
        counted = Counted()
        async with client(deployment, counted) as api:
            outcomes = await api.check_many(urls)
    # "not listed" for a URL whose documented form is listed: the shape is refuted, and each
    # URL is checked through the API; but a username the snapshot lists stays listed, whatever
    # the deployment answers for this spelling of it (never a false "not listed")
    assert counted.count("GET", "/v1/dnc/check") == 2 + 2 + 98
    assert [o.on_list for o in outcomes] == [n < 300 for n in range(250, 350)]
    assert all(o.entry is not None for o in outcomes[:50])
