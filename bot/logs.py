"""Keeps the configured secrets out of every log record, whichever library logs it.

No code here logs a token or the Harness key, and the libraries redact what they know to be secret
(slack_sdk prints `Authorization: (redacted)`). This is the net under both: once `install_redaction`
has run, every log record created in the process has each configured secret value replaced by
`[redacted]` in its message, its exception text and its stack text, before any handler sees it.

It works at record creation (`logging.setLogRecordFactory`), not as a handler filter, so it covers
handlers added later too (a platform's, pytest's), and costs nothing for records below the level.

`formatter(fmt)` gives the formatter for LOG_FORMAT: plain text (the default), or one JSON object per
line from python-json-logger, with `time`, `level`, `logger`, `message`, and each field a record carries
in `extra` (a lookup's `surface`, `ref`, `outcome`, `latency_ms`…) as a key of its own. The JSON
formatter formats tracebacks itself, so it redacts them itself too.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import SecretStr
from pythonjsonlogger.json import JsonFormatter

from bot.settings import URL_FIELDS, url_credentials

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.settings import Settings

__all__ = ["REDACTED", "TEXT_FORMAT", "RedactingJsonFormatter", "formatter", "install_redaction", "redact"]

REDACTED: Final = "[redacted]"
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_RENAMED: Final = {"asctime": "time", "levelname": "level", "name": "logger"}
MIN_SECRET_CHARS: Final = 8
"""Shorter values are not redacted: replacing every "abc" in the logs would hide more than it protects."""

# Longest first, so a secret that contains another is replaced whole. Replaced, never changed in place:
# records are made on any thread, and a tuple being read is never half-updated.
_secrets: tuple[str, ...] = ()
_lock = threading.Lock()
_formatter = logging.Formatter()


def redact(text: str) -> str:
    """`text` with every configured secret value replaced by `[redacted]`."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def install_redaction(settings: Settings) -> None:
    """Redact the Slack tokens, the signing secret, the Harness key and the user:password of every URL
    setting of `settings` from all logging.

    Safe to call more than once (each call adds its settings' secrets); nothing is ever removed.
    """
    values = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.harness_api_key,
        settings.redis_password,
    )
    # The user and password of every URL-shaped setting (`*_url`), whatever their length: `user:pw`
    # together is distinctive enough, and so is a password.
    urls = [getattr(settings, name) for name in URL_FIELDS]
    texts = [url.get_secret_value() if isinstance(url, SecretStr) else url for url in urls if url]
    parts = [part for text in texts for part in url_credentials(text)[:2]]
    global _secrets
    with _lock:
        found = {
            value.get_secret_value()
            for value in values
            if value is not None and len(value.get_secret_value()) >= MIN_SECRET_CHARS
        }
        found.update(part for part in parts if part)
        _secrets = tuple(sorted(found.union(_secrets), key=len, reverse=True))
        factory = logging.getLogRecordFactory()
        if not isinstance(factory, _RedactingFactory):
            logging.setLogRecordFactory(_RedactingFactory(factory))


class _RedactingFactory:
    """Wraps the current LogRecord factory: records come out with the secrets already replaced."""

    def __init__(self, base: Callable[..., logging.LogRecord]) -> None:
        self._base = base

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._base(*args, **kwargs)
        if _secrets:
            _scrub(record)
        return record


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:
        return  # a bad format string is the logging call's bug: the handler reports it as usual
    # The message is formatted here, once; handlers then format nothing further from args.
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = _formatter.formatException(record.exc_info)
        clean = redact(text)
        if clean != text:
            # Formatters use exc_text when it is set, instead of formatting exc_info again.
            record.exc_text = clean
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter, with secrets redacted from the tracebacks it formats itself."""

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override] # (the library's own signature)
        formatted = super().formatException(ei)
        return redact(formatted) if isinstance(formatted, str) else [redact(line) for line in formatted]

    def formatStack(self, stack_info: str) -> str | list[str]:  # type: ignore[override]
        formatted = super().formatStack(stack_info)
        return redact(formatted) if isinstance(formatted, str) else [redact(line) for line in formatted]


def formatter(fmt: Literal["text", "json"]) -> logging.Formatter:
    """The formatter for LOG_FORMAT: one plain line per record, or one JSON object per line."""
    if fmt == "json":
        return RedactingJsonFormatter(
            JSON_FIELDS, datefmt="%Y-%m-%dT%H:%M:%S%z", rename_fields=JSON_RENAMED, timestamp=False
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, fmt: Literal["text", "json"] = "text") -> None:
    """One line per record on stderr, which platforms collect: plain text, or JSON with LOG_FORMAT=json.

    Called once, by the entry point (`python -m bot`, or `python -m bot.workers` in each worker).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    if level.upper() != "DEBUG":
        # httpx logs every request at INFO; the bot's own line per lookup says more, once.
        logging.getLogger("httpx").setLevel(logging.WARNING)
