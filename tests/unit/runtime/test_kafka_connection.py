"""A request written to a Kafka connection whose socket is already gone fails as a connection
error the client handles, under uvloop too (what uvicorn runs the services on).

Without the guard in ``allwan_runtime.kafka`` uvloop's ``RuntimeError`` escaped aiokafka's
error handling and ended its metadata task for good (aio-libs/aiokafka#1038).
"""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest
import uvloop
from aiokafka.conn import AIOKafkaConnection
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.metadata import MetadataRequest
from allwan_runtime.kafka import _closed_transport_is_a_broken_connection


async def _reset_by_peer() -> tuple[AIOKafkaConnection, asyncio.Task[None]]:
    """A connection in the state aiokafka's ``connect`` leaves it, whose peer then reset it
    (RST: the transport is closed under the connection, before its reader ran)."""
    accepted: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accepted.put(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    peer = await accepted.get()
    peer_socket = peer.get_extra_info("socket")
    peer_socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.transport.abort()
    server.close()
    async with asyncio.timeout(5):
        while not writer.transport.is_closing():
            await asyncio.sleep(0.01)

    conn = AIOKafkaConnection("127.0.0.1", port, client_id="test")
    reading = asyncio.create_task(asyncio.sleep(3600))
    conn._reader, conn._writer, conn._read_task = reader, writer, reading
    conn._versions = {MetadataRequest.API_KEY: (0, 0)}
    return conn, reading


def _request_after_reset() -> None:
    async def scenario() -> None:
        conn, reading = await _reset_by_peer()
        with pytest.raises(KafkaConnectionError):
            await conn.send(MetadataRequest([]))
        assert not conn.connected()  # the client opens a new one next time
        assert reading.cancelled() or reading.cancelling()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())


def test_a_request_on_a_reset_connection_is_a_connection_error_under_uvloop() -> None:
    _request_after_reset()


def test_the_guard_is_installed_once() -> None:
    guarded = AIOKafkaConnection.send
    _closed_transport_is_a_broken_connection()
    assert AIOKafkaConnection.send is guarded
    assert getattr(guarded, "allwan_guarded", False)
