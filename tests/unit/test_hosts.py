"""Rules per host: a domain's rule covers its subdomains, the nearest rule wins."""

from __future__ import annotations

import pytest

from config.hosts import covering, within

RULES = {"facebook.com", "m.facebook.com", "t.me"}


@pytest.mark.parametrize(
    ("host", "rule"),
    [
        ("facebook.com", "facebook.com"),
        ("www.facebook.com", "facebook.com"),
        ("m.facebook.com", "m.facebook.com"),  # the nearest rule wins
        ("x.m.facebook.com.", "m.facebook.com"),
        ("T.ME", "t.me"),
        ("notfacebook.com", None),
        ("facebook.com.evil.example", None),
    ],
)
def test_the_nearest_rule_covers_a_host(host: str, rule: str | None) -> None:
    assert covering(host, RULES) == rule


def test_within_is_the_domain_or_a_subdomain() -> None:
    assert within("news.vlast.kz", "vlast.kz") and within("Vlast.KZ.", "vlast.kz")
    assert not within("evilvlast.kz", "vlast.kz") and not within("vlast.kz", "news.vlast.kz")
