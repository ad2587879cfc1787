"""Canonical URLs: what counts as the same cited resource."""

from __future__ import annotations

import pytest

from citations.canonical import TrackingRules, UrlError, canonical_url


@pytest.mark.parametrize(
    ("cited", "canonical"),
    [
        ("HTTPS://WWW.IPHRONline.org", "https://www.iphronline.org/"),
        ("https://vlast.kz:443/novosti/1.html", "https://vlast.kz/novosti/1.html"),
        ("http://vlast.kz:80/a", "http://vlast.kz/a"),
        ("http://vlast.kz:8080/a", "http://vlast.kz:8080/a"),
        ("https://vlast.kz/a.html#top", "https://vlast.kz/a.html"),
        (
            "https://vlast.kz/novosti/63564-sud.html#:~:text=%D0%92%20%D1%87%D0%B5,%D0%BE%D0%B2",
            "https://vlast.kz/novosti/63564-sud.html",
        ),
        ("https://t.me/#!/eurobri", "https://t.me/#!/eurobri"),
        (
            "https://www.rferl.org/a/31991206.html?lflags=mailer",
            "https://www.rferl.org/a/31991206.html",
        ),
        (
            "https://www.facebook.com/t/posts/87?ref=embed_post",
            "https://www.facebook.com/t/posts/87",
        ),
        ("https://x.kz/a?ref=home", "https://x.kz/a?ref=home"),
        ("https://x.kz/a?utm_source=tg&id=5&utm_medium=social&fbclid=AbC", "https://x.kz/a?id=5"),
        (
            "https://www.gov.kz/memleket/news/788654?lang=ru",
            "https://www.gov.kz/memleket/news/788654?lang=ru",
        ),
        ("exclusive.kz/verhovnyj-sud/", "https://exclusive.kz/verhovnyj-sud/"),
        ("www.zakon.kz/obshestvo/1.html", "https://www.zakon.kz/obshestvo/1.html"),
        ("//vlast.kz/a", "https://vlast.kz/a"),
        (
            "https://президент.рф/новости",
            "https://xn--d1abbgf6aiiy.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
        ),
        ("https://vlast.kz/a%d0%b2%7e%41", "https://vlast.kz/a%D0%B2~A"),
        ("https://vlast.kz/a/./b/../c", "https://vlast.kz/a/c"),
        (
            "https://online.zakon.kz/Document/?doc_id=38665430&pos=859;-27#pos=859;-27",
            "https://online.zakon.kz/Document/?doc_id=38665430&pos=859;-27",
        ),
        ("https://example.org:8443", "https://example.org:8443/"),
        ("http://127.0.0.2:8080/page", "http://127.0.0.2:8080/page"),
    ],
)
def test_canonical_form(cited: str, canonical: str) -> None:
    assert canonical_url(cited) == canonical


def test_the_same_article_cited_two_ways_is_one_target() -> None:
    assert canonical_url(
        "https://VLAST.kz/novosti/1.html?utm_campaign=x#comments"
    ) == canonical_url("https://vlast.kz:443/novosti/1.html")


def test_tracking_parameters_come_from_configuration() -> None:
    rules = TrackingRules.from_patterns(["sessionid", "from=*", "src=tg"])
    assert rules.drops("SessionID", "1")
    assert rules.drops("src", "tg") and not rules.drops("src", "rss")
    assert canonical_url("https://x.kz/a?sessionid=9&utm_source=y&src=tg", rules) == (
        "https://x.kz/a?utm_source=y"
    )


def test_scheme_less_urls_take_the_configured_scheme() -> None:
    assert canonical_url("last.kz/novosti/1", default_scheme="http") == "http://last.kz/novosti/1"


@pytest.mark.parametrize(
    ("cited", "problem"),
    [
        ("", "empty"),
        ("mailto:iphr@iphronline.org", "only http and https"),
        ("ftp://files.kz/report.pdf", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http://vlast.kz:99999/a", "out of range"),
        ("https://bad..host.kz/a", "not a valid host"),
        ("https:///path-only", "no host"),
        ("https://exa mple.kz/a", "white space"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(cited: str, problem: str) -> None:
    with pytest.raises(UrlError, match=problem):
        canonical_url(cited)
