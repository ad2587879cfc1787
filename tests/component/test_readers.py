"""Format readers on small documents written the ways real tools write them."""

from __future__ import annotations

from pathlib import Path

from citations.document import read_document
from citations.extract import extract_citations
from tests.support.docx import build_docx, field_link, footnote_ref, hyperlink, note, paragraph, run


def cite(path: Path) -> list[tuple[str | None, str, str | None]]:
    result = extract_citations(read_document(path).parts)
    return [(c.footnote, c.url, c.link_text) for c in result.citations]


def contexts(path: Path) -> dict[str | None, str]:
    return {c.footnote: c.context for c in extract_citations(read_document(path).parts).citations}


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --- DOCX -------------------------------------------------------------------------------------


def test_docx_footnote_with_a_hyperlink_only_in_the_relationships(tmp_path: Path) -> None:
    docx = build_docx(
        body=[paragraph(run("The court upheld the sentence."), footnote_ref(2))],
        footnotes=[note(2, paragraph(run("See "), hyperlink("rId7", "the ruling"), run(".")))],
        note_links={"rId7": "https://adilet.zan.kz/rus/docs/V2400034967"},
    )
    path = write(tmp_path, "ruling.docx", docx)
    assert cite(path) == [("1", "https://adilet.zan.kz/rus/docs/V2400034967", "the ruling")]
    assert contexts(path)["1"] == "The court upheld the sentence."


def test_docx_field_code_hyperlinks_and_custom_marks(tmp_path: Path) -> None:
    docx = build_docx(
        body=[
            paragraph(run("First claim."), footnote_ref(5)),
            paragraph(run("Second claim."), footnote_ref(6, custom="*")),
            paragraph(run("Third claim."), footnote_ref(7)),
        ],
        footnotes=[
            note(
                5,
                paragraph(
                    field_link("https://vlast.kz/novosti/1.html", "https://vlast.kz/novosti/1.html")
                ),
            ),
            note(6, paragraph(run("Source: https://orda.kz/2/"))),
            note(7, paragraph(run("Ibid."))),
        ],
    )
    path = write(tmp_path, "fields.docx", docx)
    result = extract_citations(read_document(path).parts)
    assert [(c.footnote, c.url, c.refers_to) for c in result.citations] == [
        ("1", "https://vlast.kz/novosti/1.html", None),
        ("*", "https://orda.kz/2/", None),
        ("2", "https://orda.kz/2/", "*"),
    ]


def test_docx_endnotes_default_to_roman_numbers_and_follow_settings(tmp_path: Path) -> None:
    body = [
        paragraph(run("A."), footnote_ref(1, "endnote"), run(" B."), footnote_ref(2, "endnote"))
    ]
    endnotes = [
        note(1, paragraph(run("https://a.kz/1")), kind="endnote"),
        note(2, paragraph(run("https://b.kz/2")), kind="endnote"),
    ]
    roman = write(tmp_path, "roman.docx", build_docx(body, endnotes=endnotes))
    assert [c[0] for c in cite(roman)] == ["i", "ii"]
    numbered = build_docx(
        body,
        endnotes=endnotes,
        settings='<w:endnotePr><w:numFmt w:val="decimal"/><w:numStart w:val="10"/></w:endnotePr>',
    )
    assert [c[0] for c in cite(write(tmp_path, "numbered.docx", numbered))] == ["10", "11"]


def test_docx_footnotes_and_endnotes_together(tmp_path: Path) -> None:
    docx = build_docx(
        body=[paragraph(run("A."), footnote_ref(3), run(" B."), footnote_ref(4, "endnote"))],
        footnotes=[note(3, paragraph(run("https://foot.kz/1")))],
        endnotes=[note(4, paragraph(run("https://end.kz/1")), kind="endnote")],
    )
    assert cite(write(tmp_path, "both.docx", docx)) == [
        ("1", "https://foot.kz/1", None),
        ("i", "https://end.kz/1", None),
    ]


def test_docx_without_real_notes_reads_superscript_numbers(tmp_path: Path) -> None:
    docx = build_docx(
        body=[
            paragraph(run("Activists were detained."), run("12", superscript=True)),
            paragraph(
                run("12", superscript=True),
                run(" "),
                hyperlink("rId3", "https://rus.azattyq.org/a/33143196.html"),
            ),
        ],
        body_links={"rId3": "https://rus.azattyq.org/a/33143196.html"},
        title="Manual notes",
    )
    path = write(tmp_path, "manual.docx", docx)
    assert cite(path) == [("12", "https://rus.azattyq.org/a/33143196.html", None)]
    assert contexts(path)["12"] == "Activists were detained."
    assert read_document(path).parts.title == "Manual notes"


# --- HTML -------------------------------------------------------------------------------------


WORD_HTML = """<html><head><meta charset="windows-1251"><title>Доклад</title></head><body>
<p>Суд арестовал блогера.<a style='mso-footnote-id:ftn1' href="#_ftn1" name="_ftnref1"><span class=MsoFootnoteReference>[1]</span></a>
Его защитники не согласны.<a href="#_ftn2" name="_ftnref2"><sup>[2]</sup></a></p>
<div style='mso-element:footnote-list'><br clear=all><hr align=left size=1 width="33%">
<div style='mso-element:footnote' id=ftn1><p class=MsoFootnoteText><a href="#_ftnref1" name="_ftn1">[1]</a>
<a href="https://vlast.kz/novosti/63501-sud-arestoval.html">https://vlast.kz/novosti/63501-sud-arestoval.html</a></p></div>
<div style='mso-element:footnote' id=ftn2><p class=MsoFootnoteText><a href="#_ftnref2" name="_ftn2">[2]</a>
См. <a href="https://bureau.kz/novosti/satira-ne-prestuplenie/">заявление КМБПЧ</a></p>
<p class=MsoFootnoteText>и https://kaztag.kz/ru/news/ugolovnoe-delo</p></div></div></body></html>"""


def test_html_saved_by_word_in_windows_1251(tmp_path: Path) -> None:
    path = write(tmp_path, "doklad.html", WORD_HTML.encode("cp1251"))
    assert cite(path) == [
        ("1", "https://vlast.kz/novosti/63501-sud-arestoval.html", None),
        ("2", "https://bureau.kz/novosti/satira-ne-prestuplenie/", "заявление КМБПЧ"),
        ("2", "https://kaztag.kz/ru/news/ugolovnoe-delo", None),
    ]
    assert contexts(path)["1"] == "Суд арестовал блогера."
    assert read_document(path).parts.title == "Доклад"


def test_html_with_a_lying_charset_declaration(tmp_path: Path) -> None:
    utf8_declared_latin1 = WORD_HTML.replace("windows-1251", "iso-8859-1").encode("utf-8")
    assert (
        contexts(write(tmp_path, "lying.html", utf8_declared_latin1))["1"]
        == "Суд арестовал блогера."
    )
    cp1251_declared_utf8 = WORD_HTML.replace("windows-1251", "utf-8").encode("cp1251")
    assert (
        contexts(write(tmp_path, "lying2.html", cp1251_declared_utf8))["1"]
        == "Суд арестовал блогера."
    )


def test_html_google_docs_export(tmp_path: Path) -> None:
    page = """<html><body><p><span>Police detained him</span><sup><a href="#ftnt1" id="ftnt_ref1">[1]</a></sup><span>.</span></p>
    <hr><div><p><a href="#ftnt_ref1" id="ftnt1">[1]</a><span>&nbsp;</span><span><a href="https://www.google.com/url?q=https://orda.kz/x/&amp;sa=D">https://orda.kz/x/</a></span></p></div></body></html>"""
    assert cite(write(tmp_path, "gdocs.html", page)) == [
        ("1", "https://www.google.com/url?q=https://orda.kz/x/&sa=D", "https://orda.kz/x/")
    ]


def test_html_with_superscript_numbers_and_no_links(tmp_path: Path) -> None:
    page = """<html><body><p>Detained in Almaty.<sup>3</sup></p>
    <h2>Notes</h2><p><sup>3</sup> Available at https://tengrinews.kz/kazakhstan_news/1/</p></body></html>"""
    path = write(tmp_path, "plain.html", page)
    assert cite(path) == [("3", "https://tengrinews.kz/kazakhstan_news/1/", None)]
    assert contexts(path)["3"] == "Detained in Almaty."


# --- text encodings ---------------------------------------------------------------------------


def test_windows_1251_text_file(tmp_path: Path) -> None:
    text = "Блогер задержан в Алматы [1]. Суд продлил арест.\n\n[1] Источник: https://vlast.kz/novosti/1.html\n"
    path = write(tmp_path, "zametka.txt", text.encode("cp1251"))
    assert cite(path) == [("1", "https://vlast.kz/novosti/1.html", None)]
    assert contexts(path)["1"] == "Блогер задержан в Алматы."


def test_utf16_text_file_with_bom(tmp_path: Path) -> None:
    text = "Detained.¹\n\n¹ https://vlast.kz/novosti/1.html\n"
    path = write(tmp_path, "utf16.txt", text.encode("utf-16"))
    assert cite(path) == [("1", "https://vlast.kz/novosti/1.html", None)]
