"""Pages whose text only appears once JavaScript runs, for the rendering tests and benchmark."""

from __future__ import annotations

import html
import json

from tests.support.pages import Article
from tests.support.web import Reply

SHELL = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Loading…</title></head>
<body><div id="root"></div><script src="{script}"></script></body></html>"""

APP = """
fetch({data!r}).then(r => r.json()).then(article => {{
  document.title = article.title;
  const root = document.getElementById("root");
  root.innerHTML = "<article><h1></h1><p class=by></p></article>";
  root.querySelector("h1").textContent = article.title;
  root.querySelector(".by").textContent = article.author + ", " + article.date;
  for (const text of article.paragraphs) {{
    const p = document.createElement("p");
    p.textContent = text;
    root.querySelector("article").appendChild(p);
  }}
}});
"""


def shell(article: Article, script: str) -> Reply:
    """The page as a plain fetch sees it: an empty root and a script."""
    return Reply.html(SHELL.format(lang=article.language, script=html.escape(script)))


def app(data: str) -> Reply:
    """The script that fills the page from a JSON endpoint."""
    body = APP.format(data=data).encode()
    return Reply(200, body, [("Content-Type", "application/javascript")])


def article_json(article: Article) -> Reply:
    data = {
        "title": article.title,
        "author": article.author,
        "date": article.date,
        "paragraphs": list(article.paragraphs),
    }
    body = json.dumps(data, ensure_ascii=False).encode()
    return Reply(200, body, [("Content-Type", "application/json; charset=utf-8")])
