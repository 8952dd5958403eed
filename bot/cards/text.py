"""Text for Block Kit: mrkdwn escaping, lengths as Slack counts them, cutting, listing, dates, scopes.

Lengths are UTF-16 code units, as Slack counts them. Text from Harness or a user goes through `escape`
(directly or through `inline` / `code`), so it can never mention anyone or forge a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Final

from bot.refs import RegistryRef

# Block Kit limits (https://docs.slack.dev/reference/block-kit).
MAX_BLOCKS: Final = 50
HEADER_LIMIT: Final = 150
SECTION_LIMIT: Final = 3000
FIELD_LIMIT: Final = 2000
MAX_FIELDS: Final = 10
BUTTON_VALUE_LIMIT: Final = 2000
URL_LIMIT: Final = 3000

# What reads well, well inside those limits: a card is scanned mid-incident, often on a phone.
DESCRIPTION_LIMIT: Final = 600
COMPACT_DESCRIPTION_LIMIT: Final = 150
NAME_LIMIT: Final = 80
VALUE_LIMIT: Final = 120
URL_SHOWN_LIMIT: Final = 400
FALLBACK_LIMIT: Final = 300

SEP: Final = " · "
# Slack date formats: "Jun 19, 2024" / "yesterday", and the same with the time.
DAY: Final = "{date_short_pretty}"
DAY_AND_TIME: Final = "{date_short_pretty} at {time}"
WARNING: Final = "⚠️"


def escape(text: str) -> str:
    """`text` made literal for Slack mrkdwn: `&`, `<`, `>` become entities, so nothing in it is markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def units(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units), never less than `len`."""
    if text.isascii():  # O(1) in CPython, and most text is ASCII
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def escaped_units(text: str) -> int:
    """Length of `text` once escaped, as Slack counts it."""
    return units(escape(text))


_BREAK = re.compile(r"\s")


def cut(text: str, limit: int, *, measure: Callable[[str], int] = escaped_units) -> str:
    """`text` whose measure is at most `limit`: whole, or cut at a word (else mid-word) and ended with "…"."""
    if measure(text) <= limit:
        return text
    budget = limit - measure("…")
    used = end = 0
    for index, char in enumerate(text):
        used += measure(char)
        if used > budget:
            break
        end = index + 1
    head = text[:end]
    breaks = [m.start() for m in _BREAK.finditer(head)]
    if breaks and breaks[-1] > end // 2:
        head = head[: breaks[-1]]
    return head.rstrip() + "…"


def fit(mrkdwn: str, limit: int) -> str:
    """A last guard for text built here: every builder already stays inside its limit by construction."""
    return mrkdwn if units(mrkdwn) <= limit else cut(mrkdwn, limit, measure=units)


def flat(text: str) -> str:
    """One line: every run of whitespace (newlines too) becomes a single space."""
    return " ".join(text.split())


def inline(text: str, limit: int = VALUE_LIMIT) -> str:
    """Harness or user text as literal mrkdwn on one line, cut to `limit`."""
    return escape(cut(flat(text).replace("`", "ˋ"), limit))


def code(text: str, limit: int = VALUE_LIMIT) -> str:
    """Text in a code span. Slack has no escape for a backtick inside one, so a lookalike stands in."""
    return f"`{inline(text, limit - 2)}`"


def link(url: str, label: str) -> str:
    """A mrkdwn link; `label` is already mrkdwn. A `|` in the URL would end it early, so it is encoded."""
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def plural(count: int, noun: str) -> str:
    """ "1 day", "2 days"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def listing(items: Sequence[str], *, sep: str, max_items: int, budget: int) -> str:
    """Already-rendered items joined by `sep`: as many as fit `budget` (max `max_items`), then "+N more"."""
    shown: list[str] = []
    used = 0
    for index, item in enumerate(items[:max_items]):
        hidden_after = len(items) - index - 1
        reserve = units(f"{sep}+{hidden_after} more") if hidden_after else 0
        cost = units(item) + (units(sep) if shown else 0)
        if used + cost + reserve > budget:
            break
        shown.append(item)
        used += cost
    hidden = len(items) - len(shown)
    if hidden:
        shown.append(f"+{hidden} more")
    return sep.join(shown)


def present(values: Iterable[str]) -> list[str]:
    """The values that say something: blank strings are left out."""
    return [value for value in values if value and value.strip()]


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def mention(user_id: str | None) -> str | None:
    """`<@U123>` for a Slack user id; anything that is not one is left out rather than echoed."""
    if user_id and _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return None


_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{1,20}")


def channel_mention(channel_id: str | None) -> str | None:
    """`<#C123>` for a Slack channel id; anything that is not one is left out rather than echoed."""
    if channel_id and _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return None


def date(seconds: int | None, fmt: str = DAY) -> str | None:
    """A Slack date in the reader's own time zone, with an ISO-style UTC fallback; None when unusable."""
    if seconds is None or seconds <= 0:
        return None
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{seconds}^{fmt}|{fallback}>"


def describe_scope(ref: RegistryRef) -> str:
    """Where a registry lives, in mrkdwn words: "the account", "org `payments`", "payments › checkout"."""
    if ref.project is not None and ref.org is not None:
        return f"{escape(ref.org)} › {escape(ref.project)}"
    if ref.org is not None:
        return f"org {code(ref.org)}"
    return "the account"
