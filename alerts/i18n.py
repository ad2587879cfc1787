"""The digest in the recipient's language: gettext catalogues, and dates and numbers in their
locale and time zone.

The catalogues are the .po files themselves, read at run time (no compiled .mo, no build step).
To add or change a message, mark it (`_()`, `N_()`, `ngettext()` in alerts/*.py; `_()` or
`{% trans %}` in alerts/templates/*), then from the repository root:

    .venv/bin/pybabel extract -F babel.cfg -o /tmp/digest.pot alerts
    .venv/bin/pybabel update -i /tmp/digest.pot -d alerts/locale -D digest --no-fuzzy-matching

and translate the new entries in alerts/locale/{ru,kk}/LC_MESSAGES/digest.po (a test fails while
one is missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from config.schema import LANGUAGES  # English: the messages as written in the code

DOMAIN = "digest"
LOCALE_DIR = Path(__file__).parent / "locale"

# English keeps the ISO dates its digests have always shown; other languages get CLDR's long
# date ("4 марта 2025 г."), joined to the time as the locale joins them.
_ENGLISH_DATE = "yyyy-MM-dd"
_TIME = "HH:mm z"  # 24-hour clock and the zone: "07:00 +0500", "02:00 UTC"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def catalogue_path(language: str) -> Path:
    """Where a language's catalogue is."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The language's messages, read from its .po file once per process."""
    if language not in LANGUAGES:
        raise ValueError(f"no digest language {language!r} (one of {', '.join(LANGUAGES)})")
    if language == "en":
        return NullTranslations()
    with catalogue_path(language).open("rb") as po:
        catalogue = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class RecipientLocale:
    """One recipient's language and time zone: their messages, dates and numbers."""

    language: str
    zone: ZoneInfo

    @classmethod
    def of(cls, language: str = "en", zone: str = "UTC") -> RecipientLocale:
        """The locale for a language code and an IANA zone name (ValueError if unknown)."""
        translations(language)  # ValueError for a language without a catalogue
        try:
            return cls(language, ZoneInfo(zone))
        except (KeyError, ValueError) as error:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"no time zone {zone!r}") from error

    @property
    def translations(self) -> NullTranslations:
        return translations(self.language)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def number(self, n: int) -> str:
        """A count as the locale writes it ("12 345" in Russian)."""
        return format_decimal(n, locale=self.language)

    def day(self, moment: datetime) -> str:
        """The day of a moment in the recipient's zone."""
        local = self._local(moment)
        return format_date(local, _ENGLISH_DATE if self.language == "en" else "long", self.language)

    def when(self, moment: datetime) -> str:
        """A moment in the recipient's zone, to the minute, with the zone."""
        local = self._local(moment)
        time = format_time(local, _TIME, tzinfo=self.zone, locale=self.language)
        joined = "{1} {0}" if self.language == "en" else get_datetime_format(locale=self.language)
        return str(joined).replace("{1}", self.day(local)).replace("{0}", time)

    def _local(self, moment: datetime) -> datetime:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(self.zone)
