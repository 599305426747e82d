"""uvicorn's h11 protocol, with its answer to an unparseable HTTP request in the error envelope.

Requests h11 itself refuses (raw non-ASCII bytes in the request target, broken header lines)
never reach the application; uvicorn would answer them in plain text.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .responses import render_json

__all__ = ["envelope_protocol"]


def envelope_protocol(content_type: str) -> type[asyncio.Protocol]:
    """An H11Protocol class whose 400 for malformed HTTP is `{"error": ..., "message": ...}`."""
    media_type = content_type.encode("ascii")

    class EnvelopeH11Protocol(H11Protocol):
        def send_400_response(self, msg: str) -> None:
            body = render_json({"error": "bad_http_request", "message": msg})
            headers = [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ]
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return EnvelopeH11Protocol
