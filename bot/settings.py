"""Settings: the only reader of the environment (and of `.env`, loaded by `__main__` for local runs).

Secrets are `SecretStr`, so neither `repr(settings)`, `model_dump_json()` nor a validation error ever
shows them.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_HARNESS_BASE_URL = "https://app.harness.io/gateway"
DEFAULT_HARNESS_UI_URL = "https://app.harness.io"
DEFAULT_PORT = 3000
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///harbot.db"
DATABASE_DRIVERS: Final = {
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite": "sqlite+aiosqlite",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
"""DATABASE_URL schemes understood, and the driver each is used with (`postgres://` as platforms write it)."""
Mode = Literal["auto", "http", "socket"]
README_HINT = "See README.md, section “Configuration”, or copy .env.sample to .env."
ACCOUNT_SCOPE: Final = "@account"
"""The ALLOWED_HARNESS_SCOPES entry that allows the account's own registries (no identifier has an @)."""
_SLACK_ID: Final = re.compile(r"[A-Z][A-Z0-9]{1,31}")
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# Header-safe: a key with a space, a quote or a line break in it was pasted wrong, and would be refused
# by the HTTP client only at the first lookup.
_SECRET_TEXT: Final = re.compile(r"[\x21-\x7e]+")


def _http_url(value: str) -> str:
    value = value.strip()
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("must not contain spaces, line breaks or invisible characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not an http(s) URL")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    return value


def _no_credentials(value: str) -> str:
    if "@" in urlsplit(value).netloc:
        raise ValueError(
            "must not hold a user or password: the bot shows this address in links, or Slack's client "
            "cannot use one (a proxy's credentials go in HTTPS_PROXY)"
        )
    return value


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (localhost, 127.0.0.0/8, ::1): nothing sent there leaves it."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _https_unless_loopback(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise ValueError(
            "must be https, because http would send a secret in clear (http is allowed only for a "
            "loopback host, such as http://127.0.0.1:8080)"
        )
    return value


HttpUrlText = Annotated[str, AfterValidator(_http_url)]
SecureUrlText = Annotated[str, AfterValidator(_http_url), AfterValidator(_https_unless_loopback)]


class SettingsError(Exception):
    """Start-up cannot go on: a setting is missing or malformed. The message is meant for a person."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: Annotated[SecureUrlText, AfterValidator(_no_credentials)] = DEFAULT_SLACK_API_URL

    harness_api_key: SecretStr | None = None
    harness_account_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    harness_base_url: SecureUrlText = DEFAULT_HARNESS_BASE_URL
    harness_ui_url: Annotated[HttpUrlText, AfterValidator(_no_credentials)] = DEFAULT_HARNESS_UI_URL
    harness_default_org: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    harness_default_project: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    harness_timeout: float = Field(default=5.0, gt=0, le=30)
    harness_unfurl_domains: Annotated[tuple[str, ...], NoDecode] = ()
    unfurl_policy: Literal["everywhere", "internal", "nowhere"] = "internal"
    # Where Harness reaches this bot to deliver webhooks (subscriptions): its public base URL.
    public_url: HttpUrlText | None = None

    # Who may look (empty: everyone). Comma-separated in the environment.
    allowed_slack_teams: Annotated[tuple[str, ...], NoDecode] = ()
    allowed_slack_channels: Annotated[tuple[str, ...], NoDecode] = ()
    allowed_slack_users: Annotated[tuple[str, ...], NoDecode] = ()
    allowed_harness_scopes: Annotated[tuple[str, ...], NoDecode] = ()

    host: str = "0.0.0.0"  # noqa: S104 (platforms route to the dyno on every interface)
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    log_level: str = Field(default="INFO", pattern=r"^(?i:debug|info|warning|error)$")
    log_format: Literal["text", "json"] = "text"
    metrics: Literal["on", "off"] = "on"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    prometheus_multiproc_dir: str | None = None
    """Set by the worker launcher: prometheus_client then keeps each process's figures in files there."""

    @field_validator("log_format", "metrics", "unfurl_policy", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_port", "prometheus_multiproc_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("prometheus_multiproc_dir")
    @classmethod
    def _writable_dir(cls, value: str | None) -> str | None:
        if value is not None and not (os.path.isdir(value) and os.access(value, os.W_OK)):
            raise ValueError("is not a writable directory (the worker launcher creates it, empty)")
        return value

    # Shared state (bot/state): several instances or workers answer as one. Unset: in-process only.
    redis_url: SecretStr | None = None
    redis_key_prefix: str = Field(default="harbot:", pattern=r"^[A-Za-z0-9_:.-]{1,64}$")
    web_concurrency: int = Field(default=1, ge=1, le=64)

    # What must outlive the process (bot/store): subscriptions, webhooks, deliveries, events.
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    event_retention_days: int = Field(default=30, ge=1, le=3650)
    # Deliveries signed by Harness: the secret's identifier in Harness, and its value to check with.
    harness_webhook_secret_identifier: str | None = Field(
        default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
    )
    harness_webhook_secret: SecretStr | None = None

    @field_validator("harness_webhook_secret_identifier", "harness_webhook_secret", mode="before")
    @classmethod
    def _store_blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_default(cls, value: object) -> object:
        # Unset or blank (`DATABASE_URL=` in .env): the SQLite file.
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_DATABASE_URL
        return value.strip() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr) -> SecretStr:
        # The URL may carry a password: the message shows it with the password replaced.
        text = value.get_secret_value()
        scheme, sep, rest = text.partition("://")
        driver = DATABASE_DRIVERS.get(scheme.lower()) if sep else None
        if driver is None or (driver.startswith("postgresql") and not urlsplit(text).hostname):
            raise ValueError("is neither SQLite nor PostgreSQL with a host")
        return SecretStr(f"{driver}://{rest}")

    @model_validator(mode="after")
    def _webhook_secret_pair(self) -> Settings:
        if self.harness_webhook_secret_identifier and self.harness_webhook_secret is None:
            raise ValueError(
                "HARNESS_WEBHOOK_SECRET_IDENTIFIER needs HARNESS_WEBHOOK_SECRET: the value of that Harness "
                "secret, which the bot checks each delivery's signature with"
            )
        if self.harness_webhook_secret is not None and not self.harness_webhook_secret_identifier:
            raise ValueError(
                "HARNESS_WEBHOOK_SECRET needs HARNESS_WEBHOOK_SECRET_IDENTIFIER: the identifier of the "
                "Harness secret holding the same value, which Harness signs deliveries with"
            )
        return self

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "harness_api_key",
        "harness_account_id",
        "harness_default_org",
        "harness_default_project",
        "public_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not set", not "set to the empty string".
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("harness_unfurl_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "harness_api_key")
    @classmethod
    def _header_safe(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value: it is a secret even when it is malformed.
        if value is not None and not _SECRET_TEXT.fullmatch(value.get_secret_value()):
            raise ValueError("must be printable ASCII, with no spaces or line breaks in it")
        return value

    @field_validator(
        "allowed_slack_teams",
        "allowed_slack_channels",
        "allowed_slack_users",
        "allowed_harness_scopes",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_slack_teams", "allowed_slack_channels", "allowed_slack_users")
    @classmethod
    def _slack_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if not _SLACK_ID.fullmatch(entry):
                raise ValueError(f"has {entry!r}, which is not a Slack id")
        return value

    @field_validator("allowed_harness_scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            parts = entry.split("/")
            valid = len(parts) <= 2 and all(_IDENTIFIER.fullmatch(part) for part in parts)
            if entry != ACCOUNT_SCOPE and not valid:
                raise ValueError(f"has {entry!r}, which is not an org, an org/project or {ACCOUNT_SCOPE}")
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The URL may carry a password: the message shows it with the password replaced.
        if value is not None:
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("redis", "rediss") or not parts.hostname:
                raise ValueError(
                    "must be a redis:// or rediss:// URL such as redis://localhost:6379/0 (rediss:// for TLS)"
                )
        return value

    @model_validator(mode="after")
    def _workers_need_redis(self) -> Settings:
        if self.web_concurrency > 1 and self.redis_url is None and not self.socket_mode:
            raise ValueError(
                f"WEB_CONCURRENCY={self.web_concurrency} needs REDIS_URL: without shared state each worker "
                "remembers events and registries by itself, so a Slack retry that reaches another "
                "worker is answered twice. Set REDIS_URL (such as redis://localhost:6379/0), or "
                "WEB_CONCURRENCY=1"
            )
        return self

    @model_validator(mode="after")
    def _project_needs_org(self) -> Settings:
        if self.harness_default_project and not self.harness_default_org:
            raise ValueError("HARNESS_DEFAULT_PROJECT needs HARNESS_DEFAULT_ORG as well")
        return self

    @property
    def redis_password(self) -> SecretStr | None:
        """The password inside REDIS_URL, if any (kept out of every log line, as the other secrets)."""
        if self.redis_url is None:
            return None
        parts = urlsplit(self.redis_url.get_secret_value())
        secret = parts.password or (parts.username if "@" in parts.netloc else None)
        return SecretStr(secret) if secret else None

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.slack_app_token is not None

    def for_mode(self, mode: Mode) -> Settings:
        """These settings forced into HTTP or Socket Mode (`auto` decides by SLACK_APP_TOKEN)."""
        if mode == "http":
            return self.model_copy(update={"slack_app_token": None})
        if mode == "socket" and self.slack_app_token is None:
            raise SettingsError(
                "harbot can't start in Socket Mode: set SLACK_APP_TOKEN (an app-level token with "
                "connections:write). " + README_HINT
            )
        return self

    @property
    def account_id(self) -> str:
        """The configured account id, or the one inside the API key (`pat.<accountId>.<id>.<secret>`)."""
        if self.harness_account_id:
            return self.harness_account_id
        return account_from_key(self.harness_api_key)

    @property
    def harness_host(self) -> str:
        """The Harness API host, as named in messages (never with credentials)."""
        return urlsplit(self.harness_base_url).hostname or self.harness_base_url

    @property
    def ui_hosts(self) -> frozenset[str]:
        """Hostnames whose registry links the bot reads: HARNESS_UI_URL's plus HARNESS_UNFURL_DOMAINS."""
        host = (urlsplit(self.harness_ui_url).hostname or "").lower()
        return frozenset({host, *self.harness_unfurl_domains} - {""})

    def missing(self) -> list[str]:
        """Names of required variables that are not set, for the mode the bot would start in."""
        needed = ["SLACK_BOT_TOKEN", "HARNESS_API_KEY"]
        needed.append("SLACK_APP_TOKEN" if self.socket_mode else "SLACK_SIGNING_SECRET")
        return [name for name in needed if getattr(self, name.lower()) is None]


def redis_url_for_display(url: SecretStr) -> str:
    """REDIS_URL as it may be shown in a message or log line: its user and password replaced by `***`."""
    return mask_url(url.get_secret_value())


_CREDENTIALS: Final = re.compile(r"://.*@", re.DOTALL)
"""Greedy: everything from `://` to the last `@`, so a malformed URL is masked too, conservatively."""


_PLAIN_AUTHORITY: Final = re.compile(r"(\*\*\*@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")
"""A host and port as a URL may show them, after any user and password were masked."""


_HOST_TYPED: Final = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+(/[a-z0-9._/-]*)?")
"""A hostname (with a dot) and maybe a path, in lowercase: what people type when they forget https://."""


def mask_url(value: str) -> str:
    """A URL-shaped value as a message may show it: everything between `://` and the last `@` (the user
    and password, however malformed) replaced by `***`, an authority that is not plainly host[:port]
    (`https://user:pw`, say) masked whole, any query or fragment masked; text without `scheme://`
    (perhaps a pasted password) is not shown at all."""
    if "://" not in value:
        # A host typed without its scheme (`slack.com`) helps to see; anything else may be a pasted secret.
        return value if _HOST_TYPED.fullmatch(value) else "***"
    scheme, _, rest = _CREDENTIALS.sub("://***@", value).partition("://")
    match = re.search(r"[/?#]", rest)
    authority, tail = (rest[: match.start()], rest[match.start() :]) if match else (rest, "")
    if not _PLAIN_AUTHORITY.fullmatch(authority):
        authority = "***"
    path = re.split(r"[?#]", tail, maxsplit=1)[0]
    return f"{scheme}://{authority}{path}{'?***' if len(path) < len(tail) else ''}"


def url_credentials(value: str) -> list[str]:
    """The credential parts of a URL-shaped value (user:password, the password, the user), for redaction."""
    head = value.partition("://")[2] if "://" in value else value
    if "@" not in head:
        return []
    userinfo = head.rpartition("@")[0]
    user, _, password = userinfo.partition(":")
    return [part for part in (userinfo, password, user) if part]


def account_from_key(key: SecretStr | None) -> str:
    """The account id inside a Harness PAT/SAT, or "" when the key does not have that shape."""
    if key is None:
        return ""
    parts = key.get_secret_value().split(".")
    if len(parts) >= 4 and parts[0] in ("pat", "sat") and parts[1]:
        return parts[1]
    return ""


def load_settings(mode: Mode = "auto") -> Settings:
    """Read and check the settings; raise SettingsError with one friendly paragraph when they are unusable."""
    try:
        settings = Settings().for_mode(mode)
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
    missing = settings.missing()
    if missing:
        label = "Socket Mode" if settings.socket_mode else "HTTP mode"
        raise SettingsError(
            f"harbot can't start in {label} yet: set {_join(missing)} (in the environment or in .env). "
            "You need a Slack app (create it from manifest.yml) and a Harness API key. " + README_HINT
        )
    if not settings.account_id:
        raise SettingsError(
            "harbot can't tell which Harness account to use: set HARNESS_ACCOUNT_ID, or use a Harness "
            "API key of the form pat.<accountId>.<id>.<secret>. " + README_HINT
        )
    return settings


URL_FIELDS: Final = frozenset(name for name in Settings.model_fields if name.endswith("_url"))
"""URL-shaped settings (every `*_url`): messages show them with any user and password masked."""
SECRETS: Final = frozenset(
    name
    for name, field in Settings.model_fields.items()
    if field.annotation in (SecretStr, SecretStr | None) and name not in URL_FIELDS
)
"""Settings whose value no message repeats, even a malformed one (every SecretStr but the URLs)."""
MAX_SHOWN: Final = 80
"""Characters of a bad value echoed in a message; a longer one is cut."""
EXPECTED: Final[dict[str, str]] = {
    "slack_bot_token": "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
    "slack_signing_secret": "the Signing Secret from your Slack app's Basic Information page",
    "slack_app_token": "an app-level token with connections:write (xapp-…), from Basic Information",
    "slack_api_url": "an https URL such as https://slack.com/api/",
    "harness_api_key": "a Harness API key such as pat.<accountId>.<id>.<secret>",
    "harness_account_id": "a Harness account id such as px7xd_BFRCi-pfWPYXVjvw",
    "harness_base_url": "an https URL such as https://app.harness.io/gateway",
    "harness_ui_url": "an https URL such as https://app.harness.io",
    "harness_default_org": "an org identifier such as payments",
    "harness_default_project": "a project identifier such as checkout",
    "harness_timeout": "seconds, more than 0 and at most 30, such as 5",
    "harness_unfurl_domains": "host names, comma-separated, such as harness.example.com",
    "unfurl_policy": "internal, everywhere or nowhere",
    "public_url": "this bot's public base URL, such as https://harbot.example.com",
    "allowed_slack_teams": "workspace ids, comma-separated, such as T012AB3CD",
    "allowed_slack_channels": "channel ids, comma-separated, such as C012AB3CD,G012AB3CD",
    "allowed_slack_users": "user ids, comma-separated, such as U012AB3CD",
    "allowed_harness_scopes": "orgs and org/projects, comma-separated, such as payments,platform/ci,@account",
    "host": "an address of this machine, such as 0.0.0.0 or 127.0.0.1",
    "port": "a port number from 1 to 65535, such as 3000",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "log_format": "text or json",
    "metrics": "on or off",
    "metrics_port": "a port number from 1 to 65535, such as 9100",
    "prometheus_multiproc_dir": "a writable directory such as /tmp/harbot-metrics",
    "database_url": "a URL such as sqlite+aiosqlite:///harbot.db or postgresql+asyncpg://user:pw@host/db",
    "event_retention_days": "a number of days from 1 to 3650, such as 30",
    "harness_webhook_secret_identifier": "a Harness secret identifier such as harbot_webhook_secret",
    "harness_webhook_secret": "the value of the Harness secret named by HARNESS_WEBHOOK_SECRET_IDENTIFIER",
}
"""What each setting should hold, with an example: the end of every message about it."""


def describe(exc: ValidationError) -> str:
    """One paragraph naming each bad variable, its value (never a secret's) and what it should be."""
    problems = []
    for error in exc.errors():
        if not error["loc"]:
            problems.append(error["msg"].removeprefix("Value error, "))
            continue
        field = str(error["loc"][0])
        reason = "is not valid"
        if error["type"] == "value_error":
            reason = str(error.get("ctx", {}).get("error", "is not valid"))
        if field in SECRETS:
            subject = f"{field.upper()} (value not shown)"
        else:
            shown = error.get("input")
            text = shown if isinstance(shown, str) else str(shown)
            subject = f"{field.upper()}={_shown(mask_url(text) if field in URL_FIELDS else text)}"
        expected = EXPECTED.get(field)
        problems.append(f"{subject} {reason}" + (f": use {expected}" if expected else ""))
    return "harbot can't start: " + "; ".join(problems) + ". " + README_HINT


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…")


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
