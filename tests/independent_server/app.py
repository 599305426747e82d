"""The ASGI application: authentication, routing, rate limiting and answers for every request."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .headers import rate_limit_headers
from .inputs import api_key
from .operations import OPERATIONS
from .responses import ApiError, error_response, render_json, success_response
from .routing import match_route, path_segments
from .service import Caller, Service
from .variants import Variant

__all__ = ["create_app"]

_LOG = logging.getLogger("independent_server")


class DncApi:
    """ASGI middleware that answers every HTTP request itself (the inner app is never reached)."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except Exception:
            _LOG.exception("internal error")
            error = ApiError(500, "internal_error", "An internal error occurred")
            response = error_response(error, self._service.variant.content_type)
        response.headers["Date"] = self._service.clock.http_date()
        _present(response, self._service.variant)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        service = self._service
        variant = service.variant
        if service.latency_s > 0:
            await asyncio.sleep(service.latency_s)
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
        segments = path_segments(raw_path, tolerate_trailing_slash=variant.tolerate_trailing_slash)
        route = match_route(request.method, segments)
        caller = service.caller(api_key(request))
        try:
            if variant.authenticate_before_routing and caller is None:
                raise self._unauthorized()
            if route.operation is None:
                raise self._no_route(route.allowed)
            if caller is None:
                raise self._unauthorized()
        except ApiError as error:
            return error_response(error, variant.content_type)
        return await self._operate(request, caller, route.operation, route.entry_id)

    async def _operate(
        self, request: Request, caller: Caller, name: str, entry_id: str
    ) -> Response:
        service = self._service
        variant = service.variant
        operation = OPERATIONS[name]
        try:
            parsed = await operation.parse(service, request, entry_id)
        except ApiError as error:
            if variant.count_invalid_requests:
                service.limiter.note(caller.team_id, operation.bucket)
            return error_response(error, variant.content_type)
        decision = service.limiter.hit(caller.team_id, operation.bucket)
        headers = rate_limit_headers(
            decision, operation.bucket, service.window_s, variant, service.clock
        )
        if not decision.admitted:
            limited = ApiError(
                429,
                "rate_limit_exceeded",
                "Too many requests. Please try again later.",
                headers=headers,
                extra={
                    "resetTime": _reset_ms(service.clock.wall_ms_at(decision.reset_at), variant)
                },
            )
            return error_response(limited, variant.content_type)
        try:
            outcome = operation.run(service, caller, parsed)
        except ApiError as error:
            error.headers.update(headers)
            return error_response(error, variant.content_type)
        response = success_response(
            outcome.status, outcome.data, variant.content_type, outcome.message
        )
        response.headers.update(headers)
        created = outcome.data.get("$id") if isinstance(outcome.data, dict) else None
        if variant.location_header and name == "add" and isinstance(created, str):
            response.headers["Location"] = f"/v1/dnc/{created}"
        return response

    def _unauthorized(self) -> ApiError:
        return ApiError(
            401,
            "unauthorized",
            "Invalid or missing API key",
            headers={"WWW-Authenticate": self._service.variant.www_authenticate},
        )

    def _no_route(self, allowed: tuple[str, ...]) -> ApiError:
        variant = self._service.variant
        if allowed:
            return ApiError(
                405,
                variant.method_not_allowed_code,
                "This method is not allowed on this path",
                headers={"Allow": ", ".join(allowed)},
            )
        return ApiError(404, variant.not_found_code, "No such endpoint")


def create_app(service: Service) -> Starlette:
    return Starlette(middleware=[Middleware(DncApi, service=service)])


def _reset_ms(reset_ms: int, variant: Variant) -> int:
    return math.ceil(reset_ms / 1000) * 1000 if variant.reset_round_up_s else reset_ms


def _present(response: Response, variant: Variant) -> None:
    """The variant's presentation choices, applied to a finished answer."""
    if variant.connection_close:
        response.headers["Connection"] = "close"
    if not (variant.extra_envelope_fields or variant.reworded_messages):
        return
    try:
        payload = json.loads(bytes(response.body))
    except ValueError:
        return
    if not isinstance(payload, dict):
        return
    if variant.extra_envelope_fields:
        payload["requestId"] = secrets.token_hex(8)
        payload["apiVersion"] = "v1"
    if variant.reworded_messages and payload.get("error") and "message" in payload:
        payload["message"] = f"Request refused ({payload['error']})."
    response.body = render_json(payload)
    response.headers["content-length"] = str(len(response.body))
