"""Configuration: one object built from a TOML file plus CITEWATCH_* environment variables."""

from config.loader import ConfigError, child_environment, from_environment, load_config
from config.schema import (
    AlertsConfig,
    CheckConfig,
    Config,
    CrawlConfig,
    DatabaseConfig,
    DocumentsConfig,
    EvidenceConfig,
    ScheduleConfig,
    SmtpConfig,
    UrlsConfig,
    WarcConfig,
    WatchConfig,
    WebConfig,
)

__all__ = [
    "AlertsConfig",
    "CheckConfig",
    "Config",
    "ConfigError",
    "CrawlConfig",
    "DatabaseConfig",
    "DocumentsConfig",
    "EvidenceConfig",
    "ScheduleConfig",
    "SmtpConfig",
    "UrlsConfig",
    "WarcConfig",
    "WatchConfig",
    "WebConfig",
    "child_environment",
    "from_environment",
    "load_config",
]
