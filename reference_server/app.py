"""The ASGI application: routes under /v1, error boundary, access log, storage lifecycle."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_server import handlers
from reference_server.backends import Backends, build_backends
from reference_server.check_route import CHECK_PATH, DirectCheck, is_direct_check
from reference_server.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    RouteNotFound,
    error_response,
)
from reference_server.handlers import operation
from reference_server.logs import log_event, logger
from reference_server.service import DncService
from reference_server.settings import Settings
from reference_server.storage import Storage

__all__ = ["create_app", "embedded_app"]

CLIENT_CLOSED_REQUEST = 499  # not sent: the access log's status for a client that left


class RequestBoundary:
    """Outermost middleware: turns any escaped exception into a 500 envelope and logs access.

    Starlette's own ServerErrorMiddleware re-raises after answering, which would surface as a
    crash in in-process clients (httpx.ASGITransport) and print a traceback to the console;
    here the exception is logged once, server-side, and the client sees only the envelope.

    The check's GET, the hot path, goes from here straight to `direct_check` (`check_route`),
    past Starlette's routing layers; everything else goes to `app`, through the same boundary.
    """

    def __init__(
        self, app: ASGIApp, access_log: bool = True, direct_check: DirectCheck | None = None
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.direct_check = direct_check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        app = self.app
        if self.direct_check is not None and is_direct_check(scope):
            app = self.direct_check
        status = 500
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client left mid-body (or its body missed the edge's deadline): no one is
            # there to answer and nothing failed here. 499 in the access log, as nginx says.
            status = CLIENT_CLOSED_REQUEST
        except Exception:
            # The traceback holds code and exception text, never request headers.
            logger.error(
                "unhandled_error",
                exc_info=True,
                extra={"method": scope["method"], "path": scope["path"]},
            )
            if not response_started:
                await error_response(InternalError())(scope, receive, tracking_send)
        finally:
            if self.access_log or status >= 500:
                principal = scope.get("state", {}).get("principal")
                log_event(
                    "request",
                    logging.INFO if status < 500 else logging.ERROR,
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                    team=getattr(principal, "team_id", None),
                    key_fingerprint=getattr(principal, "key_fingerprint", None),
                )


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Router-level 404/405 in the error envelope (authentication is not checked first)."""
    assert isinstance(exc, HTTPException)
    error: ApiError
    if exc.status_code == 405:
        error = MethodNotAllowed(headers={"Allow": _allowed_methods(request)})
    elif exc.status_code == 404:
        error = RouteNotFound()
    else:
        error = InternalError()
    return error_response(error)


def _allowed_methods(request: Request) -> str:
    """Every method of every route on this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches({**request.scope, "method": "__none__"})
            if match is not Match.NONE:
                methods |= route.methods
    return ", ".join(sorted(methods))


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


class EntryIdConvertor(StringConvertor):
    """Any path segment except `check` and `batch`, which are resources of their own: without
    this, `DELETE /dnc/check` reached delete-by-id and a 405 on `/dnc/check` advertised DELETE
    (openapi.yaml decision unknown-route)."""

    regex = r"(?!(?:check|batch)$)[^/]+"


register_url_convertor("dnc_entry_id", EntryIdConvertor())

# (path, method, operationId, handler): the operations of openapi.yaml besides the check,
# which has its own endpoint (`_routes`); {id} stays last.
_OPERATIONS: tuple[tuple[str, str, str, handlers.Handler], ...] = (
    ("/v1/dnc", "POST", "addDncEntry", handlers.add_entry),
    ("/v1/dnc", "GET", "listDncEntries", handlers.list_entries),
    ("/v1/dnc/batch", "POST", "addDncEntriesBatch", handlers.add_batch),
    ("/v1/dnc/{id:dnc_entry_id}", "DELETE", "deleteDncEntry", handlers.delete_entry),
)


def _routes() -> list[Route]:
    # The check, the hot path, is matched first (Starlette tries routes in order). Its GET
    # usually never gets here (`check_route`); its HEAD and its other methods' 405 still do.
    check = Route(CHECK_PATH, handlers.check_endpoint, methods=["GET"], name="checkDncStatus")
    return [
        check,
        *(
            Route(path, operation(operation_id, handler), methods=[method], name=operation_id)
            for path, method, operation_id, handler in _OPERATIONS
        ),
    ]


def create_app(
    settings: Settings,
    *,
    storage: Storage | None = None,
    access_log: bool = True,
    direct_check: bool = True,
) -> Starlette:
    """Build the app; its backends open in the lifespan (or in `embedded_app`).

    `direct_check=False` serves the check through Starlette's route only: the behaviour the
    direct path (`check_route`) must reproduce, kept for the tests that compare the two.
    """
    backends = build_backends(settings, storage)
    service = DncService(
        settings,
        backends.storage,
        limiter=backends.limiter,
        cache=backends.cache,
        gate=backends.gate,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backends.open()
        # Everything alive now lives as long as the app: out of the collector's full passes,
        # which would otherwise walk it on every one (a pause in the check's p99).
        gc.collect()  # what is garbage now must not be frozen with the rest
        gc.freeze()
        where = "postgresql" if settings.database_url else str(settings.db_path)
        log_event("storage_open", db=where, backends=backends.describe())
        try:
            yield
        finally:
            await backends.close()
            log_event("storage_closed")

    app = Starlette(
        routes=_routes(),
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_exception, ApiError: _api_error},
    )
    # "/v1/dnc/" must be a 404 in the envelope, not a redirect to "/v1/dnc".
    app.router.redirect_slashes = False
    app.add_middleware(
        RequestBoundary,
        access_log=access_log,
        direct_check=DirectCheck(service) if direct_check else None,
    )
    app.state.service = service
    app.state.backends = backends
    return app


@asynccontextmanager
async def embedded_app(settings: Settings, **options: Any) -> AsyncIterator[Starlette]:
    """A ready app with storage open, for `httpx.ASGITransport` (which skips lifespan)."""
    app = create_app(settings, **options)
    backends: Backends = app.state.backends
    await backends.open()
    try:
        yield app
    finally:
        await backends.close()
