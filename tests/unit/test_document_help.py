"""The CLI's help names every format the document reader reads."""

from __future__ import annotations

import pytest

from citations.document import FORMATS
from citations.readers.legacy import LEGACY_FORMATS
from cli import build_parser


@pytest.mark.parametrize("command", ["add", "run"])
def test_the_document_help_lists_every_readable_format(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    readable = set(FORMATS.values()) - LEGACY_FORMATS
    assert readable == {"txt", "md", "html", "docx", "odt", "epub", "pdf"}
    assert [f".{fmt}" for fmt in sorted(readable) if f".{fmt}" not in text] == []
    assert "http(s) address" in text
