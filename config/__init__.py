"""Configuration: one object built from a TOML file plus CITEWATCH_* environment variables."""

from config.loader import ConfigError, child_environment, from_environment, load_config
from config.schema import (
    CheckConfig,
    Config,
    CrawlConfig,
    DatabaseConfig,
    DocumentsConfig,
    UrlsConfig,
    WarcConfig,
    WatchConfig,
)

__all__ = [
    "CheckConfig",
    "Config",
    "ConfigError",
    "CrawlConfig",
    "DatabaseConfig",
    "DocumentsConfig",
    "UrlsConfig",
    "WarcConfig",
    "WatchConfig",
    "child_environment",
    "from_environment",
    "load_config",
]
