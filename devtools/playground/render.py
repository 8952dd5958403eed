"""Block Kit and Slack mrkdwn drawn as HTML, the way Slack draws them, for the playground page.

Pure functions from JSON-shaped blocks (what the app sent) to HTML strings; nothing here does I/O.
Rendering happens here, on the server, rather than in the page's JavaScript so that every block and
element type, and every escaping rule, is unit-tested in Python under `mypy --strict`; the page only
swaps in the HTML it is given and moves `<!date>` times into the reader's zone.

Safety: every piece of text is HTML-escaped, only `http(s)` and `mailto` URLs ever become links, and
images are drawn as labelled placeholders instead of being fetched, so the page loads nothing from
outside this machine whatever a message holds.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "BLOCK_KIT_BUILDER",
    "builder_url",
    "format_date",
    "mrkdwn",
    "plain_text",
    "render_blocks",
    "render_text_object",
]

BLOCK_KIT_BUILDER: Final = "https://app.slack.com/block-kit-builder/#"
SAFE_SCHEMES: Final = ("http", "https", "mailto")

Names = Mapping[str, str]
"""Display names by Slack id (users, channels), to draw `<@U…>` as `@alice`."""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _unslack(text: str) -> str:
    """Slack's three entities back to characters: Slack text arrives with `&`, `<` and `>` escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _lit(text: str) -> str:
    """Slack text shown literally: its entities decoded, then escaped for HTML."""
    return _esc(_unslack(text))


def safe_url(url: str) -> str | None:
    """`url` when it is an http(s) or mailto URL, else None (no `javascript:`, no relative paths)."""
    url = url.strip()
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in SAFE_SCHEMES or any(c.isspace() or not c.isprintable() for c in url):
        return None
    return url


def builder_url(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The same blocks opened in Slack's Block Kit Builder."""
    payload = json.dumps({"blocks": list(blocks)}, separators=(",", ":"), ensure_ascii=False)
    return BLOCK_KIT_BUILDER + urllib.parse.quote(payload, safe="")


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
        f'data-ts="{seconds}" data-format="{_esc(fmt)}" title="{fallback}">{_esc(shown)}</time>'
    )
    link = safe_url(_unslack(parts[3])) if len(parts) > 3 else None
    return (
        f'<a href="{_esc(link)}" target="_blank" rel="noopener noreferrer">{element}</a>' if link else element
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
        return f'<span class="bk-mention" data-user="{_esc(user)}">@{_lit(name)}</span>'
    if target.startswith("#"):
        channel = target[1:]
        name = names.get(channel) or shown_label or channel
        return f'<span class="bk-mention bk-channel">#{_lit(name)}</span>'
    if target.startswith("!date^"):
        return _date_html(target, shown_label, now)
    if target.startswith("!subteam^"):
        return f'<span class="bk-mention">{_lit(shown_label or target[9:])}</span>'
    if target in ("!here", "!channel", "!everyone"):
        return f'<span class="bk-mention bk-broadcast">@{_esc(target[1:])}</span>'
    if target.startswith("!"):
        return _lit(shown_label) if shown_label else _lit(f"<{inner}>")
    url = safe_url(_unslack(target))
    if url is None:
        return _lit(f"<{inner}>")
    text = _lit(shown_label) if shown_label else _esc(url)
    return f'<a href="{_esc(url)}" target="_blank" rel="noopener noreferrer">{text}</a>'


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
    return _esc(text).replace("\n", "<br>")


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


# ---------------------------------------------------------------------------------------------------------
# Elements and blocks.


class _Draw:
    """Draws one message's blocks; `names` and `now` are the same for every block in it."""

    def __init__(self, *, names: Names, now: datetime | None, interactive: bool) -> None:
        self.names = names
        self.now = now
        self.interactive = interactive

    def text(self, obj: Any) -> str:
        return render_text_object(obj, names=self.names, now=self.now)

    def element(self, element: Any, block_id: str) -> str:
        if not isinstance(element, Mapping):
            return ""
        kind = element.get("type")
        if kind == "button":
            return self.button(element, block_id)
        if kind == "image":
            return _image_placeholder(element, "bk-image-element")
        if kind in ("plain_text", "mrkdwn"):
            return f'<span class="bk-context-text">{self.text(element)}</span>'
        return _unsupported(f"{kind} element", inline=True)

    def button(self, element: Mapping[str, Any], block_id: str) -> str:
        style = element.get("style")
        classes = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
        attrs = (
            f'class="{classes}" data-block-id="{_esc(block_id)}" '
            f'data-action-id="{_esc(str(element.get("action_id", "")))}"'
        )
        confirm = element.get("confirm")
        if isinstance(confirm, Mapping):
            question = " ".join(
                _unslack(str(confirm[key].get("text", "")))
                for key in ("title", "text")
                if isinstance(confirm.get(key), Mapping)
            )
            attrs += f' data-confirm="{_esc(question)}"'
        if not self.interactive:
            attrs += " disabled"
        label = self.text(element.get("text"))
        url = safe_url(str(element["url"])) if isinstance(element.get("url"), str) else None
        if url is not None:
            return f'<a {attrs} href="{_esc(url)}" target="_blank" rel="noopener noreferrer">{label}</a>'
        return f'<button type="button" {attrs}>{label}</button>'

    def block(self, block: Any, index: int) -> str:
        if not isinstance(block, Mapping):
            return _unsupported("block")
        kind = block.get("type")
        block_id = str(block.get("block_id") or f"b{index}")
        draw = self._BLOCKS.get(str(kind))
        if draw is None:
            return _unsupported(f"{kind} block")
        inner = draw(self, block, block_id)
        return f'<div class="bk-block bk-{_esc(str(kind))}" data-block-id="{_esc(block_id)}">{inner}</div>'

    def header(self, block: Mapping[str, Any], _: str) -> str:
        return f'<h3 class="bk-header-text">{self.text(block.get("text"))}</h3>'

    def section(self, block: Mapping[str, Any], block_id: str) -> str:
        body = ""
        if block.get("text") is not None:
            body += f'<div class="bk-section-text">{self.text(block.get("text"))}</div>'
        fields = block.get("fields")
        if isinstance(fields, list) and fields:
            cells = "".join(f'<div class="bk-field">{self.text(field)}</div>' for field in fields)
            body += f'<div class="bk-fields">{cells}</div>'
        accessory = block.get("accessory")
        if accessory is not None:
            body = (
                f'<div class="bk-section-body">{body}</div>'
                f'<div class="bk-accessory">{self.element(accessory, block_id)}</div>'
            )
        return body

    def context(self, block: Mapping[str, Any], block_id: str) -> str:
        elements = block.get("elements")
        items = elements if isinstance(elements, list) else []
        return "".join(self.element(element, block_id) for element in items)

    def actions(self, block: Mapping[str, Any], block_id: str) -> str:
        return self.context(block, block_id)

    def divider(self, _block: Mapping[str, Any], _: str) -> str:
        return '<hr class="bk-divider-line">'

    def image(self, block: Mapping[str, Any], _: str) -> str:
        title = self.text(block.get("title"))
        caption = f'<div class="bk-image-title">{title}</div>' if title else ""
        return caption + _image_placeholder(block, "bk-image-block")

    _BLOCKS: Final[dict[str, Callable[[_Draw, Mapping[str, Any], str], str]]] = {
        "header": header,
        "section": section,
        "context": context,
        "actions": actions,
        "divider": divider,
        "image": image,
    }


def _image_placeholder(element: Mapping[str, Any], css: str) -> str:
    """An image as its alt text and link: the playground never fetches anything from outside."""
    alt = _esc(str(element.get("alt_text", "image")))
    url = element.get("image_url")
    link = safe_url(url) if isinstance(url, str) else None
    label = f"🖼 {alt}"
    if link:
        label = f'<a href="{_esc(link)}" target="_blank" rel="noopener noreferrer">{label}</a>'
    return f'<span class="bk-image {css}" title="{alt}">{label}</span>'


def _unsupported(what: str, *, inline: bool = False) -> str:
    tag = "span" if inline else "div"
    return (
        f'<{tag} class="bk-unsupported">Slack would draw a <code>{_esc(what)}</code> here; '
        f"the playground doesn't draw that yet.</{tag}>"
    )


def render_blocks(
    blocks: Sequence[Any],
    *,
    names: Names | None = None,
    now: datetime | None = None,
    interactive: bool = True,
) -> str:
    """A message's blocks as HTML, in order. Buttons carry `data-block-id` and `data-action-id`, which
    the page sends back when one is pressed; with `interactive` False they are drawn disabled.
    """
    draw = _Draw(names=names or {}, now=now, interactive=interactive)
    return "".join(draw.block(block, index) for index, block in enumerate(blocks))
