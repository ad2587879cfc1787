"""Hostile ODT, EPUB, .doc and RTF files through the real CLI, each under a memory limit: the
outcome, the exit code and the one line that says it (see test_documents.py for the others).

A refused document leaves every table of the database exactly as it was; a document that is
only big (40,000 paragraphs, a billion spaces asked for) is read within the limit.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.conftest import limited_cli, table_rows
from tests.support import EXAMPLE
from tests.support.epub import Book, build_epub, xhtml
from tests.support.odt import DECLARATIONS, build_odt, note, p, text
from tests.support.workspace import Workspace

MEMORY_MB = 600  # address space per process, as for the other documents
PEAK_MB = 300
ODT_MIME = "application/vnd.oasis.opendocument.text"
EPUB_MIME = "application/epub+zip"
CHAPTER = xhtml("<p>https://a.kz/x</p>")


def data(content: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(content)


def bomb(mimetype: str, member: str) -> Callable[[Path], None]:
    """A package whose one member inflates to 250 MB of zeros (about 250 KB on disk)."""

    def make(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
            package.writestr("mimetype", mimetype, zipfile.ZIP_STORED)
            with package.open(member, "w") as stream:
                for _ in range(250):
                    stream.write(b"\0" * 2**20)

    return make


def content(xml: str) -> Callable[[Path], object]:
    """An ODT whose content.xml is the given text."""
    return data(build_odt([], content=xml))


LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10))
DEEP = f"<office:document-content {DECLARATIONS}>" + "<text:span>" * 100_000


def forty_thousand_paragraphs() -> bytes:
    """Short paragraphs, a real footnote every hundredth."""
    body = []
    for i in range(40_000):
        linked = note(str(i // 100 + 1), p(text(f"https://vlast.kz/novosti/{i // 100 + 1}.html")))
        body.append(p(text(f"and detention {i} went on"), linked if i % 100 == 99 else ""))
    return build_odt(body)


def many_files(path: Path) -> None:
    """An EPUB of 100,001 empty files (9 MB): zipfile would index them all before any is read."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as package:
        package.writestr("mimetype", EPUB_MIME)
        for number in range(100_000):
            package.writestr(f"OEBPS/{number}.xhtml", b"")


def rootless_epub() -> bytes:
    """An EPUB without META-INF/container.xml."""
    return build_epub(Book({"c.xhtml": CHAPTER}, container=False))


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument\0".encode("utf-16-le")
RTF = rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}} See https://vlast.kz/novosti/1.html\par}"


@dataclass(frozen=True)
class Case:
    """A document, what citewatch must do with it, and the line that says so."""

    name: str
    make: Callable[[Path], object]
    code: int  # 4: refused as a bad document; 0: read and stored
    message: str  # refused: the problem after "citewatch: error: PATH: "; read: a stdout line


CASES = [
    Case("bomb.odt", bomb(ODT_MIME, "content.xml"), 4, "archive would unpack to 250 MB"),
    Case("bomb.epub", bomb(EPUB_MIME, "OEBPS/c.xhtml"), 4, "archive would unpack to 250 MB"),
    Case(
        "sheet.odt",
        data(build_odt([p(text("https://a.kz/x"))], mimetype=ODT_MIME.replace("text", "chart"))),
        4,
        "not an OpenDocument text: its mimetype is 'application/vnd.oasis.opendocument.chart'",
    ),
    Case(
        "no-container.epub",
        data(rootless_epub()),
        4,
        "a damaged EPUB: it has no META-INF/container.xml",
    ),
    Case(
        "laughs.odt",
        content(f"<!DOCTYPE d [{LAUGHS}]><d>&lol9; https://a.kz/x</d>"),
        4,
        "content.xml declares a DTD, which LibreOffice never writes: refused (entities)",
    ),
    Case(
        "xxe.epub",
        data(
            build_epub(
                Book(
                    {
                        "c.xhtml": xhtml(
                            "<p>&xxe; https://a.kz/x</p>",
                            '<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                        )
                    }
                )
            )
        ),
        4,
        "OEBPS/c.xhtml declares entities in its DTD, which EPUB forbids: refused",
    ),
    Case("deep.odt", content(DEEP), 4, "content.xml nests elements more than 256 levels deep"),
    Case("many-files.epub", many_files, 4, "the archive holds 100,001 files (limit 100,000)"),
    Case(
        "long-spine.epub",
        data(build_epub(Book({"c.xhtml": CHAPTER}, spine=["c.xhtml"] * 100_000))),
        4,
        "the EPUB's spine lists 100,000 documents (limit 10,000)",
    ),
    Case("old.doc", data(OLE), 4, "a Word 97–2003 .doc file: save it as DOCX or PDF and add that"),
    Case("old.odt", data(OLE), 4, "a Word 97–2003 .doc file: save it as DOCX or PDF and add that"),
    Case("letter.rtf", data(RTF), 4, "an RTF file: save it as DOCX or PDF and add that"),
    Case("letter.txt", data(RTF), 4, "an RTF file: save it as DOCX or PDF and add that"),
    Case(
        "forty-thousand.odt",
        lambda path: path.write_bytes(forty_thousand_paragraphs()),
        0,
        "  400 notes, 400 citations, 400 unique targets on 1 hosts",
    ),
    Case(
        "spaces.odt",
        content(
            f"<office:document-content {DECLARATIONS}><office:body><office:text><text:p>"
            'Wide<text:s text:c="1000000000"/>gap https://a.kz/x</text:p>'
            "</office:text></office:body></office:document-content>"
        ),
        0,
        "  0 notes, 1 citations, 1 unique targets on 1 hosts",
    ),
]


@pytest.fixture(scope="module")
def stocked_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that already holds the briefing (made once, copied for every case)."""
    root = tmp_path_factory.mktemp("stocked")
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}")
    assert workspace.cli("add", str(EXAMPLE)).code == 0
    return root / "citewatch.db"


@pytest.fixture
def stocked(tmp_path: Path, stocked_database: Path) -> Workspace:
    shutil.copy(stocked_database, tmp_path / "citewatch.db")
    return Workspace(tmp_path, f"sqlite:///{tmp_path / 'citewatch.db'}")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_document(stocked: Workspace, case: Case) -> None:
    path = stocked.root / case.name
    case.make(path)
    before = table_rows(stocked.database_url)

    result = limited_cli(stocked, "add", str(path), memory_mb=MEMORY_MB, timeout=120)

    assert result.code == case.code, result.err[-2000:]
    assert result.peak_mb < PEAK_MB
    assert "Traceback" not in result.err and "root:" not in result.out + result.err
    after = table_rows(stocked.database_url)
    if case.code:
        error = result.err.strip()
        assert "\n" not in error
        assert error.startswith(f"citewatch: error: {path}: ") and case.message in error
        assert after == before  # nothing written, not even half a document
    else:
        assert result.out.splitlines()[0].startswith("Added document 2 (revision 1): ")
        assert case.message in result.out.splitlines()
        assert len(after["documents"]) == len(before["documents"]) + 1
