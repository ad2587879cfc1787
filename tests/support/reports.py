"""Reports on the web, for `citewatch add URL`: notes as pandoc, WordPress and Drupal write them,
and a news article without notes, each inside its site's chrome.

The chrome is what a reader must see through: a header with the site's menu, breadcrumbs, a
byline, tag lists, share buttons, related posts, a sidebar of popular articles, comments with
a commenter's link, and a footer with the site's pages and social accounts. Its internal links
are relative, as sites write them; the pages are served from the local test web, so they
resolve to its hosts.
"""

from __future__ import annotations

import html

from tests.support.pdf_file import pdf_file

MENU = (
    ("/", "Home"),
    ("/reports/", "Reports"),
    ("/news/", "News"),
    ("/countries/kazakhstan/", "Kazakhstan"),
    ("/about/", "About us"),
    ("/donate/", "Donate"),
)
RELATED = (
    ("/reports/2024/turkmenistan-briefing/", "Turkmenistan: briefing for the EU dialogue"),
    ("/reports/2024/kyrgyzstan-media-law/", "Kyrgyzstan: the new media law"),
    ("/news/2024/12/hunger-strike/", "Activist on hunger strike in pre-trial detention"),
)
POPULAR = (
    ("/news/2025/01/tokayev-amnesty/", "Amnesty law passed by parliament"),
    ("/news/2025/01/journalists-fined/", "Two journalists fined for 'false information'"),
    ("/news/2024/11/protest-ban/", "Court upholds protest ban in Almaty"),
)


def site_page(site: str, title: str, content: str, lang: str = "en", cms: str = "wp") -> str:
    """`content` (the article's own markup) inside a site's chrome, WordPress or Drupal style."""
    menu = "".join(f'<li class="menu-item"><a href="{h}">{t}</a></li>' for h, t in MENU)
    related = "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>' for h, t in RELATED)
    popular = "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>' for h, t in POPULAR)
    share = (
        '<div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3><ul>'
        '<li><a href="https://www.facebook.com/sharer/sharer.php?u=x">Facebook</a></li>'
        '<li><a href="https://twitter.com/intent/tweet?url=x">X</a></li>'
        '<li><a href="https://t.me/share/url?url=x">Telegram</a></li></ul></div>'
    )
    tags = (
        '<footer class="entry-footer"><span class="tags-links">Tags: '
        '<a href="/tag/freedom-of-expression/" rel="tag">freedom of expression</a>, '
        '<a href="/tag/kazakhstan/" rel="tag">Kazakhstan</a></span></footer>'
    )
    article = (
        f'<article class="post type-post"><header class="entry-header"><h1 class="entry-title">'
        f'{html.escape(title)}</h1><div class="entry-meta">By <a href="/author/editor/">'
        'Editor</a> · <time datetime="2025-02-03">3 February 2025</time></div></header>'
        f"{content}{tags}{share}"
        f'<div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3><ul>{related}</ul>'
        "</div></article>"
    )
    if cms == "drupal":
        article = (
            f'<article class="node node--type-article"><h1 class="page-title">'
            f"{html.escape(title)}</h1>{content}"
            '<div class="field field--name-field-tags"><a href="/taxonomy/term/7">Kazakhstan</a>'
            '</div><ul class="links inline"><li class="comment-add"><a href="/node/42#comment-form">'
            "Add new comment</a></li></ul></article>"
        )
    comments = (
        '<section id="comments" class="comments-area"><h2>2 comments</h2><ol class="comment-list">'
        '<li class="comment"><a href="https://commenter.example.org/" class="url">A reader</a>: '
        "Thank you for this report.</li></ol></section>"
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(title)} | {html.escape(site)}</title>
<meta property="og:title" content="{html.escape(title)}">
<script>var _paq = window._paq || []; _paq.push(['trackPageView']);</script>
</head><body class="post-template-default single has-sidebar">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header"><div class="site-branding"><a href="/">{html.escape(site)}</a></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{menu}</ul></nav></header>
<div id="content" class="site-content"><div class="breadcrumbs"><a href="/">Home</a> » <a href="/reports/">Reports</a></div>
<main id="main" class="site-main">{article}{comments}</main>
<aside id="secondary" class="widget-area"><section class="widget"><h2>Most read</h2><ul>{popular}</ul></section></aside></div>
<footer id="colophon" class="site-footer"><ul><li><a href="/privacy/">Privacy</a></li><li><a href="/contact/">Contact</a></li>
<li><a href="https://twitter.com/ngo_example">Twitter</a></li><li><a href="https://www.facebook.com/ngo.example">Facebook</a></li></ul>
<p>© 2025 {html.escape(site)}</p></footer>
</body></html>"""


def _pandoc_ref(n: int) -> str:
    return (
        f'<a href="#fn{n}" class="footnote-ref" id="fnref{n}" role="doc-noteref"><sup>{n}</sup></a>'
    )


def _pandoc_note(n: int, text: str) -> str:
    back = f'<a href="#fnref{n}" class="footnote-back" role="doc-backlink">↩︎</a>'
    return f'<li id="fn{n}"><p>{text}{back}</p></li>'


PANDOC_TITLE = "Kazakhstan: satirist detained as the crackdown on critics widens"
PANDOC_CONTENT = f"""<div class="entry-content">
<p>On 17 January 2025 police in Almaty detained the satirist Temirlan Yensebek, author of the Qaznews24 page.{_pandoc_ref(1)} A court ordered his arrest for two months on charges of inciting ethnic discord.{_pandoc_ref(2)}</p>
<p>Five anti-nuclear activists detained before the October 2024 referendum remain in custody.{_pandoc_ref(3)} Their lawyers say the charges punish peaceful protest.{_pandoc_ref(4)}</p>
<p>The UN Human Rights Office urged the authorities to <a href="https://www.ohchr.org/en/press-releases/2025/01/kazakhstan-release-satirist">release him at once</a>. We documented earlier cases in <a href="/reports/2024/april-briefing/">our April 2024 briefing</a>; all our work is on <a href="/reports/">the reports page</a>.</p>
<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes"><hr /><ol>
{_pandoc_note(1, 'Vlast.kz, “Суд арестовал на два месяца автора сатирического паблика Qaznews24”, 18 January 2025, <a href="https://vlast.kz/novosti/63501.html" class="uri">https://vlast.kz/novosti/63501.html</a>.')}
{_pandoc_note(2, 'Azattyq, <a href="https://rus.azattyq.org/a/33280376.html">“Темирлан Енсебек арестован”</a>; Orda.kz, <a href="https://orda.kz/yensebek-arrest/" class="uri">https://orda.kz/yensebek-arrest/</a>.')}
{_pandoc_note(3, 'RFE/RL, <a href="https://www.rferl.org/a/kazakhstan-nuclear-activists/33143196.html" class="uri">https://www.rferl.org/a/kazakhstan-nuclear-activists/33143196.html</a>.')}
{_pandoc_note(4, "See the previous endnote.")}
</ol></section></div>"""


def _easy_ref(n: int, title: str) -> str:
    return (
        f'<span id="easy-footnote-{n}-2291" class="easy-footnote-margin-adjust"></span>'
        f'<span class="easy-footnote"><a href="#easy-footnote-bottom-{n}-2291" '
        f'title="{html.escape(title)}"><sup>{n}</sup></a></span>'
    )


def _easy_note(n: int, text: str) -> str:
    return (
        f'<li class="easy-footnote-single"><span id="easy-footnote-bottom-{n}-2291" '
        f'class="easy-footnote-margin-adjust"></span>{text}'
        f'<a class="easy-footnote-to-top" href="#easy-footnote-{n}-2291"></a></li>'
    )


WORDPRESS_TITLE = "Казахстан: автор сатирического паблика арестован на два месяца"
WORDPRESS_CONTENT = f"""<div class="entry-content">
<p>17 января в Алматы задержали автора сатирического паблика Qaznews24 Темирлана Енсебека.{_easy_ref(1, "Vlast.kz")} Медеуский районный суд санкционировал его арест на два месяца.{_easy_ref(2, "Азаттык")}</p>
<p>Правозащитники назвали дело преследованием за сатиру.{_easy_ref(3, "КМБПЧ")} Подробнее читайте в <a href="/news/">разделе новостей</a>.</p>
<ol class="easy-footnotes-wrapper">
{_easy_note(1, 'Vlast.kz, <a href="https://vlast.kz/novosti/63501.html">Суд арестовал на два месяца автора сатирического паблика Qaznews24</a>')}
{_easy_note(2, 'Азаттык, <a href="https://rus.azattyq.org/a/33280376.html">https://rus.azattyq.org/a/33280376.html</a>')}
{_easy_note(3, 'Заявление КМБПЧ, <a href="https://bureau.kz/novosti/zayavlenie-yensebek/">bureau.kz/novosti/zayavlenie-yensebek</a>')}
</ol></div>"""

DRUPAL_TITLE = "Kazakhstan: Supreme Court refuses to review Zhylanbayev case"
DRUPAL_CONTENT = """<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field__item">
<p>The Supreme Court refused to review the case of Marat Zhylanbayev.<a class="see-footnote" id="footnoteref1_k3j9" title="Exclusive.kz, 6 June 2024." href="#footnote1_k3j9">1</a> He was sentenced to seven years in November 2023.<a class="see-footnote" id="footnoteref2_k3j9" title="KIBHR statement." href="#footnote2_k3j9">2</a></p>
<ul class="footnotes"><li class="footnote" id="footnote1_k3j9"><a class="footnote-label" href="#footnoteref1_k3j9">1.</a> Exclusive.kz, 6 June 2024, <a href="https://exclusive.kz/verhovnyj-sud-otkazal-zhylanbaevu/">https://exclusive.kz/verhovnyj-sud-otkazal-zhylanbaevu/</a></li>
<li class="footnote" id="footnote2_k3j9"><a class="footnote-label" href="#footnoteref2_k3j9">2.</a> KIBHR, <a href="https://bureau.kz/en/zhylanbayev-sentenced/">statement of 24 November 2023</a>.</li></ul>
</div>"""

ARTICLE_TITLE = "Rights defenders alarmed over health of detained anti-nuclear activist"
ARTICLE_CONTENT = """<div class="article-body">
<p>Human rights defenders in Kazakhstan have raised concerns about the health of activist Aidar Mubarakov, <a href="https://www.hrw.org/news/2024/12/05/kazakhstan-activist-hunger-strike">Human Rights Watch said</a> on Thursday.</p>
<p>Mubarakov was one of 12 activists detained on September 29. Five of them remain in custody, according to <a href="https://bureau.kz/novosti/aktivisty-referendum/">the Kazakhstan International Bureau for Human Rights</a>.</p>
<p>His lawyer <a href="https://t.me/lawyer_channel/512">wrote on Telegram</a> that Mubarakov had lost more than ten kilograms. More on <a href="/countries/kazakhstan/">our Kazakhstan page</a>.</p>
</div>"""


# What `citewatch citations` lists for each page: (note, URL as cited, context, link text,
# refers to); a URL starting with "/" is on the page's own site.
Cited = tuple[str | None, str, str, str | None, str | None]
PANDOC: list[Cited] = [
    (
        None,
        "https://www.ohchr.org/en/press-releases/2025/01/kazakhstan-release-satirist",
        "The UN Human Rights Office urged the authorities to release him at once.",
        "release him at once",
        None,
    ),
    (
        None,
        "/reports/2024/april-briefing/",  # the site's own page, cited in the text
        "We documented earlier cases in our April 2024 briefing; all our work is on the "
        "reports page.",  # the reports page is in the site's menu: not a citation
        "our April 2024 briefing",
        None,
    ),
    (
        "1",
        "https://vlast.kz/novosti/63501.html",
        "On 17 January 2025 police in Almaty detained the satirist Temirlan Yensebek, author "
        "of the Qaznews24 page.",
        None,
        None,
    ),
    (
        "2",
        "https://rus.azattyq.org/a/33280376.html",
        "A court ordered his arrest for two months on charges of inciting ethnic discord.",
        "“Темирлан Енсебек арестован”",
        None,
    ),
    (
        "2",
        "https://orda.kz/yensebek-arrest/",
        "A court ordered his arrest for two months on charges of inciting ethnic discord.",
        None,
        None,
    ),
    (
        "3",
        "https://www.rferl.org/a/kazakhstan-nuclear-activists/33143196.html",
        "Five anti-nuclear activists detained before the October 2024 referendum remain in "
        "custody.",
        None,
        None,
    ),
    (
        "4",
        "https://www.rferl.org/a/kazakhstan-nuclear-activists/33143196.html",
        "Their lawyers say the charges punish peaceful protest.",
        None,
        "3",
    ),
]
WORDPRESS: list[Cited] = [
    (
        "1",
        "https://vlast.kz/novosti/63501.html",
        "17 января в Алматы задержали автора сатирического паблика Qaznews24 Темирлана Енсебека.",
        "Суд арестовал на два месяца автора сатирического паблика Qaznews24",
        None,
    ),
    (
        "2",
        "https://rus.azattyq.org/a/33280376.html",
        "Медеуский районный суд санкционировал его арест на два месяца.",
        None,
        None,
    ),
    (
        "3",
        "https://bureau.kz/novosti/zayavlenie-yensebek/",
        "Правозащитники назвали дело преследованием за сатиру.",
        "bureau.kz/novosti/zayavlenie-yensebek",
        None,
    ),
]
DRUPAL: list[Cited] = [
    (
        "1",
        "https://exclusive.kz/verhovnyj-sud-otkazal-zhylanbaevu/",
        "The Supreme Court refused to review the case of Marat Zhylanbayev.",
        None,
        None,
    ),
    (
        "2",
        "https://bureau.kz/en/zhylanbayev-sentenced/",
        "He was sentenced to seven years in November 2023.",
        "statement of 24 November 2023",
        None,
    ),
]
ARTICLE: list[Cited] = [
    (
        None,
        "https://www.hrw.org/news/2024/12/05/kazakhstan-activist-hunger-strike",
        "Human rights defenders in Kazakhstan have raised concerns about the health of "
        "activist Aidar Mubarakov, Human Rights Watch said on Thursday.",
        "Human Rights Watch said",
        None,
    ),
    (
        None,
        "https://bureau.kz/novosti/aktivisty-referendum/",
        "Five of them remain in custody, according to the Kazakhstan International Bureau "
        "for Human Rights.",
        "the Kazakhstan International Bureau for Human Rights",
        None,
    ),
    (
        None,
        "https://t.me/lawyer_channel/512",
        "His lawyer wrote on Telegram that Mubarakov had lost more than ten kilograms.",
        "wrote on Telegram",
        None,
    ),
]


CITED = {"pandoc": PANDOC, "wordpress": WORDPRESS, "drupal": DRUPAL, "article": ARTICLE}


def cited(name: str, origin: str) -> list[Cited]:
    """The citations of a page served at `origin`."""
    return [
        (note, origin + url if url.startswith("/") else url, context, text, refers)
        for note, url, context, text, refers in CITED[name]
    ]


def pandoc_report(site: str = "IPHR") -> str:
    """A report whose notes pandoc wrote (footnote-ref links, a doc-endnotes section)."""
    return site_page(site, PANDOC_TITLE, PANDOC_CONTENT)


def wordpress_report(site: str = "KIBHR") -> str:
    """A WordPress post in Russian with Easy Footnotes notes."""
    return site_page(site, WORDPRESS_TITLE, WORDPRESS_CONTENT, lang="ru")


def drupal_report(site: str = "Freedom Monitor") -> str:
    """A Drupal article with the footnotes module's notes."""
    return site_page(site, DRUPAL_TITLE, DRUPAL_CONTENT, cms="drupal")


def news_article(site: str = "Steppe News") -> str:
    """A news article without notes: its links cite, in the sentences around them."""
    return site_page(site, ARTICLE_TITLE, ARTICLE_CONTENT)


def text_pdf(lines: list[str], title: str = "Statement") -> bytes:
    """A one-page PDF whose text layer holds these lines (Latin-1), in Helvetica."""
    shown = "".join(
        f"BT /F1 11 Tf 72 {740 - 16 * i} Td ({_pdf_string(line)}) Tj ET\n"
        for i, line in enumerate(lines)
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(shown)} >>\nstream\n".encode() + shown + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({_pdf_string(title)}) >>".encode("latin-1"),
    ]
    return pdf_file(objects, info=len(objects))


def _pdf_string(text: str) -> str:
    """Text as a PDF literal string's contents."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
