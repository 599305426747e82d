"""The HTTP edge of `dnc serve` and `dnc mcp --transport streamable-http`, attacked as real
processes on loopback with the deadlines they ship with (dnc_kit.serving): half-sent requests,
stalled bodies, clients that leave mid-body, and more silent connections than descriptors."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from dnc_kit.serving import ACCEPT_ERROR_LOG_INTERVAL_S, BODY_READ_TIMEOUT_S, HEADER_TIMEOUT_S
from mcp_server.embedded import KEY_NAME
from tests.processes import Process, clean_env, running

pytestmark = pytest.mark.e2e

KEY = "sk-edge-team-a-4d3c2b1a0f9e"
MARGIN_S = 5.0  # a loaded machine is late, never early
SERVE = [sys.executable, "-m", "dnc", "serve", "--port", "0", "--db", ":memory:"]


def _address(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return host, int(port)


def _closed_after(sock: socket.socket, limit_s: float) -> float:
    """Seconds until the server closes `sock` (it sends nothing first)."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    with contextlib.suppress(ConnectionResetError):
        assert sock.recv(1024) == b"", "the server answered instead of closing"
    return time.monotonic() - started


def _in_parallel(*probes: Callable[[], float]) -> list[float]:
    results: list[float] = [-1.0] * len(probes)

    def run(i: int) -> None:
        results[i] = probes[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(probes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HEADER_TIMEOUT_S + BODY_READ_TIMEOUT_S + 2 * MARGIN_S)
    return results


def _half_sent(url: str, head: bytes) -> Callable[[], float]:
    def probe() -> float:
        with socket.create_connection(_address(url)) as sock:
            sock.sendall(head)
            return _closed_after(sock, HEADER_TIMEOUT_S + BODY_READ_TIMEOUT_S + MARGIN_S)

    return probe


def _leave_mid_body(url: str, head: bytes) -> None:
    with socket.create_connection(_address(url)) as sock:
        sock.sendall(head + b'{"url": "in/')
        time.sleep(0.3)  # the application is reading the body now


@pytest.fixture
def dnc_serve() -> Iterator[Process]:
    with running(SERVE, env=clean_env({"DNC_API_KEYS": f"{KEY}:team_edge"})) as server:
        yield server


def test_dnc_serve_closes_a_half_sent_request_and_a_stalled_body_within_their_deadlines(
    dnc_serve: Process,
) -> None:
    post = f"POST /v1/dnc HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {KEY}\r\n"
    headers_never_end, body_stalls = _in_parallel(
        _half_sent(dnc_serve.url, b"GET /v1/dnc HTTP/1.1\r\nHost: t\r\n"),
        _half_sent(dnc_serve.url, post.encode() + b'Content-Length: 99\r\n\r\n{"url":'),
    )
    assert HEADER_TIMEOUT_S - 0.5 <= headers_never_end <= HEADER_TIMEOUT_S + MARGIN_S
    assert BODY_READ_TIMEOUT_S - 0.5 <= body_stalls <= BODY_READ_TIMEOUT_S + MARGIN_S
    answer = httpx.get(dnc_serve.url + "/dnc", headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 200  # and it still serves


def test_a_client_that_leaves_dnc_serve_mid_body_is_no_traceback_and_no_500(
    dnc_serve: Process,
) -> None:
    head = f"POST /v1/dnc HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {KEY}\r\n"
    _leave_mid_body(dnc_serve.url, head.encode() + b"Content-Length: 99\r\n\r\n")
    httpx.get(dnc_serve.url + "/dnc", headers={"Authorization": f"Bearer {KEY}"})
    dnc_serve.stop()
    assert "Traceback" not in dnc_serve.log
    records = [json.loads(line) for line in dnc_serve.lines if line.startswith("{")]
    posts = [r for r in records if r["event"] == "request" and r["method"] == "POST"]
    assert [(r["status"], r["level"]) for r in posts] == [(499, "info")]
    assert not [r for r in records if r["level"] == "error"], dnc_serve.log


def test_fifty_silent_connections_against_forty_descriptors_cost_one_log_line_and_service_resumes(
    tmp_path: Path,
) -> None:
    # Before the edge: no answer ever again, and 2.2 million log lines (62 MB) in 25 s.
    env = clean_env({"DNC_API_KEYS": f"{KEY}:team_edge"})
    limited = ["prlimit", "--nofile=40", *SERVE, "--no-access-log"]
    with running(limited, env=env) as server:
        silent = [socket.create_connection(_address(server.url)) for _ in range(50)]
        started = time.monotonic()
        try:
            answered = _first_answer(server.url, within_s=2 * HEADER_TIMEOUT_S + 2 * MARGIN_S)
        finally:
            for sock in silent:
                sock.close()
        took = time.monotonic() - started
        assert answered is not None, f"no answer in {took:.0f} s:\n{server.tail()}"
    exhausted = [line for line in server.lines if "out of system resource" in line]
    assert 1 <= len(exhausted) <= 1 + took // ACCEPT_ERROR_LOG_INTERVAL_S, server.log
    assert "EMFILE" in exhausted[0]
    assert len(server.log) < 20_000
    assert "Traceback" not in server.log
    assert all(line.startswith(("{", "listening on ")) for line in server.lines), server.tail()


def _first_answer(url: str, within_s: float) -> int | None:
    """The status of the first request answered, trying a fresh connection every half second."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            return httpx.get(url + "/dnc", timeout=1.0).status_code
        except httpx.TransportError:
            time.sleep(0.5)
    return None


def test_dnc_mcp_over_http_holds_the_same_edge(tmp_path: Path) -> None:
    env = clean_env({"DNC_MCP_DATA_DIR": str(tmp_path)})
    argv = [sys.executable, "-m", "dnc", "mcp", "--transport", "streamable-http", "--port", "0"]
    with running(argv, env=env) as mcp:
        # On loopback a single-team server takes the team's key as its bearer.
        bearer = f"Authorization: Bearer {(tmp_path / KEY_NAME).read_text().strip()}\r\n"
        host = "Host: {}:{}\r\n".format(*_address(mcp.url))
        post = (
            "POST /mcp HTTP/1.1\r\n" + host + bearer + "Content-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nContent-Length: 99\r\n\r\n"
        ).encode()
        _leave_mid_body(mcp.url, post)
        (headers_never_end,) = _in_parallel(_half_sent(mcp.url, b"GET /mcp HTTP/1.1\r\n"))
        assert HEADER_TIMEOUT_S - 0.5 <= headers_never_end <= HEADER_TIMEOUT_S + MARGIN_S
    assert "Traceback" not in mcp.log, mcp.log
    assert " ERROR " not in mcp.log, mcp.log
