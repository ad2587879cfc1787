"""ODT and EPUB: the bundled briefing in both (all 131 note–URL pairs, as from the text), small
documents written the ways LibreOffice and e-book tools write them, and the damaged ones."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cases.learn import bold_names
from citations.document import Limits, read_document
from citations.errors import DocumentError
from citations.extract import Extraction, extract_citations
from citations.parts import DocumentParts, note_ref
from cli import main
from models import Citation, Database, Document, Target
from tests.component.test_briefing import expected_pairs, written_pairs
from tests.support import EXAMPLE, FIXTURES
from tests.support.epub import XHTML11_DOCTYPE, Book, build_epub, epub_from_html, xhtml
from tests.support.odt import (
    DECLARATIONS,
    build_odt,
    h,
    link,
    note,
    odt_from_docx,
    p,
    span,
    text,
)

VARIANTS = FIXTURES / "documents"
DOCX = VARIANTS / "briefing.docx"
HTML = VARIANTS / "briefing.html"
PLAIN_QUOTES = str.maketrans("’‘“”", "''\"\"")  # the converters typeset quotes
EXIT_DOCUMENT = 4


def roman(number: int) -> str:
    """Lower-case Roman numerals, as LibreOffice labels endnotes by default."""
    out = ""
    for value, letters in ((100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x")):
        count, number = divmod(number, value)
        out += letters * count
    return out + ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")[number]


@functools.cache
def briefing(tmp: Path, name: str) -> Path:
    """The briefing as an ODT (from its DOCX version) or an EPUB (from its HTML version)."""
    makers: dict[str, Callable[[], bytes]] = {
        "briefing.odt": lambda: odt_from_docx(DOCX.read_bytes()),
        "briefing-endnotes.odt": lambda: odt_from_docx(DOCX.read_bytes(), "endnote", roman),
        "briefing-asides.epub": lambda: epub_from_html(HTML.read_text("utf-8"), "asides"),
        "briefing-endnotes.epub": lambda: epub_from_html(HTML.read_text("utf-8"), "endnotes"),
    }
    path = tmp / name
    path.write_bytes(makers[name]())
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    tmp = tmp_path_factory.mktemp("briefing")
    return lambda name: briefing(tmp, name)


@functools.cache
def extract(path: Path) -> Extraction:
    return extract_citations(read_document(path).parts)


def parts(path: Path) -> DocumentParts:
    return read_document(path).parts


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def cite(path: Path) -> list[tuple[str | None, str, str | None]]:
    return [(c.footnote, c.url, c.link_text) for c in extract(path).citations]


# --- the briefing -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["briefing.odt", "briefing-asides.epub", "briefing-endnotes.epub"])
def test_the_briefing_gives_every_pair_and_sentence_of_the_text(
    made: Callable[[str], Path], name: str
) -> None:
    extraction = extract(made(name))
    assert extraction.note_count == 116
    assert written_pairs(extraction) == expected_pairs()
    assert extraction.warnings == []
    text_version = {
        (c.footnote, c.url): c.context.translate(PLAIN_QUOTES) for c in extract(EXAMPLE).citations
    }
    assert len(extraction.citations) == len(text_version) == 134
    for citation in extraction.citations:
        key = (citation.footnote, citation.url)
        assert citation.context.translate(PLAIN_QUOTES) == text_version[key]


def test_the_briefing_odt_reads_exactly_as_its_docx(made: Callable[[str], Path]) -> None:
    odt, docx = read_document(made("briefing.odt")), read_document(DOCX)
    assert odt.format == "odt"
    assert odt.parts.title == "Briefing paper for EU-Kazakhstan human rights dialogue"
    assert odt.parts.body == docx.parts.body
    assert odt.parts.notes == docx.parts.notes
    names = bold_names(odt.parts)
    assert names == bold_names(docx.parts)
    assert names[0].name == "Vikram Ruzakhunov"  # bold spans: the tracked cases


def test_the_briefing_odt_package_is_what_libreoffice_writes(made: Callable[[str], Path]) -> None:
    with zipfile.ZipFile(made("briefing.odt")) as package:
        assert package.namelist()[0] == "mimetype"
        assert package.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        content = package.read("content.xml").decode()
    assert content.count('text:note-class="footnote"') == 116
    assert '<text:span text:style-name="T1">' in content
    assert '<text:a xlink:type="simple" xlink:href="https://monitor.civicus.org/' in content


def test_libreoffice_endnotes_keep_their_printed_labels(made: Callable[[str], Path]) -> None:
    path = made("briefing-endnotes.odt")
    labels = [n.label for n in parts(path).notes]
    assert labels[:5] == ["i", "ii", "iii", "iv", "v"]
    assert labels[-1] == "cxvi"
    pairs = [(labels.index(n) + 1, url) for n, url in written_pairs(extract(path))]
    assert [(str(n), url) for n, url in pairs] == expected_pairs()


def test_the_briefing_epubs_read_as_its_html(made: Callable[[str], Path]) -> None:
    html = parts(HTML)
    asides = read_document(made("briefing-asides.epub"))
    endnotes = parts(made("briefing-endnotes.epub"))
    assert asides.format == "epub"
    assert asides.parts.title == "Briefing paper for EU-Kazakhstan human rights dialogue"
    assert asides.parts.body == html.body
    assert endnotes.body == [*html.body, "Notes"]  # the heading of the notes document
    assert asides.parts.notes == endnotes.notes == html.notes


def test_epub_chapters_are_read_in_spine_order(made: Callable[[str], Path], tmp_path: Path) -> None:
    with zipfile.ZipFile(made("briefing-endnotes.epub")) as package:
        opf = package.read("OEBPS/content.opf").decode()
        assert "Text/part%2002.xhtml" in opf  # names with spaces, escaped in the manifest
        assert (
            '<section epub:type="rearnotes">' in package.read("OEBPS/Notes/endnotes.xhtml").decode()
        )
    chapters = {
        f"c{n}.xhtml": xhtml(f"<p>Chapter {n} cites https://a.kz/{n}</p>") for n in (1, 2, 3)
    }
    book = Book(chapters, spine=["c3.xhtml", "c1.xhtml", "c2.xhtml"])
    path = write(tmp_path, "order.epub", build_epub(book))
    assert [c.url for c in extract_citations(parts(path)).citations] == [
        "https://a.kz/3",
        "https://a.kz/1",
        "https://a.kz/2",
    ]


# --- small ODT documents ------------------------------------------------------------------------


def test_odt_notes_links_and_labels(tmp_path: Path) -> None:
    body = [
        h("The case of Aidos Sadykov"),
        p(
            text("The court upheld the "),
            span("Sadykov", "Strong_20_Emphasis"),
            text(" sentence."),
            note(
                "1",
                p(
                    text("See "),
                    link("https://adilet.zan.kz/rus/docs/V2400034967", text("the ruling")),
                ),
            ),
            text(" Appeal rejected."),
            note("*", p(text("Source: https://orda.kz/2/")), label="*"),
            text(" More at "),
            link("https://vlast.kz/novosti/1.html"),
            text("."),
            note("i", p(text("Ibid.")), kind="endnote"),
        ),
    ]
    path = write(tmp_path, "ruling.odt", build_odt(body, title="Court ruling"))
    result = parts(path)
    assert result.title == "Court ruling"
    assert result.body == [
        "The case of Aidos Sadykov",
        f"The court upheld the **Sadykov** sentence.{note_ref('1')} Appeal rejected."
        f"{note_ref('*')} More at <https://vlast.kz/novosti/1.html>.{note_ref('i')}",
    ]
    assert [(n.label, n.text) for n in result.notes] == [
        ("1", "See [the ruling](<https://adilet.zan.kz/rus/docs/V2400034967>)"),
        ("*", "Source: https://orda.kz/2/"),
        ("i", "Ibid."),  # endnotes come after the footnotes, as printed
    ]
    assert [(c.footnote, c.url, c.refers_to) for c in extract(path).citations] == [
        (None, "https://vlast.kz/novosti/1.html", None),
        ("1", "https://adilet.zan.kz/rus/docs/V2400034967", None),
        ("*", "https://orda.kz/2/", None),
        ("i", "https://orda.kz/2/", "*"),
    ]


def test_odt_lists_tables_spaces_and_bold_split_by_the_writer(tmp_path: Path) -> None:
    body = [
        "<text:list><text:list-item><text:p>First  point, "
        '<text:span text:style-name="T1">Yelzhan</text:span><text:s/>'
        '<text:span text:style-name="T1">Kusainov</text:span>.</text:p>'
        "</text:list-item></text:list>",
        "<table:table><table:table-row><table:table-cell><text:p>Cell one</text:p>"
        "</table:table-cell><table:table-cell><text:p>https://a.kz/cell</text:p>"
        "</table:table-cell></table:table-row></table:table>",
        "<text:p>Words\n   wrapped<text:tab/>by\tan indenting<text:line-break/>writer"
        '<text:s text:c="3"/>end.' + note("1", p(text("https://a.kz/note"))) + "</text:p>",
    ]
    assert parts(write(tmp_path, "layout.odt", build_odt(body))).body == [
        "First point, **Yelzhan Kusainov**.",
        "Cell one",
        "https://a.kz/cell",
        f"Words wrapped by an indenting\nwriter   end.{note_ref('1')}",
    ]


def test_odt_comments_deleted_text_and_text_boxes(tmp_path: Path) -> None:
    body = [
        "<text:tracked-changes><text:changed-region text:id='c1'><text:deletion>"
        "<text:p>Deleted https://deleted.kz/x</text:p></text:deletion></text:changed-region>"
        "</text:tracked-changes>",
        "<text:p>Kept text<office:annotation><dc:creator>Editor</dc:creator>"
        "<text:p>A comment https://comment.kz/x</text:p></office:annotation> goes on."
        '<draw:frame draw:name="box"><draw:text-box><text:p>In a box https://box.kz/x</text:p>'
        "</draw:text-box></draw:frame></text:p>",
        "<text:p>After.</text:p>",
    ]
    assert parts(write(tmp_path, "review.odt", build_odt(body))).body == [
        "Kept text goes on.",
        "In a box https://box.kz/x",  # after the paragraph that holds it, as in DOCX
        "After.",
    ]


def test_odt_without_notes_reads_superscript_digits_like_a_text(tmp_path: Path) -> None:
    body = [
        p(
            text("The activist was detained."),
            span("1", "T3"),
            text(" Then released."),
            span("2", "T3"),
        ),
        p(span("1", "T3"), text(" https://vlast.kz/novosti/1.html")),
        p(span("2", "T3"), text(" https://orda.kz/2/")),
    ]
    path = write(tmp_path, "typed.odt", build_odt(body))
    assert cite(path) == [
        ("1", "https://vlast.kz/novosti/1.html", None),
        ("2", "https://orda.kz/2/", None),
    ]
    assert read_document(path).format == "odt"


def test_odt_titles_come_from_meta_then_the_title_style(tmp_path: Path) -> None:
    body = [
        p(text("Kazakhstan: civic space"), note("1", p(text("https://a.kz/1"))), style="P1"),
        p(text("https://a.kz/x")),
    ]
    assert parts(write(tmp_path, "titled.odt", build_odt(body))).title == "Kazakhstan: civic space"
    heading = [h("Briefing"), p(text("https://a.kz/x"))]
    assert parts(write(tmp_path, "heading.odt", build_odt(heading))).title == "Briefing"
    meta = build_odt(body, title="From the properties")
    assert parts(write(tmp_path, "meta.odt", meta)).title == "From the properties"


def test_odt_styles_resolve_through_parents_and_stop_at_loops(tmp_path: Path) -> None:
    styles = (
        '<style:style style:name="T9" style:family="text" '
        'style:parent-style-name="Strong_20_Emphasis"/>'
        '<style:style style:name="L1" style:family="text" style:parent-style-name="L2"/>'
        '<style:style style:name="L2" style:family="text" style:parent-style-name="L1"/>'
        '<style:style style:name="N" style:family="text">'
        '<style:text-properties fo:font-weight="400"/></style:style>'
    )
    body = [p(span("Bold", "T9"), text(" "), span("Loop", "L1"), text(" "), span("Plain", "N"))]
    odt = build_odt(body, automatic_styles=styles)
    assert parts(write(tmp_path, "styles.odt", odt)).body == ["**Bold** Loop Plain"]


# --- small EPUB documents -----------------------------------------------------------------------


def test_epub_footnote_asides_and_noterefs(tmp_path: Path) -> None:
    chapter = xhtml(
        '<section epub:type="chapter"><h1>Detentions</h1>'
        '<p>Arrested in Almaty.<a epub:type="noteref" href="#n1">1</a> Released on bail.'
        '<a epub:type="noteref" href="#n2">*</a></p>'
        '<aside epub:type="footnote" id="n1"><p>See '
        '<a href="https://vlast.kz/novosti/1.html">the report</a>.</p></aside>'
        '<aside epub:type="footnote"><p id="n2">First paragraph.</p>'
        "<p>Second: https://orda.kz/2/</p></aside></section>"
    )
    path = write(tmp_path, "book.epub", build_epub(Book({"ch1.xhtml": chapter}, title="Book")))
    result = parts(path)
    assert result.title == "Book"
    assert result.body == [
        "Detentions",
        f"Arrested in Almaty.{note_ref('1')} Released on bail.{note_ref('*')}",
    ]
    assert [(n.label, n.text) for n in result.notes] == [
        ("1", "See [the report](<https://vlast.kz/novosti/1.html>)."),
        ("*", "First paragraph.\n\nSecond: https://orda.kz/2/"),  # the whole aside
    ]


def test_epub_navigation_is_not_text(tmp_path: Path) -> None:
    chapter = xhtml(
        '<nav epub:type="landmarks"><ol><li><a href="#x">1</a></li></ol></nav>'
        '<p id="x">Text https://a.kz/1</p>'
    )
    nav = '<nav epub:type="toc"><ol><li><a href="ch1.xhtml">Chapter https://toc.kz/</a></li></ol></nav>'
    path = write(tmp_path, "nav.epub", build_epub(Book({"ch1.xhtml": chapter}, nav=nav)))
    assert parts(path).body == ["Text https://a.kz/1"]


def test_epub_named_entities_and_careless_xhtml(tmp_path: Path) -> None:
    epub2 = xhtml("<p>Non&nbsp;breaking https://a.kz/1</p>", XHTML11_DOCTYPE)
    careless = xhtml("<p>Unclosed <br> and <b>bold https://a.kz/2</p>")
    book = Book({"a.xhtml": epub2, "b.xhtml": careless})
    assert parts(write(tmp_path, "loose.epub", build_epub(book))).body == [
        "Non breaking https://a.kz/1",  # &nbsp; read, as the HTML reader reads it
        "Unclosed and bold https://a.kz/2",
    ]


def test_epub_with_obfuscated_fonts_is_read(tmp_path: Path) -> None:
    encryption = (
        b'<encryption xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        b'<enc:CipherData><enc:CipherReference URI="OEBPS/fonts/serif.otf"/></enc:CipherData>'
        b"</enc:EncryptedData></encryption>"
    )
    book = Book({"c.xhtml": OK_CHAPTER}, extra={"META-INF/encryption.xml": encryption})
    assert parts(write(tmp_path, "fonts.epub", build_epub(book))).body == ["https://a.kz/1"]


# --- refused -------------------------------------------------------------------------------------


def zip_with(members: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return out.getvalue()


def without(package: bytes, member: str) -> bytes:
    """The package with one member left out."""
    source = zipfile.ZipFile(io.BytesIO(package))
    return zip_with({n: source.read(n) for n in source.namelist() if n != member})


def bomb(first: dict[str, str], member: str) -> bytes:
    """A package that inflates to 250 MB of zeros in one member (about 250 KB on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in first.items():
            package.writestr(name, data)
        with package.open(member, "w") as stream:
            for _ in range(250):
                stream.write(b"\0" * 2**20)
    return out.getvalue()


ODT_MIME = "application/vnd.oasis.opendocument.text"
SPREADSHEET = "application/vnd.oasis.opendocument.spreadsheet"
OK_CHAPTER = xhtml("<p>https://a.kz/1</p>")
BAD: list[tuple[str, bytes, str]] = [
    ("text.odt", b"just text", "not an ODT file (an ODT is a zip archive; this is not one)"),
    (
        "sheet.odt",
        build_odt([p(text("https://a.kz/1"))], mimetype=SPREADSHEET),
        f"not an OpenDocument text: its mimetype is '{SPREADSHEET}', not '{ODT_MIME}'",
    ),
    (
        "no-mimetype.odt",
        build_odt([p(text("https://a.kz/1"))], mimetype=None),
        "a zip archive, but not an OpenDocument text (no mimetype)",
    ),
    (
        "no-content.odt",
        zip_with({"mimetype": ODT_MIME}),
        "a damaged OpenDocument text: it has no content.xml",
    ),
    (
        "locked.odt",
        zip_with(
            {
                "mimetype": ODT_MIME,
                "content.xml": b"\x8f\x12 encrypted bytes",
                "META-INF/manifest.xml": "<manifest:encryption-data/>",
            }
        ),
        "the ODT is encrypted and needs a password",
    ),
    (
        "damaged.odt",
        build_odt([], content=f"<office:document-content {DECLARATIONS}><text:p>never closed"),
        "content.xml is not well-formed XML",
    ),
    (
        "entities.odt",
        build_odt([], content='<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>'),
        "content.xml declares a DTD, which LibreOffice never writes: refused (entities)",
    ),
    (
        "deep.odt",
        build_odt([], content=f"<office:document-content {DECLARATIONS}>" + "<text:span>" * 300),
        "content.xml nests elements more than 256 levels deep, which LibreOffice never does",
    ),
    ("bomb.odt", bomb({"mimetype": ODT_MIME}, "content.xml"), "archive would unpack to 250 MB"),
    ("book.epub", b"%PDF-1.7", "not an EPUB file (an EPUB is a zip archive; this is not one)"),
    (
        "no-container.epub",
        build_epub(Book({"c.xhtml": OK_CHAPTER}, container=False)),
        "a damaged EPUB: it has no META-INF/container.xml",
    ),
    (
        "deep-container.epub",
        zip_with({"mimetype": "application/epub+zip", "META-INF/container.xml": "<c>" * 300}),
        "META-INF/container.xml nests elements more than 256 levels deep, "
        "which EPUB software never does",
    ),
    (
        "wrong-type.epub",
        build_epub(Book({"c.xhtml": OK_CHAPTER}, mimetype="application/zip")),
        "not an EPUB: its mimetype is 'application/zip', not 'application/epub+zip'",
    ),
    (
        "no-opf.epub",
        without(build_epub(Book({"c.xhtml": OK_CHAPTER})), "OEBPS/content.opf"),
        "a damaged EPUB: it has no OEBPS/content.opf",
    ),
    (
        "missing-chapter.epub",
        without(build_epub(Book({"c.xhtml": OK_CHAPTER, "d.xhtml": OK_CHAPTER})), "OEBPS/d.xhtml"),
        "a damaged EPUB: its spine names OEBPS/d.xhtml, not in it",
    ),
    (
        "empty-spine.epub",
        build_epub(Book({"c.xhtml": OK_CHAPTER}, spine=[])),
        "the EPUB's spine lists no XHTML documents",
    ),
    (
        "long-spine.epub",
        build_epub(Book({"c.xhtml": OK_CHAPTER}, spine=["c.xhtml"] * 10_001)),
        "the EPUB's spine lists 10,001 documents (limit 10,000)",
    ),
    (
        "entities.epub",
        build_epub(Book({"c.xhtml": xhtml("<p>&e;</p>", '<!DOCTYPE html [<!ENTITY e "x">]>')})),
        "OEBPS/c.xhtml declares entities in its DTD, which EPUB forbids: refused",
    ),
    (
        "drm.epub",
        build_epub(
            Book(
                {"c.xhtml": OK_CHAPTER},
                extra={
                    "META-INF/encryption.xml": b'<encryption xmlns:enc="http://www.w3.org/2001/04/xmlenc#">'
                    b'<enc:EncryptedData><enc:CipherData><enc:CipherReference URI="OEBPS/c.xhtml"/>'
                    b"</enc:CipherData></enc:EncryptedData></encryption>"
                },
            )
        ),
        "the EPUB is encrypted (DRM) and its text cannot be read",
    ),
    (
        "bomb.epub",
        bomb({"mimetype": "application/epub+zip"}, "OEBPS/c.xhtml"),
        "archive would unpack to 250 MB",
    ),
]


@pytest.mark.parametrize(("name", "data", "problem"), BAD, ids=[case[0] for case in BAD])
def test_a_bad_odt_or_epub_is_one_clear_error(
    tmp_path: Path, name: str, data: bytes, problem: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(DocumentError) as raised:
        read_document(path)
    assert problem in raised.value.problem
    assert "\n" not in raised.value.problem


def test_epub_text_is_capped_like_an_html_document(tmp_path: Path) -> None:
    chapters = {f"c{n}.xhtml": xhtml("<p>" + "word " * 60_000 + "</p>") for n in range(4)}
    path = write(tmp_path, "long.epub", build_epub(Book(chapters)))
    assert len(parts(path).body) == 4
    with pytest.raises(DocumentError, match="the EPUB's documents hold over 1 MB of XHTML"):
        read_document(path, Limits(max_bytes=2**20))


def test_a_huge_run_of_spaces_costs_nothing(tmp_path: Path) -> None:
    body = ['<text:p>Wide<text:s text:c="1000000000"/>gap https://a.kz/1</text:p>']
    (paragraph,) = parts(write(tmp_path, "spaces.odt", build_odt(body))).body
    assert paragraph == "Wide" + " " * 100 + "gap https://a.kz/1"


# --- through the CLI ----------------------------------------------------------------------------


def counts(database_url: str) -> tuple[int, ...]:
    database = Database(database_url)
    with database.session() as session:
        result = tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Document, Citation, Target)
        )
    database.dispose()
    return result


def test_citewatch_add_reads_an_odt(
    cli_env: Path, capsys: pytest.CaptureFixture[str], made: Callable[[str], Path]
) -> None:
    assert main(["add", str(made("briefing.odt"))]) == 0
    out = capsys.readouterr().out
    assert "Added document 1 (revision 1): Briefing paper for EU-Kazakhstan human rights" in out
    assert "116 notes, 134 citations, 112 unique targets on 42 hosts" in out
    assert main(["add", str(made("briefing-asides.epub"))]) == 0
    assert "116 notes, 134 citations, 112 unique targets on 42 hosts" in capsys.readouterr().out
    assert main(["documents", "--format", "json"]) == 0
    documents = json.loads(capsys.readouterr().out)
    assert [(d["format"], d["notes"], d["citations"]) for d in documents] == [
        ("odt", 116, 134),
        ("epub", 116, 134),
    ]


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument\0".encode("utf-16-le")
RTF = rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}} See https://vlast.kz/novosti/1.html\par}"
LEGACY = [
    ("report.doc", OLE, "a Word 97–2003 .doc file: save it as DOCX or PDF and add that"),
    ("report.rtf", RTF, "an RTF file: save it as DOCX or PDF and add that"),
    ("rtf-inside.txt", RTF, "an RTF file: save it as DOCX or PDF and add that"),
    ("doc-inside.odt", OLE, "a Word 97–2003 .doc file: save it as DOCX or PDF and add that"),
]


@pytest.mark.parametrize(("name", "data", "problem"), LEGACY, ids=[case[0] for case in LEGACY])
def test_citewatch_add_refuses_doc_and_rtf_and_stores_nothing(
    cli_env: Path,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    data: bytes,
    problem: str,
) -> None:
    assert main(["add", str(EXAMPLE)]) == 0
    before = counts(database_url)
    capsys.readouterr()
    path = write(tmp_path, name, data)

    assert main(["add", str(path)]) == EXIT_DOCUMENT

    captured = capsys.readouterr()
    assert captured.err.strip() == f"citewatch: error: {path}: {problem}"
    assert captured.out == ""
    assert counts(database_url) == before
