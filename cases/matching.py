"""Find tracked cases in article text, across scripts, grammatical cases and one-letter slips.

`CaseMatcher` is compiled once from the cases and then matches any number of texts. Each word
of a text is reduced to its skeleton (cases.names) and looked up with its inflection ending
stripped (Russian -а/-у/-ом/-е, Kazakh -тың/-ке/-мен/..., English 's); a long surname also
matches at edit distance one. A person's name matches only with its first name (or initial) and
surname within a few words of each other, in either order, so a namesake does not match.
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


class CaseMatcher:
    """Every case's spellings compiled into one lookup table."""

    def __init__(self, cases: Iterable[CaseTerms], window: int = 3, fuzzy_min: int = 7) -> None:
        self.cases = list(cases)
        self.window = window
        self.fuzzy_min = fuzzy_min
        self._names: list[_Name] = []
        self._index: dict[str, set[tuple[int, int]]] = defaultdict(set)  # key → (name, part)
        self._fuzzy: dict[str, set[str]] = defaultdict(set)  # one-deletion form → surname keys
        self._cache: dict[str, tuple[tuple[int, int], ...]] = {}
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
                if name.person and position == size - 1 and len(key) >= self.fuzzy_min:
                    for i in range(len(key)):
                        self._fuzzy[key[:i] + key[i + 1 :]].add(key)
                        self._prefixes.add((key[:i] + key[i + 1 :])[:2])
                    self._fuzzy[key].add(key)

    def _lookup(self, word: str) -> tuple[tuple[int, int], ...]:
        found = self._cache.get(word)
        if found is not None:
            return found
        if len(self._cache) > MAX_CACHE:
            self._cache.clear()
        key = skeleton(word)
        hits: set[tuple[int, int]] = set()
        stems = _stems(key) if key[:2] in self._prefixes else []
        for stem in stems:
            hits.update(self._index.get(stem, ()))
        if not hits and self._fuzzy and len(key) >= self.fuzzy_min:
            for stem in stems:
                if len(stem) >= self.fuzzy_min:
                    for near in self._near(stem):
                        hits.update(self._index[near])
        result = tuple(hits)
        self._cache[word] = result
        return result

    def _near(self, stem: str) -> set[str]:
        """Surname keys at edit distance one from `stem`."""
        candidates = set(self._fuzzy.get(stem, ()))
        for i in range(len(stem)):
            candidates.update(self._fuzzy.get(stem[:i] + stem[i + 1 :], ()))
        return {key for key in candidates if Levenshtein.distance(stem, key, score_cutoff=1) <= 1}

    def find(self, text: str) -> list[Match]:
        """Every mention of every case in `text`, in order; overlapping mentions of one case
        count once."""
        spans: dict[int, tuple[int, int]] = {}
        initials: dict[int, str] = {}
        by_name: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        cache = self._cache
        for index, found in enumerate(WORD_RE.finditer(text)):
            word = found.group()
            hits = cache.get(word)
            if hits is None:
                if len(word) == 1:
                    initials[index] = skeleton(word)
                    spans[index] = found.span()
                    continue
                hits = self._lookup(word)
            if hits:
                spans[index] = found.span()
                for name_id, position in hits:
                    by_name[name_id][position].append(index)
        matches: list[Match] = []
        for name_id, positions in by_name.items():
            for first, last, anchor in self._mentions(name_id, positions, initials):
                case = self.cases[self._names[name_id].case_index]
                start, end = spans[first][0], spans[last][1]
                if not _one_sentence(text[start:end]):
                    continue
                surname = text[spans[anchor][0] : spans[anchor][1]]
                matches.append(Match(case.id, case.name, start, end, text[start:end], surname))
        return _distinct(matches)

    def _mentions(
        self, name_id: int, positions: dict[int, list[int]], initials: dict[int, str]
    ) -> Iterable[tuple[int, int, int]]:
        """(first token, last token, surname token) of each mention of one name."""
        name = self._names[name_id]
        anchors = positions.get(name.size - 1, [])
        for anchor in anchors:
            used = [anchor]
            for position in range(name.size - 1):
                near = [
                    i
                    for i in positions.get(position, [])
                    if i != anchor and abs(i - anchor) <= (self.window if name.person else 1)
                ]
                if near:
                    used.append(min(near, key=lambda i: abs(i - anchor)))
                    continue
                initial = self._initial(anchor, name, initials) if position == 0 else None
                if initial is None or not name.person:
                    break
                used.append(initial)
            else:
                yield min(used), max(used), anchor

    def _initial(self, anchor: int, name: _Name, initials: dict[int, str]) -> int | None:
        """A first-name initial right before or after the surname ("Т. Енсебек", "Yensebek T.")."""
        for index in (anchor - 1, anchor + 1):
            letter = initials.get(index)
            if letter and any(key.startswith(letter) for key in name.first_keys):
                return index
        return None


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
