"""One way to serve HTTP: the listening socket, uvicorn, the readiness line, and an edge that holds.

`dnc serve` (one process or N workers) and `dnc mcp` over HTTP all serve through here:

- `bind_socket()` says IPPROTO_TCP, not uvicorn's 0: accepted connections inherit the label,
  and asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say TCP. Without
  it every keep-alive response after the first waited ~40 ms for a delayed ACK (uvicorn #3149).
- `run()` / `serve()` print one readiness line, `READY_LINE`, once the socket accepts;
  `parse_ready_line()` reads it back (tests, benchmarks, the conformance suite's embedded server).
- The edge, the same for every server: a request's headers must arrive within
  `HEADER_TIMEOUT_S` and its body within `BODY_TIMEOUT_S` (no gap longer than
  `BODY_READ_TIMEOUT_S`), else the connection is closed: uvicorn has a keep-alive timeout but
  no header deadline, so a half-sent request held its descriptor forever. At most
  `connection_cap()` connections are served at once (more get 503, from uvicorn's
  `limit_concurrency`); `BACKLOG` more wait in the kernel. Running out of descriptors at accept
  (EMFILE) costs one failed accept a second and one log line per `ACCEPT_ERROR_LOG_INTERVAL_S`,
  not thousands of tracebacks a second. A client that leaves mid-body (or misses a deadline)
  ends its request quietly: the application sees a disconnect, no one logs a traceback.

Measured on loopback (`dnc serve`, 50 silent connections under a 40-descriptor limit): before,
no answer ever again and 2.2 million log lines in 30 s; now one line, and answers again within
about one header deadline. The deadlines are constants, not settings: tests pass an `Edge`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import re
import resource
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from multiprocessing import reduction
from typing import Any, Final

import anyio
import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "ACCEPT_ERROR_LOG_INTERVAL_S",
    "BACKLOG",
    "BODY_READ_TIMEOUT_S",
    "BODY_TIMEOUT_S",
    "HEADER_TIMEOUT_S",
    "MAX_CONNECTIONS",
    "READY_LINE",
    "Edge",
    "EdgeConfig",
    "announce_ready",
    "bind_socket",
    "connection_cap",
    "parse_ready_line",
    "quiet_client_disconnects",
    "run",
    "serve",
    "serving",
    "url_of",
]

READY_LINE: Final = "listening on {url}"
_READY_PATTERN: Final = re.compile(r"^listening on (\S+)\s*$")

# A real client sends its request line and headers in one packet or a few; 10 s still leaves
# room for a slow mobile link while a silent or dribbling connection gives its descriptor back.
HEADER_TIMEOUT_S: Final = 10.0
# The largest body we accept (a 1,000-entry batch) is well under a megabyte: no honest client
# pauses 10 s mid-body or needs a minute for it (nginx: 60 s between reads, no total).
BODY_READ_TIMEOUT_S: Final = 10.0
BODY_TIMEOUT_S: Final = 60.0
# The requests one process serves at once; beyond them uvicorn answers 503 at once instead of
# queueing work it cannot finish (its own default is unlimited).
MAX_CONNECTIONS: Final = 1000
# Descriptors kept for everything but client connections: the database, Redis, log files,
# the approval page, the interpreter's own (a service manager's limit is often 1,024).
DESCRIPTOR_RESERVE: Final = 24
# Connections waiting for accept() in the kernel (uvicorn's default; Linux caps it at somaxconn).
BACKLOG: Final = 2048
# asyncio logged EMFILE with a traceback for each of up to BACKLOG accept attempts a second
# (2.2 million lines in 30 s under a 40-descriptor limit), uvicorn logs each request over the
# connection cap: one line a minute each says the same.
ACCEPT_ERROR_LOG_INTERVAL_S: Final = 60.0

_ACCEPT_ERROR: Final = "socket.accept() out of system resource"
logger = logging.getLogger("dnc_kit.serving")


def ready_line(url: str) -> str:
    return READY_LINE.format(url=url)


def parse_ready_line(line: str) -> str | None:
    """The URL in a readiness line, else None."""
    found = _READY_PATTERN.match(line)
    return found.group(1) if found else None


def announce_ready(url: str) -> None:
    """The readiness line, on stderr (stdout may be a protocol), flushed at once."""
    print(ready_line(url), file=sys.stderr, flush=True)


def connection_cap(wanted: int = MAX_CONNECTIONS) -> int:
    """`wanted`, or fewer when the descriptor limit could not hold that many connections."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    # At least 2: uvicorn counts the asking connection itself against the cap.
    return max(2, min(wanted, soft - DESCRIPTOR_RESERVE))


@dataclass(frozen=True)
class Edge:
    """The limits a server holds its callers to (tests shorten them)."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    body_read_timeout_s: float = BODY_READ_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    backlog: int = BACKLOG
    accept_error_log_interval_s: float = ACCEPT_ERROR_LOG_INTERVAL_S


_OUT_OF_RESOURCES: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# asyncio retries accept() a second after running out of descriptors.
_EXHAUSTED_BURST_S: Final = 0.5


class _ListeningSocket(socket.socket):
    """One failed accept() per retry instead of one per backlog slot.

    On EMFILE asyncio stops reading the socket and schedules a retry, but goes on calling
    accept() up to `backlog` times, each failing, each logged and each scheduling one more
    retry: thousands of retries pile up per second (and each fails with a traceback when the
    server closes the socket). Here the first failure of a burst passes through and the rest
    say "try later", which ends asyncio's loop."""

    _exhausted_at = -float("inf")

    def accept(self) -> tuple[socket.socket, Any]:
        try:
            return super().accept()
        except OSError as error:
            if error.errno not in _OUT_OF_RESOURCES:
                raise
            now = time.monotonic()
            if now - self._exhausted_at < _EXHAUSTED_BURST_S:
                raise BlockingIOError(errno.EAGAIN, "out of descriptors: retry later") from error
            self._exhausted_at = now
            raise


def _rebuild_listening_socket(
    duplicate: Any, family: int, kind: int, proto: int
) -> _ListeningSocket:
    return _ListeningSocket(family, kind, proto, fileno=duplicate.detach())


def _reduce_listening_socket(sock: _ListeningSocket) -> tuple[Any, ...]:
    # As multiprocessing does for a plain socket, so worker processes get this class too.
    duplicate = reduction.DupFd(sock.fileno())
    return _rebuild_listening_socket, (duplicate, sock.family, sock.type, sock.proto)


reduction.register(_ListeningSocket, _reduce_listening_socket)


def bind_socket(
    host: str, port: int, *, backlog: int = BACKLOG, inheritable: bool = False
) -> socket.socket:
    """A listening TCP socket on host:port (0: a free port), so the port is known before serving.

    `inheritable` for worker processes that serve the same socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: see the module docstring (uvicorn #3149).
    sock = _ListeningSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    sock.set_inheritable(inheritable)
    return sock


def url_of(sock: socket.socket, path: str = "") -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal in a URL
    return f"http://{host}:{port}{path}"


class _OncePerInterval(logging.Filter):
    """Lets one record that starts with `prefix` through per interval, as one line without a
    traceback, saying how many it held back."""

    def __init__(self, prefix: str, interval_s: float, note: str = "") -> None:
        super().__init__()
        self.prefix, self.interval_s, self.note = prefix, interval_s, note
        self._last = -float("inf")
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        now = time.monotonic()
        if now - self._last < self.interval_s:
            self._held += 1
            return False
        exception = record.exc_info[1] if record.exc_info else None
        code = getattr(exception, "errno", None)
        reason = f" ({errno.errorcode.get(code, code)})" if code else ""
        record.msg = "%s%s%s (%d more since the last report; at most one a %.0f s)"
        record.args = (self.prefix, reason, self.note, self._held, self.interval_s)
        record.exc_info = record.exc_text = None
        self._last, self._held = now, 0
        return True


class _ClientDisconnectFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ClientDisconnect))


def quiet_client_disconnects(*logger_names: str) -> None:
    """Drop the records that these loggers (an app's own error boundary, e.g. the MCP SDK's
    "Error handling POST request") write with a traceback when a client leaves mid-body."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, _ClientDisconnectFilter) for f in target.filters):
            target.addFilter(_ClientDisconnectFilter())


def install_log_limits(interval_s: float = ACCEPT_ERROR_LOG_INTERVAL_S) -> None:
    """Once per process (idempotent): asyncio's accept() out of descriptors and uvicorn's
    "Exceeded concurrency limit." each at most once per interval (else one per attempt)."""
    limits = (
        ("asyncio", _ACCEPT_ERROR, ": connections wait in the backlog"),
        ("uvicorn.error", "Exceeded concurrency limit", ": answered 503"),
    )
    for name, prefix, note in limits:
        target = logging.getLogger(name)
        if not any(isinstance(f, _OncePerInterval) for f in target.filters):
            target.addFilter(_OncePerInterval(prefix, interval_s, note))


class _Deadlines:
    """Header and body deadlines over one of uvicorn's HTTP protocols (h11 or httptools).

    The header clock runs from the connection's start and from the end of each response until
    the application is called (headers complete); the body clock from then until the last body
    chunk. Either running out closes the connection; the application sees a disconnect."""

    config: uvicorn.Config
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    app: ASGIApp
    _header_timer: asyncio.TimerHandle | None

    def _edge(self) -> Edge:
        return getattr(self.config, "edge", None) or Edge()

    def _install(self) -> None:
        self._header_timer = None
        inner = self.app

        async def deadlined(scope: Scope, receive: Receive, send: Send) -> None:
            self._disarm()
            try:
                await inner(scope, self._body_deadline(receive), send)
            except ClientDisconnect:
                # The client left, or missed a deadline, while the app read its body: no one
                # is there to answer, and nothing failed here (uvicorn would log a traceback).
                logger.debug("the client left before its request body ended")

        self.app = deadlined

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(
            self._edge().header_timeout_s, self._expire, "headers"
        )

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self, what: str) -> None:
        self._header_timer = None
        cycle = getattr(self, "cycle", None)
        if cycle is not None and not cycle.response_complete:
            # Now, not at connection_lost: else uvicorn logs an application that returned
            # without a response as an error and answers 500 to no one.
            cycle.disconnected = True
        if not self.transport.is_closing():
            logger.debug("closing a connection whose %s did not arrive in time", what)
            self.transport.close()

    def _body_deadline(self, receive: Receive) -> Receive:
        edge = self._edge()
        ends = self.loop.time() + edge.body_timeout_s
        complete = False

        async def bounded() -> Message:
            nonlocal complete
            if complete:  # after the body, receive() only waits for a disconnect: unbounded
                return await receive()
            wait = min(edge.body_read_timeout_s, ends - self.loop.time())
            try:
                message = await asyncio.wait_for(receive(), max(wait, 0))
            except TimeoutError:
                self._expire("body")
                complete = True
                return {"type": "http.disconnect"}
            complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        return bounded

    # Each of uvicorn's protocols below: the mixin's super() is that protocol.

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        self._arm()  # first: a pipelined request started inside disarms it again
        super().on_response_complete()  # type: ignore[misc]


class EdgeH11Protocol(_Deadlines, H11Protocol):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._install()


try:  # httptools comes with dnc-kit[fast]
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - depends on the installed extras
    _HTTPTOOLS: type[asyncio.Protocol] | None = None
else:

    class EdgeHttpToolsProtocol(_Deadlines, HttpToolsProtocol):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._install()

    _HTTPTOOLS = EdgeHttpToolsProtocol


def _protocol_class(http: str) -> type[asyncio.Protocol]:
    """uvicorn's choice ("auto": httptools when installed), with the deadlines."""
    if http == "h11" or (http == "auto" and _HTTPTOOLS is None):
        return EdgeH11Protocol
    if http in ("auto", "httptools") and _HTTPTOOLS is not None:
        return _HTTPTOOLS
    raise ValueError(f"unsupported HTTP implementation {http!r}: use auto, h11 or httptools")


class EdgeConfig(uvicorn.Config):
    """uvicorn's Config with the edge: carried to worker processes with the config itself."""

    def __init__(self, app: ASGIApp | str, *, edge: Edge | None = None, **options: Any) -> None:
        self.edge = edge or Edge()
        http = options.pop("http", "auto")
        options.setdefault("log_config", None)  # the caller's handlers, not uvicorn's format
        options.setdefault("access_log", False)  # each app logs access its own way, or not
        super().__init__(
            app,
            http=_protocol_class(http) if isinstance(http, str) else http,
            limit_concurrency=connection_cap(self.edge.max_connections),
            backlog=self.edge.backlog,
            **options,
        )

    def load(self) -> None:
        super().load()
        install_log_limits(self.edge.accept_error_log_interval_s)


class _Server(uvicorn.Server):
    """Calls `on_ready` once it accepts connections; in the background it leaves signals alone."""

    def __init__(
        self, config: uvicorn.Config, on_ready: Callable[[], None], *, signals: bool
    ) -> None:
        super().__init__(config)
        self._on_ready = on_ready
        self._signals = signals

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if not self.should_exit:
            self._on_ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self._signals:
            yield
            return
        with super().capture_signals():
            yield


def _ready(
    sock: socket.socket, path: str, on_ready: Callable[[str], None] | None
) -> Callable[[], None]:
    def ready() -> None:
        url = url_of(sock, path)
        if on_ready is not None:
            on_ready(url)
        announce_ready(url)

    return ready


def run(
    app: ASGIApp,
    sock: socket.socket,
    *,
    path: str = "",
    on_ready: Callable[[str], None] | None = None,
    edge: Edge | None = None,
    **options: Any,
) -> bool:
    """Serve `app` on `sock` in the foreground until SIGINT/SIGTERM; True if it ever listened.

    uvicorn then stops accepting, finishes requests in flight, runs the lifespan shutdown and
    re-raises the signal. The readiness line names `url_of(sock, path)`; `on_ready` gets the
    same URL first. `options` go to uvicorn.Config (loop, http, lifespan, timeouts)."""
    server = _Server(
        EdgeConfig(app, edge=edge, **options), _ready(sock, path, on_ready), signals=True
    )
    with sock:
        server.run(sockets=[sock])
    return bool(server.started)


async def serve(
    app: ASGIApp,
    sock: socket.socket,
    *,
    path: str = "",
    on_ready: Callable[[str], None] | None = None,
    edge: Edge | None = None,
    **options: Any,
) -> None:
    """`run()` inside a running event loop (uvicorn still handles SIGINT/SIGTERM)."""
    server = _Server(
        EdgeConfig(app, edge=edge, **options), _ready(sock, path, on_ready), signals=True
    )
    with sock:
        await server.serve(sockets=[sock])


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp, sock: socket.socket, *, edge: Edge | None = None, **options: Any
) -> AsyncIterator[None]:
    """`app` served in the background on `sock` until the block ends (no readiness line)."""
    started = anyio.Event()
    options.setdefault("lifespan", "auto")
    server = _Server(EdgeConfig(app, edge=edge, **options), started.set, signals=False)
    with sock:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            with anyio.fail_after(30):
                await started.wait()
            try:
                yield
            finally:
                server.should_exit = True
