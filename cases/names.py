"""Names across scripts: the spellings a journalist would write, and the key they all share.

A name written in Latin (the briefing's "Yensebek", "Zhylyanbaev"), Russian Cyrillic (Енсебек) or
Kazakh Cyrillic (Еңсебек) reduces to one matching key, its *skeleton*: Kazakh letters folded to
their Russian neighbours, Cyrillic written in Latin, and the spots where romanisations disagree
(kh/h, y/i, ye/e, doubled letters) made equal. Display spellings go the other way: Latin to
Cyrillic by the Kazakh-Russian romanisation rules below (no maintained library reverses them),
Cyrillic back to Latin with iuliia's published schemes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import iuliia

WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

# Kazakh letters and their Russian neighbours, which Russian-language texts write instead.
KAZAKH, RUSSIAN = "әөүұқғңіһ", "аоуукгних"
TO_RUSSIAN_LETTERS = str.maketrans(KAZAKH + KAZAKH.upper(), RUSSIAN + RUSSIAN.upper())
KAZAKH_FOLD = str.maketrans(KAZAKH + "ёй", RUSSIAN + "еи")  # for skeletons (lowercase input)
# The romanisation schemes of the Latin spellings shown: passports (ICAO) and the press.
LATIN_SCHEMES = (iuliia.ICAO_DOC_9303, iuliia.WIKIPEDIA)
CYRILLIC_TO_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "sh", "ъ": "", "ь": "", "ы": "i", "э": "e", "ю": "iu", "я": "ia",
        # Kazakh Latin (2021) and Turkish-style letters seen in romanised names
        "ş": "sh", "ç": "ch", "ğ": "g", "ñ": "n", "ı": "i", "ä": "a", "ö": "o", "ü": "u",
        "ū": "u",
    }
)  # fmt: skip
LATIN_RULES = {"dzh": "zh", "dj": "zh", "j": "zh", "kh": "h", "x": "h", "q": "k", "w": "u"}
LATIN_RULES |= {"ye": "e", "yo": "e", "y": "i"}
LATIN_RE = re.compile("|".join(sorted(LATIN_RULES, key=len, reverse=True)))
DOUBLES_RE = re.compile(r"(.)\1+")
NOT_LETTER_RE = re.compile(r"[^a-z]+")


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """The matching key of one word in any script: `Еңсебек`, `Енсебек`, `Yensebek` → `ensebek`."""
    text = word.lower().translate(KAZAKH_FOLD).translate(CYRILLIC_TO_LATIN)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = LATIN_RE.sub(_latin_rule, text)
    return DOUBLES_RE.sub(r"\1", NOT_LETTER_RE.sub("", text))


def _latin_rule(found: re.Match[str]) -> str:
    return LATIN_RULES[found.group()]


def words(name: str) -> list[str]:
    """The words of a name, punctuation dropped."""
    return WORD_RE.findall(name)


def is_cyrillic(text: str) -> bool:
    """Whether a name is written mostly in Cyrillic."""
    letters = [c for c in text if c.isalpha()]
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return bool(letters) and cyrillic * 2 > len(letters)


# Latin → Russian Cyrillic, longest sequence first. Each entry gives the usual spelling and an
# alternative journalists also write (y after a consonant: ы or и; ya: я or а).
_LATIN_TO_RUSSIAN: tuple[tuple[str, str, str], ...] = (
    ("shch", "щ", "щ"),
    ("dzh", "дж", "дж"),
    ("zh", "ж", "ж"),
    ("kh", "х", "х"),
    ("sh", "ш", "ш"),
    ("ch", "ч", "ч"),
    ("ts", "ц", "ц"),
    ("yu", "ю", "ю"),
    ("ya", "я", "а"),
    ("yo", "ё", "е"),
    ("ye", "е", "е"),
    ("iy", "ий", "ий"),
    ("a", "а", "а"),
    ("b", "б", "б"),
    ("c", "к", "к"),
    ("d", "д", "д"),
    ("e", "е", "е"),
    ("f", "ф", "ф"),
    ("g", "г", "г"),
    ("h", "х", "х"),
    ("i", "и", "и"),
    ("j", "дж", "ж"),
    ("k", "к", "к"),
    ("l", "л", "л"),
    ("m", "м", "м"),
    ("n", "н", "н"),
    ("o", "о", "о"),
    ("p", "п", "п"),
    ("q", "к", "к"),
    ("r", "р", "р"),
    ("s", "с", "с"),
    ("t", "т", "т"),
    ("u", "у", "у"),
    ("v", "в", "в"),
    ("w", "у", "у"),
    ("x", "кс", "кс"),
    ("y", "ы", "и"),
    ("z", "з", "з"),
)
_VOWELS = set("aeiouy")
# Name elements whose Kazakh spelling differs from the Russian one (Mukhamedkarim → Мұхамедкәрім).
_KAZAKH_ELEMENTS = (
    ("мухамед", "мұхамед"),
    ("мухаммед", "мұхаммед"),
    ("карим", "кәрім"),
    ("нур", "нұр"),
    ("султан", "сұлтан"),
    ("кул", "құл"),
    ("улы", "ұлы"),
    ("кызы", "қызы"),
    ("темир", "темір"),
    ("алим", "әлім"),
    ("айгерим", "айгерім"),
)


def to_russian(word: str, alternative: bool = False) -> str:
    """A Latin word as Russian Cyrillic (`Yensebek` → `Енсебек`); `alternative` takes the other
    spelling where journalists differ (`Zhylyanbaev` → `Жиланбаев`)."""
    lower = word.lower()
    out: list[str] = []
    i = 0
    while i < len(lower):
        for latin, usual, other in _LATIN_TO_RUSSIAN:
            if lower.startswith(latin, i):
                if latin == "iy" and lower[i + 2 : i + 3] in _VOWELS and i + 2 < len(lower):
                    continue  # Zhumaniyazov → Жуманиязов: i, then ya
                after_vowel = i > 0 and lower[i - 1] in _VOWELS
                before_vowel = lower[i + 1 : i + 2] in _VOWELS and i + 1 < len(lower)
                if latin == "ya" and (i == 0 or after_vowel):
                    spelled = "я"
                elif latin == "ye" and (i == 0 or after_vowel):
                    spelled = "е"  # Yerlan → Ерлан, Makhanbayev → Маханбаев
                elif latin in ("i", "y") and after_vowel and not before_vowel:
                    spelled = "й"  # Aidos → Айдос, Mamai → Мамай
                else:
                    spelled = other if alternative else usual
                out.append(spelled)
                i += len(latin)
                break
        else:
            out.append(lower[i])
            i += 1
    return _capitalise("".join(out), word)


def to_kazakh(russian: str) -> str:
    """A Russian Cyrillic name as Kazakh Cyrillic would write it (`Енсебек` → `Еңсебек`)."""
    lower = russian.lower()
    for plain, kazakh in _KAZAKH_ELEMENTS:
        lower = lower.replace(plain, kazakh)
    lower = re.sub(r"^ен(?=[бвгджзклмпрстфхцчшщ])", "ең", lower)  # Ең- names: Еңсебек, Еңлік
    lower = re.sub(r"и(?!й)", "і", lower) if "ы" not in lower and "і" in lower else lower
    return _capitalise(lower, russian)


def to_latin(cyrillic: list[str]) -> list[str]:
    """Cyrillic words in Latin, one spelling per romanisation scheme (Kazakh letters read as
    their Russian neighbours, which the schemes know)."""
    folded = " ".join(cyrillic).translate(TO_RUSSIAN_LETTERS)
    return [scheme.translate(folded) for scheme in LATIN_SCHEMES]


def _capitalise(text: str, like: str) -> str:
    return text[:1].upper() + text[1:] if like[:1].isupper() else text


def variants(name: str) -> list[str]:
    """Spellings of a name to show and to match: Russian and Kazakh Cyrillic and common Latin
    romanisations of a Latin name, Latin romanisations of a Cyrillic one."""
    parts = words(name)
    if not parts:
        return []
    found: list[str] = [" ".join(parts)]
    if is_cyrillic(name):
        found += to_latin(parts)
        found.append(" ".join(to_kazakh(part) for part in parts))
    else:
        for alternative in (False, True):
            russian = [to_russian(part, alternative) for part in parts]
            found.append(" ".join(russian))
            found.append(" ".join(to_kazakh(part) for part in russian))
            if not alternative:
                found += to_latin(russian)
    return list(dict.fromkeys(found))
