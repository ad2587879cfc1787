"""The evidence package from the dashboard: the document page's button gives the signed WACZ
package `citewatch export` writes, kept in the data directory; without a signing key, a page
that says how to make one, and no file."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest

from tests.support.pages import YENSEBEK_RU, article_page
from tests.support.web import Reply, TestWeb
from tests.support.workspace import Workspace
from tests.web.conftest import Desk, csrf_from, open_desk


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    root = tmp_path_factory.mktemp("evidence-download")
    with TestWeb() as web:
        url = web[0].route("/novosti/1.html", Reply.html(article_page(YENSEBEK_RU)))
        workspace = Workspace(root, f"sqlite:///{root / 'citewatch.db'}")
        assert workspace.cli("add", str(workspace.document([url]))).code == 0
        assert workspace.cli("archive").code == 0
    desk = open_desk(workspace)
    yield desk
    desk.client.close()
    desk.database.dispose()


def _download(desk: Desk) -> tuple[int, bytes, str]:
    token = csrf_from(desk.client, "/documents/1")
    answer = desk.client.post("/documents/1/evidence.wacz", data={"csrf_token": token})
    return answer.status_code, answer.content, answer.headers.get("content-type", "")


def test_without_a_signing_key_the_page_says_how_to_make_one(archived: Desk) -> None:
    status, body, _ = _download(archived)
    assert status == 409
    assert b"citewatch keys create" in body
    assert not (archived.workspace.home / "exports").exists() or not list(
        (archived.workspace.home / "exports").iterdir()
    )


def test_the_document_page_downloads_the_signed_package(archived: Desk) -> None:
    assert archived.workspace.cli("keys", "create").code == 0
    page = archived.client.get("/documents/1").text
    assert 'action="/documents/1/evidence.wacz"' in page
    status, body, content_type = _download(archived)
    assert status == 200 and content_type.startswith("application/wacz")
    with zipfile.ZipFile(io.BytesIO(body)) as package:
        digest = json.loads(package.read("datapackage-digest.json"))
        pages = package.read("pages/pages.jsonl").decode().splitlines()
    assert "signature" in digest["signedData"]
    assert json.loads(pages[1])["notes"] == ["1"]
    (kept,) = (archived.workspace.home / "exports").glob("*.wacz")
    assert kept.read_bytes() == body
    verified = archived.workspace.cli("verify", str(kept))
    assert verified.code == 0, verified.out


def test_a_post_without_the_form_token_is_refused(archived: Desk) -> None:
    answer = archived.client.post("/documents/1/evidence.wacz")
    assert answer.status_code == 403
