"""`dnc serve --workers N` hands its workers a socket whose connections have Nagle off."""

from __future__ import annotations

import socket

import uvicorn

from reference_server.workers import listening_socket
from tests.tcp_sockets import accepted_connection_nodelay


def _config() -> uvicorn.Config:
    return uvicorn.Config("reference_server.workers:worker_app", host="127.0.0.1", port=0)


def test_the_workers_socket_says_tcp_so_accepted_connections_get_tcp_nodelay() -> None:
    # Without it every keep-alive response after the first waited ~40 ms (delayed ACK).
    with listening_socket(_config()) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert accepted_connection_nodelay(sock)


def test_the_workers_socket_stays_bound_and_inheritable_by_the_worker_processes() -> None:
    with listening_socket(_config()) as sock:
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.getsockname()[1] > 0
        assert sock.get_inheritable()
