"""Case names across Latin, Russian and Kazakh Cyrillic, inflection, slips and look-alikes."""

from __future__ import annotations

import pytest

from cases.learn import bold_names, learn_spellings
from cases.matching import CaseMatcher, CaseTerms
from cases.names import skeleton, variants
from citations.document import read_document
from tests.support import EXAMPLE
from tests.support.pages import MUBARAKOV_EN, YENSEBEK_KK, YENSEBEK_RU, ZHYLANBAEV_RU

CASES = [
    CaseTerms(1, "Temirlan Yensebek"),
    CaseTerms(2, "Marat Zhylyanbaev"),
    CaseTerms(3, "Duman Mukhamedkarim"),
    CaseTerms(4, "Aidos Sadykov"),
    CaseTerms(5, "Zhanbolat Mamai"),
    CaseTerms(6, "Aidar Mubatakov"),  # as the briefing spells him; the press: Mubarakov
    CaseTerms(7, "Feminita", keywords=("Феминита",)),
    CaseTerms(8, "Aidar Syzdykov"),  # shares a first name with Mubatakov, a surname with many
]
MATCHER = CaseMatcher(CASES)


def mentions(text: str) -> list[tuple[str, str]]:
    return [(m.case, m.matched) for m in MATCHER.find(text)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Temirlan Yensebek", {"Темирлан Енсебек", "Темірлан Еңсебек", "Temirlan Ensebek"}),
        ("Marat Zhylyanbaev", {"Марат Жылянбаев", "Марат Жиланбаев"}),
        ("Duman Mukhamedkarim", {"Думан Мухамедкарим", "Думан Мұхамедкәрім"}),
        ("Aidos Sadykov", {"Айдос Садыков"}),
        ("Zhanbolat Mamai", {"Жанболат Мамай"}),
        ("Kosai Makhanbayev", {"Косай Маханбаев", "Kosai Makhanbaev"}),
        ("Rasul Zhumaniyazov", {"Расул Жуманиязов"}),
        ("Марат Жыланбаев", {"Marat Zhylanbaev", "Marat Zhylanbayev"}),
    ],
)
def test_a_name_is_spelled_the_ways_journalists_write_it(name: str, expected: set[str]) -> None:
    assert expected <= set(variants(name))


def test_every_script_and_spelling_of_a_name_shares_one_key() -> None:
    for word in ("Yensebek", "Ensebek", "Енсебек", "Еңсебек", "ЕНСЕБЕК"):
        assert skeleton(word) == "ensebek"
    assert skeleton("Жыланбаев") == skeleton("Жиланбаев") == skeleton("Zhylanbaev")
    assert skeleton("Мухаммедкарим") == skeleton("Мұхамедкәрім") == skeleton("Mukhamedkarim")


@pytest.mark.parametrize(
    "text",
    [
        "Суд арестовал Темирлана Енсебека на два месяца.",  # genitive
        "Адвокат передал Темирлану Енсебеку письмо.",  # dative
        "Встреча с Темирланом Енсебеком не состоялась.",  # instrumental
        "Говорили о Темирлане Енсебеке.",  # prepositional
        "Темірлан Еңсебекке айып тағылды.",  # Kazakh dative
        "Темірлан Еңсебектің адвокаты мәлімдеме жасады.",  # Kazakh genitive
        "Енсебек Темирлан вышел на свободу.",  # surname first
        "Т. Енсебек заявил о давлении.",  # initial
        "Satirist Temirlan Yensebek was detained.",
        "Temirlan Ensebek's lawyer appealed.",
        "Темирлан, сатирик Енсебек, не признал вину.",  # a few words apart
    ],
)
def test_yensebek_is_found_in_every_grammatical_case_and_script(text: str) -> None:
    found = MATCHER.find(text)
    assert [m.case for m in found] == ["Temirlan Yensebek"]
    match = found[0]
    assert text[match.start : match.end] == match.matched
    assert "ensebek" in skeleton(match.surname)


@pytest.mark.parametrize(
    ("text", "case"),
    [
        ("Журналист Думан Мухаметкарим остаётся под стражей.", "Duman Mukhamedkarim"),
        ("Суд над Думаном Мухаммедкаримом продолжился.", "Duman Mukhamedkarim"),
        ("Думан Мұхамедкәрімнің ісі сотқа жетті.", "Duman Mukhamedkarim"),
        ("Марата Жыланбаева приговорили к семи годам.", "Marat Zhylyanbaev"),
        ("Activist Aidar Mubarakov is on hunger strike.", "Aidar Mubatakov"),
        ("Активистки Феминиты провели встречу.", "Feminita"),
    ],
)
def test_one_letter_slips_and_keywords_still_match(text: str, case: str) -> None:
    assert [m.case for m in MATCHER.find(text)] == [case]


@pytest.mark.parametrize(
    "text",
    [
        "Футболист Бауыржан Садыков забил победный гол.",  # same surname, other first name
        "Нашествие хана Мамая описано в летописях.",  # a word that equals a surname
        "Мамай — персонаж казахского эпоса.",
        "Енсебек — распространённая фамилия.",  # surname alone
        "Темирлан пришёл на митинг. Через час полиция сообщила, что задержан некий Енсебек.",
        "Айдос пришёл. Затем Садыкова",  # too far apart
    ],
)
def test_namesakes_and_lone_surnames_do_not_match(text: str) -> None:
    assert mentions(text) == []


# Lists of defendants as Russian and Kazakh news print them. A surname written first pairs only
# up to a list separator, a surname matched by a slip (Сыдықов for Syzdykov) needs its own first
# name beside it, and a first name followed by its own surname does not pair with the next one.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Специализированный межрайонный суд по уголовным делам Алматы в пятницу огласил"
            " приговор по делу о январских событиях. Суд вынес приговор: Фазылжан Сыдықов,"
            " Айдар Мүбәраков и другие подсудимые получили от трёх до пяти лет лишения свободы."
            " Защита намерена обжаловать решение.",
            [("Aidar Mubatakov", "Айдар Мүбәраков")],
        ),
        (
            "Алматы қалалық сотында қаңтар оқиғасына қатысты іс бойынша үкім шықты. Сот"
            " Фазылжан Сыдықовқа, Айдар Мүбәраковқа және басқа да сотталушыларға үш жылдан бес"
            " жылға дейін бас бостандығынан айыру жазасын тағайындады. Қорғаушылар үкімге"
            " шағымданатынын айтты.",
            [("Aidar Mubatakov", "Айдар Мүбәраковқа")],
        ),
        (
            "Перед судом предстали Фазылжан Сыздыков и Айдар Мүбәраков.",
            [("Aidar Mubatakov", "Айдар Мүбәраков")],
        ),
        (
            "Перед судом предстали Айдар Мүбәраков, Фазылжан Сыздыков и ещё трое активистов.",
            [("Aidar Mubatakov", "Айдар Мүбәраков")],
        ),
        (
            "The defendants, Aidar Mubarakov, E. Syzdykova and two others, denied the charges.",
            [("Aidar Mubatakov", "Aidar Mubarakov")],
        ),
        # the same lists with Aidar Syzdykov in them
        (
            "Суд вынес приговор: Айдар Сыздыков, Фазылжан Мүбәраков и другие подсудимые"
            " получили реальные сроки.",
            [("Aidar Syzdykov", "Айдар Сыздыков")],
        ),
        (
            "Сот Айдар Сыздыковқа, Фазылжан Мүбәраковқа және басқа да сотталушыларға жаза"
            " тағайындады.",
            [("Aidar Syzdykov", "Айдар Сыздыковқа")],
        ),
        (
            "Суд приговорил Сыздыкова Айдара и Мубаракова Фазылжана к пяти годам.",
            [("Aidar Syzdykov", "Сыздыкова Айдара")],
        ),
        ("Айдар Сыдыков объявил голодовку.", [("Aidar Syzdykov", "Айдар Сыдыков")]),
        (
            "Темирлан Ерланович Енсебек не признал вину.",  # a patronymic is not a surname
            [("Temirlan Yensebek", "Темирлан Ерланович Енсебек")],
        ),
    ],
)
def test_a_list_of_names_pairs_each_first_name_with_its_own_surname(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert mentions(text) == expected


# One letter wrong in a first name of six letters or more is a slip when the surname is exact;
# shorter first names differ by a letter between people (Aidar, Aibar), and two slips are too many.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Almaty qalasynyñ soty Qaznews24 satiralyq paraqşasynyñ avtory Temirdan Eñsebektı"
            " ekı aiğa üiqamaqqa aldy.",  # Kazakh Latin
            [("Temirlan Yensebek", "Temirdan Eñsebektı")],
        ),
        ("Temirdan Eñsebek", [("Temirlan Yensebek", "Temirdan Eñsebek")]),
        (
            "Адвокат Темирдана Енсебека обжаловал арест.",
            [("Temirlan Yensebek", "Темирдана Енсебека")],
        ),
        ("Енсебек Темирдан вышел на свободу.", [("Temirlan Yensebek", "Енсебек Темирдан")]),
        ("Айбар Сыздыков выиграл турнир по боксу.", []),
        ("Boxer Aibar Syzdykov won the final.", []),
        ("Темирхан Енсабек выступил на концерте.", []),  # both names one letter off
        ("Темирдан, сатирик Енсебек, не признал вину.", []),  # a slip needs its surname beside it
    ],
)
def test_a_first_name_slip_matches_only_beside_an_exact_surname(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert mentions(text) == expected


# An initial is a capital letter, usually with a full stop: not the article "a", nor a sentence's
# opening "A" or "А", nor the initial of the next person in a list.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Elmira Syzdykova, a wrestler from Almaty, won bronze at the Asian Championships in"
            " Bishkek. Her coach said she would compete in Paris.",
            [],
        ),
        ("A Syzdykov family lawyer said the appeal had been filed.", []),
        ("Police questioned a Syzdykov supporter outside the court.", []),
        ("The lawyer last saw Syzdykov a week before the trial.", []),
        ("Следователи допросили свидетелей. А Сыздыков так и не явился на допрос.", []),
        ("В списке задержанных значатся Ф. Сыздыков, А. Нурланов и Е. Омаров.", []),
        ("Полиция задержала А. Сыдыкова.", []),  # a surname with a slip needs a full first name
        (
            "Elmira Syzdykova, a wrestler, visited her brother Aidar Syzdykov in jail.",
            [("Aidar Syzdykov", "Aidar Syzdykov")],
        ),
        ("A. Syzdykov was detained on Monday.", [("Aidar Syzdykov", "A. Syzdykov")]),
        ("Lawyers for Syzdykov A. appealed.", [("Aidar Syzdykov", "Syzdykov A")]),
        (
            "Полиция задержала А. Сыздыкова у здания акимата.",
            [("Aidar Syzdykov", "А. Сыздыкова")],
        ),
    ],
)
def test_an_initial_is_a_capital_letter(text: str, expected: list[tuple[str, str]]) -> None:
    assert mentions(text) == expected


@pytest.mark.parametrize(
    ("article", "case"),
    [
        (YENSEBEK_RU, "Temirlan Yensebek"),
        (YENSEBEK_KK, "Temirlan Yensebek"),
        (ZHYLANBAEV_RU, "Marat Zhylyanbaev"),
        (MUBARAKOV_EN, "Aidar Mubatakov"),
    ],
)
def test_real_articles_match_their_case_only(article: object, case: str) -> None:
    text = f"{article.title}\n\n{article.text}"  # type: ignore[attr-defined]
    assert {m.case for m in MATCHER.find(text)} == {case}


def test_several_mentions_are_reported_in_text_order() -> None:
    text = "Темирлан Енсебек и Марат Жыланбаев. Позже Темирлана Енсебека освободили."
    assert mentions(text) == [
        ("Temirlan Yensebek", "Темирлан Енсебек"),
        ("Marat Zhylyanbaev", "Марат Жыланбаев"),
        ("Temirlan Yensebek", "Темирлана Енсебека"),
    ]


def test_aliases_add_spellings() -> None:
    matcher = CaseMatcher([CaseTerms(1, "Gulzada Serzhan", aliases=("Гульзада Сержанова",))])
    assert [m.matched for m in matcher.find("Гульзаду Сержанову задержали")] == [
        "Гульзаду Сержанову"
    ]


def test_bold_names_of_the_briefing_become_cases_with_their_notes() -> None:
    suggestions = {s.name: s.footnotes for s in bold_names(read_document(EXAMPLE).parts)}
    chapter_6 = {
        "Temirlan Yensebek",
        "Marat Zhylyanbaev",
        "Duman Mukhamedkarim",
        "Aidos Sadykov",
        "Zhanbolat Mamai",
        "Aidar Mubatakov",
        "Dinara Smailova",
    }
    assert chapter_6 <= set(suggestions)
    assert "Feminita" in suggestions  # an organisation
    assert not any(name[0].islower() or " the " in name for name in suggestions)
    assert "ongoing intimidation and harassment" not in suggestions
    assert {"95", "96", "97"} <= set(suggestions["Temirlan Yensebek"])
    assert "106" in suggestions["Aidar Mubatakov"]


def test_spellings_the_sources_use_are_learned() -> None:
    sources = [
        "Суд продлил арест Айдара Мубаракова. Айдар Мубараков объявил голодовку.",
        "Адвокат Айдара Мубаракова подал жалобу.",
    ]
    learned = learn_spellings(CaseTerms(6, "Aidar Mubatakov"), sources)
    assert [(s.alias, s.seen) for s in learned] == [("Айдар Мубараков", 3)]
    zhylanbaev = learn_spellings(CaseTerms(2, "Marat Zhylyanbaev"), [ZHYLANBAEV_RU.text])
    assert [s.alias for s in zhylanbaev] == ["Марат Жыланбаев"]
    assert learn_spellings(CaseTerms(1, "Temirlan Yensebek"), [YENSEBEK_RU.text]) == []
