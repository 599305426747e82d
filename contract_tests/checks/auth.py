"""Every operation answers 401 unauthorized without a key or with a wrong key."""

from __future__ import annotations

import secrets

from contract_tests import seeds
from contract_tests.checks.common import expect_error
from contract_tests.context import Ctx


def _requests(ctx: Ctx) -> list[tuple[str, str, dict[str, object]]]:
    url = ctx.fresh_url("auth")
    return [
        ("POST", "/dnc", {"json": {"url": url}}),
        ("GET", "/dnc", {}),
        ("GET", "/dnc/check", {"params": {"url": url}}),
        ("POST", "/dnc/batch", {"json": {"entries": [{"url": url}]}}),
        ("DELETE", "/dnc/dnc_" + secrets.token_hex(10), {}),
    ]


def auth_conformance(ctx: Ctx, authorization: str, label: str) -> None:
    for method, path, kwargs in _requests(ctx):
        ex = ctx.a.request(method, path, authorization=authorization, auth_label=label, **kwargs)  # type: ignore[arg-type]
        expect_error(ex, 401, "unauthorized", seeds.AUTH, f"{method} {path} with {label}")


def missing_key_conformance(ctx: Ctx) -> None:
    auth_conformance(ctx, "", "no Authorization header")


def wrong_key_conformance(ctx: Ctx) -> None:
    auth_conformance(ctx, f"Bearer wrong-{secrets.token_hex(8)}", "an unknown key")
