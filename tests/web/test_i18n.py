"""The interface's languages: catalogs, the switcher, the lang cookie."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import web
from tests.web.conftest import BASE_URL, Desk, csrf_from
from web.app import create_app
from web.i18n import LANGUAGES, translator

LOCALES = Path(__file__).parents[2] / "web" / "locales"


def entries(language: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text("utf-8"))
    return loaded


def test_a_russian_page_when_lang_is_ru(desk: Desk) -> None:
    desk.client.cookies.set("lang", "ru")
    page = desk.client.get("/documents")
    assert '<html lang="ru">' in page.text
    assert "Документы" in page.text and "Источники" in page.text
    assert "Перейти к содержимому" in page.text


def test_the_switcher_sets_the_cookie_and_returns_to_the_page(desk: Desk) -> None:
    token = csrf_from(desk.client, "/documents")
    form = {"lang": "kk", "next": "/documents", "csrf_token": token}
    answer = desk.client.post("/language", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/documents"
    assert "lang=kk" in answer.headers["set-cookie"]
    assert "Құжаттар" in desk.client.get("/documents").text


def test_the_switcher_needs_the_csrf_token(desk: Desk) -> None:
    assert desk.client.post("/language", data={"lang": "ru"}).status_code == 403


def test_an_unknown_language_falls_back_to_the_configured_one(desk: Desk) -> None:
    config = dataclasses.replace(
        desk.config, web=dataclasses.replace(desk.config.web, language="ru")
    )
    with TestClient(create_app(config, desk.database), BASE_URL) as client:
        client.cookies.set("lang", "xx")
        assert "Документы" in client.get("/documents").text
        client.cookies.set("lang", "en")
        assert "Documents" in client.get("/documents").text


def test_the_login_page_is_translated(team: Desk) -> None:
    team.client.cookies.set("lang", "ru")
    page = team.client.get("/login")
    assert "Имя пользователя" in page.text and "Пароль" in page.text


def test_english_is_the_key_and_missing_texts_stay_english() -> None:
    t = translator("ru")
    assert t("dead") == "недоступен"
    assert t("Something nobody translated") == "Something nobody translated"
    assert t("Role of {name}", name="aigerim") == "Роль пользователя aigerim"
    assert translator("en")("Role of {name}", name="aigerim") == "Role of aigerim"


def test_russian_covers_every_english_key() -> None:
    assert set(entries("en")) <= set(entries("ru"))


def test_every_text_of_the_templates_is_an_english_key_with_a_russian_translation() -> None:
    templates = Path(web.__file__).parent / "templates"
    texts = {
        match.group(2)
        for path in templates.glob("*.html")
        for match in re.finditer(r"""\bt\(\s*(["'])(.+?)\1""", path.read_text(encoding="utf-8"))
    }
    assert len(texts) > 150
    assert sorted(texts - set(entries("en"))) == []
    assert sorted(text for text in texts if not entries("ru").get(text)) == []


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_translations_keep_their_placeholders(language: str) -> None:
    for key, value in entries(language).items():
        assert key in entries("en"), f"{language}: {key!r} is not an English key"
        if value:
            assert re.findall(r"{\w+}", value) == re.findall(r"{\w+}", key), key


@pytest.mark.parametrize(
    "state", ["alive", "dead", "drifted", "blocked", "suspect", "unknown", "moved"]
)
def test_every_state_name_has_a_russian_name(state: str) -> None:
    assert translator("ru")(state) != state
