"""A PDF file from its numbered objects: the header, the objects, the cross-reference table."""

from __future__ import annotations


def pdf_file(objects: list[bytes], info: int | None = None) -> bytes:
    """Objects 1..n (1 the catalog), with `info` the number of the document-information one."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    described = f" /Info {info} 0 R" if info is not None else ""
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{described} >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
