"""Realistic news pages for the test web: an article inside a news site's heavy boilerplate.

The article texts were written for the tests in Russian, Kazakh and English, in the style of
the sites the briefing cites; the boilerplate (menus, popular lists, footers, scripts) is what
trafilatura has to see through.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """A news article: where it appears and what it says."""

    site: str
    language: str
    title: str
    paragraphs: tuple[str, ...]
    author: str
    date: str  # ISO date

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


YENSEBEK_RU = Article(
    site="Vlast.kz",
    language="ru",
    title="Суд арестовал на два месяца автора сатирического паблика Qaznews24",
    author="Айгерим Тулешова",
    date="2025-01-18",
    paragraphs=(
        "Медеуский районный суд Алматы санкционировал арест автора сатирического паблика "
        "Qaznews24 Темирлана Енсебека на два месяца. Его обвиняют в разжигании межнациональной "
        "розни, сообщила его адвокат Жанара Балгабаева.",
        "Енсебека задержали 17 января после обыска в его квартире. По словам защиты, поводом для "
        "уголовного дела стала песня, которой блогер поделился в январе 2024 года. Сам Енсебек "
        "эту песню не писал, и она не запрещена в Казахстане.",
        "Департамент полиции Алматы заявил, что в материалах блогера есть «явные признаки "
        "возбуждения межнациональной розни». Какие именно публикации стали основанием для дела, "
        "в полиции не уточнили.",
        "Правозащитники Казахстанского международного бюро по правам человека назвали дело "
        "преследованием за сатиру и потребовали освободить Темирлана Енсебека до суда.",
        "Если суд признает блогера виновным, ему грозит до семи лет лишения свободы.",
    ),
)

YENSEBEK_KK = Article(
    site="Azattyq.org",
    language="kk",
    title="Сатиралық парақша авторы Темірлан Еңсебек екі айға қамауға алынды",
    author="Азаттық радиосы",
    date="2025-01-19",
    paragraphs=(
        "Алматыдағы Медеу аудандық соты Qaznews24 сатиралық парақшасының авторы Темірлан "
        "Еңсебекті екі айға қамауға алуға санкция берді. Оған ұлтаралық араздықты қоздырды "
        "деген айып тағылған.",
        "Еңсебектің адвокаты клиентінің кінәсін мойындамайтынын айтты. Қорғаушының сөзінше, "
        "іс блогер 2024 жылы бөліскен әнге байланысты қозғалған.",
        "Құқық қорғаушылар Еңсебекке қатысты істі сатира үшін қудалау деп бағалап, оны "
        "босатуды талап етті. Еңсебектің жақтастары оның парақшасы билікті сынағаны үшін "
        "нысанаға алынды деп санайды.",
    ),
)

MUBARAKOV_EN = Article(
    site="RFE/RL",
    language="en",
    title="Rights defenders alarmed over health of detained anti-nuclear activist",
    author="RFE/RL's Kazakh Service",
    date="2024-12-10",
    paragraphs=(
        "Human rights defenders in Kazakhstan have raised concerns about the health of activist "
        "Aidar Mubarakov, who has been on hunger strike in pre-trial detention in Almaty.",
        "Mubarakov was one of 12 activists detained on September 29, days before a nationwide "
        "referendum on building the country's first nuclear power plant. Five of them remain in "
        "custody on charges of preparing mass riots.",
        "His lawyer said Mubarakov had lost more than ten kilograms and was refusing food in "
        "protest against what he calls a politically motivated prosecution.",
        "Fellow activists say the case is retaliation for their campaign against the plant and "
        "their plans to hold peaceful protests on the day of the vote.",
    ),
)

ZHYLANBAEV_RU = Article(
    site="Exclusive.kz",
    language="ru",
    title="Верховный суд отказал в рассмотрении жалобы Марата Жыланбаева",
    author="Редакция",
    date="2024-06-06",
    paragraphs=(
        "Верховный суд Казахстана отказал в рассмотрении кассационной жалобы лидера "
        "незарегистрированной партии «Алга, Казахстан!» Марата Жыланбаева.",
        "В ноябре 2023 года Жыланбаева приговорили к семи годам лишения свободы по обвинению "
        "в финансировании экстремистской деятельности и участии в запрещённой организации.",
        "Заседание прошло в закрытом режиме. Защита Жыланбаева намерена обратиться в "
        "Комитет ООН по правам человека.",
    ),
)

ARTICLES = (YENSEBEK_RU, YENSEBEK_KK, MUBARAKOV_EN, ZHYLANBAEV_RU)

MENU = {
    "ru": (
        "Главная Новости Политика Экономика Общество Право Регионы Мир Культура Спорт Мнения "
        "Интервью Расследования Фото Видео Подкасты Архив Контакты Реклама Подписка"
    ),
    "kk": (
        "Басты бет Жаңалықтар Саясат Экономика Қоғам Құқық Аймақтар Әлем Мәдениет Спорт Пікір "
        "Сұхбат Зерттеу Фото Бейне Подкаст Мұрағат Байланыс Жарнама Жазылу"
    ),
    "en": (
        "Home News Politics Economy Society Law Regions World Culture Sport Opinion Interviews "
        "Investigations Photo Video Podcasts Archive Contact Advertising Subscribe"
    ),
}
POPULAR = {
    "ru": "Курс тенге укрепился к доллару|В Астане открыли новый мост|Погода на выходные: снег и гололёд|Цены на бензин выросли в трёх регионах|Акимат Алматы объявил о ремонте дорог",
    "kk": "Теңге бағамы нығайды|Астанада жаңа көпір ашылды|Демалыс күнгі ауа райы|Жанармай бағасы өсті|Алматы әкімдігі жол жөндеуін жариялады",
    "en": "Tenge strengthens against the dollar|New bridge opens in Astana|Weekend weather: snow and ice|Fuel prices rise in three regions|Almaty announces road repairs",
}


def article_page(article: Article, pad_to: int = 0, lang_attribute: bool = True) -> str:
    """The article as a full news-site page; `pad_to` grows the boilerplate to about that size."""
    menu = "".join(
        f'<li><a href="/{i}">{html.escape(w)}</a></li>'
        for i, w in enumerate(MENU[article.language].split())
    )
    popular = "".join(
        f'<li><a href="/news/{i}">{html.escape(t)}</a> <span class="views">{1000 + i * 37}</span></li>'
        for i, t in enumerate(POPULAR[article.language].split("|"))
    )
    body = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    lang = f' lang="{article.language}"' if lang_attribute else ""
    page = f"""<!DOCTYPE html>
<html{lang}><head>
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(article.title)} | {html.escape(article.site)}</title>
<meta name="author" content="{html.escape(article.author)}">
<meta property="article:published_time" content="{article.date}T09:30:00+05:00">
<meta property="og:site_name" content="{html.escape(article.site)}">
<style>body{{font-family:sans-serif}} .nav li{{display:inline}} .banner{{height:90px}}</style>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}</script>
</head><body>
<header><div class="logo"><a href="/">{html.escape(article.site)}</a></div>
<nav class="nav"><ul>{menu}</ul></nav><div class="banner">Реклама · Advertising</div></header>
<main><div class="breadcrumbs"><a href="/">{html.escape(article.site)}</a> / <a href="/news">News</a></div>
<article><h1>{html.escape(article.title)}</h1>
<div class="meta"><span class="author">{html.escape(article.author)}</span> <time datetime="{article.date}">{article.date}</time> <span class="views">Просмотров: 4821</span></div>
{body}
<div class="share">Telegram · WhatsApp · Facebook · X</div></article>
<aside class="popular"><h3>Popular</h3><ol>{popular}</ol></aside>
<section class="comments"><h3>Comments</h3><p>Comments are closed.</p></section></main>
<footer><p>© 2025 {html.escape(article.site)}. All rights reserved.</p><ul>{menu}</ul></footer>
</body></html>"""
    size = len(page.encode())
    if pad_to > size:
        headlines = POPULAR[article.language].split("|")
        filler: list[str] = []
        while size < pad_to:
            item = f'<li class="more"><a href="/archive/{len(filler)}">{html.escape(headlines[len(filler) % 5])}</a></li>'
            filler.append(item)
            size += len(item.encode())
        page = page.replace("</footer>", f'<ul class="archive">{"".join(filler)}</ul></footer>')
    return page


def soft_404_page(site: str = "Vlast.kz") -> str:
    """A site's "page not found" page, served with status 200."""
    return (
        f"<html lang='ru'><head><title>Страница не найдена | {site}</title></head><body>"
        f"<nav>{MENU['ru']}</nav><h1>Страница не найдена</h1><p>К сожалению, запрашиваемая "
        "страница не существует или была удалена.</p></body></html>"
    )


def home_page(site: str = "Vlast.kz") -> str:
    """A site's front page: headlines only."""
    items = "".join(
        f"<li><a href='/news/{i}'>{t}</a></li>" for i, t in enumerate(POPULAR["ru"].split("|"))
    )
    return f"<html lang='ru'><head><title>{site} — новости Казахстана</title></head><body><nav>{MENU['ru']}</nav><ul>{items}</ul></body></html>"
