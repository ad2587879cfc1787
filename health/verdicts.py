"""One verdict per check: a pure function of what the fetch showed and what we already know.

Network outcomes and status codes map through tables; a 2xx answer is then judged on its
content: a "not found" page answering 200 (soft-404), a login wall or bot challenge
(blocked), an article moved elsewhere (redirected), or text that no longer says what it said
when it was cited (drifted).

A 304 proves sameness, not health: it says the page is the copy whose validators we sent, so
it is judged as that copy, on the address this fetch ended at. A not-found page, a login wall
or a drifted text that answers 304 keeps its verdict, and the rules that confirm death keep
counting. (Validators are sent from the latest full copy, whatever its verdict: the cheapest
answer for an unchanged page, and one that can never launder a bad copy into a good one.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from health.similarity import retained, similarity
from models.kinds import GOOD_VERDICTS, Outcome, Verdict

GOOD = GOOD_VERDICTS
# Failures that suggest the page is gone for good (with a DNS failure, see is_permanent).
PERMANENT = frozenset({Verdict.NOT_FOUND, Verdict.GONE, Verdict.SOFT_404})

OUTCOME_VERDICTS: dict[Outcome, Verdict] = {
    Outcome.DNS_FAILURE: Verdict.UNREACHABLE,
    Outcome.REFUSED: Verdict.UNREACHABLE,
    Outcome.RESET: Verdict.UNREACHABLE,
    Outcome.TLS_ERROR: Verdict.UNREACHABLE,
    Outcome.TIMEOUT: Verdict.UNREACHABLE,
    Outcome.ERROR: Verdict.UNREACHABLE,
    Outcome.POLICY: Verdict.BLOCKED,
    Outcome.REDIRECT_LOOP: Verdict.SERVER_ERROR,
    # Over the size cap: no copy is held and the page was not seen (a 30 MB "404" is possible),
    # so never ok. Like a policy refusal, citewatch's own limit stands between us and the page:
    # blocked (raise crawl.max_body_mb to archive it).
    Outcome.TOO_LARGE: Verdict.BLOCKED,
}
STATUS_VERDICTS: dict[int, Verdict] = {
    401: Verdict.BLOCKED,
    403: Verdict.BLOCKED,
    407: Verdict.BLOCKED,
    451: Verdict.BLOCKED,
    404: Verdict.NOT_FOUND,
    410: Verdict.GONE,
    429: Verdict.RATE_LIMITED,
    408: Verdict.SERVER_ERROR,
}
NOT_MODIFIED = 304
CONNECTION_FAILURES = frozenset(
    {Outcome.DNS_FAILURE, Outcome.REFUSED, Outcome.RESET, Outcome.TLS_ERROR, Outcome.TIMEOUT}
)

# "Not found" pages in English, Russian and Kazakh, matched in the title or in a short text.
# Whole phrases only: a news title may well say that someone "was not found".
NOT_FOUND_RE = re.compile(
    r"page not found|404 not found|file not found|error 404|404 error|^\s*404\b"
    r"|page (?:you requested |you are looking for )?"
    r"(?:does not exist|no longer exists|has been removed)"
    r"|no longer available"
    r"|страница не найдена|страница не существует|страницы не существует|страница была удалена"
    r"|запрашиваемая страница|ошибка 404"
    r"|бет табылмады|парақ табылмады|сұралған бет|мұндай бет жоқ|бет жойылған",
    re.IGNORECASE,
)
# Bot challenges and login walls.
BLOCKED_RE = re.compile(
    r"just a moment\.\.\.|checking your browser|attention required|ddos-guard|captcha"
    r"|access denied|enable javascript and cookies|доступ запрещ|доступ ограничен"
    r"|войдите|авторизуйтесь|проверка браузера|кіру үшін",
    re.IGNORECASE,
)
# Where sites send readers they want to identify: a redirect to one of these is a wall.
WALL_PATH_RE = re.compile(
    r"/(?:log-?in|sign-?in|signin|auth|authori[sz]e|account/login|users?/login|sso|oauth"
    r"|consent|gdpr|cookie-?consent|challenge|captcha|cdn-cgi/challenge-platform"
    r"|accounts/login|wp-login\.php|vhod|avtorizatsiya)(?:[/.?]|$)",
    re.IGNORECASE,
)
WALL_QUERY_RE = re.compile(r"(?:^|&)(?:__cf_chl_[a-z_]+|captcha)=", re.IGNORECASE)
SHORT_TEXT = 1500
# characters: a login page says little besides its form ("Log in to continue", a link to
# register); a short news item with a login box in its sidebar says more.
LOGIN_PAGE_TEXT = 400  # characters: longer pages are articles that may mention "not found"
GENERIC_PATH_RE = re.compile(
    r"^/?(?:[a-z]{2}(?:-[a-z]{2})?/?)?"
    r"(?:(?:index|home|main|news|novosti|404|not-?found|error|search)(?:\.\w+)?)?/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Observation:
    """What one fetch showed."""

    outcome: Outcome
    status: int | None
    requested_url: str
    final_url: str | None = None
    title: str | None = None
    text: str | None = None
    login_form: bool = False  # the page asks for a password
    # A 304 that repeats a copy we hold: title, text and login_form are that copy's.
    repeats_copy: bool = False
    # The text is a social network's public preview (Open Graph) of a post behind its login.
    preview_only: bool = False


@dataclass(frozen=True)
class Evidence:
    """What we know besides the fetch: the cited version's text and the host's 404 page."""

    baseline_text: str | None = None
    probe_text: str | None = None  # a random sibling URL's text, if the host answered it 200
    # Below this share of the cited text still on the page, it has drifted: removing one
    # paragraph of five (a quote, say) leaves about 0.8; a renamed person or a reordered
    # paragraph leaves over 0.9; counters, dates and additions leave 1.0.
    drift_threshold: float = 0.85
    soft_404_threshold: float = 0.9


def classify(
    observation: Observation, evidence: Evidence = Evidence()
) -> tuple[Verdict, float | None]:
    """The check's verdict, and the text's similarity to the baseline when it was measured."""
    if observation.outcome != Outcome.FETCHED:
        return OUTCOME_VERDICTS.get(observation.outcome, Verdict.UNREACHABLE), None
    status = observation.status or 0
    if status == NOT_MODIFIED:
        # Unchanged since the copy whose validators we sent: judged as that copy. A 304 to a
        # request without validators repeats nothing we know: the server misbehaves.
        if observation.repeats_copy:
            return _judge_content(observation, evidence)
        return Verdict.SERVER_ERROR, None
    if status in STATUS_VERDICTS:
        return STATUS_VERDICTS[status], None
    if status >= 500 or 300 <= status < 400:
        return Verdict.SERVER_ERROR, None
    if status >= 400:
        return Verdict.NOT_FOUND, None
    return _judge_content(observation, evidence)


def is_permanent(verdict: Verdict, outcome: Outcome) -> bool:
    """Whether a failure looks final: 404, 410, soft-404, or a name that no longer resolves."""
    return verdict in PERMANENT or (
        verdict == Verdict.UNREACHABLE and outcome == Outcome.DNS_FAILURE
    )


def _judge_content(observation: Observation, evidence: Evidence) -> tuple[Verdict, float | None]:
    """A 2xx page (or the copy a 304 repeats): soft-404, blocked, redirected, drifted or ok."""
    title, text = observation.title or "", observation.text or ""
    requested, final = observation.requested_url, observation.final_url
    if _redirected_to_wall(requested, final):
        return Verdict.BLOCKED, None  # a login, consent or challenge page on the same site
    if _redirected_to_front_page(requested, final):
        return Verdict.SOFT_404, None
    short = len(text) < SHORT_TEXT
    if NOT_FOUND_RE.search(title) or (short and NOT_FOUND_RE.search(text)):
        return Verdict.SOFT_404, None
    if BLOCKED_RE.search(title) or (short and BLOCKED_RE.search(text)):
        return Verdict.BLOCKED, None
    if (
        evidence.probe_text
        and text
        and similarity(text, evidence.probe_text) >= evidence.soft_404_threshold
    ):
        return Verdict.SOFT_404, None  # the host answers nonsense URLs with this same page
    score = retained(evidence.baseline_text, text) if text and evidence.baseline_text else None
    if observation.preview_only:
        return Verdict.BLOCKED, score  # the post itself is behind the login: not a good copy
    if observation.login_form and (
        (score is None and len(text) < LOGIN_PAGE_TEXT)
        or (score is not None and score < evidence.drift_threshold and short)
    ):
        return Verdict.BLOCKED, score  # a password form where the cited text was: a login wall
    if score is not None and score < evidence.drift_threshold:
        return Verdict.DRIFTED, score
    if _moved(observation.requested_url, observation.final_url):
        return Verdict.REDIRECTED, score
    return Verdict.OK, score


def _redirected_to_wall(requested: str, final: str | None) -> bool:
    """A link that now lands on a login, consent or challenge page of the same site."""
    if not final or final == requested:
        return False
    asked, landed = urlsplit(requested), urlsplit(final)
    if _site(asked.hostname) != _site(landed.hostname):
        return False
    return bool(WALL_PATH_RE.search(landed.path or "/") or WALL_QUERY_RE.search(landed.query))


def _redirected_to_front_page(requested: str, final: str | None) -> bool:
    """A deep link that now lands on the site's front page or a generic section page."""
    if not final or final == requested:
        return False
    asked, landed = urlsplit(requested), urlsplit(final)
    deep = asked.path.strip("/").count("/") >= 1 or len(asked.path.strip("/")) > 20 or asked.query
    return (
        bool(deep)
        and _site(asked.hostname) == _site(landed.hostname)
        and bool(GENERIC_PATH_RE.match(landed.path or "/"))
        and not landed.query
    )


def _moved(requested: str, final: str | None) -> bool:
    """Whether the page now lives at another address (not just https or www added)."""
    if not final:
        return False
    asked, landed = urlsplit(requested), urlsplit(final)
    return (
        _site(asked.hostname) != _site(landed.hostname)
        or asked.path.rstrip("/") != landed.path.rstrip("/")
        or asked.query != landed.query
    )


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host
