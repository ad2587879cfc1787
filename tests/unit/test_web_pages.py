"""Reports on the web: the main content's notes and links, the site's chrome left out."""

from __future__ import annotations

import pytest

from citations.extract import extract_citations
from citations.readers.webpage import parse_web_page
from citations.web import is_web_address, web_format
from tests.support.reports import (
    Cited,
    cited,
    drupal_report,
    news_article,
    pandoc_report,
    site_page,
    wordpress_report,
)

PAGE = "https://ngo.example.org/reports/2025/yensebek/"
SITE = "https://ngo.example.org"
# Every link of the chrome in tests/support/reports.py, absolute: none is a citation.
CHROME_LINKS = {
    f"{SITE}/",
    f"{SITE}/reports/",
    f"{SITE}/news/",
    f"{SITE}/countries/kazakhstan/",
    f"{SITE}/about/",
    f"{SITE}/donate/",
    f"{SITE}/author/editor/",
    f"{SITE}/tag/freedom-of-expression/",
    f"{SITE}/tag/kazakhstan/",
    f"{SITE}/reports/2024/turkmenistan-briefing/",
    f"{SITE}/reports/2024/kyrgyzstan-media-law/",
    f"{SITE}/news/2024/12/hunger-strike/",
    f"{SITE}/news/2025/01/tokayev-amnesty/",
    f"{SITE}/privacy/",
    f"{SITE}/contact/",
    "https://www.facebook.com/sharer/sharer.php?u=x",
    "https://twitter.com/intent/tweet?url=x",
    "https://t.me/share/url?url=x",
    "https://commenter.example.org/",
    "https://twitter.com/ngo_example",
    "https://www.facebook.com/ngo.example",
}


def citations(page: str, url: str = PAGE) -> list[Cited]:
    """(note, URL, context, link text, refers to) of each citation, as `citewatch citations`
    lists them."""
    found = extract_citations(parse_web_page(page, url)).citations
    return [(c.footnote, c.url, c.context, c.link_text, c.refers_to) for c in found]


@pytest.mark.parametrize(
    ("page", "name"),
    [
        (pandoc_report(), "pandoc"),
        (wordpress_report(), "wordpress"),
        (drupal_report(), "drupal"),
        (news_article(), "article"),
    ],
    ids=["pandoc", "wordpress-easy-footnotes", "drupal-footnotes", "no-notes"],
)
def test_notes_and_links_of_the_main_content_are_the_citations(page: str, name: str) -> None:
    found = citations(page)
    assert found == cited(name, SITE)
    assert not CHROME_LINKS & {url for _, url, *_ in found}


def test_the_title_is_the_page_s_own_not_the_site_s() -> None:
    parts = parse_web_page(pandoc_report(site="IPHR"), PAGE)
    assert parts.title == "Kazakhstan: satirist detained as the crackdown on critics widens"
    assert [note.label for note in parts.notes] == ["1", "2", "3", "4"]
    assert parts.notes[0].text.startswith("Vlast.kz, “Суд арестовал")
    assert not any("Skip to content" in p or "Most read" in p for p in parts.body)


WORDPRESS_CLASSIC = """<div class="entry-content">
<p>The activist was detained.<sup class="footnote"><a href="https://ngo.example.org/reports/2025/yensebek/#footnote_0_77" id="identifier_0_77" class="footnote-link footnote-identifier-link" title="Orda.kz">1</a></sup> Police confirmed it.<sup class="footnote"><a href="#footnote_1_77" id="identifier_1_77" class="footnote-link footnote-identifier-link">2</a></sup></p>
<ol class="footnotes"><li id="footnote_0_77" class="footnote">Orda.kz, <a href="https://orda.kz/2025/01/17/detained/">report</a> [<a href="#identifier_0_77" class="footnote-link footnote-back-link">&#8617;</a>]</li>
<li id="footnote_1_77" class="footnote">Police statement, https://police.gov.kz/ru/news/123 [<a href="#identifier_1_77" class="footnote-link footnote-back-link">&#8617;</a>]</li></ol></div>"""
WORDPRESS_BLOCKS = """<div class="entry-content wp-block-post-content">
<p>The activist was detained.<sup data-fn="3e1f" class="fn"><a href="#3e1f" id="3e1f-link">1</a></sup> Police confirmed it.<sup data-fn="9a2c" class="fn"><a href="#9a2c" id="9a2c-link">2</a></sup></p>
<ol class="wp-block-footnotes"><li id="3e1f">Orda.kz, <a href="https://orda.kz/2025/01/17/detained/">report</a> <a href="#3e1f-link" aria-label="Jump to footnote reference 1">↩︎</a></li>
<li id="9a2c">Police statement, <a href="https://police.gov.kz/ru/news/123">https://police.gov.kz/ru/news/123</a> <a href="#9a2c-link" aria-label="Jump to footnote reference 2">↩︎</a></li></ol></div>"""
MODERN_FOOTNOTES = """<div class="entry-content">
<p>The activist was detained.<sup class="modern-footnotes-footnote " data-mfn="1" data-mfn-post-scope="000001"><a href="javascript:void(0)" role="button" aria-pressed="false" aria-describedby="mfn-content-000001-1">1</a></sup><span id="mfn-content-000001-1" role="tooltip" class="modern-footnotes-footnote__note" tabindex="0" data-mfn="1">Orda.kz, <a href="https://orda.kz/2025/01/17/detained/">report</a></span> Police confirmed it.<sup class="modern-footnotes-footnote " data-mfn="2"><a href="javascript:void(0)" role="button">2</a></sup><span id="mfn-content-000001-2" role="tooltip" class="modern-footnotes-footnote__note" data-mfn="2">Police statement, https://police.gov.kz/ru/news/123</span></p></div>"""


@pytest.mark.parametrize(
    "content",
    [WORDPRESS_CLASSIC, WORDPRESS_BLOCKS, MODERN_FOOTNOTES],
    ids=["ol-footnotes-full-url-refs", "block-editor", "modern-footnotes"],
)
def test_other_wordpress_footnotes(content: str) -> None:
    found = citations(site_page("KIBHR", "Detained", content))
    assert [(note, url, context) for note, url, context, *_ in found] == [
        ("1", "https://orda.kz/2025/01/17/detained/", "The activist was detained."),
        ("2", "https://police.gov.kz/ru/news/123", "Police confirmed it."),
    ]


def test_a_page_without_main_or_article_is_read_from_its_body_without_chrome() -> None:
    page = (
        '<html><head><base href="https://mirror.example.net/kz/"></head>'
        '<body><div id="page" class="site has-sidebar with-header">'
        '<div class="navbar"><a href="/">Home</a> <a href="/news/">News</a></div>'
        '<h1>Statement</h1><p>The verdict was condemned by <a href="statements/12.html">our '
        'partners</a> and <a href="https://osce.org/odihr/580000">the OSCE</a>.</p>'
        '<ul><li><a href="https://mirror.example.net/a">A</a></li><li><a href="/b">B</a></li>'
        '<li><a href="/c">C</a></li></ul>'
        '<ul><li><a href="https://adilet.zan.kz/rus/docs/K1400000226">Criminal Code</a></li>'
        '<li><a href="https://legalacts.egov.kz/npa/view?id=1">Draft law</a></li>'
        '<li><a href="https://ohchr.org/x">UN</a></li></ul>'
        '<div class="footer-links"><a href="https://mirror.example.net/about">About</a></div>'
        "</div></body></html>"
    )
    found = citations(page, "https://mirror.example.net/kz/statement.html")
    assert [(url, text) for _, url, _, text, _ in found] == [
        ("https://mirror.example.net/kz/statements/12.html", "our partners"),
        ("https://osce.org/odihr/580000", "the OSCE"),
        # A list of the site's own pages is a menu; a list of other sites' is cited.
        ("https://adilet.zan.kz/rus/docs/K1400000226", "Criminal Code"),
        ("https://legalacts.egov.kz/npa/view?id=1", "Draft law"),
        ("https://ohchr.org/x", "UN"),
    ]


def test_notes_kept_inside_a_footer_or_aside_are_read() -> None:
    page = site_page(
        "IPHR",
        "Report",
        '<p>Detained.<a href="#n1" id="r1">1</a></p>'
        '<footer class="article-footer"><aside class="footnotes">'
        '<p id="n1">1. https://vlast.kz/novosti/1.html <a href="https://twitter.com/intent/'
        'tweet?url=y">share</a></p></aside></footer>',
    )
    assert [(note, url) for note, url, *_ in citations(page)] == [
        ("1", "https://vlast.kz/novosti/1.html")
    ]


@pytest.mark.timeout(60)
def test_a_page_nested_deep_in_wrappers_named_like_chrome_is_read_in_one_pass() -> None:
    depth, count = 10_000, 50  # past libxml2's depth limit; chrome judged once per element
    refs = " ".join(f'claim {i}.<a href="#fn{i}">{i}</a>' for i in range(1, count + 1))
    notes = "".join(f'<li id="fn{i}">https://a.kz/{i}</li>' for i in range(1, count + 1))
    page = (
        "<html><body>"
        + '<div class="menu-wrapper has-sidebar">' * depth
        + f"<main><p>{refs}</p><ol>{notes}</ol></main>"
        + '<ul class="menu"><li><a href="/x">x</a></li></ul>' * 1_000
        + "</div>" * depth
        + "</body></html>"
    )
    found = extract_citations(parse_web_page(page, PAGE)).citations
    assert len(found) == count
    assert found[-1].footnote == str(count) and found[-1].url == f"https://a.kz/{count}"


@pytest.mark.parametrize(
    ("content_type", "head", "expected"),
    [
        ("text/html; charset=windows-1251", b"<p>", "html"),
        ("application/xhtml+xml", b"<?xml version='1.0'?><html>", "html"),
        ("application/pdf", b"%PDF-1.7", "pdf"),
        ("application/octet-stream", b"%PDF-1.4\n", "pdf"),  # a PDF offered as a download
        (None, b"\xef\xbb\xbf\n<!DOCTYPE html><html>", "html"),
        ("", b"<!-- generated -->\n<html lang='ru'>", "html"),
        ("text/plain", b"%PDF-1.5", "pdf"),  # the bytes say PDF
        ("text/plain", b"<html>", None),  # a text file that mentions a tag
        ("image/png", b"\x89PNG\r\n", None),
        ("application/rss+xml", b"<?xml version='1.0'?><rss>", None),
        (None, b"just text", None),
    ],
)
def test_what_a_fetched_body_is(content_type: str | None, head: bytes, expected: str) -> None:
    assert web_format(content_type, head) == expected


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("https://iphronline.org/report/", True),
        ("HTTP://vlast.kz/novosti/1.html", True),
        ("  https://x.kz/ ", True),
        ("briefing.pdf", False),
        ("./https:/x", False),
        ("ftp://x.kz/report.pdf", False),
        ("vlast.kz/novosti/1.html", False),  # a file of that name may exist: files first
    ],
)
def test_which_arguments_are_web_addresses(argument: str, expected: bool) -> None:
    assert is_web_address(argument) is expected
