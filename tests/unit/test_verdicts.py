"""One verdict per check, from one table and the page's content."""

from __future__ import annotations

import pytest

from archive.outcomes import Outcome
from health.similarity import retained, similarity
from health.verdicts import Evidence, Observation, Verdict, classify, is_permanent
from tests.support.pages import YENSEBEK_RU, ZHYLANBAEV_RU

URL = "https://vlast.kz/novosti/63501-sud-arestoval.html"
ARTICLE = YENSEBEK_RU.text


def verdict(
    outcome: Outcome = Outcome.FETCHED,
    status: int | None = 200,
    final: str | None = URL,
    title: str = YENSEBEK_RU.title,
    text: str = ARTICLE,
    **evidence: object,
) -> Verdict:
    observed = Observation(outcome, status, URL, final, title, text)
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
        (304, Verdict.OK),
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
