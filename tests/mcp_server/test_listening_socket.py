"""`dnc mcp --transport streamable-http` listens on a socket whose connections have Nagle off."""

from __future__ import annotations

import socket

from mcp_server.http_app import bind
from tests.tcp_sockets import accepted_connection_nodelay


def test_the_http_transport_socket_says_tcp_so_accepted_connections_get_tcp_nodelay() -> None:
    # With proto 0 every keep-alive response after the first waited ~40 ms (delayed ACK).
    with bind("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert accepted_connection_nodelay(sock)
