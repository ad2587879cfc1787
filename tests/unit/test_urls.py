"""Finding URLs in note text, the way reports write them."""

from __future__ import annotations

import pytest

from citations.urls import continues_url, find_urls


def urls(text: str) -> list[str]:
    return [found.url for found in find_urls(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See <https://monitor.civicus.org/>", ["https://monitor.civicus.org/"]),
        ("report available at https://bureau.kz/ru_final.pdf.", ["https://bureau.kz/ru_final.pdf"]),
        ("(see https://x.kz/a), and", ["https://x.kz/a"]),
        ("«https://x.kz/a»", ["https://x.kz/a"]),
        ("“https://x.kz/a”;", ["https://x.kz/a"]),
        (
            "https://en.wikipedia.org/wiki/Kazakh_(language).",
            ["https://en.wikipedia.org/wiki/Kazakh_(language)"],
        ),
        ("*https://x.kz/a*", ["https://x.kz/a"]),
        (
            "media article: exclusive.kz/verhovnyj-sud-otkazal/",
            ["exclusive.kz/verhovnyj-sud-otkazal/"],
        ),
        ("visit www.zakon.kz/obshestvo/1.html today", ["www.zakon.kz/obshestvo/1.html"]),
        (
            "[https://iphronline.org/countries/kazakhstan/?mark\\[\\]=civicus-monitor]"
            "(https://iphronline.org/countries/kazakhstan/?mark[]=civicus-monitor)",
            ["https://iphronline.org/countries/kazakhstan/?mark[]=civicus-monitor"],
        ),
        (
            "<https://a.kz/1>, <https://b.kz/2>; and https://c.kz/3",
            ["https://a.kz/1", "https://b.kz/2", "https://c.kz/3"],
        ),
        ("https://a.kz/1 and again https://a.kz/1", ["https://a.kz/1", "https://a.kz/1"]),
        (
            "<https://vlast.kz/63564.html#:~:text=%D0%92%20%D1%87,%D0%BE%D0%B2>",
            ["https://vlast.kz/63564.html#:~:text=%D0%92%20%D1%87,%D0%BE%D0%B2"],
        ),
        (
            "https://ru.wikipedia.org/wiki/Казахстан, see",
            ["https://ru.wikipedia.org/wiki/Казахстан"],
        ),
        ("https://x.kz/a\\_b", ["https://x.kz/a_b"]),
    ],
)
def test_urls_as_written(text: str, expected: list[str]) -> None:
    assert urls(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "See Kaktus.media article from 17 January 2025",
        "Email: IPHR@IPHRonline.org",
        "and/or the U.S./EU position",
        "file report.docx/ draft",
        "[12] and [^3]",
        "version 1.2/3",
    ],
)
def test_no_false_urls(text: str) -> None:
    assert urls(text) == []


def test_markdown_link_keeps_its_text_when_it_is_not_the_url() -> None:
    (found,) = find_urls("see [the ruling](https://adilet.zan.kz/rus/docs/V2400034967)")
    assert found.url == "https://adilet.zan.kz/rus/docs/V2400034967"
    assert found.link_text == "the ruling"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A converter broke the URL after a hyphen and put the rest in a new paragraph.
        (
            "<https://iphronline.org/articles/media-accreditation->\n\nrules-and-measures/, <https://b.kz/x>",
            [
                "https://iphronline.org/articles/media-accreditation-rules-and-measures/",
                "https://b.kz/x",
            ],
        ),
        (
            "https://vlast.kz/novosti/58280-v-sudy-\nnapravleny.html",
            ["https://vlast.kz/novosti/58280-v-sudy-napravleny.html"],
        ),
        (
            "https://vlast.kz/novosti/\n58280-v-sudy.html",
            ["https://vlast.kz/novosti/58280-v-sudy.html"],
        ),
        ("https://x.kz/doc?id=\n12&lang=ru", ["https://x.kz/doc?id=12&lang=ru"]),
        ("<https://x.kz/very/long\n/path>", ["https://x.kz/very/long/path"]),
        # A complete URL followed by an ordinary sentence stays as it is.
        ("<https://bureau.kz/en/>\n\nTable of contents", ["https://bureau.kz/en/"]),
        ("https://bureau.kz/en/\nSee also the annex", ["https://bureau.kz/en/"]),
        ("https://bureau.kz/en/\nwell-known sources", ["https://bureau.kz/en/"]),
        ("https://a.kz/x-\nhttps://b.kz/y", ["https://a.kz/x-", "https://b.kz/y"]),
    ],
)
def test_urls_broken_across_lines_are_joined(text: str, expected: list[str]) -> None:
    assert urls(text) == expected


def test_continuation_check_used_for_paragraphs() -> None:
    assert continues_url("see <https://x.kz/media-accreditation->", "rules-and-measures/, more")
    assert not continues_url("see <https://x.kz/media/>", "Next paragraph of the body.")
    assert not continues_url("no link here", "rules-and-measures/")
