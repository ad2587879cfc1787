"""Every bad document: one line naming the file and the problem, a non-zero exit, nothing stored."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from cli import main
from models import Citation, Database, Document, Target
from tests.support import EXAMPLE, FIXTURES

PDF = FIXTURES / "documents" / "briefing.pdf"
DOCX = FIXTURES / "documents" / "briefing.docx"
EXIT_DOCUMENT = 4


def encrypted_pdf(path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(PDF))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as out:
        writer.write(out)


def zip_bomb(path: Path) -> None:
    """A DOCX-shaped zip whose document.xml inflates to 250 MB of zeros (about 250 KB on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/document.xml", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(250):
                member.write(chunk)


def damaged_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("word/document.xml", "<w:document><w:body><w:p>never closed")


def zip_without_word(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")


def sparse_file(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as out:
            out.truncate(size)

    return make


CASES: list[tuple[str, Callable[[Path], None] | None, str]] = [
    ("missing.txt", None, "no such file"),
    ("notes.pages", lambda p: p.write_text("hello"), "unsupported file type '.pages'"),
    ("notes.odt", lambda p: p.write_text("hello"), "not an ODT file"),
    ("README", lambda p: p.write_text("hello"), "unsupported file type '(none)'"),
    ("report.pdf", lambda p: p.write_text("just text, not a PDF"), "not a PDF file"),
    ("report.docx", lambda p: p.write_text("just text, not a zip"), "not a DOCX file"),
    ("report.txt", lambda p: p.write_bytes(PDF.read_bytes()), "a binary file, not TXT text"),
    ("page.html", lambda p: p.write_bytes(DOCX.read_bytes()), "a binary file, not HTML text"),
    (
        "truncated.pdf",
        lambda p: p.write_bytes(PDF.read_bytes()[: PDF.stat().st_size // 3]),
        "damaged PDF",
    ),
    ("locked.pdf", encrypted_pdf, "the PDF is encrypted and needs a password"),
    ("bomb.docx", zip_bomb, "archive would unpack to 250 MB (limit 200 MB)"),
    ("damaged.docx", damaged_docx, "not well-formed XML"),
    ("odt-renamed.docx", zip_without_word, "not a Word document"),
    ("empty.txt", lambda p: p.write_bytes(b""), "the file is empty"),
    ("blank.md", lambda p: p.write_text("\n   \n\n"), "the document has no text"),
    (
        "no-links.txt",
        lambda p: p.write_text("A report with a note.¹\n\n¹ Interview, 2024.\n"),
        "no URLs found",
    ),
    ("huge.txt", sparse_file(200 * 2**20), "the file is 200 MB, over the 50 MB limit"),
    ("scan.pdf", None, "no text layer"),
]


def blank_pdf(path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as out:
        writer.write(out)


def counts(database_url: str) -> tuple[int, int, int]:
    database = Database(database_url)
    with database.session() as session:
        result = tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Document, Citation, Target)
        )
    database.dispose()
    return result  # type: ignore[return-value]


@pytest.mark.parametrize(("name", "make", "problem"), CASES, ids=[case[0] for case in CASES])
def test_bad_document_is_refused_and_nothing_changes(
    cli_env: Path,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    make: Callable[[Path], None] | None,
    problem: str,
) -> None:
    assert main(["add", str(EXAMPLE)]) == 0
    before = counts(database_url)
    capsys.readouterr()
    path = tmp_path / name
    if name == "scan.pdf":
        blank_pdf(path)
    elif make is not None:
        make(path)

    assert main(["add", str(path)]) == EXIT_DOCUMENT

    error = capsys.readouterr().err.strip()
    assert error == f"citewatch: error: {path}: {problem}" or (
        error.startswith(f"citewatch: error: {path}: ") and problem in error
    )
    assert "\n" not in error
    assert counts(database_url) == before


def test_citations_command_reports_bad_files_the_same_way(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("not a pdf")
    assert main(["citations", str(path)]) == EXIT_DOCUMENT
    assert f"{path}: not a PDF file" in capsys.readouterr().err


def test_a_bad_url_in_a_good_document_is_a_warning(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text(
        "One.¹ Two.²\n\n¹ http://vlast.kz:99999/x\n² https://vlast.kz/2\n", encoding="utf-8"
    )
    assert main(["add", str(path)]) == 0
    captured = capsys.readouterr()
    assert (
        "warning:" in captured.err and "note 1" in captured.err and "out of range" in captured.err
    )
    assert "1 citations" in captured.out
