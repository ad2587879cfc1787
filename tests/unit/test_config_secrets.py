"""A configuration error never repeats a secret, and a data directory that cannot be written is
one line, not a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cli import main
from config import ConfigError, load_config
from tests.support.mounts import tmpfs

SECRET = "99887766554433"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (f"[smtp]\npassword = {SECRET}\n", "[smtp] password: expected a string (value hidden)"),
        (f"[smtp]\npassword = [{SECRET}]\n", "[smtp] password: expected a string (value hidden)"),
        (f"[smtp]\npassword = {{ v = {SECRET} }}\n", "[smtp] password: expected a string"),
        (f"[smtp]\nport = '{SECRET}'\n", f"[smtp] port: expected a whole number, got '{SECRET}'"),
    ],
)
def test_a_wrong_secret_is_not_repeated(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "citewatch.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={}, cwd=tmp_path)
    assert expected in str(error.value)
    if "password" in toml:
        assert SECRET not in str(error.value)


@pytest.mark.parametrize("key", ["password", "api_token", "client_secret", "key", "passphrase"])
def test_every_key_named_like_a_secret_is_hidden(key: str) -> None:
    from config.loader import _check_type

    with pytest.raises(ValueError) as error:
        _check_type(12345, str, key)
    assert str(error.value) == "expected a string (value hidden)"


@pytest.mark.parametrize("key", ["keyword", "host", "sender", "monkey"])
def test_other_keys_show_the_wrong_value(key: str) -> None:
    from config.loader import _check_type

    with pytest.raises(ValueError, match="got 12345"):
        _check_type(12345, str, key)


def test_the_cli_says_it_in_one_line_without_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "citewatch.toml"
    path.write_text(f"[smtp]\npassword = {SECRET}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CITEWATCH_CONFIG", raising=False)
    assert main(["--config", str(path), "documents"]) == 3
    captured = capsys.readouterr()
    assert captured.err == "citewatch: error: [smtp] password: expected a string (value hidden)\n"
    assert SECRET not in captured.out + captured.err


@contextmanager
def read_only_mount(path: Path) -> Iterator[Path]:
    """A read-only filesystem at `path`: root ignores file modes, not a read-only mount."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    with tmpfs(path, "1m", read_only=True):
        yield path


@pytest.fixture
def no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No CITEWATCH_* variable and no citewatch.toml: the defaults (SQLite in the home)."""
    for name in list(os.environ):
        if name.startswith("CITEWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("where", ["inside a read-only directory", "the read-only directory"])
@pytest.mark.usefixtures("no_settings")
def test_a_read_only_home_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    with read_only_mount(tmp_path / "ro") as read_only:
        home = read_only / "citewatch-data" if where.startswith("inside") else read_only
        monkeypatch.setenv("CITEWATCH_HOME", str(home))
        assert main(["documents"]) == 3
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert error.startswith(f"citewatch: error: cannot use {home} as the data directory (")
    assert error.endswith("); choose another with --home or CITEWATCH_HOME\n")


@pytest.mark.usefixtures("no_settings")
def test_a_home_under_a_file_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    monkeypatch.setenv("CITEWATCH_HOME", str(tmp_path / "a-file" / "home"))
    assert main(["documents"]) == 3
    assert capsys.readouterr().err == (
        f"citewatch: error: cannot use {tmp_path / 'a-file' / 'home'} as the data directory "
        "(Not a directory); choose another with --home or CITEWATCH_HOME\n"
    )
