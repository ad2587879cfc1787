"""How fast tracked cases are matched: 100 cases against 5,000 articles of realistic length.

    python bench/match.py [--cases 100] [--articles 5000]

Articles are generated: prose of 3,000-6,000 characters drawn from a vocabulary of 80,000
Cyrillic and Latin word forms with Zipf's law frequencies, as in real news (so about one word
in twenty is new to the matcher's per-word cache), 2% of sentences mentioning a case in an
inflected form. Prints compile time, articles per second on one core and matches found.
Target: 1,000 articles/s.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cases.matching import CaseMatcher, CaseTerms
from cases.names import WORD_RE

FIRST = [
    "Temirlan",
    "Marat",
    "Duman",
    "Aidos",
    "Zhanbolat",
    "Aigerim",
    "Asylbek",
    "Akylbek",
    "Dinara",
    "Kalas",
    "Rinat",
    "Raigul",
    "Timur",
    "Aidar",
    "Nurtas",
    "Kosai",
    "Gulzada",
    "Yerlan",
    "Bauyrzhan",
    "Serik",
    "Askar",
    "Nurlan",
    "Erzhan",
    "Daniyar",
    "Madina",
]
LAST = [
    "Yensebek",
    "Zhylyanbaev",
    "Mukhamedkarim",
    "Sadykov",
    "Mamai",
    "Tleuzhan",
    "Zhamuratov",
    "Muratbai",
    "Smailova",
    "Nurpeisov",
    "Utambetov",
    "Sadyrbayeva",
    "Danebaev",
    "Syzdykov",
    "Karaneyev",
    "Makhanbayev",
    "Serzhan",
    "Abenov",
    "Tokhtarov",
    "Kuanyshev",
    "Baimukhanov",
    "Zhakupov",
    "Ospanov",
    "Iskakov",
    "Kassymov",
    "Omarov",
    "Suleimenov",
]
SYLLABLES = [
    "ра",
    "ко",
    "ли",
    "ет",
    "на",
    "ст",
    "ов",
    "пр",
    "ен",
    "то",
    "ва",
    "ни",
    "ре",
    "ло",
    "ка",
    "ми",
    "по",
    "да",
    "ти",
    "ле",
    "сы",
    "қа",
    "ға",
    "ұл",
    "ің",
    "ар",
    "ер",
    "ма",
    "ба",
    "de",
    "ri",
    "on",
    "al",
    "an",
    "st",
    "er",
    "in",
    "ro",
    "ta",
    "ve",
    "co",
    "la",
    "ti",
]
VOCABULARY = 80_000
FORMS = ("{f} {s}", "{f}а {s}а", "{s}у {f}у", "{f}ом {s}ом", "{f} {s}тің", "{s} {f}")


def make_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 5)))


def make_articles(count: int, names: list[tuple[str, str]], seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    vocabulary = list(dict.fromkeys(make_word(rng) for _ in range(VOCABULARY)))
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    articles = []
    for _ in range(count):
        words: list[str] = []
        length = rng.randint(3000, 6000)
        size = 0
        while size < length:
            sentence = rng.choices(vocabulary, cum_weights=weights, k=rng.randint(6, 18))
            sentence[0] = sentence[0].capitalize()
            if rng.random() < 0.02:
                first, last = rng.choice(names)
                sentence.insert(
                    rng.randint(0, len(sentence)), rng.choice(FORMS).format(f=first, s=last)
                )
            text = " ".join(sentence) + "."
            words.append(text)
            size += len(text) + 1
        articles.append(" ".join(words))
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(3)
    pairs = sorted({(rng.choice(FIRST), rng.choice(LAST)) for _ in range(args.cases * 3)})
    cases = [CaseTerms(i, f"{f} {s}") for i, (f, s) in enumerate(pairs[: args.cases])]
    cyrillic = [("Темирлан", "Енсебек"), ("Марат", "Жыланбаев"), ("Думан", "Мухамедкарим")]
    articles = make_articles(args.articles, cyrillic + [tuple(c.name.split()) for c in cases[:20]])  # type: ignore[misc]
    chars = sum(len(a) for a in articles)

    started = time.perf_counter()
    matcher = CaseMatcher(cases)
    compiled = time.perf_counter() - started

    started = time.perf_counter()
    found = sum(len(matcher.find(article)) for article in articles)
    elapsed = time.perf_counter() - started
    mean = chars // len(articles)
    print(f"cases: {len(cases)}, articles: {len(articles)}, mean length {mean} chars")
    print(f"compile: {compiled * 1000:.0f} ms")
    print(f"matching: {elapsed:.2f} s, {len(articles) / elapsed:,.0f} articles/s (target 1,000)")
    words = sum(len(WORD_RE.findall(article)) for article in articles)
    print(f"mentions found: {found}; distinct words {len(matcher._cache):,} of {words:,}")


if __name__ == "__main__":
    main()
