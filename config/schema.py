"""The configuration sections: typed, frozen, with the embedded defaults."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.channels import Channel
from config.cron import cron_trigger
from config.hosts import covering

LANGUAGES = ("en", "ru", "kk")  # of digests and the dashboard
WARC_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")

# Query parameters that only track the reader, never select content. A name ending in "*" is a
# prefix, "name=value" drops the parameter only with that value (ref=embed_post is Facebook's
# embed marker, while ref=... selects content on some sites).
DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "ysclid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "igshid",
    "igsh",
    "lflags",
    "ref=embed_post",
    "ref_src",
    "ref_url",
    "__twitter_impression",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ocid",
)


@dataclass(frozen=True)
class DatabaseConfig:
    """Where the index lives; empty means SQLite in the data directory.

    PostgreSQL takes libpq's parameters in the URL, TLS among them:
    postgresql://citewatch@db.example.org/citewatch?sslmode=verify-full&sslrootcert=/etc/ca.pem.
    The pool settings size each process's connections to it (SQLite has no server to share)."""

    url: str = ""
    echo: bool = False
    pool_size: int = 5  # connections a process keeps open
    max_overflow: int = 10  # more it may open at a peak, closed when returned
    pool_recycle_seconds: int = 0  # reopen connections this old (a proxy that cuts them); 0: never

    def __post_init__(self) -> None:
        if self.pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if self.max_overflow < 0 or self.pool_recycle_seconds < 0:
            raise ValueError("max_overflow and pool_recycle_seconds must not be negative")


@dataclass(frozen=True)
class DocumentsConfig:
    """Limits on the documents users hand us."""

    max_size_mb: int = 50
    # A DOCX is a zip: refuse archives that inflate beyond this, whatever their compressed size.
    max_unpacked_mb: int = 200
    # Reading a document (in a child process) is stopped after this long: a 50 MB document
    # takes well under a minute, so only a pathological one gets here.
    max_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.max_size_mb <= 0 or self.max_unpacked_mb <= 0:
            raise ValueError("sizes must be positive")
        if self.max_seconds <= 0:
            raise ValueError("max_seconds must be positive")


@dataclass(frozen=True)
class UrlsConfig:
    """How cited URLs are canonicalised for de-duplication."""

    default_scheme: str = "https"
    tracking_params: tuple[str, ...] = DEFAULT_TRACKING_PARAMS

    def __post_init__(self) -> None:
        if self.default_scheme not in ("http", "https"):
            raise ValueError("default_scheme must be http or https")


DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 citewatch/0.1 (archiving sources cited in human-rights reports)"
)


RENDER_MODES = ("never", "auto", "always")
# Per-host rendering rules ("host=mode", a host covers its subdomains): social networks draw
# their posts with JavaScript; Telegram's and YouTube's public pages carry what we keep in HTML.
DEFAULT_RENDER_HOSTS: tuple[str, ...] = (
    "facebook.com=always",
    "instagram.com=always",
    "x.com=always",
    "twitter.com=always",
    "t.me=never",
    "youtube.com=never",
)


@dataclass(frozen=True)
class CrawlConfig:
    """How citewatch fetches: politely, safely, through a proxy if one is set."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    delay: float = 1.0  # seconds between requests to one host
    concurrency_per_host: int = 1
    concurrency: int = 16
    autothrottle: bool = True
    retries: int = 2  # for transient failures only
    retry_backoff: float = 5.0  # first wait; doubles with each retry
    max_retry_after: float = 300.0  # wait at most this long when a server says Retry-After
    # A cited page is a visit a reader makes by following a footnote, like a browser's; robots.txt
    # governs crawlers that discover pages, so it is not obeyed by default (see README).
    obey_robots_txt: bool = False
    proxy: str = ""
    allow_private_networks: bool = False
    allow_networks: tuple[str, ...] = ()  # CIDRs allowed even when private, e.g. an intranet
    # Answer DNS for these hosts ourselves, "host=address" (like curl --resolve): reaches a
    # site whose name the local resolver blocks.
    pinned_hosts: tuple[str, ...] = ()
    # Ask these DNS servers, "address" or "address:port" ("[v6]:port"), instead of the system
    # resolver: a crawl that must not depend on the machine's resolver settings.
    nameservers: tuple[str, ...] = ()
    probe_siblings: bool = True  # fetch one random sibling URL per host to spot soft-404s
    max_body_mb: int = 20  # also caps decompressed bodies
    extraction_timeout: float = 60.0
    extraction_workers: int = 2
    # A crawl does not start with less free space than this in the data or WARC directory: a
    # disk that fills up mid-crawl stops it (cleanly), but better not to begin. 0: no check.
    min_free_mb: int = 500
    # How long a crawl waits for a database another process is writing (SQLite's busy timeout,
    # PostgreSQL's lock_timeout) before it stops with the database named as the reason.
    database_timeout: float = 30.0
    # Pages that need a browser: "never", "auto" (when the raw page's text is tiny or it is a
    # known JavaScript shell) or "always"; per host with render_hosts.
    render: str = "auto"
    render_hosts: tuple[str, ...] = DEFAULT_RENDER_HOSTS
    browser: str = ""  # Chromium's executable; empty: looked for (/usr/bin/chromium, PATH)
    render_timeout: float = 30.0  # seconds for a page to load and settle
    render_max_resources: int = 300  # sub-resources kept per rendered page
    render_max_mb: int = 50  # bytes of sub-resources kept per rendered page
    # A capture account's cookies, "host=path" to a Netscape cookies.txt: sent to that host only,
    # never logged, never written to WARC request records.
    cookies: tuple[str, ...] = ()
    video: bool = False  # download the videos of pages of video_hosts (yt-dlp)
    video_hosts: tuple[str, ...] = ("youtube.com", "youtu.be", "vimeo.com", "rutube.ru")
    video_max_mb: int = 200

    def __post_init__(self) -> None:
        if self.render not in RENDER_MODES:
            raise ValueError(f"render: {self.render!r} is not one of never, auto, always")
        for rule in self.render_hosts:
            host, _, mode = rule.partition("=")
            if not host.strip() or mode.strip() not in RENDER_MODES:
                raise ValueError(f"render_hosts: {rule!r} is not host=never|auto|always")
        for rule in self.cookies:
            host, _, path = rule.partition("=")
            if not host.strip() or not path.strip():
                raise ValueError(f"cookies: {rule!r} is not host=path/to/cookies.txt")
        if self.render_timeout <= 0 or min(self.render_max_resources, self.render_max_mb) < 1:
            raise ValueError("render_timeout must be positive; render limits at least 1")
        if self.video_max_mb < 1:
            raise ValueError("video_max_mb must be at least 1")
        if self.min_free_mb < 0 or self.database_timeout <= 0:
            raise ValueError("min_free_mb cannot be negative; database_timeout must be positive")
        if (
            self.timeout <= 0
            or self.delay < 0
            or self.max_retry_after < 0
            or self.retry_backoff < 0
        ):
            raise ValueError("timeout must be positive; delays cannot be negative")
        if min(self.concurrency, self.concurrency_per_host, self.max_body_mb) < 1:
            raise ValueError("concurrency and max_body_mb must be at least 1")
        if self.retries < 0 or self.extraction_workers < 1 or self.extraction_timeout <= 0:
            raise ValueError("retries cannot be negative; extraction needs a worker and a timeout")
        if self.proxy and not self.proxy.startswith(("http://", "https://")):
            raise ValueError("proxy must be an http:// or https:// URL")
        for pin in self.pinned_hosts:
            host, _, address = pin.partition("=")
            try:
                ipaddress.ip_address(address.strip())
            except ValueError:
                raise ValueError(f"pinned_hosts: {pin!r} is not host=address") from None
            if not host.strip():
                raise ValueError(f"pinned_hosts: {pin!r} names no host")
        for server in self.nameservers:
            parse_nameserver(server)
        for network in self.allow_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"allow_networks: {network!r} is not an IP network") from None

    def render_mode(self, host: str) -> str:
        """The rendering mode for a host: its own rule (or its parent domain's), else render."""
        rules = {
            name.strip().lower(): mode.strip()
            for name, _, mode in (rule.partition("=") for rule in self.render_hosts)
        }
        name = covering(host, rules)
        return self.render if name is None else rules[name]

    @property
    def cookie_files(self) -> dict[str, str]:
        """cookies as host -> path."""
        return {
            host.strip().lower(): path.strip()
            for host, _, path in (rule.partition("=") for rule in self.cookies)
        }

    @property
    def pins(self) -> dict[str, str]:
        """pinned_hosts as host -> address."""
        return {
            host.strip().lower(): address.strip()
            for host, _, address in (pin.partition("=") for pin in self.pinned_hosts)
        }


def parse_nameserver(text: str) -> tuple[str, int]:
    """A name server as (IP address, port) from "address", "address:port" or "[v6]:port"."""
    value = text.strip()
    address, port = value, "53"
    if value.startswith("["):
        address, _, rest = value[1:].partition("]")
        if rest:
            port = rest[1:] if rest.startswith(":") else ""  # "" is refused below
    elif value.count(":") == 1:
        address, _, port = value.partition(":")
    try:
        ipaddress.ip_address(address)
        number = int(port)
    except ValueError:
        number = 0
    if not 0 < number < 65536:
        raise ValueError(
            f"nameservers: {text!r} is not an IP address, optionally with :port "
            '(e.g. "9.9.9.9", "127.0.0.1:5353", "[2620:fe::fe]:53")'
        )
    return str(ipaddress.ip_address(address)), number


@dataclass(frozen=True)
class FleetConfig:
    """Distributed crawls (`citewatch worker`, `citewatch nightly --distributed`; PostgreSQL)."""

    heartbeat_seconds: float = 10.0  # how often a worker says it is alive
    stalled_seconds: float = 60.0  # silent this long, a worker is dead: its share is queued again
    poll_seconds: float = 2.0  # how often the coordinator looks at the queue (and prints progress)
    max_wait_minutes: int = 600  # the coordinator gives up (the step fails) after this long
    share_targets: int = 500  # small hosts are crawled together, this many targets to a share

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_seconds < self.stalled_seconds:
            raise ValueError("heartbeat_seconds must be positive and below stalled_seconds")
        if self.poll_seconds <= 0 or self.max_wait_minutes < 1:
            raise ValueError("poll_seconds must be positive, max_wait_minutes at least 1")
        if self.share_targets < 1:
            raise ValueError("share_targets must be at least 1")


@dataclass(frozen=True)
class CheckConfig:
    """When links are checked and how much evidence each verdict and state needs."""

    interval_hours: float = 24.0  # alive links: then 2, 4, ... days, up to max_interval_days
    max_interval_days: float = 7.0
    dead_interval_days: float = 7.0  # dead links are still looked at: they may come back
    min_interval_hours: float = 1.0  # never re-check a link sooner, unless --all
    dead_after: int = 3  # failing checks in a row ...
    dead_min_span_hours: float = 48.0  # ... the first at least this long before the last
    transient_dead_days: float = 7.0  # failing this long confirms death whatever the failure
    blocked_after: int = 2
    drift_threshold: float = 0.85  # share of the cited text still on the page
    soft_404_threshold: float = 0.9  # similarity to the host's answer for a random URL
    outage_share: float = 0.5  # more hosts than this failing to connect: a degraded run
    outage_min_hosts: int = 3
    memento: bool = True  # look up public archive copies of dead and drifted links
    memento_endpoint: str = "https://archive.org/wayback/available"
    memento_cache_days: float = 7.0
    memento_per_minute: int = 15
    memento_timeout: float = 20.0
    save_page_now: bool = False  # ask the Wayback Machine to capture live cited pages
    save_page_now_endpoint: str = "https://web.archive.org/save/"
    save_page_now_per_run: int = 20

    def __post_init__(self) -> None:
        if min(self.interval_hours, self.max_interval_days, self.dead_interval_days) <= 0:
            raise ValueError("intervals must be positive")
        if self.dead_after < 1 or self.blocked_after < 1 or self.outage_min_hosts < 1:
            raise ValueError("dead_after, blocked_after and outage_min_hosts must be at least 1")
        for name in ("drift_threshold", "soft_404_threshold", "outage_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("memento_endpoint", "save_page_now_endpoint"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL")


@dataclass(frozen=True)
class WatchConfig:
    """How watched sources are polled and how case names are matched."""

    max_new_per_source: int = 50  # newest first; the rest wait for the next poll
    max_sitemaps: int = 10  # child sitemaps read per sitemap index and poll
    match_window: int = 3  # words allowed between a first name and a surname
    fuzzy_min_length: int = 7  # surnames this long also match with one letter wrong

    def __post_init__(self) -> None:
        for name in ("max_new_per_source", "max_sitemaps", "match_window", "fuzzy_min_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


SMTP_SECURITY = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class SmtpConfig:
    """The mail server digests go through; no host means messages wait in the outbox."""

    host: str = ""
    port: int = 0  # 0: 465 with ssl, else 587 with starttls, else 25
    username: str = ""
    password: str = ""
    security: str = "starttls"
    sender: str = "citewatch@localhost"
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in SMTP_SECURITY:
            raise ValueError(f"security must be one of {', '.join(SMTP_SECURITY)}")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if "@" not in self.sender:
            raise ValueError("sender must be an e-mail address")

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"ssl": 465, "starttls": 587}.get(self.security, 25)


@dataclass(frozen=True)
class AlertsConfig:
    """Who gets the digest, in which language and time zone, and how channels are reached."""

    recipients: tuple[str, ...] = ()
    subject_prefix: str = "[citewatch]"
    language: str = "en"  # of the digest to `recipients`, and of new recipients by default
    timezone: str = ""  # of the dates in digests; empty: [schedule] timezone
    channel_timeout: float = 30.0  # seconds for a channel or webhook to answer
    telegram_api: str = ""  # a self-hosted Telegram Bot API server; empty: api.telegram.org

    def __post_init__(self) -> None:
        for address in self.recipients:
            if "@" not in address:
                raise ValueError(f"recipients: {address!r} is not an e-mail address")
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        if self.timezone:
            _check_zone(self.timezone)
        if self.channel_timeout <= 0:
            raise ValueError("channel_timeout must be positive")
        if self.telegram_api and not self.telegram_api.startswith(("http://", "https://")):
            raise ValueError("telegram_api must be an http(s) URL")


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


@dataclass(frozen=True)
class ScheduleConfig:
    """When the nightly cycle runs."""

    cron: str = "0 2 * * *"  # minute hour day month day-of-week
    timezone: str = "Asia/Almaty"
    misfire_grace_minutes: int = 60  # a run missed (machine asleep) still starts this late

    def __post_init__(self) -> None:
        _check_zone(self.timezone)
        try:
            cron_trigger(self.cron)
        except ValueError as exc:
            raise ValueError(f"cron {self.cron!r}: {exc}") from None
        if self.misfire_grace_minutes < 1:
            raise ValueError("misfire_grace_minutes must be at least 1")


@dataclass(frozen=True)
class WarcConfig:
    """Where WARC files go and when they rotate."""

    directory: str = ""  # empty: <home>/warcs
    # File names start with it: each worker of a fleet its own (a shared directory is fine).
    prefix: str = "citewatch"
    max_file_mb: int = 1000
    # `citewatch warc` decodes a stored body up to this size; pages are at most crawl.max_body_mb,
    # so a larger one is a compression bomb kept as evidence.
    max_replay_mb: int = 100

    def __post_init__(self) -> None:
        if not WARC_PREFIX.fullmatch(self.prefix):
            raise ValueError("prefix: letters, digits, '.', '_' and '-' only (at most 60)")
        if self.max_file_mb < 1:
            raise ValueError("max_file_mb must be at least 1")
        if self.max_replay_mb < 1:
            raise ValueError("max_replay_mb must be at least 1")


@dataclass(frozen=True)
class WebConfig:
    """The dashboard (`citewatch serve`) and the links into it from reports and e-mails."""

    host: str = "127.0.0.1"
    port: int = 8000
    # Where reports and e-mails link to ("https://citewatch.example.org"); empty: no links.
    base_url: str = ""
    # Archived pages are replayed from this other origin, so their scripts never run with the
    # dashboard's origin; empty: http://localhost:PORT beside http://127.0.0.1:PORT.
    replay_origin: str = ""
    language: str = "en"  # the interface's default language: en, ru or kk
    max_upload_mb: int = 50
    login_attempts_per_minute: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} is not a TCP port")
        for name in ("base_url", "replay_origin"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name}: {value!r} is not an http(s) URL")
        if self.language not in ("en", "ru", "kk"):
            raise ValueError(f"language: {self.language!r} is not one of en, ru, kk")
        if self.max_upload_mb < 1:
            raise ValueError("max_upload_mb must be at least 1")
        if self.login_attempts_per_minute < 1:
            raise ValueError("login_attempts_per_minute must be at least 1")


@dataclass(frozen=True)
class EvidenceConfig:
    """Signing and time-stamping: of sealed WARC files, and of exported packages."""

    signing_key: str = ""  # the organisation's private key; empty: <home>/keys/signing-key.pem
    # An RFC 3161 Time-Stamp Authority ("https://freetsa.org/tsr"); empty: no time-stamps.
    tsa_url: str = ""
    tsa_ca_file: str = ""  # the TSA's CA certificate(s), PEM: tokens are checked against them
    tsa_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.tsa_url and not self.tsa_url.startswith(("http://", "https://")):
            raise ValueError(f"tsa_url: {self.tsa_url!r} is not an http(s) URL")
        if self.tsa_timeout <= 0:
            raise ValueError("tsa_timeout must be positive")


@dataclass(frozen=True)
class Config:
    """Everything citewatch reads from files and the environment, read once."""

    home: Path
    source: Path | None = None
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)
    urls: UrlsConfig = field(default_factory=UrlsConfig)
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    warc: WarcConfig = field(default_factory=WarcConfig)
    check: CheckConfig = field(default_factory=CheckConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    web: WebConfig = field(default_factory=WebConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    channels: Mapping[str, Channel] = field(default_factory=dict)  # [channels], by name

    @property
    def alerts_timezone(self) -> str:
        """The time zone of digest dates unless a recipient has their own."""
        return self.alerts.timezone or self.schedule.timezone

    @property
    def database_url(self) -> str:
        """The configured database URL, or SQLite inside the data directory."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.home / 'citewatch.db').resolve()}"

    @property
    def warc_directory(self) -> Path:
        """Where WARC files are written."""
        if self.warc.directory:
            directory = Path(self.warc.directory).expanduser()
            return directory if directory.is_absolute() else self.home / directory
        return self.home / "warcs"

    @property
    def signing_key_path(self) -> Path:
        """The organisation's signing key (`citewatch keys create`)."""
        return self._in_home(self.evidence.signing_key) or self.home / "keys" / "signing-key.pem"

    @property
    def tsa_ca_path(self) -> Path | None:
        """The TSA's CA certificates, if configured."""
        return self._in_home(self.evidence.tsa_ca_file)

    def _in_home(self, setting: str) -> Path | None:
        """A configured path: relative ones are inside the data directory."""
        if not setting:
            return None
        path = Path(setting).expanduser()
        return path if path.is_absolute() else self.home / path


SECTIONS: dict[str, type] = {
    "database": DatabaseConfig,
    "documents": DocumentsConfig,
    "urls": UrlsConfig,
    "crawl": CrawlConfig,
    "warc": WarcConfig,
    "check": CheckConfig,
    "watch": WatchConfig,
    "smtp": SmtpConfig,
    "alerts": AlertsConfig,
    "schedule": ScheduleConfig,
    "web": WebConfig,
    "evidence": EvidenceConfig,
    "fleet": FleetConfig,
}
