"""Decode text whose declared encoding may be missing or wrong (common on Kazakhstani sites)."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


class UndecodableError(ValueError):
    """No encoding fits the bytes."""


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    match = HEADER_CHARSET_RE.search(content_type or "")
    return match.group(1) if match else None


def decode_text(data: bytes, declared: str | None = None, html: bool = False) -> str:
    """Decode by BOM, then as UTF-8, then by the declared or meta charset, then by detection.

    Bytes that are valid UTF-8 are UTF-8 whatever is declared: declarations lie far more often
    than non-ASCII text happens to form valid UTF-8 by accident.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [declared] if declared else []
    if html:
        meta = META_CHARSET_RE.search(data[:4096])
        if meta:
            candidates.append(meta.group(1).decode("ascii"))
    for encoding in candidates:
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            continue  # already tried: it does not fit
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue  # a lying or unknown declaration
    guess = from_bytes(data).best()
    if guess is None:
        raise UndecodableError("cannot tell the text encoding")
    return str(guess)
