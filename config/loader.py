"""Build the one Config object from a TOML file and CITEWATCH_* environment variables."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config.channels import ENV_PREFIX as CHANNEL_PREFIX
from config.channels import parse_channels
from config.schema import SECTIONS, Config

log = logging.getLogger(__name__)

ENV_PREFIX = "CITEWATCH_"
# Variables that select the file and the data directory rather than a setting inside them.
LOCATOR_VARIABLES = {"CITEWATCH_CONFIG", "CITEWATCH_HOME"}
CHANNELS = "channels"  # a table of named channels (config/channels.py), not a fixed section
DEFAULT_CONFIG_NAME = "citewatch.toml"
DEFAULT_HOME_NAME = "citewatch-data"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
# Settings whose values are never repeated in a message ([smtp] password, any *_token, ...).
SECRET_KEY_RE = re.compile(r"pass(?:word|wd|phrase)?|secret|token|credential|(?:^|_)key$", re.I)


class ConfigError(Exception):
    """The configuration file or environment cannot be used."""


def load_config(
    config_path: Path | None = None,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Resolve the file and data directory, then merge file values and environment overrides."""
    env = dict(environ or {})
    cwd = cwd or Path.cwd()
    path = _config_file(config_path, env, cwd)
    values: dict[str, dict[str, Any]] = _read_toml(path) if path else {}
    for name, raw in env.items():
        ours = name.startswith(ENV_PREFIX) and name not in LOCATOR_VARIABLES
        if ours and not name.startswith(CHANNEL_PREFIX):  # parse_channels reads those
            _apply_env(values, name, raw)
    try:
        channels = parse_channels(values.pop(CHANNELS, {}), env)
    except ValueError as exc:
        raise ConfigError(f"{path or 'environment'}: {exc}") from None
    home_dir = home or (Path(env["CITEWATCH_HOME"]) if env.get("CITEWATCH_HOME") else None)
    home_dir = (home_dir or cwd / DEFAULT_HOME_NAME).expanduser()
    if not home_dir.is_absolute():
        home_dir = cwd / home_dir
    sections = {name: _build_section(name, values.get(name, {})) for name in SECTIONS}
    return Config(home=home_dir, source=path, channels=channels, **sections)


def from_environment(config_path: Path | None = None, home: Path | None = None) -> Config:
    """The configuration for this process: the one place the environment is read."""
    return load_config(config_path, home, os.environ)


def child_environment(config: Config) -> dict[str, str]:
    """The environment for a child process (a crawl) that must see this same configuration."""
    environment = dict(os.environ)
    environment["CITEWATCH_HOME"] = str(config.home)
    if config.source is not None:
        environment["CITEWATCH_CONFIG"] = str(config.source.resolve())
    return environment


def _config_file(explicit: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """The file named by --config, else $CITEWATCH_CONFIG, else ./citewatch.toml if present."""
    named = explicit or (Path(env["CITEWATCH_CONFIG"]) if env.get("CITEWATCH_CONFIG") else None)
    if named is not None:
        named = named.expanduser()
        if not named.is_file():
            raise ConfigError(f"{named}: configuration file not found")
        return named
    default = cwd / DEFAULT_CONFIG_NAME
    return default if default.is_file() else None


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    """Parse the file and check that it only has known sections holding tables."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    for section, table in data.items():
        if section not in SECTIONS and section != CHANNELS:
            known = ", ".join([*SECTIONS, CHANNELS])
            raise ConfigError(f"{path}: unknown section [{section}]; known: {known}")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
    return data


def _apply_env(values: dict[str, dict[str, Any]], name: str, raw: str) -> None:
    """CITEWATCH_<SECTION>_<KEY> overrides the file; unknown names are reported, not fatal."""
    section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
    fields = _field_types(section)
    if key not in fields:
        log.warning("ignoring %s: no setting [%s] %s", name, section, key)
        return
    try:
        values.setdefault(section, {})[key] = _coerce_text(raw, fields[key], key)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _field_types(section: str) -> dict[str, Any]:
    """The type of every key a section accepts (empty for an unknown section)."""
    cls = SECTIONS.get(section)
    if cls is None:
        return {}
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _build_section(section: str, table: Mapping[str, Any]) -> Any:
    """Type-check each value and build the section's dataclass."""
    fields = _field_types(section)
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(f"unknown setting [{section}] {key}; known: {', '.join(fields)}")
        try:
            kwargs[key] = _check_type(value, fields[key], key)
        except ValueError as exc:
            raise ConfigError(f"[{section}] {key}: {exc}") from exc
    try:
        return SECTIONS[section](**kwargs)
    except ValueError as exc:
        raise ConfigError(f"[{section}]: {exc}") from exc


def _got(value: Any, key: str) -> str:
    """How an error quotes a wrong value: never at all for a secret (it would end up in logs,
    cron mail and terminals shared on screen)."""
    if SECRET_KEY_RE.search(key):
        return " (value hidden)"
    return f", got {value!r}"


def _coerce_text(raw: str, kind: Any, key: str) -> Any:
    """Turn an environment string into the setting's type."""
    text = raw.strip()
    if kind is bool:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"expected true or false{_got(raw, key)}")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number{_got(raw, key)}") from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number{_got(raw, key)}") from None
    if typing.get_origin(kind) is tuple:
        return [item.strip() for item in text.split(",") if item.strip()]
    return raw


def _check_type(value: Any, kind: Any, key: str) -> Any:
    """Accept a TOML value only if it has the setting's type."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false{_got(value, key)}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number{_got(value, key)}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number{_got(value, key)}")
        return float(value)
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"expected a list of strings{_got(value, key)}")
        return tuple(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a string{_got(value, key)}")
    return value
