"""The one door every Schemathesis request goes through.

Schemathesis sends more than the generated cases: `ignored_auth` re-sends a request without and
with an invalid key, `not_a_server_error` sends a control request for content-type probes, the
stateful run follows links. All of them leave through the schema's transport, so the schema is
given a transport that wraps Schemathesis' own: each request is paced by the shared `Pacer` (per
team and bucket), recorded in the run's `ExchangeLog` (envelope audit, cleanup, evidence), and a
429 is waited out until `resetTime` and sent again (counted as unplanned).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from contract_tests.client import Exchange
from contract_tests.context import Ctx
from contract_tests.pacing import bucket_for
from contract_tests.sender import paced_send

# Schemathesis' stand-in for a wrong credential (specs/openapi/_auth_retry.py).
INVALID_CREDENTIAL = "SCHEMATHESIS-INVALID-VALUE"


class GatedTransport:
    """Schemathesis' requests transport, paced and recorded (every other attribute is the inner
    transport's)."""

    def __init__(self, inner: Any, ctx: Ctx) -> None:
        self.inner = inner
        self.ctx = ctx
        config = ctx.config
        self.teams: dict[str, str] = {f"Bearer {config.api_key}": "A"}
        if config.second_api_key:
            self.teams[f"Bearer {config.second_api_key}"] = "B"
        self.base_path = urlsplit(config.base_url).path.rstrip("/")
        self.listeners: list[Callable[[Any, Exchange], None]] = []
        self.last_exchange: dict[str, Exchange] = {}  # case id -> its (last) exchange
        self.sent = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
        request = self.inner.serialize_case(case, **kwargs)
        authorization = request["headers"].get("Authorization")
        team = self.teams.get(str(authorization), "-")
        path = urlsplit(str(request["url"])).path
        path = path.removeprefix(self.base_path) if path.startswith(self.base_path) else path
        bucket = bucket_for(case.method, path) if team != "-" else None
        answers: list[Any] = []

        def attempt() -> Exchange:
            sent_at = time.time()
            try:
                response = self.inner.send(case, session=session, **kwargs)
            finally:
                self.sent += 1
            answers.append(response)
            exchange = self._exchange(case, response, team, path, sent_at, authorization)
            self.ctx.log.add(exchange)
            self.ctx.tracker.observe(exchange)
            self.last_exchange[case.id] = exchange
            for listener in self.listeners:
                listener(case, exchange)
            return exchange

        window = self.ctx.config.window_s
        paced_send(attempt, pacer=self.ctx.pacer, team=team, bucket=bucket, window_s=window)
        return answers[-1]

    def _exchange(
        self,
        case: Any,
        response: Any,
        team: str,
        path: str,
        sent_at: float,
        authorization: Any,
    ) -> Exchange:
        content: bytes = response.content or b""
        try:
            body: Any = json.loads(content) if content else None
        except ValueError:
            body = None
        headers = httpx.Headers([(k, v) for k, values in response.headers.items() for v in values])
        sent = case.body if isinstance(case.body, dict | list | str | int | float | bool) else None
        request = getattr(response, "request", None)
        url = str(getattr(request, "url", "") or "")
        query = tuple(parse_qsl(urlsplit(url).query, keep_blank_values=True)) if url else None
        return Exchange(
            team=team,
            method=case.method.upper(),
            path=path,
            params=dict(case.query) if case.query else None,
            sent=sent,
            status=response.status_code,
            headers=headers,
            body=body,
            text=content.decode("utf-8", "replace")[:2000],
            sent_at=sent_at,
            received_at=time.time(),
            auth=_auth_label(team, authorization),
            query=query,
        )


def _auth_label(team: str, authorization: Any) -> str:
    if team != "-":
        return "schema key"
    if authorization is None:
        return "no Authorization header"
    if INVALID_CREDENTIAL in str(authorization):
        return "an invalid key"
    return "a generated Authorization header"


def install(schema: Any, ctx: Ctx) -> tuple[Any, GatedTransport]:
    """A copy of `schema` whose transport (for every operation and state machine built from it,
    and every request Schemathesis' checks send themselves) is the gate; the gate."""
    gate = GatedTransport(schema.transport, ctx)
    base = type(schema)
    gated = type("Gated" + base.__name__, (base,), {"transport": property(lambda _self: gate)})
    fields = {f.name: getattr(schema, f.name) for f in dataclasses.fields(schema) if f.init}
    copy = gated(**fields)
    copy._constants_pool_cache = schema._constants_pool_cache
    return copy, gate
