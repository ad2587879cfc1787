"""Hostile documents through the real CLI, each under a memory limit: one table of what users
and attackers hand us, with the outcome, the exit code and the one line that says it.

A refused document leaves every table of the database exactly as it was; a document that is
only big or strange (40,000 paragraphs, HTML nested 100,000 deep, a 1 MB line, UTF-16 without
a byte-order mark) is read, within the time budget and the memory limit. Before this suite the
first two ran for minutes and hours, and the nested HTML lost its text after the 256th level.
"""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from tests.hostile.conftest import limited_cli, table_rows
from tests.support import EXAMPLE, FIXTURES
from tests.support.docx import build_docx, paragraph, run
from tests.support.workspace import TEST_CONFIG, Workspace

MEMORY_MB = 600  # address space per process; reading the briefing needs about 300 MB
PEAK_MB = 300  # the most resident memory any process of a run may have used (about 150)
PDF = FIXTURES / "documents" / "briefing.pdf"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
DTD_REFUSED = "word/document.xml declares a DTD, which Word never writes: refused (entities)"


def docx_with(document_xml: str | None) -> Callable[[Path], None]:
    """A valid DOCX whose word/document.xml is replaced (None: left out)."""

    def make(path: Path) -> None:
        source = zipfile.ZipFile(io.BytesIO(build_docx([paragraph(run("https://a.kz/x"))])))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
            for info in source.infolist():
                if info.filename != "word/document.xml":
                    package.writestr(info, source.read(info))
            if document_xml is not None:
                package.writestr("word/document.xml", document_xml)

    return make


def document_xml(prolog: str, text: str) -> str:
    return (
        f'<?xml version="1.0"?>{prolog}<w:document xmlns:w="{W}"><w:body>'
        f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )


# A billion laughs: ten entities of ten of the one before, 10^9 "lol" if expanded.
LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10))
BILLION_LAUGHS = document_xml(f"<!DOCTYPE d [{LAUGHS}]>", "&lol9; https://a.kz/x")
XXE = document_xml(
    '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe; https://a.kz/x"
)
DEEP_XML = f'<w:document xmlns:w="{W}"><w:body>' + "<w:sdt>" * 100_000 + "</w:sdt>" * 100_000


def zip_bomb(path: Path) -> None:
    """A DOCX whose document.xml inflates to 250 MB of zeros (about 250 KB on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/document.xml", "w") as member:
            for _ in range(250):
                member.write(b"\0" * 2**20)


def pdf_encrypted(path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(PDF))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as out:
        writer.write(out)


def pdf_without_text(path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as out:
        writer.write(out)


def sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as out:
            out.truncate(size)

    return make


def random_bytes(low: int, count: int = 200_000) -> Callable[[Path], None]:
    generator = random.Random(7)
    return lambda path: path.write_bytes(bytes(generator.randrange(low, 256) for _ in range(count)))


def text(content: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content.encode(encoding))


def forty_thousand_paragraphs() -> str:
    """Short lines none of which ends its sentence, a note every hundredth."""
    lines, notes = [], []
    for i in range(40_000):
        line = f"{'The' if i == 0 else 'and'} detention {i} went on"
        if i % 100 == 99:
            label = str(len(notes) + 1).translate(SUPERSCRIPT)
            notes.append(f"{label} https://vlast.kz/novosti/{len(notes) + 1}.html")
            line += label
        lines.append(line)
    return "Briefing\n\n" + "\n\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


NESTED_HTML = (
    "<html><body><p>Before https://a.kz/before</p>"
    + "<div>" * 100_000
    + "Inside https://a.kz/inside"
    + "</div>" * 100_000
    + "<p>After https://a.kz/after</p></body></html>"
)
LONG_LINE_HTML = "<html><body><p>" + "word " * 200_000 + "https://a.kz/end</p></body></html>"


@dataclass(frozen=True)
class Case:
    """A document, what citewatch must do with it, and the line that says so."""

    name: str
    make: Callable[[Path], None] | None  # None: the file does not exist
    code: int  # 4: refused as a bad document; 0: read and stored
    message: str  # refused: the problem after "citewatch: error: PATH: "; read: a stdout line


CASES = [
    Case("missing.txt", None, 4, "no such file"),
    Case("folder.txt", lambda p: p.mkdir(), 4, "is a directory, not a document"),
    Case(
        "loop.txt",
        lambda p: p.symlink_to(p.name),
        4,
        "a symbolic link that leads nowhere (a loop, or no target)",
    ),
    Case("empty.txt", lambda p: p.write_bytes(b""), 4, "the file is empty"),
    Case(
        "huge.txt",
        sparse(51 * 2**20),
        4,
        "the file is 51 MB, over the 50 MB limit (raise documents.max_size_mb to allow it)",
    ),
    Case("garbage.txt", random_bytes(0), 4, "a binary file, not TXT text"),
    Case("not-utf8.txt", random_bytes(128), 4, "cannot tell the text encoding"),
    Case("comments.html", text("<!-- nothing but this -->\n"), 4, "the document has no text"),
    Case(
        "no-links.md",
        text("A claim.[^1]\n\n[^1]: Interview, 2024.\n"),
        4,
        "no URLs found in the document",
    ),
    Case("fake.pdf", text("just text"), 4, "not a PDF file (no %PDF header)"),
    Case("truncated.pdf", lambda p: p.write_bytes(PDF.read_bytes()[:50_000]), 4, "damaged PDF"),
    Case("locked.pdf", pdf_encrypted, 4, "the PDF is encrypted and needs a password"),
    Case("scan.pdf", pdf_without_text, 4, "no text layer"),
    Case("bomb.docx", zip_bomb, 4, "archive would unpack to 250 MB (limit 200 MB)"),
    Case(
        "no-body.docx",
        docx_with(None),
        4,
        "a damaged Word document: it has no word/document.xml",
    ),
    Case("laughs.docx", docx_with(BILLION_LAUGHS), 4, DTD_REFUSED),
    Case("xxe.docx", docx_with(XXE), 4, DTD_REFUSED),
    Case(
        "deep.docx",
        docx_with(DEEP_XML),
        4,
        "word/document.xml nests elements more than 256 levels deep, which Word never does",
    ),
    Case(
        "forty-thousand.txt",
        text(forty_thousand_paragraphs()),
        0,
        "  400 notes, 400 citations, 400 unique targets on 1 hosts",
    ),
    Case(
        "nested.html", text(NESTED_HTML), 0, "  0 notes, 3 citations, 3 unique targets on 1 hosts"
    ),
    Case(
        "long-line.html",
        text(LONG_LINE_HTML),
        0,
        "  0 notes, 1 citations, 1 unique targets on 1 hosts",
    ),
    Case(
        "utf16.txt",
        text("Суд отклонил жалобу.¹\n\n¹ https://vlast.kz/novosti/1.html\n", "utf-16-le"),
        0,
        "  1 notes, 1 citations, 1 unique targets on 1 hosts",
    ),
    Case(
        "markers.txt",
        text("Text " + "\ue000 open" * 100_000 + " https://a.kz/x\n"),
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
    if case.make is not None:
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
        assert error == f"citewatch: error: {path}: {case.message}" or (
            error.startswith(f"citewatch: error: {path}: ") and case.message in error
        )
        assert after == before  # nothing written, not even half a document
    else:
        assert result.out.splitlines()[0].startswith("Added document 2 (revision 1): ")
        assert case.message in result.out.splitlines()
        assert len(after["documents"]) == len(before["documents"]) + 1


def test_a_document_over_the_time_budget_is_stopped_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    workspace = Workspace(
        tmp_path,
        f"sqlite:///{tmp_path / 'citewatch.db'}",
        TEST_CONFIG + "\n[documents]\nmax_seconds = 1\n",
    )
    assert workspace.cli("add", str(EXAMPLE)).code == 0
    path = tmp_path / "nested.html"
    path.write_text(NESTED_HTML.replace("<div>", "<div><span>"), encoding="utf-8")  # 2-5 s
    before = table_rows(workspace.database_url)

    result = limited_cli(workspace, "add", str(path), memory_mb=MEMORY_MB, timeout=60)

    assert result.code == 4
    assert result.err.strip() == (
        f"citewatch: error: {path}: reading stopped after 1 s (documents.max_seconds); "
        "the document is too complex"
    )
    assert table_rows(workspace.database_url) == before


def test_an_output_file_that_cannot_be_written_is_one_line(stocked: Workspace) -> None:
    target = stocked.root / "no-such-directory" / "report.html"
    result = stocked.cli("report", "--format", "html", "--output", str(target))
    assert result.code == 1
    assert result.err == f"citewatch: error: {target}: No such file or directory\n"


def test_a_reader_that_runs_out_of_memory_is_one_line(stocked: Workspace) -> None:
    path = stocked.root / "large.txt"
    line = "A sentence that cites https://vlast.kz/novosti/1.html and goes on.\n\n"
    path.write_text(line * 600_000, encoding="utf-8")  # 40 MB: several times that to read
    before = table_rows(stocked.database_url)

    result = limited_cli(stocked, "add", str(path), memory_mb=350, timeout=120)

    assert result.code == 4, result.err[-2000:]
    assert result.err == (
        f"citewatch: error: {path}: ran out of memory while reading the document\n"
    )
    assert table_rows(stocked.database_url) == before
