"""The HTTP client every check uses: paced by the shared `Pacer`, every exchange recorded (for the
envelope audit and for cleanup), unplanned 429s waited out and retried."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from contract_tests.config import DOCUMENTED_WINDOW_S
from contract_tests.pacing import Pacer, bucket_for
from contract_tests.sender import paced_send

_UNSET: Any = object()
MAX_SHOWN = 600


def batch_timeout_s(body: Any) -> float:
    """The documented speed is ~10-20 entries per second (500 URLs: 25-50 s): the slow end, a
    margin, at least 120 s."""
    entries = body.get("entries") if isinstance(body, dict) else None
    size = len(entries) if isinstance(entries, list) else 0
    return max(120.0, size / 10.0 + 60.0)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


@dataclass
class Exchange:
    """One request and its answer, with enough detail to explain a failure."""

    team: str
    method: str
    path: str
    params: dict[str, Any] | None
    sent: Any
    status: int
    headers: httpx.Headers
    body: Any
    text: str
    sent_at: float
    received_at: float
    auth: str = "team key"
    test: str = ""  # the test that sent it (evidence in the verdict)
    # The query string as it was sent, (name, value) pairs (a parameter may repeat); None when
    # only `params` is known.
    query: tuple[tuple[str, str], ...] | None = None

    @property
    def json_object(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    @property
    def data(self) -> Any:
        return self.json_object.get("data")

    @property
    def error(self) -> Any:
        return self.json_object.get("error")

    def request_line(self) -> str:
        query = ""
        if self.query:
            query = "?" + "&".join(f"{k}={v}" for k, v in self.query)
        elif self.params:
            query = "?" + "&".join(f"{k}={v}" for k, v in self.params.items())
        line = f"{self.method} {self.path}{query} ({self.auth}, team {self.team})"
        if self.sent is not _UNSET and self.sent is not None:
            line += f" body {_short(self.sent)}"
        return line

    def describe(self) -> str:
        shown = self.text if self.body is None else _short(self.body)
        return f"sent {self.request_line()}\n  got {self.status} {_short(shown)}"

    def evidence(self) -> dict[str, Any]:
        """A request/response excerpt for the verdict (which key, never the key)."""
        shown = self.text if self.body is None else _short(self.body)
        return {"request": self.request_line(), "status": self.status, "response": _short(shown)}


@dataclass
class ExchangeLog:
    """Everything the run saw, shared by all clients (thread-safe append)."""

    exchanges: list[Exchange] = field(default_factory=list)
    current_test: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            exchange.test = exchange.test or self.current_test
            self.exchanges.append(exchange)

    def of_test(self, name: str) -> list[Exchange]:
        with self._lock:
            return [ex for ex in self.exchanges if ex.test == name]

    def count_by_bucket(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for ex in self.exchanges:
            bucket = bucket_for(ex.method, ex.path) or "other"
            counts[bucket] = counts.get(bucket, 0) + 1
        return counts

    def count_by_team(self) -> dict[str, dict[str, int]]:
        """Requests per team ("A", "B"; "-" without a team key) and bucket: each team's
        buckets are a budget of their own."""
        counts: dict[str, dict[str, int]] = {}
        for ex in self.exchanges:
            bucket = bucket_for(ex.method, ex.path) or "other"
            team = counts.setdefault(ex.team, {})
            team[bucket] = team.get(bucket, 0) + 1
        return {team: dict(sorted(c.items())) for team, c in sorted(counts.items())}


class DncClient:
    """One team's view of the API. `key=None` means the team's own key."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        team: str,
        pacer: Pacer,
        log: ExchangeLog,
        timeout_s: float = 30.0,
        window_s: float = DOCUMENTED_WINDOW_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.team = team
        self.pacer = pacer
        self.log = log
        self.window_s = window_s
        # Idle connections are dropped after 1.5 s, before a server's own keep-alive timeout
        # (uvicorn: 5 s) can close one just as it is reused.
        self._http = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=20, keepalive_expiry=1.5),
        )
        self.listeners: list[Any] = []

    def close(self) -> None:
        self._http.close()

    # -- the five operations -------------------------------------------------------------------
    def add(self, url: Any, **kw: Any) -> Exchange:
        return self.request("POST", "/dnc", json={"url": url}, **kw)

    def batch(self, urls: list[Any], **kw: Any) -> Exchange:
        return self.request(
            "POST", "/dnc/batch", json={"entries": [{"url": u} for u in urls]}, **kw
        )

    def check(self, url: str | None, **kw: Any) -> Exchange:
        params = None if url is None else {"url": url}
        return self.request("GET", "/dnc/check", params=params, **kw)

    def list(self, limit: Any = None, offset: Any = None, **kw: Any) -> Exchange:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if offset is not None:
            params["offset"] = offset
        return self.request("GET", "/dnc", params=params or None, **kw)

    def delete(self, entry_id: str, **kw: Any) -> Exchange:
        return self.request("DELETE", "/dnc/" + quote(entry_id, safe=""), **kw)

    # -- transport -----------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = _UNSET,
        content: bytes | None = None,
        authorization: str | None = None,
        auth_label: str | None = None,
        paced: bool = True,
        retry_429: bool = True,
    ) -> Exchange:
        """Send one request. `authorization` replaces the header ("" sends none)."""
        headers: dict[str, str] = {}
        if authorization is None:
            headers["Authorization"] = f"Bearer {self.api_key}"
            team = self.team
        else:
            if authorization:
                headers["Authorization"] = authorization
            team = "-"
        bucket = bucket_for(method, path) if team != "-" else None
        sent = (
            json
            if json is not _UNSET
            else (content.decode("utf-8", "replace") if content else None)
        )
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if json is not _UNSET:
            kwargs["json"] = json
        elif content is not None:
            kwargs["content"] = content
            headers.setdefault("Content-Type", "application/json")
        if path.rstrip("/") == "/dnc/batch" and method == "POST":
            kwargs["timeout"] = batch_timeout_s(json)

        def send() -> Exchange:
            sent_at = time.time()
            try:
                response = self._http.request(method, self.base_url + path, **kwargs)
            except httpx.RemoteProtocolError:
                # The server closed a kept-alive connection as it was reused (the request was
                # never answered): once more, on a fresh connection.
                response = self._http.request(method, self.base_url + path, **kwargs)
            exchange = self._exchange(team, method, path, params, sent, response, sent_at)
            exchange.auth = auth_label or ("team key" if authorization is None else "custom")
            self.log.add(exchange)
            for listener in self.listeners:
                listener(exchange)
            return exchange

        return paced_send(
            send,
            pacer=self.pacer,
            team=team,
            bucket=bucket,
            window_s=self.window_s,
            paced=paced,
            retry_429=retry_429,
        )

    @staticmethod
    def _exchange(
        team: str,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        sent: Any,
        response: httpx.Response,
        sent_at: float,
    ) -> Exchange:
        text = response.text
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        return Exchange(
            team=team,
            method=method,
            path=path,
            params=params,
            sent=sent,
            status=response.status_code,
            headers=response.headers,
            body=body,
            text=text,
            sent_at=sent_at,
            received_at=time.time(),
        )
