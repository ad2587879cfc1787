"""Find tracked cases in article text, across scripts, grammatical cases and one-letter slips.

`CaseMatcher` is compiled once from the cases and then matches any number of texts. Each word
of a text is reduced to its skeleton (cases.names) and looked up with its inflection ending
stripped (Russian -а/-у/-ом/-е, Kazakh -тың/-ке/-мен/..., English 's); a long surname also
matches at edit distance one. A person's name matches only with its first name (or initial) and
surname within a few words of each other, in either order, so a namesake does not match.

Lists of names ("Фазылжан Сыдықов, Айдар Мүбәраков") hold the traps, so a pairing has rules:
a surname written first pairs only up to a list separator; a part matched by a slip (a surname of
seven letters or more, or a first name of six or more when the surname is exact) needs its partner
right beside it; a part with a capitalised neighbour already has its own partner; and an initial
is a capital letter, not a one-letter word such as "a" or a sentence's opening "А".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from cases.names import WORD_RE, skeleton, variants, words

RUSSIAN_ENDINGS = (
    "а", "я", "у", "ю", "ом", "ем", "ём", "е", "ы", "и", "ым", "им", "ой", "ей", "ою", "ую",
    "ов", "ев", "ах", "ам", "ами", "ых", "ого", "ому",
)  # fmt: skip
KAZAKH_ENDINGS = (
    "тың", "тің", "дың", "дің", "ның", "нің", "ға", "ге", "қа", "ке", "на", "не", "ны", "ні",
    "ды", "ді", "ты", "ті", "да", "де", "та", "те", "нда", "нде", "дан", "ден", "тан", "тен",
    "нан", "нен", "мен", "бен", "пен", "лар", "лер", "дар", "дер", "тар", "тер", "сы", "сі",
    "ын", "ін", "ың", "ің", "ға", "ақ",
)  # fmt: skip
ENDINGS = frozenset({skeleton(e) for e in (*RUSSIAN_ENDINGS, *KAZAKH_ENDINGS, "s")} - {""})
LONGEST_ENDING = max(len(e) for e in ENDINGS)
MIN_STEM = 3
MAX_CACHE = 500_000
SENTENCE_END_RE = re.compile(r"[.!?;]")
INITIAL_RE = re.compile(r"(?<![^\W\d_])[^\W\d_]\.")
# What separates the people of a list: punctuation, a spaced hyphen, and "and"/"or" in Russian,
# Kazakh and English ("Сыздыков и Айдар ..." is two people).
LIST_SEPARATOR_RE = re.compile(
    r"[,;:/&|()\[\]–—•]|\s-\s|(?<![^\W\d_])(?:и|а|или|либо|және|мен|бен|пен|немесе|and|or)(?![^\W\d_])",
    re.IGNORECASE,
)
# Patronymics stand between a first name and a surname ("Темирлан Ерланович Енсебек").
PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "uli", "kizi")
# Skeletons are shorter than spellings; at six letters ("Aibar"/"Aidar" are five) a one-letter
# slip in a first name is a slip rather than another name.
FIRST_NAME_SLIP_MIN = 6


@dataclass(frozen=True)
class CaseTerms:
    """What identifies a case in text: its name, aliases (other spellings of the name), and
    keywords (other terms that on their own mean the case, e.g. an organisation's name)."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """One mention of a case: the span of text that matched."""

    case_id: int
    case: str
    start: int
    end: int
    matched: str
    surname: str  # the word that matched the last part of the name, as written

    def as_dict(self) -> dict[str, object]:
        return {"case": self.case, "matched": self.matched, "start": self.start, "end": self.end}


@dataclass
class _Name:
    case_index: int
    size: int
    person: bool  # a first name may stand as an initial; parts must be near each other
    first_keys: set[str] = field(default_factory=set)


_Part = tuple[int, int]  # (name, position of the word in the name)


class _Slips:
    """Keys of one kind of name part (surnames, first names) found again at edit distance one."""

    def __init__(self, shortest: int) -> None:
        self.shortest = shortest
        self._keys: dict[str, set[str]] = defaultdict(set)  # key or one-deletion form → keys
        self._parts: dict[str, set[_Part]] = defaultdict(set)

    def add(self, key: str, part: _Part) -> list[str]:
        """Index `key` of `part`; returns the forms indexed (a word must start like one)."""
        if len(key) < self.shortest:
            return []
        self._parts[key].add(part)
        forms = [key, *(key[:i] + key[i + 1 :] for i in range(len(key)))]
        for form in forms:
            self._keys[form].add(key)
        return forms

    def near(self, stem: str) -> set[_Part]:
        """The parts whose key is at edit distance one from `stem`."""
        if len(stem) < self.shortest or not self._keys:
            return set()
        candidates = set(self._keys.get(stem, ()))
        for i in range(len(stem)):
            candidates.update(self._keys.get(stem[:i] + stem[i + 1 :], ()))
        found: set[_Part] = set()
        for key in candidates:
            if Levenshtein.distance(stem, key, score_cutoff=1) <= 1:
                found |= self._parts[key]
        return found


@dataclass
class _Scan:
    """The words of one text that matched something, as `CaseMatcher.find` saw them."""

    text: str
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # word index → span
    initials: dict[int, str] = field(default_factory=dict)  # word index → letter's skeleton
    slips: set[int] = field(default_factory=set)  # words that matched only by a slip

    def gap(self, one: int, other: int) -> str:
        """The text between two words."""
        earlier, later = sorted((one, other))
        return self.text[self.spans[earlier][1] : self.spans[later][0]]


class CaseMatcher:
    """Every case's spellings compiled into one lookup table."""

    def __init__(
        self,
        cases: Iterable[CaseTerms],
        window: int = 3,
        fuzzy_min: int = 7,
        first_fuzzy_min: int = FIRST_NAME_SLIP_MIN,
    ) -> None:
        self.cases = list(cases)
        self.window = window
        self._names: list[_Name] = []
        self._index: dict[str, set[_Part]] = defaultdict(set)  # key → (name, part)
        self._surname_slips = _Slips(fuzzy_min)
        self._first_slips = _Slips(first_fuzzy_min)  # used only beside an exact surname
        self._cache: dict[str, tuple[_Part, ...]] = {}  # word → the parts it matches
        self._slipped: set[str] = set()  # cached words that match only by a slip
        self._prefixes: set[str] = set()  # a word whose skeleton starts otherwise matches nothing
        for case_index, case in enumerate(self.cases):
            self._add_name(case_index, [case.name, *variants(case.name)], person=True)
            for alias in case.aliases:
                self._add_name(case_index, [alias, *variants(alias)], person=True)
            for keyword in case.keywords:
                self._add_name(case_index, [keyword], person=False)

    def _add_name(self, case_index: int, spellings: list[str], person: bool) -> None:
        size = len(words(spellings[0]))
        if size == 0:
            return
        name = _Name(case_index, size, person and size > 1)
        name_id = len(self._names)
        self._names.append(name)
        for spelling in spellings:
            parts = words(spelling)
            if len(parts) != size:
                continue
            for position, part in enumerate(parts):
                key = skeleton(part)
                if len(key) < 2:
                    continue
                self._index[key].add((name_id, position))
                self._prefixes.add(key[:2])
                if len(key) > MIN_STEM and key[-1] in "aeiou":  # Динара → Динары, Динару
                    self._index[key[:-1]].add((name_id, position))
                if position == 0:
                    name.first_keys.add(key)
                if name.person and position in (0, size - 1):
                    slips = self._surname_slips if position == size - 1 else self._first_slips
                    forms = slips.add(key, (name_id, position))
                    self._prefixes.update(form[:2] for form in forms)

    def _lookup(self, word: str) -> tuple[_Part, ...]:
        found = self._cache.get(word)
        if found is not None:
            return found
        if len(self._cache) > MAX_CACHE:
            self._cache.clear()
            self._slipped.clear()
        key = skeleton(word)
        hits: set[_Part] = set()
        stems = _stems(key) if key[:2] in self._prefixes else []
        for stem in stems:
            hits.update(self._index.get(stem, ()))
        if not hits:
            for stem in stems:
                hits |= self._surname_slips.near(stem)
                hits |= self._first_slips.near(stem)
            if hits:
                self._slipped.add(word)
        result = tuple(hits)
        self._cache[word] = result
        return result

    def find(self, text: str) -> list[Match]:
        """Every mention of every case in `text`, in order; overlapping mentions of one case
        count once."""
        scan = _Scan(text)
        by_name: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        cache = self._cache
        for index, found in enumerate(WORD_RE.finditer(text)):
            word = found.group()
            hits = cache.get(word)
            if hits is None:
                if len(word) == 1:
                    if _is_initial(text, found):
                        scan.initials[index] = skeleton(word)
                        scan.spans[index] = found.span()
                    continue
                hits = self._lookup(word)
            if hits:
                scan.spans[index] = found.span()
                if word in self._slipped:
                    scan.slips.add(index)
                for name_id, position in hits:
                    by_name[name_id][position].append(index)
        matches: list[Match] = []
        for name_id, positions in by_name.items():
            for first, last, anchor in self._mentions(name_id, positions, scan):
                case = self.cases[self._names[name_id].case_index]
                start, end = scan.spans[first][0], scan.spans[last][1]
                if not _one_sentence(text[start:end]):
                    continue
                surname = text[scan.spans[anchor][0] : scan.spans[anchor][1]]
                matches.append(Match(case.id, case.name, start, end, text[start:end], surname))
        return _distinct(matches)

    def _mentions(
        self, name_id: int, positions: dict[int, list[int]], scan: _Scan
    ) -> Iterable[tuple[int, int, int]]:
        """(first token, last token, surname token) of each mention of one name."""
        name = self._names[name_id]
        reach = self.window if name.person else 1
        for anchor in positions.get(name.size - 1, []):
            used = [anchor]
            for position in range(name.size - 1):
                near = sorted(
                    (i for i in positions.get(position, []) if 0 < abs(i - anchor) <= reach),
                    key=lambda i: abs(i - anchor),
                )
                partner = next(
                    (i for i in near if not name.person or _pairs(i, anchor, scan)), None
                )
                if partner is None and name.person and position == 0:
                    partner = self._initial(anchor, name, scan)
                if partner is None:
                    break
                used.append(partner)
            else:
                yield min(used), max(used), anchor

    def _initial(self, anchor: int, name: _Name, scan: _Scan) -> int | None:
        """A first-name initial right before or after the surname ("Т. Енсебек", "Yensebek T."),
        not across a list separator; a surname matched by a slip needs its full first name."""
        if anchor in scan.slips:
            return None
        for index in (anchor - 1, anchor + 1):
            letter = scan.initials.get(index)
            if (
                letter
                and any(key.startswith(letter) for key in name.first_keys)
                and not LIST_SEPARATOR_RE.search(scan.gap(index, anchor))
            ):
                return index
        return None


def _pairs(part: int, surname: int, scan: _Scan) -> bool:
    """Whether a name's word `part` and its surname `surname` name one person."""
    slip = part in scan.slips or surname in scan.slips
    if part in scan.slips and surname in scan.slips:
        return False  # two slips make another name
    gap = scan.gap(part, surname)
    if slip:  # its own partner, right beside it: "Фазылжан Сыдықов, Айдар" is not Aidar Syzdykov
        return abs(part - surname) == 1 and not LIST_SEPARATOR_RE.search(gap)
    if surname < part and LIST_SEPARATOR_RE.search(gap):
        return False  # "Сыздыков, Айдар Мүбәраков": the list moved on to the next person
    return not _has_own_partner(gap)


def _has_own_partner(gap: str) -> bool:
    """Whether a capitalised word right beside either end of `gap` pairs with that end instead
    ("Айдар Мүбәраков, Фазылжан Сыздыков"); a patronymic does not ("Темирлан Ерланович Енсебек")."""
    between = list(WORD_RE.finditer(gap))
    if not between:
        return False
    first, last = between[0], between[-1]
    return (gap[: first.start()].isspace() and _is_partner(first.group())) or (
        gap[last.end() :].isspace() and _is_partner(last.group())
    )


def _is_partner(word: str) -> bool:
    """Whether a word beside a name's part is another part of someone's name."""
    return word[0].isupper() and not skeleton(word).endswith(PATRONYMIC_ENDINGS)


def _is_initial(text: str, found: re.Match[str]) -> bool:
    """Whether a one-letter word is an initial: a capital letter with a full stop, or one that
    does not open a sentence (there "A" and "А" are words: "A Syzdykov supporter said")."""
    if not found.group().isupper():
        return False
    if text.startswith(".", found.end()):
        return True
    before = text[max(0, found.start() - 8) : found.start()].rstrip(" \t\"'«“„(—–-")
    return bool(before) and before[-1] not in ".!?…\n\r"


def _one_sentence(span: str) -> bool:
    """Whether a mention stays within one sentence (an initial's dot is not a sentence end)."""
    return not SENTENCE_END_RE.search(INITIAL_RE.sub("", span))


def _stems(key: str) -> list[str]:
    """The key itself and the key without each inflection ending it may carry."""
    stems = [key]
    for size in range(1, min(LONGEST_ENDING, len(key) - MIN_STEM) + 1):
        if key[-size:] in ENDINGS:
            stems.append(key[:-size])
    return stems


def _distinct(matches: list[Match]) -> list[Match]:
    """Matches in text order, one per overlapping span of each case."""
    kept: list[Match] = []
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if any(
            k.case_id == match.case_id and k.start < match.end and match.start < k.end for k in kept
        ):
            continue
        kept.append(match)
    return kept
