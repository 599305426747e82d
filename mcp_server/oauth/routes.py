"""The authorization server's HTTP surface, beside /mcp on the same `dnc mcp` server.

The SDK serves the protocol endpoints (`create_auth_routes`: RFC 8414 metadata at
/.well-known/oauth-authorization-server, /authorize, /token, /register, /revoke) and the RFC 9728
protected resource metadata (`create_protected_resource_routes`, at
/.well-known/oauth-protected-resource/mcp, and here also at the bare
/.well-known/oauth-protected-resource). This module adds the consent page, /oauth/consent:

- GET shows the parked request (`DncOAuthProvider.authorize`) and sets a cookie holding the
  request's CSRF token (HttpOnly, SameSite=Strict, scoped to the page);
- POST needs the page's Host, no foreign Origin, the form's CSRF token and the cookie, both
  equal to the request's own token; "decline" sends the client `access_denied`; "approve"
  proves the key against the DNC API (`probe`, as the multi-team door does) and redirects
  with a single-use code. Five refused keys end the request; twenty per client address in ten
  minutes block that address for a while. The key is in no URL, log line or page.

Every page: `X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`, `Cache-Control: no-store`;
its `form-action` names the client's redirect origin as well, so the browser follows the
redirect that carries the code.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qs, urlsplit

from mcp.server.auth.routes import create_auth_routes, create_protected_resource_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mcp_server.access import KeyProbe
from mcp_server.deletion.approval import PageSecurity
from mcp_server.deletion.approval.security import check_get, check_post
from mcp_server.oauth.consent import consent_page, message_page
from mcp_server.oauth.provider import ConsentRequest, DncOAuthProvider
from mcp_server.oauth.scopes import ALL_SCOPES

__all__ = ["CONSENT_COOKIE", "CONSENT_PATH", "consent_routes", "oauth_routes"]

CONSENT_PATH: Final = "/oauth/consent"
CONSENT_COOKIE: Final = "dnc_consent"
MAX_KEY_FAILURES: Final = 5  # per authorization request
MAX_ADDRESS_FAILURES: Final = 20  # per client address per window
FAILURE_WINDOW_S: Final = 600.0
MAX_FORM_BYTES: Final = 4096
MAX_KEY_CHARS: Final = 512
_GONE: Final = (
    "This authorization request is unknown, used or expired. Start again from your application."
)
logger = logging.getLogger("mcp_server")


def _headers(redirect_uri: str | None = None) -> dict[str, str]:
    targets = "'self'"
    if redirect_uri is not None:
        parts = urlsplit(redirect_uri)
        targets += f" {parts.scheme}://{parts.netloc}" if parts.netloc else f" {parts.scheme}:"
    return {
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets};"
            " frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # Not no-referrer: under it Chromium posts the page's own form with `Origin: null`,
        # which check_post refuses as cross-site (found by tests/mcp_server/live/
        # test_browser_consent.py). same-origin still sends no Referer off this server.
        "Referrer-Policy": "same-origin",
    }


def _page(body: str, status: int = 200, redirect_uri: str | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_headers(redirect_uri))


def _message(title: str, text: str, status: int) -> HTMLResponse:
    return _page(message_page(title, text), status)


def _plausible(key: str) -> bool:
    """Could be an API key (sent as a bearer upstream): visible ASCII, not huge."""
    return 0 < len(key) <= MAX_KEY_CHARS and all("!" <= c <= "~" for c in key)


class _Failures:
    """Refused keys per client address, in a sliding window (bounded memory)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._seen: dict[str, list[float]] = {}

    def blocked(self, address: str) -> bool:
        return len(self._recent(address)) >= MAX_ADDRESS_FAILURES

    def note(self, address: str) -> None:
        self._recent(address).append(self._clock())

    def _recent(self, address: str) -> list[float]:
        if len(self._seen) > 10_000:
            self._seen.clear()
        now = self._clock()
        recent = [t for t in self._seen.get(address, []) if now - t < FAILURE_WINDOW_S]
        self._seen[address] = recent
        return recent


async def _form(request: Request) -> dict[str, list[str]] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return parse_qs(body.decode("utf-8", "replace"), max_num_fields=16)


def consent_routes(
    provider: DncOAuthProvider,
    security: PageSecurity,
    probe: KeyProbe,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> list[Route]:
    failures = _Failures(clock)
    secure = provider.issuer_url.startswith("https://")

    def shown(request: ConsentRequest, status: int = 200, error: str | None = None) -> Response:
        response = _page(
            consent_page(request, CONSENT_PATH, error=error), status, request.redirect_uri
        )
        response.set_cookie(
            CONSENT_COOKIE,
            request.csrf,
            max_age=600,
            path=CONSENT_PATH,
            secure=secure,
            httponly=True,
            samesite="strict",
        )
        return response

    async def show(request: Request) -> Response:
        refused = check_get(request.headers, security.allowed_hosts)
        if refused is not None:
            return _message("Request refused", refused.reason, refused.status)
        consent = await provider.consent_request(request.query_params.get("request", ""))
        if consent is None:
            return _message("Nothing to allow", _GONE, 404)
        return shown(consent)

    async def answer(request: Request) -> Response:
        refused = check_post(
            request.headers,
            allowed_hosts=security.allowed_hosts,
            allowed_origins=security.allowed_origins,
        )
        if refused is not None:
            logger.warning("OAuth consent POST refused: %s", refused.reason)
            return _message("Request refused", refused.reason, refused.status)
        form = await _form(request)
        if form is None:
            return _message("Request refused", "That form is too large.", 413)

        def field(name: str) -> str:
            return form.get(name, [""])[0]

        consent = await provider.consent_request(field("request"))
        if consent is None:
            return _message("Nothing to allow", _GONE, 404)
        cookie = request.cookies.get(CONSENT_COOKIE, "")
        if not (
            hmac.compare_digest(field("csrf").encode(), consent.csrf.encode())
            and hmac.compare_digest(cookie.encode(), consent.csrf.encode())
        ):
            logger.warning("OAuth consent POST refused: CSRF token or cookie missing or wrong")
            return _message(
                "Request refused",
                "This form was not the one this browser was shown. Reload the page and try again.",
                403,
            )
        decision = field("decision")
        if decision == "decline":
            target = await provider.decline(consent.id)
            if target is None:
                return _message("Nothing to allow", _GONE, 404)
            logger.info("OAuth consent declined for client %s", consent.client_id)
            return RedirectResponse(target, status_code=303, headers=_headers(target))
        if decision != "approve":
            return shown(consent, 400, "Choose Allow or Deny.")
        chosen = [s for s in form.get("scope", []) if s in consent.scopes and s in ALL_SCOPES]
        if not chosen:
            return shown(consent, 400, "Tick at least one permission, or choose Deny.")
        address = request.client.host if request.client is not None else "unknown"
        if failures.blocked(address):
            return _message("Too many attempts", "Too many refused keys; wait a few minutes.", 429)
        key = field("api_key").strip()
        verdict = await probe(key) if _plausible(key) else "unknown"
        if verdict == "unavailable":
            return shown(consent, 503, "The DNC API could not check this key just now; try again.")
        if verdict != "valid":
            failures.note(address)
            logger.warning("OAuth consent: a key the DNC API does not accept (request kept)")
            if not await provider.count_failure(consent, MAX_KEY_FAILURES):
                return _message(
                    "Too many attempts",
                    "Too many refused keys for this request. Start again from your application.",
                    403,
                )
            return shown(consent, 403, "That key was not accepted. Check it and try again.")
        target = await provider.approve(consent.id, key, chosen)
        if target is None:
            return _message("Nothing to allow", _GONE, 404)
        response = RedirectResponse(target, status_code=303, headers=_headers(target))
        response.delete_cookie(CONSENT_COOKIE, path=CONSENT_PATH)
        return response

    return [
        Route(CONSENT_PATH, show, methods=["GET"], name="oauth_consent"),
        Route(CONSENT_PATH, answer, methods=["POST"], name="oauth_consent_answer"),
    ]


def oauth_routes(
    provider: DncOAuthProvider, security: PageSecurity, probe: KeyProbe
) -> list[Route]:
    """The SDK's authorization server and protected resource routes, and the consent page."""
    issuer = AnyHttpUrl(provider.issuer_url)
    routes = create_auth_routes(
        provider,
        issuer,
        client_registration_options=ClientRegistrationOptions(
            enabled=True, valid_scopes=list(ALL_SCOPES), default_scopes=list(ALL_SCOPES)
        ),
        revocation_options=RevocationOptions(enabled=True),
    )
    resource = create_protected_resource_routes(
        AnyHttpUrl(provider.resource_url),
        [issuer],
        scopes_supported=list(ALL_SCOPES),
        resource_name="Do-Not-Contact list (dnc mcp)",
    )
    bare = [
        Route(
            "/.well-known/oauth-protected-resource",
            endpoint=route.endpoint,
            methods=["GET", "OPTIONS"],
        )
        for route in resource
        if route.path != "/.well-known/oauth-protected-resource"
    ]
    return [*routes, *resource, *bare, *consent_routes(provider, security, probe)]
