"""A public Telegram channel for the tests: its preview pages and single-post pages.

tests/fixtures/telegram/ holds copies of the pages Telegram's web preview serves, written after
its real markup: `channel.html` is https://t.me/s/erkindik_kz (posts 1841-1846: Russian and
Kazakh, a photo, a video, a document, an album, a service message), `channel-before-1841.html`
its older page (?before=1841: posts 1838-1840), `post-1842.html` the single-post page of post
1842 (the text in its Open Graph tags, the post drawn by a script). A later post (1848, naming
Temirlan Yensebek in Kazakh) appears when `channel_page(later=True)` is asked for.
"""

from __future__ import annotations

import html
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
CHANNEL = "erkindik_kz"
CHANNEL_TITLE = "Еркіндік | Свобода"
PREVIEW_URL = f"https://t.me/s/{CHANNEL}"

# The posts' texts as Telegram shows them (line breaks from <br>), by post id.
POST_TEXTS = {
    1838: "Доброе утро! Главное к этому часу:\n— в Астане завершился форум гражданского "
    "общества;\n— Мажилис одобрил поправки в закон о СМИ.",
    1839: "Алматыда журналистер мен құқық қорғаушылар баспасөз бостандығы туралы жиынға "
    "жиналды.\nЖиынға 40-тан астам адам қатысты.",
    1840: "Эксперты обсудили новый закон о массмедиа. Подробнее: vlast.kz",
    1841: "Акимат Алматы объявил о ремонте дорог на проспекте Абая.\nДвижение будет ограничено "
    "до 1 марта, схема объезда — на сайте almaty.gov.kz.\n\n#Алматы",
    1842: "⚡ Медеуский районный суд Алматы арестовал на два месяца автора сатирического паблика "
    "Qaznews24 Темирлана Енсебека.\n\nЕго обвиняют в разжигании межнациональной розни. "
    "Адвокат Жанара Балгабаева обжалует арест.",
    1843: "Астанада «Жаңа Қазақстан: азаматтық қоғам» форумы өтті.\nБейнежазба 👇",
    1844: "Публикуем полный текст постановления суда о мере пресечения.\nРешение можно "
    "обжаловать в течение трёх суток.",
    1846: "«Қайрат» «Тобылды» 2:0 есебімен жеңді. Екінші голды Бауыржан Садыков соқты.",
    1848: "Темірлан Еңсебекке қатысты қылмыстық іс сотқа жіберілді.\nҚорғаушының айтуынша, "
    "Еңсебектің кінәсі дәлелденбеген.",
}
LATER_POST = 1848
LATER_POST_PUBLISHED = "2025-03-01T08:30:00+00:00"

_LATER_MESSAGE = f"""          <div class="tgme_widget_message_wrap js-widget_message_wrap">
            <div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{CHANNEL}/1848" data-view="eyJjIjotMTAwMTkzMzQ1Njc4OSwicCI6IjE4NDgifQ">
              <div class="tgme_widget_message_bubble">
                <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{CHANNEL}"><span dir="auto">{CHANNEL_TITLE}</span></a></div>
                <div class="tgme_widget_message_text js-message_text" dir="auto"><b>Темірлан Еңсебекке</b> қатысты қылмыстық іс сотқа жіберілді.<br/>Қорғаушының айтуынша, Еңсебектің кінәсі дәлелденбеген.</div>
                <div class="tgme_widget_message_footer compact js-message_footer">
                  <div class="tgme_widget_message_info short js-message_info">
                    <span class="tgme_widget_message_views">1.5K</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{CHANNEL}/1848"><time datetime="{LATER_POST_PUBLISHED}" class="time">13:30</time></a></span>
                  </div>
                </div>
              </div>
            </div>
          </div>
"""


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def channel_page(later: bool = False) -> str:
    """The channel's preview page; with `later`, post 1848 has been published since."""
    page = fixture("channel.html")
    if later:
        history_end = page.index("        </section>\n      </div>\n    </main>")
        page = page[:history_end] + _LATER_MESSAGE + page[history_end:]
    return page


def post_page(post_id: int) -> str:
    """The single-post page of a post (t.me/<channel>/<id>), as post-1842.html is for 1842."""
    page = fixture("post-1842.html")
    text_1842 = html.escape(POST_TEXTS[1842], quote=True)
    assert page.count(text_1842) == 2, "post-1842.html no longer carries post 1842's text"
    page = page.replace(text_1842, html.escape(POST_TEXTS[post_id], quote=True))
    return page.replace(f"{CHANNEL}/1842", f"{CHANNEL}/{post_id}").replace(
        "post=1842", f"post={post_id}"
    )
