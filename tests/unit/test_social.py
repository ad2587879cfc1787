"""Public metadata of social-network posts and YouTube videos (archive/social.py), and what the
extraction keeps of it (archive/text.py): the post's preview in place of a login wall's text,
still judged a login wall."""

from __future__ import annotations

import json
import re

import pytest

from archive.social import (
    PREVIEW_NOTE,
    VIDEO_NOTE,
    network_of,
    public_metadata,
    replaces_page_text,
    snapshot_fields,
)
from archive.text import extract_text
from health.verdicts import Observation, classify
from models.kinds import Extraction, Outcome, Verdict
from tests.support import FIXTURES
from tests.support.pages import YENSEBEK_RU, article_page

SOCIAL = FIXTURES / "social"
FACEBOOK_URL = "https://www.facebook.com/kibhr/posts/pfbid02uNVu8HtJ5ruNRDGCJkE2Mvga"
X_URL = "https://x.com/IPHRonline/status/1880958212263432480"
VIDEO = "q8Wd3bVxK2s"
YOUTUBE_URL = f"https://www.youtube.com/watch?v={VIDEO}"
FACEBOOK_TITLE = "Казахстанское международное бюро по правам человека"
FACEBOOK_TEXT = (
    "Медеуский районный суд Алматы санкционировал арест автора сатирического паблика Qaznews24 "
    "Темирлана Енсебека на два месяца. Бюро считает дело преследованием за сатиру и требует "
    "освободить..."
)
TWEET = (
    "Kazakhstan: satirist Temirlan Yensebek remanded in custody for two months over a song he "
    "shared in 2024. We call on the authorities to release him. https://t.co/3nQb4W7XyZ"
)
VIDEO_TITLE = "Дело Темирлана Енсебека: суд оставил блогера под арестом"
VIDEO_OPENING = "Медеуский районный суд Алматы оставил под арестом автора сатирического паблика"
VIDEO_ENDING = "Наш сайт: https://vlast.kz"  # past where every preview cuts the description


def page(name: str) -> str:
    return (SOCIAL / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("url", "network"),
    [
        ("https://www.facebook.com/kibhr/posts/pfbid02uNVu8", "facebook"),
        ("https://m.facebook.com/story.php?story_fbid=1&id=2", "facebook"),
        ("https://fb.watch/abc123/", "facebook"),
        ("https://www.instagram.com/p/C2xYzAbCdEf/", "instagram"),
        ("https://x.com/IPHRonline/status/1880958212263432480", "x"),
        ("https://mobile.twitter.com/IPHRonline/status/1880958212263432480", "x"),
        (f"https://www.youtube.com/watch?v={VIDEO}&t=42s", "youtube"),
        (f"https://m.youtube.com/watch?feature=share&v={VIDEO}", "youtube"),
        (f"https://youtu.be/{VIDEO}?si=Ab12", "youtube"),
        (f"https://www.youtube.com/shorts/{VIDEO}", "youtube"),
        (f"https://www.youtube.com/live/{VIDEO}", "youtube"),
        ("https://www.youtube.com/@vlastkz", None),  # a channel, not a video
        ("https://www.youtube.com/watch?v=short", None),
        ("https://www.youtube.com/", None),
        ("https://notfacebook.com/kibhr/posts/1", None),
        ("https://facebook.com.evil.kz/kibhr/posts/1", None),
        ("https://vlast.kz/novosti/63501.html", None),
    ],
)
def test_which_pages_are_posts_and_videos(url: str, network: str | None) -> None:
    assert network_of(url) == network


def test_a_facebook_login_wall_keeps_the_posts_open_graph_preview() -> None:
    metadata = public_metadata(FACEBOOK_URL, page("facebook-post-login-wall.html"))
    assert metadata is not None
    assert (metadata.network, metadata.title, metadata.description) == (
        "facebook",
        FACEBOOK_TITLE,
        FACEBOOK_TEXT,
    )
    assert metadata.image == (
        "https://scontent.fala4-1.fna.fbcdn.net/v/t39.30808-6/474158312_1042_n.jpg"
        "?stp=dst-jpg_s1080x2048&_nc_cat=104&oh=00_AYD&oe=67A1B2C3"
    )
    assert metadata.url == (
        "https://www.facebook.com/kibhr/posts/"
        "pfbid02uNVu8HtJ5ruNRDGCJkE2MvgaNMFeaB9kGLBHkSWyBcqM3ue5NhJ7vRkz1yvwA5Xrl"
    )
    assert (metadata.site_name, metadata.published) == ("Facebook", "2025-01-18T09:42:11+00:00")


def test_the_extracted_text_of_a_facebook_login_wall_is_the_preview_and_still_a_wall() -> None:
    wall = page("facebook-post-login-wall.html").encode()
    extracted = extract_text(wall, "text/html; charset=utf-8", FACEBOOK_URL)
    assert (extracted.status, extracted.title, extracted.text) == (
        Extraction.OK,
        FACEBOOK_TITLE,
        FACEBOOK_TEXT,
    )
    assert "Забыли аккаунт?" not in extracted.text  # the wall's own words are not the post
    assert (extracted.published, extracted.language) == ("2025-01-18T09:42:11+00:00", "ru")
    assert extracted.login_form
    assert extracted.note is not None and extracted.note.startswith(
        PREVIEW_NOTE + "; image: https://"
    )
    assert "logged-in capture" in PREVIEW_NOTE
    observed = Observation(
        Outcome.FETCHED, 200, FACEBOOK_URL, FACEBOOK_URL, extracted.title, extracted.text, True
    )
    assert classify(observed)[0] == Verdict.BLOCKED


def test_an_x_post_behind_a_script_shell_is_its_tweet_not_the_javascript_notice() -> None:
    extracted = extract_text(page("x-post.html").encode(), "text/html; charset=utf-8", X_URL)
    assert extracted.text == TWEET
    assert extracted.title is not None and extracted.title.startswith("IPHR on X:")
    assert (extracted.author, extracted.language) == ("@IPHRonline", "en")
    assert (extracted.note or "").startswith(PREVIEW_NOTE)
    assert not extracted.login_form
    metadata = public_metadata(X_URL, page("x-post.html"))
    assert metadata is not None
    assert metadata.image == "https://pbs.twimg.com/media/GhmX4kWXAAAsd2q.jpg:large"
    assert metadata.site_name == "X (formerly Twitter)"


def test_twitter_card_tags_stand_in_for_missing_open_graph() -> None:
    card = (
        "<html><head><title>Instagram</title>"
        '<meta name="twitter:title" content="KIBHR (@kibhr_kz) • Instagram">'
        '<meta name="twitter:description" content="Пикет у здания суда в Алматы.">'
        '<meta name="twitter:image" content="/media/c2xyz.jpg">'
        "</head><body><div id='root'></div></body></html>"
    )
    metadata = public_metadata("https://www.instagram.com/p/C2xYzAbCdEf/", card)
    assert metadata is not None
    assert (metadata.title, metadata.description, metadata.image) == (
        "KIBHR (@kibhr_kz) • Instagram",
        "Пикет у здания суда в Алматы.",
        "https://www.instagram.com/media/c2xyz.jpg",  # made absolute
    )


def test_a_preview_keeps_no_address_but_http_and_https() -> None:
    hostile = (
        '<html><head><meta property="og:title" content="Пост">'
        '<meta property="og:image" content="javascript:alert(document.cookie)">'
        '<meta property="og:url" content="data:text/html,&lt;script&gt;">'
        "</head><body></body></html>"
    )
    metadata = public_metadata(FACEBOOK_URL, hostile)
    assert metadata is not None and metadata.title == "Пост"
    assert (metadata.image, metadata.url) == (None, None)


def test_a_page_that_shows_the_post_keeps_its_own_text() -> None:
    """A logged-in capture (crawl.cookies): the post is on the page, with more than the preview."""
    post = " ".join(YENSEBEK_RU.paragraphs)
    shown = (
        '<html lang="ru"><head><title>Facebook</title>'
        f'<meta property="og:title" content="{FACEBOOK_TITLE}">'
        f'<meta property="og:description" content="{post[:150]}...">'
        f"</head><body><main><h1>{FACEBOOK_TITLE}</h1>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in YENSEBEK_RU.paragraphs)
        + "</main></body></html>"
    )
    extracted = extract_text(shown.encode(), "text/html; charset=utf-8", FACEBOOK_URL)
    assert extracted.note is None
    assert YENSEBEK_RU.paragraphs[-1] in extracted.text


@pytest.mark.parametrize(
    ("text", "login_form", "replaced"),
    [
        ("", False, True),  # nothing on the page
        ("Войдите, чтобы продолжить", True, True),  # a login wall, whatever it says
        ("JavaScript is not available. Please enable JavaScript.", False, True),
        (f"Posted by KIBHR\n{TWEET}\n12 replies", False, False),  # the post is on the page
        (f"{TWEET.upper()}   and more", False, False),  # case and spacing do not matter
    ],
)
def test_when_a_preview_replaces_a_posts_page_text(
    text: str, login_form: bool, replaced: bool
) -> None:
    metadata = public_metadata(X_URL, page("x-post.html"))
    assert metadata is not None
    assert replaces_page_text(metadata, text, login_form) is replaced


def test_pages_of_other_sites_are_left_to_trafilatura() -> None:
    article = article_page(YENSEBEK_RU)
    assert public_metadata("https://vlast.kz/novosti/63501.html", article) is None
    extracted = extract_text(article.encode(), "text/html", "https://vlast.kz/novosti/63501.html")
    assert extracted.note is None and extracted.title == YENSEBEK_RU.title


def without_player(html: str) -> str:
    """The watch page without the player's JSON."""
    return re.sub(r"var ytInitialPlayerResponse = .*?;var meta", "var meta", html, flags=re.S)


def microdata_only(html: str) -> str:
    """The watch page with neither Open Graph, Twitter card, title tag nor the player's JSON."""
    html = without_player(html)
    html = re.sub(r'<meta (?:property="og:|name="twitter:|name="title")[^>]*>', "", html)
    return re.sub(r"<title>.*?</title>", "", html)


def author_first(html: str) -> str:
    """microdata_only, with the channel's item (its own itemprop="name") before the video's."""
    html = microdata_only(html)
    author = re.search(r'<span itemprop="author".*?</span>', html, flags=re.S)
    assert author is not None
    html = html.replace(author.group(0), "")
    return html.replace('<link itemprop="url"', author.group(0) + '<link itemprop="url"', 1)


def json_ld_only(html: str) -> str:
    """The watch page with its metadata in a JSON-LD VideoObject (in an @graph, as some pages
    put it) and nowhere else."""
    video = {
        "@type": "VideoObject",
        "name": VIDEO_TITLE,
        "description": f"{VIDEO_OPENING} (JSON-LD).\n\n{VIDEO_ENDING}",
        "uploadDate": "2025-01-20",
        "author": [{"@type": "Person", "name": "Vlast.kz (JSON-LD)"}],
        "thumbnailUrl": [f"https://i.ytimg.com/vi/{VIDEO}/maxresdefault.jpg"],
    }
    script = json.dumps({"@context": "https://schema.org", "@graph": [video]})
    html = re.sub(r"<(?:meta|link) itemprop=[^>]*>", "", microdata_only(html))
    html = re.sub(r'<meta name="description"[^>]*>', "", html)
    return html.replace("</head>", f'<script type="application/ld+json">{script}</script></head>')


@pytest.mark.parametrize(
    ("variant", "description_has", "author", "published"),
    [
        (str, VIDEO_ENDING, "Vlast.kz", "2025-01-20T04:00:11-08:00"),  # the whole page
        (without_player, "...", "Vlast.kz", "2025-01-20T04:00:11-08:00"),  # cut-short copies
        (microdata_only, "...", "Vlast.kz", "2025-01-20T04:00:11-08:00"),
        (author_first, "...", "Vlast.kz", "2025-01-20T04:00:11-08:00"),
        (json_ld_only, "(JSON-LD)", "Vlast.kz (JSON-LD)", "2025-01-20"),
    ],
    ids=["player-json", "og-and-microdata", "microdata-only", "author-first", "json-ld"],
)
def test_a_youtube_watch_page_gives_title_channel_date_description_thumbnail(
    variant: object, description_has: str, author: str, published: str
) -> None:
    assert callable(variant)
    html = variant(page("youtube-watch.html"))
    metadata = public_metadata(YOUTUBE_URL, html)
    assert metadata is not None
    # The channel's <link itemprop="name"> (inside the author item) is not the video's name.
    assert metadata.title == VIDEO_TITLE
    assert (metadata.author, metadata.published) == (author, published)
    assert metadata.description is not None
    assert metadata.description.startswith(VIDEO_OPENING)
    assert description_has in metadata.description
    assert metadata.image == f"https://i.ytimg.com/vi/{VIDEO}/maxresdefault.jpg"
    assert (metadata.url, metadata.site_name) == (YOUTUBE_URL, "YouTube")


def test_a_youtube_video_is_stored_as_its_metadata_not_youtubes_menus() -> None:
    body = page("youtube-watch.html").encode()
    for url in (
        YOUTUBE_URL,
        f"https://youtu.be/{VIDEO}",
        f"https://www.youtube.com/shorts/{VIDEO}",
    ):
        extracted = extract_text(body, "text/html; charset=utf-8", url)
        assert (extracted.status, extracted.title, extracted.author) == (
            Extraction.OK,
            VIDEO_TITLE,
            "Vlast.kz",
        )
        assert extracted.published == "2025-01-20T04:00:11-08:00"
        assert extracted.text.startswith(VIDEO_OPENING) and extracted.text.endswith(VIDEO_ENDING)
        assert "\n\nАдвокат Жанара Балгабаева" in extracted.text  # paragraphs kept
        assert "Подписки" not in extracted.text
        assert extracted.language == "ru"
        assert (extracted.note or "").startswith(VIDEO_NOTE + "; image: https://")  # thumbnail


def test_broken_page_json_is_passed_over() -> None:
    html = page("youtube-watch.html").replace(
        "var ytInitialPlayerResponse = {", "var ytInitialPlayerResponse = {broken"
    )
    html = html.replace("</head>", '<script type="application/ld+json">{"@type": </script></head>')
    metadata = public_metadata(YOUTUBE_URL, html)
    assert metadata is not None and metadata.author == "Vlast.kz"
    assert metadata.description is not None and metadata.description.endswith("...")


def test_pages_without_a_title_or_description_give_nothing() -> None:
    assert (
        public_metadata(FACEBOOK_URL, "<html><head><title>Facebook</title></head></html>") is None
    )
    assert public_metadata(FACEBOOK_URL, "   ") is None
    assert public_metadata("https://vlast.kz/", page("facebook-post-login-wall.html")) is None


def test_what_the_snapshot_stores() -> None:
    metadata = public_metadata(FACEBOOK_URL, page("facebook-post-login-wall.html"))
    assert metadata is not None
    fields = snapshot_fields(metadata)
    assert (fields.title, fields.text, fields.author, fields.published) == (
        FACEBOOK_TITLE,
        FACEBOOK_TEXT,
        None,
        "2025-01-18T09:42:11+00:00",
    )
    assert fields.note == f"{PREVIEW_NOTE}; image: {metadata.image}" and metadata.image
