"""Pages archived for replay tests: served by the local test web, crawled by `citewatch archive`.

Shared by the replay tests under Starlette's test client (tests/web/test_replay.py) and in a
real browser (tests/browser): both replay records the real crawler wrote.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from pathlib import Path

from config import Config, from_environment
from models import Database, Snapshot
from tests.support.pages import MUBARAKOV_EN, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import Workspace

ARTICLE = MUBARAKOV_EN
ARTICLE_TEXT = ARTICLE.paragraphs[0]
HOSTILE_MARK = "This page tries to read the dashboard."


def hostile_page(dashboard_origin: str) -> str:
    """A page whose script tries to read the dashboard: its cookie, a page of it with the
    viewer's credentials, the top window's document. What it got goes into <pre id="stolen">
    as JSON, each value a string starting "read" or "error"."""
    target = html.escape(f"{dashboard_origin}/documents")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hostile page</title></head>
<body><h1>{HOSTILE_MARK}</h1>
<pre id="stolen" data-target="{target}">pending</pre>
<script>
(async () => {{
  // Replayed scripts get patched window objects (fetch, top, cookie); a fresh frame's window
  // is tried too, as a script that knows the replay tool would.
  const target = document.getElementById("stolen").dataset.target;
  const fresh = document.createElement("iframe");
  document.body.append(fresh);
  const out = {{cookie: "read " + document.cookie}};
  for (const [name, win] of [["patched", window], ["fresh", fresh.contentWindow]]) {{
    try {{
      const response = await win.fetch(target, {{credentials: "include"}});
      out[name + "_fetch"] = "read " + response.status + " " + (await response.text()).slice(0, 300);
    }} catch (error) {{
      out[name + "_fetch"] = "error " + error;
    }}
    try {{
      out[name + "_top"] = "read " + win.top.document.cookie + " " + win.top.document.title;
    }} catch (error) {{
      out[name + "_top"] = "error " + error.name;
    }}
  }}
  document.getElementById("stolen").textContent = JSON.stringify(out);
}})();
</script>
</body></html>
"""


@dataclass
class Archived:
    """A workspace whose cited pages were archived, its configuration and database, and the
    newest snapshot of each page by name."""

    workspace: Workspace
    config: Config
    database: Database
    urls: dict[str, str]
    snapshots: dict[str, Snapshot]


def archive_pages(
    root: Path, pages: dict[str, str], port: int = 8000, refresh: bool = False
) -> Archived:
    """Serve `pages` (name -> HTML) on the test web, cite them in a document, archive them
    (twice with `refresh`: the second copies are revisit records) and open the dashboard's
    configuration on `port`."""
    workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}")
    with TestWeb() as web:
        urls = {name: web[0].route(f"/{name}", Reply.html(page)) for name, page in pages.items()}
        added = workspace.cli("add", str(workspace.document(urls.values())))
        assert added.code == 0, added.err
        for args in (["archive"], ["archive", "--refresh"])[: 2 if refresh else 1]:
            run = workspace.cli(*args)
            assert run.code == 0, run.err
    by_url = workspace.snapshots_by_url()
    snapshots = {name: by_url[url][-1] for name, url in urls.items()}
    config = from_environment(workspace.config_path, workspace.home)
    config = replace(config, web=replace(config.web, port=port))
    database = Database(workspace.database_url)
    return Archived(workspace, config, database, urls, snapshots)


def article() -> str:
    """The article page whose text the replay must show."""
    return article_page(ARTICLE)
