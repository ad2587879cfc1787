"""Telegram's web preview read: a channel's posts, a single post's page, and what is archived."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.telegram import (
    channel_preview_url,
    is_telegram_post,
    parse_channel_page,
    parse_post_page,
    parse_views,
    telegram_channels,
    telegram_text,
)
from archive.text import extract_text
from models.kinds import Extraction
from tests.support.telegram import (
    CHANNEL_TITLE,
    POST_TEXTS,
    PREVIEW_URL,
    channel_page,
    fixture,
    post_page,
)
from watch.listings import ListingError, read_listing

CDN = "https://cdn4.telesco.pe/file/"


def test_a_channel_page_gives_each_post_with_text_date_views_and_media() -> None:
    posts = {post.post_id: post for post in parse_channel_page(channel_page(), PREVIEW_URL)}
    assert list(posts) == [1841, 1842, 1843, 1844, 1846]  # page order; 1845 is a service message
    assert {i: p.text for i, p in posts.items()} == {i: POST_TEXTS[i] for i in posts}
    arrest = posts[1842]
    assert arrest.url == "https://t.me/erkindik_kz/1842"
    assert arrest.published == datetime(2025, 1, 18, 6, 12, 41, tzinfo=UTC)
    assert arrest.published.utcoffset() is not None
    assert arrest.views == 1200  # "1.2K"
    assert arrest.media == [f"{CDN}Jw7yP2sQ9kLm4nB6vC1xZ3aD5fG8hJ0kL2mN4pQ6rS8tU.jpg"]
    assert arrest.channel_title == CHANNEL_TITLE
    assert arrest.headline == arrest.text.split("\n")[0]
    assert [posts[i].views for i in (1841, 1843, 1844, 1846)] == [845, 12500, 3400, 980]
    assert posts[1843].media == [
        f"{CDN}5f3a9c1e7b2d.mp4?token=Qm9vZ2xlZ29vZ2xlX3Rva2VuX2Zvcl90ZXN0cw"
    ]
    assert posts[1844].media == ["https://t.me/erkindik_kz/1844?single"]  # the PDF
    assert posts[1846].media == [  # an album: both photos, quoted either way in the CSS
        f"{CDN}Ab1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5.jpg",
        f"{CDN}Ef6gH7iJ8kL9mN0oP1qR2sT3uV4wX5yZ6aB7cD8eF9gH0.jpg",
    ]
    assert posts[1846].author == "Айгүл Смағұлова"  # a signed post
    assert posts[1841].links == ["https://almaty.gov.kz/roads/2025"]  # not the #hashtag search


def test_the_older_page_and_a_later_post_are_read_too() -> None:
    older = parse_channel_page(fixture("channel-before-1841.html"), f"{PREVIEW_URL}?before=1841")
    assert [(p.post_id, p.text) for p in older] == [(i, POST_TEXTS[i]) for i in (1838, 1839, 1840)]
    assert older[2].links == ["https://vlast.kz/novosti/63012-zakon-o-smi.html"]
    later = parse_channel_page(channel_page(later=True), PREVIEW_URL)[-1]
    assert (later.post_id, later.text, later.views) == (1848, POST_TEXTS[1848], 1500)


def test_a_channel_as_a_source_lists_posts_newest_first_and_the_page_before() -> None:
    listing = read_listing("telegram", channel_page().encode(), PREVIEW_URL, "text/html")
    assert [e.url.rsplit("/", 1)[1] for e in listing.entries] == [
        "1846",
        "1844",
        "1843",
        "1842",
        "1841",
    ]
    arrest = listing.entries[3]
    assert arrest.published == "2025-01-18T06:12:41+00:00"
    assert arrest.title is not None and arrest.title.endswith("Темирлана Енсебека.")
    assert listing.older == "https://t.me/s/erkindik_kz?before=1841"
    with pytest.raises(ListingError, match="not a Telegram channel"):
        read_listing("telegram", b"<html><body><p>Hello</p></body></html>", PREVIEW_URL)


def test_a_single_post_page_gives_the_post_from_its_open_graph_tags() -> None:
    post = parse_post_page(fixture("post-1842.html"), "https://t.me/erkindik_kz/1842")
    assert post is not None
    assert (post.channel, post.post_id, post.url) == (
        "erkindik_kz",
        1842,
        "https://t.me/erkindik_kz/1842",
    )
    assert post.text == POST_TEXTS[1842]  # the empty line between paragraphs kept
    assert post.channel_title == CHANNEL_TITLE
    assert post.published is None and post.views is None  # not on this page


def test_a_post_read_from_a_channel_page_opened_at_it() -> None:
    post = parse_post_page(channel_page(), "https://t.me/s/erkindik_kz/1843")
    assert post is not None and post.post_id == 1843
    assert post.published == datetime(2025, 1, 19, 10, 5, tzinfo=UTC)


def test_an_archived_post_page_is_extracted_as_the_post_not_the_page() -> None:
    page = post_page(1848).encode()
    extracted = extract_text(page, "text/html; charset=utf-8", "https://t.me/erkindik_kz/1848")
    assert extracted.status == Extraction.OK
    assert extracted.text == POST_TEXTS[1848]
    assert extracted.title == "Темірлан Еңсебекке қатысты қылмыстық іс сотқа жіберілді."
    assert extracted.author == CHANNEL_TITLE
    assert extracted.language == "kk"
    elsewhere = extract_text(page, "text/html; charset=utf-8", "https://example.org/copy.html")
    assert elsewhere.text != POST_TEXTS[1848]  # only a Telegram post URL is read as one


def test_pages_that_show_no_post_are_left_to_the_general_extraction() -> None:
    channel_home = "<html><head><meta property='og:description' content='About us'></head></html>"
    assert telegram_text("https://t.me/erkindik_kz/1842", channel_home) is None
    assert telegram_text("https://t.me/s/erkindik_kz", channel_page()) is None
    assert telegram_text("https://vlast.kz/novosti/1842", fixture("post-1842.html")) is None


@pytest.mark.parametrize(
    ("shown", "views"),
    [
        ("845", 845),
        ("1K", 1000),
        ("1.2K", 1200),
        ("12.5K", 12500),
        ("3M", 3_000_000),
        ("1.05M", 1_050_000),
        ("1,2K", 1200),
        (" 7 ", 7),
        ("", None),
        ("views", None),
    ],
)
def test_view_counters(shown: str, views: int | None) -> None:
    assert parse_views(shown) == views


@pytest.mark.parametrize(
    ("url", "post", "preview"),
    [
        ("https://t.me/erkindik_kz/1842", True, "https://t.me/s/erkindik_kz"),
        ("t.me/erkindik_kz/1842?single", True, "https://t.me/s/erkindik_kz"),
        ("https://t.me/s/erkindik_kz/1842", True, "https://t.me/s/erkindik_kz"),
        ("https://telegram.me/erkindik_kz/5", True, "https://t.me/s/erkindik_kz"),
        ("https://t.me/erkindik_kz", False, "https://t.me/s/erkindik_kz"),
        ("https://t.me/s/erkindik_kz?before=1841", False, "https://t.me/s/erkindik_kz"),
        ("https://t.me/c/1933456789/17", False, None),  # a private channel's post
        ("https://t.me/share/url?url=https://vlast.kz", False, None),
        ("https://t.me/joinchat/AAAAAEs2", False, None),
        ("https://t.me/erkindik_kz/about", False, None),
        ("https://vlast.kz/erkindik_kz/1842", False, None),
    ],
)
def test_telegram_addresses(url: str, post: bool, preview: str | None) -> None:
    assert is_telegram_post(url) is post
    assert channel_preview_url(url) == preview


def test_a_sites_own_channel_is_found_among_its_links() -> None:
    home = """<html><body><a href="https://t.me/share/url?url=x">Share</a>
    <a href="https://t.me/vlastkz">Telegram</a><a href="https://t.me/vlastkz/1200">A post</a>
    <a href="https://t.me/vlast_feedback_bot">Write to us</a><a href="/about">About</a></body></html>"""
    assert telegram_channels(home, "https://vlast.kz/") == ["https://t.me/s/vlastkz"]
