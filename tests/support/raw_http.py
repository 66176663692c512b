"""HTTP/1.1 requests written by hand over asyncio streams: bodies split across writes or chunked, the way a
network (and Teams' front door) really delivers them, which aiohttp's client never does on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

NETWORK_GAP = 0.05  # seconds between two parts of one body, as a slow link or a proxy leaves them


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def segments(body: bytes, size: int) -> list[bytes]:
    """`body` cut into pieces of `size` bytes (a TCP segment is 1,460 bytes on Ethernet)."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def halves(body: bytes) -> list[bytes]:
    return [body[: len(body) // 2], body[len(body) // 2 :]]


def chunked(parts: Iterable[bytes]) -> list[bytes]:
    """Each part as one chunk of the chunked transfer coding, then the last (empty) chunk on its own."""
    return [b"%x\r\n%s\r\n" % (len(part), part) for part in parts] + [b"0\r\n\r\n"]


async def post(
    url: str,
    parts: Iterable[bytes],
    headers: Mapping[str, str],
    *,
    gap: float = NETWORK_GAP,
) -> RawResponse:
    """POST `parts` to `url`, each written and flushed on its own with `gap` seconds of silence between them.

    The parts are sent as they are: give `Content-Length` in `headers`, or `Transfer-Encoding: chunked` with
    `chunked(...)` parts. The server may answer (and close) before the last part: what is left is not sent."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        head = [f"POST {address.path} HTTP/1.1", f"Host: {address.netloc}", "Connection: close"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for index, part in enumerate(parts):
            if index:
                await asyncio.sleep(gap)  # the network's silence, not a synchronisation
            if writer.is_closing() or reader.at_eof():
                break
            writer.write(part)
            try:
                await writer.drain()
            except ConnectionError:
                break
        return _response(await reader.read())
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _response(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return RawResponse(int(status_line.split()[1]), body)


def _unchunk(body: bytes) -> bytes:
    whole = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        whole, body = whole + rest[:size], rest[size + 2 :]
    return whole
