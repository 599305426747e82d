"""dnc_kit.serving in this process, on real loopback sockets: the socket every server listens
on, the readiness line, and the edge's deadlines (shortened here; the processes' own defaults are
tested end to end in tests/test_http_edge.py)."""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time

import anyio
import pytest
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope, Send

from dnc_kit import serving
from dnc_kit.serving import Edge

pytestmark = pytest.mark.anyio

EDGE = Edge(header_timeout_s=0.5, body_read_timeout_s=0.5, body_timeout_s=1.2)
MARGIN_S = 1.5  # a loaded 2-core machine is late, never early
REQUEST_HEAD = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n"


async def _accepted_nodelay(listener: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=listener)
    async with server:
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()


async def test_the_listening_socket_says_tcp_so_accepted_connections_get_tcp_nodelay() -> None:
    # With proto 0 asyncio leaves Nagle on, and every keep-alive response after the first
    # waited ~40 ms for a delayed ACK (uvicorn #3149). dnc serve, its workers and dnc mcp all
    # listen on this one builder's sockets.
    with serving.bind_socket("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert await _accepted_nodelay(sock) == 1


def test_a_socket_for_worker_processes_is_bound_listening_and_inheritable() -> None:
    with serving.bind_socket("127.0.0.1", 0, inheritable=True) as sock:
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.getsockname()[1] > 0
        assert sock.get_inheritable()
    with serving.bind_socket("127.0.0.1", 0) as sock:
        assert not sock.get_inheritable()


def test_the_readiness_line_reads_back_to_its_url() -> None:
    line = serving.READY_LINE.format(url="http://127.0.0.1:8765/v1")
    assert serving.parse_ready_line(line) == "http://127.0.0.1:8765/v1"
    assert serving.parse_ready_line(line + "\n") == "http://127.0.0.1:8765/v1"
    assert serving.parse_ready_line('{"event": "listening on http://x"}') is None
    assert serving.parse_ready_line("  team_demo_a: listening on") is None


def test_the_connection_cap_leaves_descriptors_for_everything_else() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY:
        assert serving.connection_cap(10**9) == soft - serving.DESCRIPTOR_RESERVE
    assert serving.connection_cap(3) == 3


class Echo:
    """Reads the whole body and answers with its length; records what receive() returned."""

    def __init__(self) -> None:
        self.received: list[Message] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        size, more = 0, True
        while more:
            message = await receive()
            self.received.append(message)
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        if scope["path"] == "/stream":  # after the body, receive() waits for a disconnect
            with anyio.move_on_after(1.0):
                self.received.append(await receive())
        body = str(size).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _closed_after(stream: anyio.abc.SocketStream, limit_s: float) -> float:
    """Seconds until the server closes the connection (at most `limit_s`)."""
    started = time.monotonic()
    with anyio.fail_after(limit_s):
        while True:
            try:
                await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return time.monotonic() - started


async def _connect(sock: socket.socket) -> anyio.abc.SocketStream:
    host, port = sock.getsockname()[:2]
    return await anyio.connect_tcp(host, port)


async def test_a_request_whose_headers_never_finish_is_closed_at_the_header_deadline() -> None:
    sock = serving.bind_socket("127.0.0.1", 0)
    async with serving.serving(Echo(), sock, edge=EDGE), await _connect(sock) as silent:
        async with await _connect(sock) as half_sent:
            await half_sent.send(b"GET /echo HTTP/1.1\r\nHost: t\r\n")
            waited = await _closed_after(half_sent, EDGE.header_timeout_s + MARGIN_S)
        assert waited >= EDGE.header_timeout_s - 0.1
        assert await _closed_after(silent, MARGIN_S) >= 0


async def test_a_body_that_stalls_is_closed_and_the_app_sees_a_disconnect() -> None:
    app = Echo()
    sock = serving.bind_socket("127.0.0.1", 0)
    async with serving.serving(app, sock, edge=EDGE), await _connect(sock) as client:
        await client.send(REQUEST_HEAD + b"12345")
        waited = await _closed_after(client, EDGE.body_read_timeout_s + MARGIN_S)
    assert waited >= EDGE.body_read_timeout_s - 0.1
    assert app.received[-1] == {"type": "http.disconnect"}


async def test_a_body_that_dribbles_past_the_whole_body_deadline_is_closed() -> None:
    app = Echo()
    sock = serving.bind_socket("127.0.0.1", 0)
    async with serving.serving(app, sock, edge=EDGE), await _connect(sock) as client:
        await client.send(REQUEST_HEAD)
        started = time.monotonic()
        with pytest.raises((anyio.BrokenResourceError, anyio.EndOfStream)):  # noqa: PT012
            for _ in range(10):  # a byte every 0.2 s: each read in time, the whole body not
                await client.send(b"x")
                await anyio.sleep(0.2)
            await client.receive()
    assert time.monotonic() - started < EDGE.body_timeout_s + MARGIN_S
    assert app.received[-1] == {"type": "http.disconnect"}


async def test_steady_requests_on_a_kept_alive_connection_are_all_answered() -> None:
    app = Echo()
    sock = serving.bind_socket("127.0.0.1", 0)
    async with serving.serving(app, sock, edge=EDGE), await _connect(sock) as client:
        for _ in range(2):  # each part within its deadline, together well past them
            await client.send(REQUEST_HEAD)
            for chunk in (b"12345", b"67890"):
                await anyio.sleep(0.2)
                await client.send(chunk)
            answer = await client.receive()
            while not answer.endswith(b"\r\n\r\n10"):
                answer += await client.receive()
            assert answer.startswith(b"HTTP/1.1 200"), answer
            await anyio.sleep(0.2)


async def test_after_the_body_the_app_may_wait_for_a_disconnect_past_every_deadline() -> None:
    # A streamed response (MCP's SSE) listens for the client leaving for as long as it lasts.
    app = Echo()
    sock = serving.bind_socket("127.0.0.1", 0)
    async with serving.serving(app, sock, edge=EDGE), await _connect(sock) as client:
        await client.send(REQUEST_HEAD.replace(b"/echo", b"/stream") + b"1234567890")
        with anyio.fail_after(5):
            answer = await client.receive()
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert app.received[-1]["type"] == "http.request"  # no disconnect made up at 0.5 s


def test_running_out_of_descriptors_at_accept_is_logged_once_per_interval() -> None:
    log = logging.getLogger("test.accept")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    log.addHandler(handler)
    log.addFilter(serving._OncePerInterval("socket.accept() out of system resource", 60))
    log.propagate = False
    error = OSError(24, "Too many open files")
    for _ in range(2048):  # what asyncio logs for one accept burst under EMFILE
        try:
            raise error
        except OSError:
            log.error("socket.accept() out of system resource\nsocket: <s>", exc_info=True)
    log.error("something else")
    assert len(records) == 2
    first = records[0]
    assert first.exc_info is None
    assert "\n" not in first.getMessage()
    assert "(EMFILE)" in first.getMessage()
    assert "(0 more since the last report" in first.getMessage()
    assert records[1].getMessage() == "something else"


async def test_a_client_leaving_mid_body_is_no_error_even_where_the_app_has_no_boundary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def reads_body(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await Request(scope, receive).body()  # raises ClientDisconnect: nobody catches it
            read.set()

    read = anyio.Event()
    sock = serving.bind_socket("127.0.0.1", 0)
    async with serving.serving(reads_body, sock, edge=EDGE):
        async with await _connect(sock) as client:
            await client.send(REQUEST_HEAD + b"12345")
            await anyio.sleep(0.2)
        await anyio.sleep(0.3)
    assert not read.is_set()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_an_apps_own_traceback_for_a_client_that_left_is_dropped() -> None:
    log = logging.getLogger("test.sdk")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    log.addHandler(Keep())
    log.propagate = False
    serving.quiet_client_disconnects("test.sdk")
    for error in (ClientDisconnect(), ValueError("a real bug")):
        try:
            raise error
        except Exception:
            log.exception("Error handling POST request")
    assert [r.exc_info[0] for r in records if r.exc_info] == [ValueError]


async def test_requests_over_the_connection_cap_get_503_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sock = serving.bind_socket("127.0.0.1", 0)
    capped = Edge(max_connections=2)  # uvicorn counts the asking connection too
    async with serving.serving(Echo(), sock, edge=capped), await _connect(sock):
        for _ in range(3):
            async with await _connect(sock) as client:
                await client.send(REQUEST_HEAD + b"1234567890")
                answer = await client.receive()
            assert answer.startswith(b"HTTP/1.1 503"), answer
    # One line a minute per process (an earlier test of this process may have had it).
    over = [r for r in caplog.records if "concurrency limit" in r.getMessage()]
    assert len(over) <= 1, caplog.text
