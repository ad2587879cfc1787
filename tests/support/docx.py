"""Build small, valid DOCX packages for reader tests (what Word writes, minus the styling)."""

from __future__ import annotations

import io
import zipfile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def paragraph(*runs: str) -> str:
    return f"<w:p>{''.join(runs)}</w:p>"


def run(text: str, superscript: bool = False) -> str:
    props = '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>' if superscript else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


def footnote_ref(note_id: int, kind: str = "footnote", custom: str | None = None) -> str:
    if custom:
        return f'<w:r><w:{kind}Reference w:customMarkFollows="1" w:id="{note_id}"/><w:t>{custom}</w:t></w:r>'
    return f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:{kind}Reference w:id="{note_id}"/></w:r>'


def hyperlink(rel_id: str, text: str) -> str:
    return f'<w:hyperlink r:id="{rel_id}">{run(text)}</w:hyperlink>'


def field_link(url: str, text: str) -> str:
    """A hyperlink written as a complex field, as older Word versions do."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> HYPERLINK "{url}" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"{run(text)}"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def note(note_id: int, *paragraphs: str, kind: str = "footnote") -> str:
    return f'<w:{kind} w:id="{note_id}">{"".join(paragraphs)}</w:{kind}>'


def rels(links: dict[str, str], extra: str = "") -> str:
    items = "".join(
        f'<Relationship Id="{rid}" Type="{REL}/hyperlink" Target="{url}" TargetMode="External"/>'
        for rid, url in links.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{REL_NS}">{extra}{items}</Relationships>'


def build_docx(
    body: list[str],
    footnotes: list[str] | None = None,
    endnotes: list[str] | None = None,
    body_links: dict[str, str] | None = None,
    note_links: dict[str, str] | None = None,
    settings: str = "",
    title: str | None = None,
) -> bytes:
    """A package with document.xml and, if given, footnotes.xml/endnotes.xml and their links."""
    separators = '<w:{k} w:type="separator" w:id="-1"><w:p/></w:{k}><w:{k} w:type="continuationSeparator" w:id="0"><w:p/></w:{k}>'
    doc_rels = ""
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="{MAIN}.document.main+xml"/></Types>',
        )
        package.writestr(
            "_rels/.rels",
            rels(
                {},
                f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>',
            ),
        )
        for kind, notes in (("footnote", footnotes), ("endnote", endnotes)):
            if notes is None:
                continue
            xml = f'<w:{kind}s xmlns:w="{W_NS}" xmlns:r="{R_NS}">{separators.format(k=kind)}{"".join(notes)}</w:{kind}s>'
            package.writestr(f"word/{kind}s.xml", xml)
            package.writestr(f"word/_rels/{kind}s.xml.rels", rels(note_links or {}))
            doc_rels += f'<Relationship Id="rId{kind}" Type="{REL}/{kind}s" Target="{kind}s.xml"/>'
        package.writestr("word/_rels/document.xml.rels", rels(body_links or {}, doc_rels))
        package.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{"".join(body)}</w:body></w:document>',
        )
        if settings:
            package.writestr(
                "word/settings.xml", f'<w:settings xmlns:w="{W_NS}">{settings}</w:settings>'
            )
        if title:
            package.writestr(
                "docProps/core.xml",
                f'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title></cp:coreProperties>',
            )
    return content.getvalue()
