"""One verdict per check, from one table and the page's content."""

from __future__ import annotations

import pytest

from health.similarity import retained, similarity
from health.verdicts import Evidence, Observation, classify, is_permanent
from models.kinds import Outcome, Verdict
from tests.support.pages import YENSEBEK_RU, ZHYLANBAEV_RU

URL = "https://vlast.kz/novosti/63501-sud-arestoval.html"
ARTICLE = YENSEBEK_RU.text


def verdict(
    outcome: Outcome = Outcome.FETCHED,
    status: int | None = 200,
    final: str | None = URL,
    title: str = YENSEBEK_RU.title,
    text: str = ARTICLE,
    login_form: bool = False,
    repeats_copy: bool = False,
    **evidence: object,
) -> Verdict:
    observed = Observation(outcome, status, URL, final, title, text, login_form, repeats_copy)
    return classify(observed, Evidence(**evidence))[0]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome.DNS_FAILURE, Verdict.UNREACHABLE),
        (Outcome.REFUSED, Verdict.UNREACHABLE),
        (Outcome.RESET, Verdict.UNREACHABLE),
        (Outcome.TLS_ERROR, Verdict.UNREACHABLE),
        (Outcome.TIMEOUT, Verdict.UNREACHABLE),
        (Outcome.POLICY, Verdict.BLOCKED),
        (Outcome.REDIRECT_LOOP, Verdict.SERVER_ERROR),
    ],
)
def test_network_outcomes(outcome: Outcome, expected: Verdict) -> None:
    assert verdict(outcome, None, None) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.OK),
        (203, Verdict.OK),
        (401, Verdict.BLOCKED),
        (403, Verdict.BLOCKED),
        (451, Verdict.BLOCKED),
        (404, Verdict.NOT_FOUND),
        (400, Verdict.NOT_FOUND),
        (410, Verdict.GONE),
        (429, Verdict.RATE_LIMITED),
        (408, Verdict.SERVER_ERROR),
        (500, Verdict.SERVER_ERROR),
        (503, Verdict.SERVER_ERROR),
        (522, Verdict.SERVER_ERROR),
    ],
)
def test_status_codes(status: int, expected: Verdict) -> None:
    assert verdict(status=status) == expected


@pytest.mark.parametrize(
    "final",
    [
        "https://vlast.kz/",
        "https://www.vlast.kz/",
        "https://vlast.kz/ru/",
        "https://vlast.kz/novosti/",
        "https://vlast.kz/404.html",
        "https://vlast.kz/not-found",
    ],
)
def test_soft_404_by_redirect_to_a_front_or_generic_page(final: str) -> None:
    assert verdict(final=final, title="Vlast.kz", text="Новости Казахстана") == Verdict.SOFT_404


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Страница не найдена | Vlast.kz", "Главная Новости"),
        ("Vlast.kz", "К сожалению, запрашиваемая страница не существует."),
        ("Бет табылмады", "Басты бет"),
        ("404 Not Found", ""),
        ("Page not found – Orda.kz", "Sorry, the page you are looking for does not exist."),
        ("Orda.kz", "Error 404. The page you requested has been removed."),
    ],
)
def test_soft_404_by_wording(title: str, text: str) -> None:
    assert verdict(title=title, text=text) == Verdict.SOFT_404


def test_not_found_words_inside_a_real_article_are_not_a_soft_404() -> None:
    article = (
        "Тело пропавшего журналиста не найдено. " + ARTICLE + " Страница не найдена, заявил он."
    )
    assert verdict(title="Пропавший журналист так и не найден", text=article * 2) == Verdict.OK
    assert verdict(title="Закон № 404-ФЗ вступил в силу", text=ARTICLE) == Verdict.OK


def test_soft_404_by_the_hosts_answer_to_a_random_sibling() -> None:
    template = "Vlast.kz Главная Новости Политика Экономика Общество Подписка Реклама Контакты " * 3
    assert verdict(title="Vlast.kz", text=template, probe_text=template) == Verdict.SOFT_404
    assert verdict(probe_text=template) == Verdict.OK  # the real article differs from that page


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Just a moment...", "Checking your browser before accessing vlast.kz."),
        ("Attention Required! | Cloudflare", "Please complete the security check"),
        ("Вход", "Войдите, чтобы продолжить чтение."),
        ("DDoS-Guard", ""),
    ],
)
def test_challenges_and_login_walls_are_blocked(title: str, text: str) -> None:
    assert verdict(title=title, text=text) == Verdict.BLOCKED


def test_moved_article_is_redirected() -> None:
    assert (
        verdict(final="https://vlast.kz/novosti/2025/63501-sud-arestoval.html")
        == Verdict.REDIRECTED
    )
    assert verdict(final="https://vlast.kz/novosti/63501-sud-arestoval.html/") == Verdict.OK
    assert verdict(final="https://www.vlast.kz/novosti/63501-sud-arestoval.html") == Verdict.OK


def test_drift_versus_noise() -> None:
    noisy = (
        ARTICLE.replace("17 января", "18 января") + " Просмотров: 10 482. Обновлено 5 минут назад."
    )
    assert verdict(text=noisy, baseline_text=ARTICLE) == Verdict.OK
    reordered = "\n".join([*YENSEBEK_RU.paragraphs[1:], YENSEBEK_RU.paragraphs[0]])
    assert verdict(text=reordered, baseline_text=ARTICLE) == Verdict.OK
    quote_removed = "\n".join(
        p for p in YENSEBEK_RU.paragraphs if not p.startswith("Правозащитники")
    )
    assert verdict(text=quote_removed, baseline_text=ARTICLE) == Verdict.DRIFTED
    assert verdict(text=ZHYLANBAEV_RU.text, baseline_text=ARTICLE) == Verdict.DRIFTED


def test_similarity_is_reported_with_the_verdict() -> None:
    observed = Observation(Outcome.FETCHED, 200, URL, URL, YENSEBEK_RU.title, ARTICLE)
    assert classify(observed, Evidence(baseline_text=ARTICLE)) == (Verdict.OK, 1.0)
    assert 0.0 <= similarity(ARTICLE, ZHYLANBAEV_RU.text) < 0.1
    assert retained(ARTICLE, ARTICLE + " Читайте также: Курс тенге укрепился.") == 1.0


@pytest.mark.parametrize(
    ("verdict_", "outcome", "permanent"),
    [
        (Verdict.NOT_FOUND, Outcome.FETCHED, True),
        (Verdict.GONE, Outcome.FETCHED, True),
        (Verdict.SOFT_404, Outcome.FETCHED, True),
        (Verdict.UNREACHABLE, Outcome.DNS_FAILURE, True),
        (Verdict.UNREACHABLE, Outcome.TIMEOUT, False),
        (Verdict.SERVER_ERROR, Outcome.FETCHED, False),
        (Verdict.BLOCKED, Outcome.FETCHED, False),
    ],
)
def test_which_failures_look_permanent(
    verdict_: Verdict, outcome: Outcome, permanent: bool
) -> None:
    assert is_permanent(verdict_, outcome) is permanent


SOFT_404_PAGE = "Страница не найдена. К сожалению, запрашиваемая страница не существует."
DRIFTED_TEXT = ZHYLANBAEV_RU.text  # another article altogether: nothing of the cited text left


@pytest.mark.parametrize(
    ("final", "title", "text", "login_form", "expected"),
    [
        # the cited article, unchanged: still ok, also at a new address
        (URL, YENSEBEK_RU.title, ARTICLE, False, Verdict.OK),
        (
            "https://vlast.kz/novosti/2025/63501.html",
            YENSEBEK_RU.title,
            ARTICLE,
            False,
            Verdict.REDIRECTED,
        ),
        # a repeated not-found page, directly or through a redirect to the front page
        (URL, "Vlast.kz", SOFT_404_PAGE, False, Verdict.SOFT_404),
        (
            "https://vlast.kz/",
            "Vlast.kz — главная",
            "Новости Казахстана " * 200,
            False,
            Verdict.SOFT_404,
        ),
        # a repeated drifted text, directly or through a redirect
        (URL, YENSEBEK_RU.title, DRIFTED_TEXT, False, Verdict.DRIFTED),
        (
            "https://vlast.kz/novosti/2025/63501.html",
            YENSEBEK_RU.title,
            DRIFTED_TEXT,
            False,
            Verdict.DRIFTED,
        ),
        # a repeated login wall
        ("https://vlast.kz/login/?next=/novosti/63501", "Вход", "", True, Verdict.BLOCKED),
    ],
)
def test_a_304_is_judged_as_the_copy_it_repeats(
    final: str, title: str, text: str, login_form: bool, expected: Verdict
) -> None:
    assert (
        verdict(
            status=304,
            final=final,
            title=title,
            text=text,
            login_form=login_form,
            repeats_copy=True,
            baseline_text=ARTICLE,
        )
        == expected
    )


def test_a_304_that_repeats_no_copy_we_hold_is_no_proof_of_health() -> None:
    assert verdict(status=304, text="", title="", repeats_copy=False) == Verdict.SERVER_ERROR


@pytest.mark.parametrize(
    "final",
    [
        "https://vlast.kz/login/?next=%2Fnovosti%2F63501-sud-arestoval.html",
        "https://vlast.kz/login/",
        "https://www.vlast.kz/accounts/login?return_to=/novosti/63501",
        "https://vlast.kz/user/login",
        "https://vlast.kz/signin",
        "https://vlast.kz/consent?continue=/novosti/63501",
        "https://vlast.kz/cdn-cgi/challenge-platform/h/b/orchestrate",
        "https://vlast.kz/novosti/63501-sud-arestoval.html?__cf_chl_rt_tk=abc",
    ],
)
def test_a_redirect_to_a_login_consent_or_challenge_page_is_blocked(final: str) -> None:
    # Even when the wall shows a long text (terms, a cookie notice, a site menu).
    assert verdict(final=final, title="Vlast.kz", text="Условия " * 400) == Verdict.BLOCKED


@pytest.mark.parametrize(
    "final",
    [
        "https://vlast.kz/novosti/login-to-the-portal-is-open.html",  # a word in a slug
        "https://loginov.kz/novosti/63501",  # another site
        "https://vlast.kz/novosti/2025/63501-sud-arestoval.html?next=2",
    ],
)
def test_login_words_elsewhere_in_an_address_are_not_a_wall(final: str) -> None:
    assert verdict(final=final) in (Verdict.OK, Verdict.REDIRECTED)


def test_a_password_form_with_little_else_is_a_login_wall() -> None:
    wall = "Log in to continue. Username Password Forgot your password?"
    assert verdict(title="Vlast.kz", text=wall, login_form=True) == Verdict.BLOCKED
    # a long article with a login box in its sidebar is still the article
    assert verdict(login_form=True) == Verdict.OK


def test_a_posts_public_preview_is_blocked_however_long_it_is() -> None:
    """A social network's login wall with the post's Open Graph preview as its text: never our
    copy of the post, even when the preview is long and matches the cited text."""
    preview = ARTICLE[:600]
    observed = Observation(
        Outcome.FETCHED, 200, URL, URL, YENSEBEK_RU.title, preview, preview_only=True
    )
    assert classify(observed, Evidence(baseline_text=preview))[0] == Verdict.BLOCKED
    plain = Observation(Outcome.FETCHED, 200, URL, URL, YENSEBEK_RU.title, preview)
    assert classify(plain, Evidence(baseline_text=preview))[0] == Verdict.OK
