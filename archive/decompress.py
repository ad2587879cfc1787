"""Decompression a bounded chunk at a time, so a bomb costs time to count, never memory.

Each function takes compressed pieces and yields decompressed chunks of at most CHUNK bytes;
the caller counts them and stops when it has seen enough. zlib's and brotli's one-shot calls
(and warcio's reader, which decompresses whole input blocks) would build the output in full.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import brotlicffi

CHUNK = 2**20  # output per call
SLICE = 64 * 2**10  # input per call, so that no call copies a long unconsumed tail
GZIP_WBITS = 16 + zlib.MAX_WBITS
Buffer = bytes | memoryview


def inflate(pieces: Iterable[Buffer], wbits: int = zlib.MAX_WBITS) -> Iterator[bytes]:
    """zlib (default), gzip (GZIP_WBITS) or raw deflate (negative wbits) data, inflated; stops
    at the end of the compressed stream. Raises zlib.error on damaged data."""
    inflater = zlib.decompressobj(wbits)
    for piece in pieces:
        view = memoryview(piece)
        for start in range(0, len(view), SLICE):
            data: Buffer = view[start : start + SLICE]
            while True:
                out = inflater.decompress(data, CHUNK)
                if out:
                    yield out
                if inflater.eof:
                    return
                data = inflater.unconsumed_tail
                if not data and len(out) < CHUNK:
                    break


def unbrotli(pieces: Iterable[Buffer]) -> Iterator[bytes]:
    """Brotli data, decompressed; stops at the end of the stream. Raises brotlicffi.error on
    damaged data."""
    decompressor = brotlicffi.Decompressor()
    for piece in pieces:
        view = memoryview(piece)
        for start in range(0, len(view), SLICE):
            data = bytes(view[start : start + SLICE])
            while True:
                out = decompressor.decompress(data, CHUNK)
                data = b""  # the rest of this slice waits inside the decompressor
                if out:
                    yield out
                if decompressor.is_finished():
                    return
                if len(out) < CHUNK and decompressor.can_accept_more_data():
                    break


def decode_content(pieces: Iterable[Buffer], encoding: str | None) -> Iterator[bytes]:
    """An HTTP body with its Content-Encoding (gzip, deflate, br) removed; others unchanged."""
    name = (encoding or "").strip().lower()
    if name in ("gzip", "x-gzip"):
        return inflate(pieces, GZIP_WBITS)
    if name == "deflate":
        return _deflate(iter(pieces))
    if name == "br":
        return unbrotli(pieces)
    return (bytes(piece) for piece in pieces)


def _deflate(pieces: Iterator[Buffer]) -> Iterator[bytes]:
    """ "deflate" as servers send it: zlib-wrapped as the standard says, or raw as many do."""
    first = next(pieces, b"")
    head = bytes(first[:2])
    wrapped = len(head) == 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    yield from inflate(_chain(first, pieces), zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)


def _chain(first: Buffer, rest: Iterator[Buffer]) -> Iterator[Buffer]:
    yield first
    yield from rest
