"""Broken variants in response properties that Schemathesis' own checks judge: content types,
undocumented statuses, schema-violating bodies, a header HTTP requires, auth ignored, invalid
data accepted, a crash on odd input, a deleted entry still there, a new one missing. Several of
them only the generated requests reach. Test-only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .faults import (
    Fault,
    Json,
    Req,
    Scope,
    _captured,
    _data,
    _is,
    _read_body,
    _req,
    _send_json,
    _with_key,
    http_only,
    replayer,
    rewrite,
    when,
)
from .harness import KEY_A, KEY_B, AppWrapper
from .killers import (
    AUDIT,
    AUTH_WRONG,
    DELETE_OWN,
    DELETE_TWICE,
    ENV_ERR,
    INVALID_REFUSED,
    NOT_FOUND,
    PAGING,
    st,
)


def raw_rewrite(
    change: Callable[[Req, int, dict[bytes, bytes], bytes], tuple[int, dict[bytes, bytes], bytes]],
) -> AppWrapper:
    """An ASGI wrapper that may change status, headers and body bytes of every answer."""

    async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
        status, headers, body = await _captured(app, scope, receive)
        status, headers, body = change(_req(scope), status, headers, body)
        headers = {k: v for k, v in headers.items() if k != b"content-length"}
        headers[b"content-length"] = str(len(body)).encode()
        await send(
            {"type": "http.response.start", "status": status, "headers": list(headers.items())}
        )
        await send({"type": "http.response.body", "body": body})

    return http_only(handle)


def _text_plain(
    req: Req, status: int, headers: dict[bytes, bytes], body: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    return status, {**headers, b"content-type": b"text/plain; charset=utf-8"}, body


def _no_type_on_errors(
    req: Req, status: int, headers: dict[bytes, bytes], body: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    if status >= 400:
        headers = {k: v for k, v in headers.items() if k != b"content-type"}
    return status, headers, body


def _no_allow(
    req: Req, status: int, headers: dict[bytes, bytes], body: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    return status, {k: v for k, v in headers.items() if k != b"allow"}, body


def body_rewrite(change: Callable[[Req, Json], Json | tuple[int, Json]]) -> AppWrapper:
    """Change the JSON request body before the app reads it (or answer directly)."""

    async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
        req = _req(scope)
        raw, replay = await _read_body(receive)
        try:
            parsed: Json = json.loads(raw) if raw else None
        except ValueError:
            await app(scope, replay, send)
            return
        changed = change(req, parsed)
        if isinstance(changed, tuple):
            await _send_json(send, *changed)
            return
        if changed is parsed:
            await app(scope, replay, send)
            return
        data = json.dumps(changed).encode()
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await app({**scope, "headers": headers}, replayer(data), send)

    return http_only(handle)


def _number_url_stored(req: Req, body: Json) -> Json:
    """A url that is a JSON number is "normalized" into a username instead of refused."""
    url = body.get("url") if isinstance(body, dict) else None
    if _is(req, "POST", "/dnc") and isinstance(url, int | float) and not isinstance(url, bool):
        return {**body, "url": f"in/number-{abs(int(url))}"}
    return body


def _array_url_stored(req: Req, body: Json) -> Json:
    """A url that is an array is stored as a made-up username instead of refused."""
    url = body.get("url") if isinstance(body, dict) else None
    if _is(req, "POST", "/dnc") and isinstance(url, list):
        return {**body, "url": f"in/list-of-{len(url)}-items"}
    return body


def _crash_on_odd_entry(req: Req, body: Json) -> Json | tuple[int, Json]:
    """A batch entry whose url is an object, an array or a boolean crashes the server."""
    entries = body.get("entries") if isinstance(body, dict) else None
    if _is(req, "POST", "/dnc/batch") and isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("url"), dict | list | bool):
                return 500, {"error": "internal_error", "message": "An internal error occurred"}
    return body


def _huge_offset_404(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    offset = req.query.get("offset", "")
    if _is(req, "GET", "/dnc") and offset.isdigit() and int(offset) > 1_000_000 and req.key:
        return 404, {"error": "not_found", "message": "No such page"}
    return scope


def _invalid_key_checks_as_a(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    if _is(req, "GET", "/dnc/check") and req.key not in (None, KEY_A, KEY_B):
        return _with_key(scope, KEY_A)
    return scope


def _entry_object_when_absent(body: Json) -> tuple[int, Json]:
    if _data(body).get("onList") is False:
        _data(body)["entry"] = {}
    return 200, body


def _no_details_when_all_added(body: Json) -> tuple[int, Json]:
    data = _data(body)
    if data.get("errors") == 0 and data.get("duplicates") == 0:
        data.pop("details", None)
    return 201, body


def _error_null_on_401(body: Json) -> tuple[int, Json]:
    return 401, {"error": None, "message": body.get("message")}


def _limit_echo_string(body: Json) -> tuple[int, Json]:
    _data(body)["limit"] = str(_data(body).get("limit"))
    return 200, body


class DeletedStaysDeletable:
    """A second delete of the same id answers 200 again (an unknown id still answers 404)."""

    def __init__(self) -> None:
        self.deleted: set[str] = set()

    def wrapper(self) -> AppWrapper:
        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            entry_id = req.path.rsplit("/", 1)[-1]
            if _is(req, "DELETE", "/dnc/{id}") and entry_id in self.deleted:
                return 200, {"error": None, "data": {"message": "DNC entry deleted successfully"}}
            return scope

        def on_response(req: Req, status: int, body: Json) -> tuple[int, Json]:
            if _is(req, "DELETE", "/dnc/{id}") and status == 200:
                self.deleted.add(req.path.rsplit("/", 1)[-1])
            return status, body

        return rewrite(on_request, on_response)


class NewEntriesNotDeletable:
    """An entry cannot be deleted in the first seconds after it was added (404)."""

    def __init__(self, seconds: float = 3.0) -> None:
        self.seconds = seconds
        self.created: dict[str, float] = {}

    def wrapper(self) -> AppWrapper:
        import time

        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            entry_id = req.path.rsplit("/", 1)[-1]
            born = self.created.get(entry_id)
            if _is(req, "DELETE", "/dnc/{id}") and born and time.time() - born < self.seconds:
                return 404, {"error": "dnc_not_found", "message": "DNC entry not found"}
            return scope

        def on_response(req: Req, status: int, body: Json) -> tuple[int, Json]:
            if _is(req, "POST", "/dnc") and status == 201 and isinstance(body, dict):
                self.created[str(_data(body).get("$id"))] = time.time()
            return status, body

        return rewrite(on_request, on_response)


def catalogue(F: Callable[..., Fault]) -> list[Fault]:
    """`F` is faults.F (name, behaviour, select, killers, wrapper)."""
    return [
        F(
            "answers labelled text/plain",
            "answers are application/json",
            "schema",
            {st("content_type_conformance")},
            raw_rewrite(_text_plain),
        ),
        F(
            "error answers without Content-Type",
            "answers are application/json",
            "schema",
            {st("content_type_conformance")},
            raw_rewrite(_no_type_on_errors),
        ),
        F(
            "405 without an Allow header",
            "405 carries Allow (RFC 9110, decision unknown-route)",
            "schema",
            {st("unsupported_method")},
            raw_rewrite(_no_allow),
        ),
        F(
            "list answers 404 past offset 1,000,000",
            "documented statuses of list",
            "schema",
            {st("status_code_conformance")},
            rewrite(_huge_offset_404),
        ),
        F(
            "batch entry with an object url crashes",
            "no 5xx for bad input",
            "schema",
            {st("not_a_server_error")},
            body_rewrite(_crash_on_odd_entry),
        ),
        F(
            "add stores a url that is a number",
            "a url must be a string (negative data refused)",
            "schema",
            {INVALID_REFUSED, st("negative_data_rejection")},
            body_rewrite(_number_url_stored),
        ),
        F(
            "add stores a url that is an array",
            "a url must be a string (negative data refused)",
            "schema",
            {INVALID_REFUSED, st("negative_data_rejection")},
            body_rewrite(_array_url_stored),
        ),
        F(
            "batch omits details when every entry was added",
            "batch answer schema (details)",
            "-m envelope or cache",
            {AUDIT},
            when("POST", "/dnc/batch", 201, _no_details_when_all_added),
        ),
        F(
            "an invalid key is served team A's check",
            "401 for an invalid key (auth not ignored)",
            "auth",
            {st("ignored_auth"), AUTH_WRONG},
            rewrite(_invalid_key_checks_as_a),
        ),
        F(
            "401 with error null",
            "401 body schema",
            "envelope",
            {st("response_schema_conformance"), ENV_ERR, AUDIT},
            when("GET", "/dnc", 401, _error_null_on_401),
        ),
        F(
            "check not-found answers entry {}",
            "onList false, entry null (schema)",
            "check",
            {st("response_schema_conformance"), NOT_FOUND},
            when("GET", "/dnc/check", 200, _entry_object_when_absent),
        ),
        F(
            "list echoes limit as a string",
            "list answer schema (limit integer)",
            "list",
            {st("response_schema_conformance"), PAGING},
            when("GET", "/dnc", 200, _limit_echo_string),
        ),
        F(
            "a deleted id can be deleted again",
            "use after free: a deleted entry is gone",
            "delete",
            {DELETE_TWICE},
            DeletedStaysDeletable().wrapper(),
        ),
        F(
            "a new entry cannot be deleted at once",
            "an entry just created is there (its id deletes it)",
            "delete",
            {st("ensure_resource_availability"), DELETE_OWN},
            NewEntriesNotDeletable().wrapper(),
        ),
    ]
