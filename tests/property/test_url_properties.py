"""Properties of URL finding and canonical URLs, on text and URLs Hypothesis makes up.

`find_urls` never fails on any text and finds a URL written in a sentence exactly as written;
`canonical_url` either gives a canonical form or says why not (`UrlError`), its form is a fixed
point, and it never changes the host: lowercase, IDNA and a trailing dot dropped, nothing else
(citations/canonical.py; there is no www rule, www.x.kz and x.kz are different hosts).
"""

from __future__ import annotations

import string

from hypothesis import assume, example, given
from hypothesis import strategies as st

from citations.canonical import UrlError, canonical_url, url_host
from citations.urls import continues_url, find_urls

# Host names as sites really spell them: mixed case, digits, hyphens inside labels, a known
# public suffix, sometimes Cyrillic (IDNA) and sometimes a trailing dot.
ASCII_LABEL = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,14}[A-Za-z0-9])?", fullmatch=True)
CYRILLIC_LABEL = st.text("абвгдежзийклмнопрстуфхцчшщыэюяәіңғүұқөһ", min_size=1, max_size=10)
SUFFIX = st.sampled_from(["kz", "KZ", "org", "com", "ru", "co.uk", "gov.kz", "рф", "қаз"])
PATH_CHARS = string.ascii_letters + string.digits + "-_.~/%=&?;:@!$'*+,()[]#" + "абвгд"
# Pieces that canonicalisation rewrites: dot segments (also escaped), escapes of unreserved and
# reserved characters, broken escapes, tracking parameters (also escaped), fragments and routes.
SEGMENTS = st.sampled_from(
    [
        *["", ".", "..", "%2e", "%2E%2e", ".%2e", "a", "B", "%7e", "%41", "%d0%b2", "%2F", "%25"],
        *["новости", "%", "%2", "@", ":", ";", "//", "index.html"],
    ]
)
QUERY = st.sampled_from(
    [
        *["id=5", "utm_source=tg", "UTM_Medium=x", "fbclid=1", "ref=embed_post", "ref=home"],
        *["a=%41", "a+b=c", "%75tm_source=1", "%2575tm_source=1", "", "=", "x=%2", "q=a%20b"],
        *["?", "lang=ru"],
    ]
)
FRAGMENT = st.sampled_from(["", "#top", "#!/a", "#/x:~:text=y", "#:~:text=a", "#!", "#/%7e"])


@st.composite
def hosts(draw: st.DrawFn) -> str:
    labels = draw(st.lists(st.one_of(ASCII_LABEL, CYRILLIC_LABEL), min_size=1, max_size=3))
    return ".".join([*labels, draw(SUFFIX)]) + draw(st.sampled_from(["", "", "."]))


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, str]:
    """A plain URL built from its parts, and the host it names."""
    host = draw(hosts())
    scheme = draw(st.sampled_from(["http://", "https://", "HTTPS://", "//", ""]))
    port = draw(st.sampled_from(["", "", ":80", ":443", ":8080"]))
    path = draw(st.text(PATH_CHARS, max_size=40))
    return f"{scheme}{host}{port}/{path}", host


@st.composite
def tricky_urls(draw: st.DrawFn) -> tuple[str, str]:
    """A URL full of what canonicalisation rewrites, and the host it names."""
    host = draw(hosts())
    scheme = draw(st.sampled_from(["http://", "https://", "HTTPS://", "hTTp://", "//", ""]))
    # Without a scheme, "u:p@host" reads as the scheme "u": credentials need one.
    credentials = draw(st.sampled_from(["", "", "user@", "u:p@", "a%40b@"])) if scheme else ""
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":"]))
    path = "/".join(draw(st.lists(SEGMENTS, max_size=6)))
    query = "&".join(draw(st.lists(QUERY, max_size=4)))
    url = f"{scheme}{credentials}{host}{port}/{path}" + (f"?{query}" if query else "")
    return url + draw(FRAGMENT), host


def idna_host(host: str) -> str:
    """What the canonical form must say for `host`: lowercase, IDNA, no trailing dot."""
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in host.lower().rstrip(".").split(".")
    )


def canonical_or_none(text: str) -> str | None:
    """The canonical form, or None when the module says (with UrlError) it has none."""
    try:
        return canonical_url(text)
    except UrlError:
        return None


@given(st.text(max_size=300))
@example("See https://vlast.kz/a_(b)c).\n¹ www.x.kz/-\n-y exclusive.kz/[a](https://x.kz/")
@example("[[\\]](<https://x.kz/a b>) <www.a.kz/\n b> https://")
def test_finding_urls_never_fails_and_stays_inside_the_text(text: str) -> None:
    found = find_urls(text)
    for item in found:
        assert 0 <= item.start < item.end <= len(text)
        assert item.url
    assert [item.start for item in found] == sorted(item.start for item in found)


@given(st.text(max_size=120), st.text(max_size=120))
def test_deciding_whether_a_url_goes_on_never_fails(before: str, after: str) -> None:
    assert continues_url(before, after) in (True, False)


@given(
    urls(),
    st.sampled_from(["", ".", ",", ";", ")", "»"]),
    st.sampled_from(["See ", "(", "¹² ", "Source: «", "текст "]),
)
def test_a_url_in_a_sentence_is_found_as_written(
    url_and_host: tuple[str, str], after: str, before: str
) -> None:
    url, _ = url_and_host
    assume(url.lower().startswith(("http://", "https://")))  # a bare host needs a path rule
    path = url.split("/", 3)[3]
    assume(not path or path[-1] not in ".,;:!?'\")]}*")  # sentence punctuation is not the URL's
    assume("(" not in path and ")" not in path and "[" not in path and "]" not in path)
    found = [item.url for item in find_urls(f"{before}{url}{after} Next sentence.")]
    assert found == [url]


def test_a_scheme_in_capitals_is_found() -> None:
    """Found by the property above: older legal texts write HTTP://WWW.ZAKON.KZ/..."""
    assert [u.url for u in find_urls("See HTTPS://vlast.kz/novosti/1.html.")] == [
        "HTTPS://vlast.kz/novosti/1.html"
    ]


@given(st.one_of(st.text(max_size=200), tricky_urls().map(lambda pair: pair[0])))
@example("HTTP://Vlast.KZ:80/a/./b/../%7e%41?utm_source=x&id=1#:~:text=y")
@example("https://x.kz/%2e%2e/a")
@example("https://x.kz/a/%2E/b/..")
def test_canonical_form_is_a_fixed_point_of_any_text(text: str) -> None:
    canonical = canonical_or_none(text)
    if canonical is not None:
        assert canonical_url(canonical) == canonical
        assert url_host(canonical_url(canonical)) == url_host(canonical)


@given(st.one_of(urls(), tricky_urls()))
@example(("HTTPS://WWW.Vlast.KZ./novosti/1.html", "WWW.Vlast.KZ."))
@example(("президент.рф/новости", "президент.рф"))
def test_canonical_form_never_changes_the_host(url_and_host: tuple[str, str]) -> None:
    url, host = url_and_host
    canonical = canonical_or_none(url)
    assert canonical is not None, f"{url!r} is a valid URL"
    assert url_host(canonical) == idna_host(host)
    assert canonical_url(canonical) == canonical


def test_a_backslash_ends_the_host_as_in_browsers() -> None:
    """urlsplit reads evil.kz as the host here, browsers (WHATWG) read good.kz: we must agree
    with the browser a reader clicks in, never jump to the other host."""
    assert url_host(canonical_url("http://good.kz\\@evil.kz/a")) == "good.kz"
