"""What a listening socket hands to the connections it accepts, observed through asyncio."""

from __future__ import annotations

import asyncio
import socket


async def _accepted_nodelay(listener: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=listener)
    async with server:
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()


def accepted_connection_nodelay(listener: socket.socket) -> bool:
    """Whether a connection accepted on `listener` by an asyncio server (as uvicorn serves)
    has Nagle's algorithm off."""
    return bool(asyncio.run(_accepted_nodelay(listener)))
