"""The digest in the recipient's language and time zone, and catalogues that hold every message."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from alerts.digest import BODY, Copy, Digest, LinkNotice, NewsItem, render
from alerts.i18n import catalogue_path
from config import AlertsConfig, SmtpConfig
from config.schema import LANGUAGES

PLACEHOLDER = re.compile(r"%\(\w+\)s")
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)  # 07:00 in Almaty (UTC+5)
CAPTURED = datetime(2025, 2, 27, 21, 30, tzinfo=UTC)  # 28 February, 02:30 in Almaty
MATCHED = "Суд приговорил Temirlan Yensebek & «Orda» <к ограничению свободы>"
YEAR = "2025\u202f"  # CLDR keeps "г."/"ж." to the year with a narrow no-break space
CITED = "Енсебек был осуждён 7 March 2025 за «сатиру» <sic>."


def news(count: int) -> Digest:
    copy = Copy(7, CAPTURED, "citewatch-20250227-00001.warc.gz", 5, None, 1234)
    items = [
        NewsItem(
            f"Приговор {i}", "vlast.kz", "3 марта 2025", MATCHED, f"https://vlast.kz/{i}", copy
        )
        for i in range(count)
    ]
    return Digest(cases={"Temirlan Yensebek": items}, event_ids=list(range(count)))


def links() -> Digest:
    copy = Copy(8, CAPTURED, "citewatch-20250227-00001.warc.gz", 9, "Приговор", 99)
    notices = [
        LinkNotice("dead (confirmed)", "12", "https://orda.kz/b", NOW, copy, None, context=CITED),
        LinkNotice("recovered", BODY, "https://orda.kz/c", None, None, "https://web.archive.org/x"),
    ]
    return Digest(documents=[("Briefing", notices)], event_ids=[1, 2])


def send(
    digest: Digest,
    language: str,
    zone: str = "Asia/Almaty",
    test: bool = False,
    base: str = "",
    token: str = "",
) -> EmailMessage:
    smtp, alerts = SmtpConfig(sender="cw@example.org"), AlertsConfig(("a@example.org",))
    return render(
        digest, smtp, alerts, NOW, test, base, unsubscribe_token=token, language=language, zone=zone
    )


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


@pytest.mark.parametrize(
    ("count", "updates"),
    [
        (1, "1 обновление"),
        (2, "2 обновления"),
        (5, "5 обновлений"),
        (11, "11 обновлений"),
        (21, "21 обновление"),
        (22, "22 обновления"),
    ],
)
def test_russian_counts_take_the_plural_form_of_their_number(count: int, updates: str) -> None:
    message = send(news(count), "ru")
    text, html = bodies(message)
    assert message["Subject"] == f"[citewatch] {updates} по делам"
    assert f"{updates} по делам." in text and f"{updates} по делам." in html
    assert message["Content-Language"] == "ru" and '<html lang="ru">' in html


def test_russian_dates_are_in_russian_in_the_recipients_zone() -> None:
    text, html = bodies(send(links(), "ru"))
    assert text.startswith(
        f"Сводка citewatch, 4 марта {YEAR}г., 07:00 +0500: 2 предупреждения о ссылках."
    )
    assert f"* Сноска 12: недоступна (подтверждено) с 4 марта {YEAR}г." in text
    assert f"снимок 8 от 28 февраля {YEAR}г., 02:30 +0500" in text  # the next day in Almaty
    assert "WARC citewatch-20250227-00001.warc.gz, смещение 99" in text
    assert "* Сноска (в основном тексте): снова доступна" in text
    assert "Публичный архив: https://web.archive.org/x" in text
    assert f"Сноска 12: <strong>недоступна (подтверждено)</strong> с 4 марта {YEAR}г." in html
    assert "UTC" not in text and "March" not in text.replace(CITED, "")


def test_the_zone_moves_the_clock_and_english_keeps_its_iso_dates() -> None:
    text, _ = bodies(send(links(), "en", zone="America/New_York"))
    assert "citewatch digest, 2025-03-03 21:00 EST: 2 link alerts." in text
    assert "Our copy: snapshot 8 of 2025-02-27 16:30 EST" in text
    assert "Note 12: dead (confirmed) since 2025-03-03" in text
    assert "Note (body): recovered" in text
    message = send(news(21), "en", zone="UTC")
    assert message["Subject"] == "[citewatch] 21 case updates"
    assert message["Content-Language"] == "en"
    assert "citewatch digest, 2025-03-04 02:00 UTC: 21 case updates." in bodies(message)[0]


def test_a_kazakh_digest_is_in_kazakh() -> None:
    digest = news(5)
    digest.documents = links().documents
    message = send(digest, "kk", base="https://cw.example.org", token="t")
    text, html = bodies(message)
    assert message["Subject"] == "[citewatch] 5 іс жаңалығы, 2 сілтеме ескертуі"
    assert send(news(1), "kk")["Subject"] == "[citewatch] 1 іс жаңалығы"
    assert text.startswith(f"citewatch дайджесті, {YEAR}ж. 4 наурыз, 07:00 +0500: 5 іс жаңалығы")
    assert "== Temirlan Yensebek ісі бойынша жаңалықтар ==" in text
    assert f"Біздің көшірме: https://cw.example.org/links/5 (№7 нұсқа, {YEAR}ж. 28 ақпан" in text
    assert f"* Ескертпе 12: қолжетімсіз (расталды) {YEAR}ж. 4 наурыз күнінен бері" in text
    assert (
        "Бұл хабарларды енді алмау үшін мына сілтемені ашыңыз: https://cw.example.org/unsubscribe/t"
        in text
    )
    assert "Жазылымнан бас тарту</a>" in html and '<html lang="kk">' in html
    assert message["Content-Language"] == "kk"
    assert send(Digest(), "kk", test=True)["Subject"] == "[citewatch] сынақ хабары"


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_sources_and_documents_say_is_quoted_as_written(language: str) -> None:
    digest = news(2)
    digest.documents = links().documents
    text, html = bodies(send(digest, language))
    assert text.count(f'"{MATCHED}"') == 2 and f'"{CITED}"' in text
    assert "Приговор 0" in text and "3 марта 2025" in text  # titles and published dates too
    escaped = "Суд приговорил Temirlan Yensebek &amp; «Orda» &lt;к ограничению свободы&gt;"
    assert html.count(f"<q>{escaped}</q>") == 2
    assert "Енсебек был осуждён 7 March 2025 за «сатиру» &lt;sic&gt;." in html


def test_an_unknown_language_or_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        send(news(1), "de")
    with pytest.raises(ValueError, match="time zone"):
        send(news(1), "ru", zone="Asia/Alma-Ata-Nowhere")


def extracted() -> set[str]:
    """Every message marked in alerts/ (code and templates), as `pybabel extract` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        methods, options = parse_mapping_cfg(config)
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT / "alerts"), methods, options)
    }
    return found


def test_extraction_finds_the_code_and_the_templates() -> None:
    messages = extracted()
    assert {"dead (confirmed)", "%(num)s case update", "(body)"} <= messages  # alerts/digest.py
    assert {"Our copy", "snapshot %(id)s of %(when)s"} <= messages  # the templates


@pytest.mark.parametrize(("language", "plurals"), [("ru", 3), ("kk", 2)])
def test_every_message_has_a_translation(language: str, plurals: int) -> None:
    with catalogue_path(language).open("rb") as po:
        catalogue = read_po(po, locale=language)
    assert catalogue.num_plurals == plurals
    missing, misplaced = [], []
    for msgid in sorted(extracted()):
        entry = catalogue.get(msgid)
        if entry is None or entry.fuzzy:
            missing.append(msgid)
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(forms) or len(forms) != (plurals if entry.pluralizable else 1):
            missing.append(msgid)
        elif any(
            sorted(PLACEHOLDER.findall(form)) != sorted(PLACEHOLDER.findall(msgid))
            for form in forms
        ):
            misplaced.append(msgid)
    assert not missing, f"untranslated in {language}: {missing}"
    assert not misplaced, f"placeholders not as in the English: {misplaced}"
