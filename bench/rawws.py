"""A lean WebSocket client for watchers: an asyncio Protocol that does the opening handshake and
parses server frames itself, one callback per message, with no task or queue per message.

A general client library spends tens of microseconds per received message; with thousands of
watchers on a 2-core machine the generator would then measure itself instead of the server.
Server-to-client frames are unmasked (RFC 6455 §5.1), so parsing them is cheap; the few frames a
watcher sends (resync, pong, close) are masked as the RFC requires of clients.
"""

import asyncio
import base64
import os
import struct
import time

TEXT, BINARY, CONTINUATION, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    key = (mask * (length // 4 + 1))[:length]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
    return header + mask + body


class WatcherProtocol(asyncio.Protocol):
    """Calls `on_message(payload: bytes, received_at: float)` for every text or binary message."""

    def __init__(self, host: str, port: int, path: str, cookie: str | None, on_message, on_lost):
        self.request = self._handshake(host, port, path, cookie)
        self.on_message, self.on_lost = on_message, on_lost
        self.opened = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    @staticmethod
    def _handshake(host: str, port: int, path: str, cookie: str | None) -> bytes:
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: http://{host}:{port}",
        ]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin1")

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))
        self.on_lost()

    def send_text(self, text: str) -> None:
        if self.transport and not self.transport.is_closing():
            self.transport.write(masked_frame(TEXT, text.encode()))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            del self.buffer[: end + 4]
            if b" 101 " not in status + b" " or self.opened.done():  # refused, or given up on
                if not self.opened.done():
                    self.opened.set_exception(ConnectionError(status.decode("latin1")))
                self.transport.close()
                return
            self.upgraded = True
            self.opened.set_result(True)
        self._frames(now)

    def _frames(self, now: float) -> None:
        buf, pos, size = self.buffer, 0, len(self.buffer)
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            length, header = second & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, header = struct.unpack_from("!H", buf, pos + 2)[0], 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = struct.unpack_from("!Q", buf, pos + 2)[0], 10
            if size - pos < header + length:
                break
            payload = bytes(buf[pos + header : pos + header + length])
            pos += header + length
            self._frame(first & 0x0F, bool(first & 0x80), payload, now)
        del buf[:pos]

    def _frame(self, opcode: int, fin: bool, payload: bytes, now: float) -> None:
        if opcode in (TEXT, BINARY, CONTINUATION):
            if not fin:
                self.fragments.append(payload)
                return
            if self.fragments:
                payload, self.fragments = b"".join(self.fragments) + payload, []
            self.on_message(payload, now)
        elif opcode == PING:
            self.transport.write(masked_frame(0xA, payload))
        elif opcode == CLOSE:
            self.transport.close()


async def open_watcher(host: str, port: int, path: str, cookie: str | None, on_message, on_lost, timeout=60):
    loop = asyncio.get_running_loop()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(lambda: WatcherProtocol(host, port, path, cookie, on_message, on_lost), host, port),
        timeout,
    )
    try:
        await asyncio.wait_for(asyncio.shield(protocol.opened), timeout)
    except BaseException:
        protocol.transport.close()  # a late answer must not leave a socket the run does not count
        protocol.opened.add_done_callback(lambda f: f.cancelled() or f.exception())  # outcome seen
        raise
    return protocol
