"""The configuration as Scrapy settings: polite, safe defaults; the user's choices applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from config import ConfigError, load_config
from crawler.settings import apply_config


def scrapy_settings(tmp_path: Path, toml: str = "") -> Settings:
    (tmp_path / "citewatch.toml").write_text(toml, encoding="utf-8")
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    apply_config(settings, load_config(environ={}, cwd=tmp_path))
    return settings


def test_polite_and_safe_defaults(tmp_path: Path) -> None:
    settings = scrapy_settings(tmp_path)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("DOWNLOAD_TIMEOUT") == 30.0
    assert settings.getint("DOWNLOAD_MAXSIZE") == 20 * 2**20
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("ROBOTSTXT_OBEY")
    assert not settings.getbool("CITEWATCH_ALLOW_PRIVATE_NETWORKS")
    assert "citewatch" in settings["USER_AGENT"] and settings["USER_AGENT"].startswith(
        "Mozilla/5.0"
    )
    assert (
        settings["DOWNLOADER_MIDDLEWARES"]["crawler.capture.CaptureMiddleware"] > 900
    )  # before decompression
    assert (
        settings["DOWNLOADER_MIDDLEWARES"]["scrapy.downloadermiddlewares.retry.RetryMiddleware"]
        is None
    )
    assert 404 not in settings.getlist("RETRY_HTTP_CODES") and 429 in settings.getlist(
        "RETRY_HTTP_CODES"
    )


def test_configuration_reaches_scrapy(tmp_path: Path) -> None:
    settings = scrapy_settings(
        tmp_path,
        '[crawl]\ndelay = 3\nconcurrency_per_host = 2\nproxy = "http://10.0.0.5:3128"\n'
        'obey_robots_txt = true\nmax_body_mb = 50\nallow_networks = ["10.0.0.0/8"]\n',
    )
    assert settings.getfloat("DOWNLOAD_DELAY") == 3.0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings["CITEWATCH_PROXY"] == "http://10.0.0.5:3128"
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("DOWNLOAD_MAXSIZE") == 50 * 2**20
    assert settings.getlist("CITEWATCH_ALLOW_NETWORKS") == ["10.0.0.0/8"]


def test_name_servers_reach_scrapy(tmp_path: Path) -> None:
    assert scrapy_settings(tmp_path).getlist("CITEWATCH_NAMESERVERS") == []  # the system's
    settings = scrapy_settings(
        tmp_path, '[crawl]\ntimeout = 4\nnameservers = ["9.9.9.9", "127.0.0.1:5353", "[::1]:53"]\n'
    )
    assert settings.getlist("CITEWATCH_NAMESERVERS") == ["9.9.9.9", "127.0.0.1:5353", "[::1]:53"]
    assert settings.getfloat("DNS_TIMEOUT") == 4.0  # a lookup's whole lifetime


@pytest.mark.parametrize("server", ["dns.example", "127.0.0.1:0", "127.0.0.1:dns", "[::1]x", ""])
def test_a_name_server_must_be_an_address(tmp_path: Path, server: str) -> None:
    with pytest.raises(ConfigError, match=r"nameservers: .* is not an IP address, optionally"):
        scrapy_settings(tmp_path, f'[crawl]\nnameservers = ["{server}"]\n')
