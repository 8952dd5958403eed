"""Slack text drawn as HTML, the way Slack draws it: mrkdwn (emphasis, code, quotes, links, mentions,
`<!date>` times), plain_text and text objects. Pure functions; nothing here does I/O.

Safety: every piece of text is HTML-escaped and only `http(s)` and `mailto` URLs ever become links.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "SAFE_SCHEMES",
    "Names",
    "esc",
    "format_date",
    "mrkdwn",
    "plain_text",
    "render_text_object",
    "safe_url",
    "unslack",
]

SAFE_SCHEMES: Final = ("http", "https", "mailto")

Names = Mapping[str, str]
"""Display names by Slack id (users, channels), to draw `<@U…>` as `@alice`."""


def esc(text: str) -> str:
    """`text` safe in HTML text and in a double- or single-quoted attribute."""
    return html.escape(text, quote=True)


def unslack(text: str) -> str:
    """Slack's three entities back to characters: Slack text arrives with `&`, `<` and `>` escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _lit(text: str) -> str:
    """Slack text shown literally: its entities decoded, then escaped for HTML."""
    return esc(unslack(text))


def safe_url(url: str) -> str | None:
    """`url` when it is an http(s) or mailto URL, else None (no `javascript:`, no relative paths)."""
    url = url.strip()
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in SAFE_SCHEMES or any(c.isspace() or not c.isprintable() for c in url):
        return None
    return url


# ---------------------------------------------------------------------------------------------------------
# Dates: `<!date^seconds^format^optional_link|fallback>`.

_MONTHS: Final = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _clock(moment: datetime, *, seconds: bool = False) -> str:
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    secs = f":{moment.second:02d}" if seconds else ""
    return f"{hour}:{moment.minute:02d}{secs} {half}"


def _pretty(moment: datetime, now: datetime) -> str | None:
    days = (moment.date() - now.date()).days
    return {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days)


def format_date(seconds: int, fmt: str, *, now: datetime | None = None, tz: Any = UTC) -> str:
    """`fmt` with Slack's date tokens filled in for `seconds` (in `tz`; the page redoes it in the reader's).

    Tokens: {date_num} 2024-06-19 · {date} June 19th, 2024 · {date_short} Jun 19, 2024 · {date_long}
    Wednesday, June 19th, 2024 · the `_pretty` forms of the last three say today / yesterday / tomorrow when
    they can · {time} 3:52 PM · {time_secs} 3:52:25 PM. Unknown tokens stay as they are.
    """
    moment = datetime.fromtimestamp(seconds, tz)
    today = (now or datetime.now(tz)).astimezone(tz)
    month, weekday = _MONTHS[moment.month - 1], _DAYS[moment.weekday()]
    long_date = f"{month} {_ordinal(moment.day)}, {moment.year}"
    short_date = f"{month[:3]} {moment.day}, {moment.year}"
    pretty = _pretty(moment, today)
    values = {
        "date_num": f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}",
        "date": long_date,
        "date_short": short_date,
        "date_long": f"{weekday}, {long_date}",
        "date_pretty": pretty or long_date,
        "date_short_pretty": pretty or short_date,
        "date_long_pretty": pretty or f"{weekday}, {long_date}",
        "time": _clock(moment),
        "time_secs": _clock(moment, seconds=True),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), fmt)


def _date_html(spec: str, label: str | None, now: datetime | None) -> str:
    """`<!date^…>` as a <time> the page localizes; the fallback when the spec cannot be read."""
    parts = spec.split("^")
    fallback = _lit(label) if label is not None else _lit(spec)
    if len(parts) < 3 or not parts[1].isdigit():
        return fallback
    seconds, fmt = int(parts[1]), parts[2]
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
        shown = format_date(seconds, fmt, now=now)
    except (OverflowError, OSError, ValueError):
        return fallback
    element = (
        f'<time class="bk-date" datetime="{moment.isoformat().replace("+00:00", "Z")}" '
        f'data-ts="{seconds}" data-format="{esc(fmt)}" title="{fallback}">{esc(shown)}</time>'
    )
    link = safe_url(unslack(parts[3])) if len(parts) > 3 else None
    return (
        f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer">{element}</a>' if link else element
    )


# ---------------------------------------------------------------------------------------------------------
# mrkdwn.

_CODE_BLOCK: Final = re.compile(r"```(.+?)```", re.DOTALL)
_INLINE_CODE: Final = re.compile(r"`([^`\n]+)`")
_MARKUP: Final = re.compile(r"<([^<>\n]+)>")
_BARE_URL: Final = re.compile(r"\bhttps?://[^\s<>`]+[^\s<>`.,;:!?)\]'\"]")
_HOLD: Final = re.compile("\ue000(\\d+)\ue001")
_EMPHASIS: Final = tuple(
    (re.compile(rf"(?<![\w{m}])\{m}(?![\s{m}])(.+?)(?<![\s{m}])\{m}(?![\w{m}])"), tag)
    for m, tag in (("*", "strong"), ("_", "em"), ("~", "del"))
)


def _markup(inner: str, names: Names, now: datetime | None) -> str:
    """One `<…>` token: a link, a user or channel mention, a broadcast, or a date."""
    target, bar, label = inner.partition("|")
    shown_label = label if bar else None
    if target.startswith("@"):
        user = target[1:]
        name = names.get(user) or (shown_label or "").lstrip("@") or user
        return f'<span class="bk-mention" data-user="{esc(user)}">@{_lit(name)}</span>'
    if target.startswith("#"):
        channel = target[1:]
        name = names.get(channel) or shown_label or channel
        return f'<span class="bk-mention bk-channel">#{_lit(name)}</span>'
    if target.startswith("!date^"):
        return _date_html(target, shown_label, now)
    if target.startswith("!subteam^"):
        return f'<span class="bk-mention">{_lit(shown_label or target[9:])}</span>'
    if target in ("!here", "!channel", "!everyone"):
        return f'<span class="bk-mention bk-broadcast">@{esc(target[1:])}</span>'
    if target.startswith("!"):
        return _lit(shown_label) if shown_label else _lit(f"<{inner}>")
    url = safe_url(unslack(target))
    if url is None:
        return _lit(f"<{inner}>")
    text = _lit(shown_label) if shown_label else esc(url)
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{text}</a>'


def mrkdwn(
    text: str, *, verbatim: bool = True, names: Names | None = None, now: datetime | None = None
) -> str:
    """Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes, links, mentions,
    dates and the `&lt; &gt; &amp;` entities. With `verbatim` False, bare URLs become links too.
    """
    names = names or {}
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return f"\ue000{len(held) - 1}\ue001"

    # Private-use characters mark held fragments; any already in the text are dropped, never misread.
    text = text.replace("\ue000", "").replace("\ue001", "")
    text = _CODE_BLOCK.sub(lambda m: hold(f'<pre class="bk-pre">{_lit(m[1].strip(chr(10)))}</pre>'), text)
    text = _INLINE_CODE.sub(lambda m: hold(f'<code class="bk-code">{_lit(m[1])}</code>'), text)
    text = _MARKUP.sub(lambda m: hold(_markup(m[1], names, now)), text)
    if not verbatim:
        text = _BARE_URL.sub(lambda m: hold(_markup(m[0], names, now)), text)
    lines: list[str] = []
    quote: list[str] = []
    for line in text.split("\n"):
        if line.startswith(">"):
            quote.append(_inline(line[1:].lstrip(" ")))
            continue
        if quote:
            lines.append(f'<blockquote class="bk-quote">{"<br>".join(quote)}</blockquote>')
            quote = []
        lines.append(_inline(line))
    if quote:
        lines.append(f'<blockquote class="bk-quote">{"<br>".join(quote)}</blockquote>')
    joined = "<br>".join(lines).replace("</blockquote><br>", "</blockquote>")
    # Fragments can hold placeholders of fragments held before them (a date inside a link's label).
    for _ in range(3):
        joined = _HOLD.sub(lambda m: held[int(m[1])], joined)
    return joined


def _inline(line: str) -> str:
    line = _lit(line)
    for pattern, tag in _EMPHASIS:
        line = pattern.sub(rf"<{tag}>\1</{tag}>", line)
    return line


def plain_text(text: str) -> str:
    """plain_text as HTML: shown exactly as written (Slack decodes nothing in it but the entities)."""
    return esc(text).replace("\n", "<br>")


def render_text_object(obj: Any, *, names: Names | None = None, now: datetime | None = None) -> str:
    """A text object (`plain_text` or `mrkdwn`) as HTML; anything else is drawn as nothing."""
    if not isinstance(obj, Mapping):
        return ""
    text = obj.get("text")
    if not isinstance(text, str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(text, verbatim=bool(obj.get("verbatim", False)), names=names, now=now)
    return plain_text(text)
