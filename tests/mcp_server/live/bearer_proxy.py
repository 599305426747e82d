"""A loopback proxy that adds `Authorization: Bearer <token>` to every request it forwards.

For clients that cannot send a header of their own (the official MCP conformance suite has no
option for one) against a `dnc mcp` HTTP server, which serves only callers with its bearer.
Everything else passes through unchanged, Host and Origin included (the suite's DNS-rebinding
scenario sends foreign ones and expects the server's refusal), and responses are streamed as
they come (server-sent events).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["bearer_proxy"]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@contextmanager
def bearer_proxy(target_url: str, token: str) -> Iterator[str]:
    """Serves on a free loopback port until the block ends; yields the URL to use instead."""
    target = urlsplit(target_url)
    host: str = target.hostname or "127.0.0.1"
    port: int = target.port or 80

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads the client's output, not ours

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            upstream = http.client.HTTPConnection(host, port, timeout=120)
            try:
                upstream.putrequest(
                    self.command, self.path, skip_host=True, skip_accept_encoding=True
                )
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP | {"authorization"}:
                        upstream.putheader(name, value)
                upstream.putheader("Authorization", f"Bearer {token}")
                upstream.endheaders(body)
                response = upstream.getresponse()
                self.send_response(response.status, response.reason)
                sized = response.getheader("content-length") is not None
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                if not sized:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                while chunk := response.read1(65536):
                    if sized:
                        self.wfile.write(chunk)
                    else:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                if not sized:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
            except (ConnectionError, TimeoutError, http.client.HTTPException):
                self.close_connection = True  # the client or the server went away mid-stream
            finally:
                upstream.close()

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{target.path}"
    finally:
        server.shutdown()
        server.server_close()
