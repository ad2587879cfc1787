"""Configuration: file lookup order, environment overrides, and clear errors for garbage."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_config


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file(tmp_path: Path) -> None:
    config = load_config(environ={}, cwd=tmp_path)
    assert config.source is None
    assert config.home == tmp_path / "citewatch-data"
    assert config.database_url == f"sqlite:///{tmp_path / 'citewatch-data' / 'citewatch.db'}"
    assert "utm_*" in config.urls.tracking_params


def test_file_lookup_order(tmp_path: Path) -> None:
    local = write(tmp_path / "citewatch.toml", '[database]\nurl = "sqlite:///local.db"\n')
    named = write(tmp_path / "named.toml", '[database]\nurl = "sqlite:///named.db"\n')
    explicit = write(tmp_path / "explicit.toml", '[database]\nurl = "sqlite:///explicit.db"\n')
    env = {"CITEWATCH_CONFIG": str(named)}
    assert load_config(environ={}, cwd=tmp_path).source == local
    assert load_config(environ=env, cwd=tmp_path).source == named
    assert load_config(explicit, environ=env, cwd=tmp_path).database.url == "sqlite:///explicit.db"


def test_home_lookup_order(tmp_path: Path) -> None:
    env = {"CITEWATCH_HOME": str(tmp_path / "from-env")}
    assert load_config(environ=env, cwd=tmp_path).home == tmp_path / "from-env"
    assert load_config(home=tmp_path / "flag", environ=env, cwd=tmp_path).home == tmp_path / "flag"
    assert load_config(home=Path("rel"), environ={}, cwd=tmp_path).home == tmp_path / "rel"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[database]\nurl = "sqlite:///file.db"\n[documents]\nmax_size_mb = 10\n',
    )
    env = {
        "CITEWATCH_DATABASE_URL": "postgresql://db.example/citewatch",
        "CITEWATCH_DOCUMENTS_MAX_SIZE_MB": "5",
        "CITEWATCH_URLS_TRACKING_PARAMS": "utm_*, sid",
        "CITEWATCH_DATABASE_ECHO": "yes",
    }
    config = load_config(path, environ=env, cwd=tmp_path)
    assert config.database_url == "postgresql://db.example/citewatch"
    assert config.documents.max_size_mb == 5
    assert config.urls.tracking_params == ("utm_*", "sid")
    assert config.database.echo is True


def test_unknown_environment_names_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_config(environ={"CITEWATCH_DATABSE_URL": "x"}, cwd=tmp_path)
    assert "CITEWATCH_DATABSE_URL" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[database\nurl=", "not valid TOML"),
        ("[nosuch]\nx = 1\n", "unknown section [nosuch]"),
        ("[database]\nuri = 'x'\n", "unknown setting [database] uri"),
        ("[documents]\nmax_size_mb = 'big'\n", "[documents] max_size_mb: expected a whole number"),
        ("[documents]\nmax_size_mb = -1\n", "sizes must be positive"),
        ("[urls]\ntracking_params = 'utm_*'\n", "expected a list of strings"),
        ("[urls]\ndefault_scheme = 'ftp'\n", "default_scheme must be http or https"),
        ("database = 1\n", "[database] must be a table"),
    ],
)
def test_garbage_files_fail_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={}, cwd=tmp_path)
    assert message in str(error.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="CITEWATCH_DOCUMENTS_MAX_SIZE_MB: expected a whole number"
    ):
        load_config(environ={"CITEWATCH_DOCUMENTS_MAX_SIZE_MB": "lots"}, cwd=tmp_path)


def test_missing_named_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml", environ={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(environ={"CITEWATCH_CONFIG": str(tmp_path / "gone.toml")}, cwd=tmp_path)
