"""Article links out of RSS, Atom, sitemaps and listing pages, and what a site announces."""

from __future__ import annotations

import gzip
from urllib.parse import unquote

import pytest

from watch.listings import (
    ListingError,
    feeds_in_page,
    guess_kind,
    read_listing,
    sitemaps_in_robots,
)

SITE = "http://news.test:8080"
RSS = b"""<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel><title>\xcd\xee\xe2\xee\xf1\xf2\xe8</title>
<item><title>Old news</title><link>http://news.test:8080/news/1-old</link>
<pubDate>Mon, 06 Jan 2025 10:00:00 +0500</pubDate></item>
<item><title>\xd1\xf3\xe4 \xed\xe0\xe4 \xc5\xed\xf1\xe5\xe1\xe5\xea\xee\xec</title><link>/news/2-new</link>
<pubDate>Tue, 07 Jan 2025 10:00:00 +0500</pubDate></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Azattyq</title><id>x</id><updated>2025-01-08T00:00:00Z</updated>
<entry><title>\xd0\x95\xd2\xa3\xd1\x81\xd0\xb5\xd0\xb1\xd0\xb5\xd0\xba</title><id>1</id>
<link rel="alternate" href="http://news.test:8080/kk/a/3"/><updated>2025-01-08T00:00:00Z</updated></entry>
</feed>"""
SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://news.test:8080/a/1</loc><lastmod>2025-01-01</lastmod></url>
<url><loc>http://news.test:8080/a/2</loc><news:news><news:publication_date>2025-02-01</news:publication_date>
<news:title>Title from the news sitemap</news:title></news:news></url>
</urlset>"""
INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/sitemap-1.xml</loc></sitemap><sitemap><loc>/sitemap-2.xml</loc></sitemap></sitemapindex>"""


def test_rss_items_come_newest_first_with_titles_dates_and_absolute_links() -> None:
    listing = read_listing("feed", RSS, f"{SITE}/rss")
    assert [(e.url, e.title) for e in listing.entries] == [
        (f"{SITE}/news/2-new", "Суд над Енсебеком"),
        (f"{SITE}/news/1-old", "Old news"),
    ]
    assert listing.entries[0].published == "2025-01-07T05:00:00+00:00"


def test_atom_entries_are_read() -> None:
    [entry] = read_listing("feed", ATOM, f"{SITE}/atom").entries
    assert (entry.url, entry.title) == (f"{SITE}/kk/a/3", "Еңсебек")


@pytest.mark.parametrize("packed", [False, True])
def test_sitemaps_plain_or_gzipped_give_pages_newest_first(packed: bool) -> None:
    body = gzip.compress(SITEMAP) if packed else SITEMAP
    entries = read_listing("sitemap", body, f"{SITE}/sitemap.xml").entries
    assert [(e.url, e.title, e.published) for e in entries] == [
        (f"{SITE}/a/2", "Title from the news sitemap", "2025-02-01"),
        (f"{SITE}/a/1", None, "2025-01-01"),
    ]


def test_a_sitemap_index_names_further_sitemaps() -> None:
    listing = read_listing("sitemap", INDEX, f"{SITE}/sitemap.xml")
    assert listing.sitemaps == [f"{SITE}/sitemap-1.xml", f"{SITE}/sitemap-2.xml"]
    assert listing.entries == []


def test_sitemap_entities_are_not_expanded() -> None:
    hostile = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://news.test/a/&x;</loc></url></urlset>"""
    entries = read_listing("sitemap", hostile, f"{SITE}/sitemap.xml").entries
    assert [e.url for e in entries] == ["http://news.test/a/"]  # the file is not read in


def test_a_listing_page_gives_article_links_of_its_own_site_in_page_order() -> None:
    page = b"""<html><body><nav><a href="/">Home</a><a href="/about">About</a>
<a href="/login">Log in</a></nav>
<a href="/news/2025/01/20/yensebek-sentenced">A</a>
<a href="https://elsewhere.test/news/1/x">B</a>
<a href="/news/2025/01/19/court-hearing">C</a></body></html>"""
    entries = read_listing("page", page, f"{SITE}/news/").entries
    assert [e.url for e in entries] == [
        f"{SITE}/news/2025/01/20/yensebek-sentenced",
        f"{SITE}/news/2025/01/19/court-hearing",
    ]


def test_a_listing_page_in_windows_1251_keeps_its_cyrillic_links() -> None:
    page = '<html><body><a href="/новости/2025/суд-над-енсебеком">Суд</a></body></html>'
    entries = read_listing(
        "page", page.encode("cp1251"), f"{SITE}/news/", "text/html; charset=windows-1251"
    ).entries
    assert [unquote(e.url) for e in entries] == [f"{SITE}/новости/2025/суд-над-енсебеком"]


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("feed", b"<html><body>This is not a feed <<<"),
        ("sitemap", b"<html><body>not a sitemap</body></html>"),
        ("sitemap", b"\x1f\x8b\x08\x00broken gzip"),
    ],
)
def test_garbage_is_a_listing_error(kind: str, body: bytes) -> None:
    with pytest.raises(ListingError):
        read_listing(kind, body, f"{SITE}/x")


def test_the_kind_of_an_answer_is_guessed_from_its_content() -> None:
    assert guess_kind(RSS, "text/xml") == "feed"
    assert guess_kind(ATOM, None) == "feed"
    assert guess_kind(gzip.compress(SITEMAP), "application/octet-stream") == "sitemap"
    assert guess_kind(b"<html><body>hi</body></html>", "text/html") == "page"


def test_a_site_announces_its_feeds_and_sitemaps() -> None:
    home = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>'
    assert feeds_in_page(home, f"{SITE}/") == [f"{SITE}/rss.xml"]
    robots = "User-agent: *\nDisallow: /admin\nSitemap: http://news.test:8080/sitemap.xml\n"
    assert sitemaps_in_robots(robots, f"{SITE}/robots.txt") == [f"{SITE}/sitemap.xml"]
