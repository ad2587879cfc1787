"""Main text out of archived payloads, and extraction that cannot stall a crawl."""

from __future__ import annotations

import asyncio
import time

from archive.text import extract_text
from archive.workers import ExtractionPool
from models.kinds import Extraction
from tests.support import FIXTURES
from tests.support.extractors import crash, hang
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_KK, YENSEBEK_RU, article_page


def test_article_text_without_the_boilerplate() -> None:
    page = article_page(YENSEBEK_RU).encode()
    result = extract_text(page, "text/html; charset=utf-8", "https://vlast.kz/novosti/63501.html")
    assert result.status == Extraction.OK
    assert result.title == YENSEBEK_RU.title
    assert (result.author, result.published, result.language) == (
        YENSEBEK_RU.author,
        "2025-01-18",
        "ru",
    )
    for paragraph in YENSEBEK_RU.paragraphs:
        assert paragraph[:60] in result.text
    for boilerplate in (
        "Главная",
        "Курс тенге",
        "All rights reserved",
        "Telegram · WhatsApp",
        "Comments are closed",
    ):
        assert boilerplate not in result.text


def test_a_password_field_marks_a_login_form() -> None:
    wall = (
        "<html><head><title>Вход</title></head><body><h1>Войдите, чтобы читать дальше</h1>"
        "<form><input name='login'><input TYPE='Password' name='p'><button>OK</button></form>"
        "</body></html>"
    ).encode()
    assert extract_text(wall, "text/html", "https://vlast.kz/login/").login_form
    article = extract_text(article_page(YENSEBEK_RU).encode(), "text/html", "https://vlast.kz/")
    assert not article.login_form


def test_language_is_guessed_when_the_page_does_not_say() -> None:
    kazakh = extract_text(
        article_page(YENSEBEK_KK, lang_attribute=False).encode(), "text/html", "https://x.kz/"
    )
    english = extract_text(
        article_page(MUBARAKOV_EN, lang_attribute=False).encode(), "text/html", "https://x.kz/"
    )
    assert (kazakh.language, english.language) == ("kk", "en")


def test_windows_1251_with_a_wrong_header() -> None:
    page = article_page(YENSEBEK_RU).encode("cp1251")
    result = extract_text(page, "text/html; charset=utf-8", "https://vlast.kz/")
    assert "Медеуский районный суд" in result.text


def test_pdf_text_and_title() -> None:
    pdf = (FIXTURES / "documents" / "briefing.pdf").read_bytes()
    result = extract_text(pdf, "application/pdf", "https://iphronline.org/briefing.pdf")
    assert result.status == Extraction.OK
    assert result.title == "Briefing paper for EU-Kazakhstan human rights dialogue"
    assert "Kazakhstan International Bureau for Human Rights" in result.text


def test_other_payloads() -> None:
    assert (
        extract_text(b"\x89PNG\r\n", "image/png", "https://x.kz/a.png").status
        == Extraction.UNSUPPORTED
    )
    assert (
        extract_text(b"<html><body></body></html>", "text/html", "https://x.kz/").status
        == Extraction.EMPTY
    )
    assert (
        extract_text(b"%PDF-1.7 garbage", "application/pdf", "https://x.kz/a.pdf").status
        == Extraction.FAILED
    )
    plain = extract_text("Приговор оглашён.".encode("cp1251"), "text/plain", "https://x.kz/a.txt")
    assert plain.status == Extraction.OK and plain.text == "Приговор оглашён."


def test_a_pathological_page_is_stopped_and_the_others_go_on() -> None:
    async def run() -> list[tuple[Extraction, float]]:
        pool = ExtractionPool(workers=2, timeout=1.0, function=hang)
        started = time.monotonic()
        try:
            results = await asyncio.gather(
                pool.extract(b"stuck forever", "text/html", "https://x.kz/1"),
                pool.extract(b"quick page", "text/html", "https://x.kz/2"),
            )
            after = await pool.extract(b"quick again", "text/html", "https://x.kz/3")
        finally:
            pool.close()
        return [(r.status, time.monotonic() - started) for r in (*results, after)]

    (stuck, stuck_time), (quick, _), (after, total) = asyncio.run(run())
    assert stuck == Extraction.TIMEOUT and stuck_time < 10
    assert (
        quick == Extraction.OK and after == Extraction.OK
    )  # a fresh worker replaced the stuck one
    assert total < 15


def test_a_dying_worker_is_a_failed_extraction() -> None:
    async def run() -> Extraction:
        pool = ExtractionPool(workers=1, timeout=5.0, function=crash)
        try:
            return (await pool.extract(b"x", "text/html", "https://x.kz/")).status
        finally:
            pool.close()

    assert asyncio.run(run()) == Extraction.FAILED
