"""Pure Block Kit builders: the registry card, its compact unfurl, help, and the messages that are not cards.

Everything here turns values into `slack_sdk` block models; nothing talks to Slack or Harness. The design
and the voice are in `shared/design/CARD.md`.

A registry's card is built once and kept, rendered, for the next requests that get the same looked-up
registry (`RenderedCards`): during an incident hundreds of people get the same card within a minute,
and only its footer (who asked, when) differs.

Two promises hold for any input, however large or hostile:
- every payload stays inside Block Kit's limits (lists show the first few and "+N more", long text is cut
  at a word with "…"), measured in UTF-16 code units as Slack counts them;
- text that came from Harness or from a user is escaped for mrkdwn (`&`, `<`, `>`), so it can never
  mention anyone or forge a link, and code spans cannot be broken by a backtick inside them.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Generic, TypeVar

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.harness.errors import (
    BadReference,
    Forbidden,
    HarnessConnectionError,
    HarnessError,
    HarnessStatusError,
    HarnessTimeout,
    HarnessUnavailable,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
)
from bot.harness.models import CleanupPolicy, Registry, epoch_seconds
from bot.parsing import SCOPE_FORMS, InvalidScope, ScopeContext, ScopeForm
from bot.refs import RegistryRef

__all__ = [
    "ACTION_OPEN",
    "ACTION_PULL",
    "ACTION_REFRESH",
    "ACTION_SHARE",
    "RenderedCards",
    "Reply",
    "apology_reply",
    "compact_card",
    "describe_scope",
    "error_reply",
    "escape",
    "help_reply",
    "invalid_scope_reply",
    "refusal_reply",
    "registry_card",
    "stale_button_reply",
]

ACTION_OPEN: Final = "open_in_harness"
ACTION_REFRESH: Final = "refresh"
ACTION_SHARE: Final = "share"
ACTION_PULL: Final = "how_to_pull"

COMMAND: Final = "/har"

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
MAX_LABELS: Final = 12
MAX_PATTERNS: Final = 8
MAX_POLICY_REFS: Final = 8
MAX_UPSTREAMS: Final = 10
MAX_SCANNERS: Final = 5
MAX_CLEANUP_POLICIES: Final = 5
MAX_PREFIXES: Final = 4
FALLBACK_LIMIT: Final = 300

SEP: Final = " · "
# Slack date formats: "Jun 19, 2024" / "yesterday", and the same with the time.
DAY: Final = "{date_short_pretty}"
DAY_AND_TIME: Final = "{date_short_pretty} at {time}"
WARNING: Final = "⚠️"


# ---------------------------------------------------------------------------------------------------------
# Human words for the API's enums. Unknown values are shown as they came: never dropped, never an error.

PACKAGE_TYPES: Final[dict[str, str]] = {
    "ALPINE": "Alpine",
    "CARGO": "Cargo",
    "COMPOSER": "Composer",
    "CONAN": "Conan",
    "CONDA": "Conda",
    "CRAN": "CRAN",
    "DART": "Dart",
    "DEBIAN": "Debian",
    "DOCKER": "Docker",
    "GENERIC": "Generic",
    "GO": "Go",
    "HELM": "Helm",
    "HELM_HTTP": "Helm (HTTP)",
    "HUGGINGFACE": "Hugging Face",
    "MAVEN": "Maven",
    "NPM": "npm",
    "NUGET": "NuGet",
    "PUPPET": "Puppet",
    "PYTHON": "Python",
    "RAW": "Raw",
    "RPM": "RPM",
    "RUBY": "Ruby",
    "SWIFT": "Swift",
    "TERRAFORM": "Terraform",
    "WOLFI": "Wolfi",
}

PACKAGE_EMOJI: Final[dict[str, str]] = {
    "ALPINE": "🏔️",
    "CARGO": "🦀",
    "COMPOSER": "🐘",
    "CONDA": "🐍",
    "DART": "🎯",
    "DEBIAN": "🌀",
    "DOCKER": "🐳",
    "GENERIC": "🗃️",
    "GO": "🐹",
    "HELM": "☸️",
    "HELM_HTTP": "☸️",
    "HUGGINGFACE": "🤗",
    "MAVEN": "☕",
    "PYTHON": "🐍",
    "RAW": "📄",
    "RPM": "🎩",
    "RUBY": "💎",
    "SWIFT": "🐦",
    "TERRAFORM": "🏗️",
    "WOLFI": "🐺",
}
DEFAULT_EMOJI: Final = "📦"

REGISTRY_TYPES: Final[dict[str, str]] = {"VIRTUAL": "Virtual", "UPSTREAM": "Upstream"}

SOURCES: Final[dict[str, str]] = {
    "ALPINE": "Alpine",
    "Anaconda": "Anaconda",
    "AwsEcr": "AWS ECR",
    "ConanCenter": "ConanCenter",
    "CRAN": "CRAN",
    "Crates": "crates.io",
    "Custom": "Custom",
    "Dockerhub": "Docker Hub",
    "GoProxy": "Go module proxy",
    "HelmChartRepo": "Helm chart repository",
    "HuggingFace": "Hugging Face",
    "MavenCentral": "Maven Central",
    "NpmJs": "npmjs",
    "NugetOrg": "NuGet Gallery",
    "Packagist": "Packagist",
    "Pubdev": "pub.dev",
    "PuppetForge": "Puppet Forge",
    "PyPi": "PyPI",
    "WOLFI": "Wolfi",
}

AUTH_TYPES: Final[dict[str, str]] = {
    "Anonymous": "Anonymous",
    "UserPassword": "Username & password",
    "AccessKeySecretKey": "Access key",
}

# The open-source server sends ALLOW / WARN / BLOCK, SaaS ALLOW / ENABLED / QUARANTINE. Every mode but
# ALLOW can stop or flag a pull, which is what someone debugging a failed pull needs to see first.
FIREWALL_MODES: Final[dict[str, str]] = {
    "ALLOW": "Allow",
    "WARN": f"{WARNING} Warn",
    "BLOCK": f"{WARNING} Block",
    "ENABLED": f"{WARNING} Enabled",
    "QUARANTINE": f"{WARNING} Quarantine",
}

SCANNERS: Final[dict[str, str]] = {"AQUA_TRIVY": "Aqua Trivy", "GRYPE": "Grype"}


def _human(table: dict[str, str], value: str) -> str:
    return table.get(value, value)


# ---------------------------------------------------------------------------------------------------------
# Text: escaping, measuring, cutting.


def escape(text: str) -> str:
    """`text` made literal for Slack mrkdwn: `&`, `<`, `>` become entities, so nothing in it is markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _units(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units), never less than `len`."""
    return len(text.encode("utf-16-le")) // 2


def _escaped_units(text: str) -> int:
    return _units(escape(text))


_BREAK = re.compile(r"\s")


def _cut(text: str, limit: int, *, measure: Callable[[str], int] = _escaped_units) -> str:
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


def _flat(text: str) -> str:
    """One line: every run of whitespace (newlines too) becomes a single space."""
    return " ".join(text.split())


def _inline(text: str, limit: int = VALUE_LIMIT) -> str:
    """Harness or user text as literal mrkdwn on one line, cut to `limit`."""
    return escape(_cut(_flat(text).replace("`", "ˋ"), limit))


def _code(text: str, limit: int = VALUE_LIMIT) -> str:
    """Text in a code span. Slack has no escape for a backtick inside one, so a lookalike stands in."""
    return f"`{_inline(text, limit - 2)}`"


def _link(url: str, label: str) -> str:
    """A mrkdwn link; `label` is already mrkdwn. A `|` in the URL would end it early, so it is encoded."""
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listing(items: Sequence[str], *, sep: str, max_items: int, budget: int) -> str:
    """Already-rendered items joined by `sep`: as many as fit `budget` (max `max_items`), then "+N more"."""
    shown: list[str] = []
    used = 0
    for index, item in enumerate(items[:max_items]):
        hidden_after = len(items) - index - 1
        reserve = _units(f"{sep}+{hidden_after} more") if hidden_after else 0
        cost = _units(item) + (_units(sep) if shown else 0)
        if used + cost + reserve > budget:
            break
        shown.append(item)
        used += cost
    hidden = len(items) - len(shown)
    if hidden:
        shown.append(f"+{hidden} more")
    return sep.join(shown)


def _present(values: Iterable[str]) -> list[str]:
    """The values that say something: blank strings are left out."""
    return [value for value in values if value and value.strip()]


# ---------------------------------------------------------------------------------------------------------
# Small mrkdwn pieces.

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def _mention(user_id: str | None) -> str | None:
    """`<@U123>` for a Slack user id; anything that is not one is left out rather than echoed."""
    if user_id and _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return None


def _date(seconds: int | None, fmt: str = DAY) -> str | None:
    """A Slack date in the reader's own time zone, with an ISO-style UTC fallback; None when unusable."""
    if seconds is None or seconds <= 0:
        return None
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{seconds}^{fmt}|{fallback}>"


def _md(text: str) -> MarkdownTextObject:
    # verbatim: Slack must not turn bare URLs, #channels or @here in Harness text into links or mentions.
    return MarkdownTextObject(text=text, verbatim=True)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=_md(_fit(text, SECTION_LIMIT)))


def _context(*parts: str) -> ContextBlock:
    return ContextBlock(elements=[_md(_fit(SEP.join(parts), SECTION_LIMIT))])


def _fit(mrkdwn: str, limit: int) -> str:
    """A last guard for text built here: every builder already stays inside its limit by construction."""
    return mrkdwn if _units(mrkdwn) <= limit else _cut(mrkdwn, limit, measure=_units)


def _field(title: str, body: str) -> str:
    return _fit(f"*{title}*\n{body}", FIELD_LIMIT)


def _field_budget(title: str) -> int:
    return FIELD_LIMIT - _units(f"*{title}*\n")


# ---------------------------------------------------------------------------------------------------------
# Scope.


def describe_scope(ref: RegistryRef) -> str:
    """Where a registry lives, in mrkdwn words: "the account", "org `payments`", "payments › checkout"."""
    if ref.project is not None and ref.org is not None:
        return f"{escape(ref.org)} › {escape(ref.project)}"
    if ref.org is not None:
        return f"org {_code(ref.org)}"
    return "the account"


# ---------------------------------------------------------------------------------------------------------
# The registry card.


Rendered = dict[str, Any]
"""A block already rendered by its model's `to_dict()`; shared between replies, so never modified."""


@dataclass(frozen=True)
class Reply:
    """A message: plain `text` for notifications and screen readers, and the blocks that draw it."""

    text: str
    blocks: Sequence[Block | Rendered]

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a Reply needs fallback text")

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `respond()` or `chat_postMessage`."""
        blocks = [block if isinstance(block, dict) else block.to_dict() for block in self.blocks]
        return {"text": self.text, "blocks": blocks}


T = TypeVar("T")

RENDERED_CARDS: Final = 256
"""Looked-up registries whose rendered card (and unfurl preview) is kept."""


class RenderedCards(Generic[T]):
    """What was rendered for a looked-up registry, the least recently used dropped past `size` entries.

    Keyed by the Registry object itself (its identity) and the other inputs. The lookup cache hands
    every request for a registry, within its lifetime, the same frozen object, and a new lookup
    (Refresh, or after a minute) a new one; an entry keeps its object alive, so its id is never reused
    while the entry exists.
    """

    def __init__(self, size: int = RENDERED_CARDS) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[Registry, T]] = OrderedDict()

    def get(self, registry: Registry, key: tuple[Hashable, ...], render: Callable[[], T]) -> T:
        """The kept rendering for `registry` and `key`, else `render()`, kept."""
        full_key = (id(registry), *key)
        entry = self._entries.get(full_key)
        if entry is not None and entry[0] is registry:
            self._entries.move_to_end(full_key)
            return entry[1]
        value = render()
        self._entries[full_key] = (registry, value)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


def _deleted_at(registry: Registry) -> int | None:
    """When the registry was soft-deleted (epoch seconds), or None when it is live."""
    return epoch_seconds(registry.deleted_at)


def _summary(registry: Registry, ref: RegistryRef) -> list[str]:
    """Package type · registry type · scope · public/private, each only when known."""
    parts = [
        _inline(_human(PACKAGE_TYPES, registry.package_type), NAME_LIMIT) if registry.package_type else "",
        _inline(_human(REGISTRY_TYPES, registry.config.type), NAME_LIMIT) if registry.config.type else "",
        describe_scope(ref),
    ]
    if registry.is_public is not None:
        parts.append("public" if registry.is_public else "private")
    return _present(parts)


def _name(registry: Registry, ref: RegistryRef) -> str:
    return registry.identifier.strip() or ref.registry


def _header(registry: Registry, ref: RegistryRef) -> HeaderBlock:
    emoji = PACKAGE_EMOJI.get(registry.package_type, DEFAULT_EMOJI)
    # Header text is plain_text: Slack shows it literally and never reads mentions or links in it.
    text = _cut(f"{emoji} {_flat(_name(registry, ref))}", HEADER_LIMIT, measure=_units)
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def _deleted_warning(deleted: int) -> SectionBlock:
    when = _date(deleted, DAY_AND_TIME)
    deleted_when = f"*This registry was deleted* ({when})" if when else "*This registry was deleted*"
    return _section(
        f"{WARNING} {deleted_when}. Harness keeps it soft-deleted: "
        "this is its last configuration, and it may no longer serve packages."
    )


def _upstream_list(registry: Registry) -> str | None:
    names = _present(registry.config.upstream_proxies)
    if not names:
        return None
    numbered = [f"{n}. {_inline(name, NAME_LIMIT)}" for n, name in enumerate(names, start=1)]
    budget = _field_budget("Upstreams (in order)")
    return _listing(numbered, sep="\n", max_items=MAX_UPSTREAMS, budget=budget)


def _codes(values: Sequence[str], *, max_items: int, budget: int, limit: int = VALUE_LIMIT) -> str | None:
    values = _present(values)
    if not values:
        return None
    return _listing([_code(v, limit) for v in values], sep=" ", max_items=max_items, budget=budget)


def _remote_url(registry: Registry) -> str | None:
    config = registry.config
    if not config.url.strip():
        return None
    shown = _code(config.url, URL_SHOWN_LIMIT)
    if config.remote_url_suffix.strip():
        shown += f" (path {_code(config.remote_url_suffix, NAME_LIMIT)})"
    return shown


def _grid(rows: Sequence[Sequence[tuple[str, str | None]]]) -> list[MarkdownTextObject]:
    """Fields laid out in rows of two. Slack flows fields left to right, so a row missing one of its two
    fields would shift everything after it; the rows left with one field are paired up at the end.
    """
    full: list[tuple[str, str]] = []
    single: list[tuple[str, str]] = []
    for row in rows:
        present = [(title, body) for title, body in row if body]
        (full if len(present) == 2 else single).extend(present)
    return [_md(_field(title, body)) for title, body in (full + single)[:MAX_FIELDS]]


def _facts(registry: Registry) -> SectionBlock | None:
    config = registry.config
    url = _code(registry.url, URL_SHOWN_LIMIT) if registry.url.strip() else None
    created = _date(epoch_seconds(registry.created_at))
    modified = _date(epoch_seconds(registry.modified_at), DAY_AND_TIME)
    labels = _codes(registry.labels, max_items=MAX_LABELS, budget=_field_budget("Labels"), limit=NAME_LIMIT)
    scanners = _listing(
        [_inline(_human(SCANNERS, s.name), NAME_LIMIT) for s in registry.scanners if s.name.strip()],
        sep=", ",
        max_items=MAX_SCANNERS,
        budget=_field_budget("Scanners"),
    )
    rows: list[list[tuple[str, str | None]]]
    if config.type == "UPSTREAM" or (config.type != "VIRTUAL" and (config.source or config.auth_type)):
        source = _inline(_human(SOURCES, config.source), NAME_LIMIT) if config.source.strip() else None
        auth = _inline(_human(AUTH_TYPES, config.auth_type), NAME_LIMIT) if config.auth_type.strip() else None
        firewall = (
            _inline(_human(FIREWALL_MODES, config.firewall), NAME_LIMIT) if config.firewall.strip() else None
        )
        rows = [
            [("URL", url), ("Source", source)],
            [("Remote URL", _remote_url(registry)), ("Auth", auth)],
            [("Firewall", firewall), ("Scanners", scanners or None)],
            [("Created", created), ("Modified", modified)],
            [("Labels", labels)],
        ]
    else:
        rows = [
            [("URL", url), ("Upstreams (in order)", _upstream_list(registry))],
            [("Created", created), ("Modified", modified)],
            [("Labels", labels), ("Scanners", scanners or None)],
        ]
    fields = _grid(rows)
    return SectionBlock(fields=fields) if fields else None


def _cleanup_line(policy: CleanupPolicy) -> str:
    parts = [_inline(policy.name, NAME_LIMIT) if policy.name.strip() else "unnamed"]
    if policy.expire_days is not None:
        parts.append(f"after {_plural(policy.expire_days, 'day')}")
    for noun, prefixes in (("packages", policy.package_prefix), ("versions", policy.version_prefix)):
        globs = [p if p.endswith("*") else f"{p}*" for p in _present(prefixes)]
        shown = _codes(globs, max_items=MAX_PREFIXES, budget=400, limit=NAME_LIMIT)
        if shown:
            parts.append(f"{noun} {shown}")
    return "• " + SEP.join(parts)


def _cleanup(registry: Registry) -> SectionBlock | None:
    policies = registry.cleanup_policy
    if not policies:
        return None
    title = "*Cleanup*\n"
    lines = [_cleanup_line(policy) for policy in policies]
    body = _listing(lines, sep="\n", max_items=MAX_CLEANUP_POLICIES, budget=SECTION_LIMIT - _units(title))
    return _section(title + body)


def _rules(registry: Registry) -> SectionBlock | None:
    rows = (
        ("Allowed", registry.allowed_pattern, MAX_PATTERNS),
        ("Blocked", registry.blocked_pattern, MAX_PATTERNS),
        ("Policies", registry.policy_refs, MAX_POLICY_REFS),
    )
    lines: list[str] = []
    for title, values, max_items in rows:
        shown = _codes(values, max_items=max_items, budget=900)
        if shown:
            lines.append(f"*{title}* {shown}")
    return _section("\n".join(lines)) if lines else None


def _buttons(ref: RegistryRef, ui_base: str, *, shareable: bool) -> ActionsBlock | None:
    buttons: list[ButtonElement] = []
    url = ref.ui_url(ui_base)
    if len(url) <= URL_LIMIT:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="Open in Harness"), action_id=ACTION_OPEN, url=url, style="primary"
            )
        )
    if len(ref.path) <= BUTTON_VALUE_LIMIT:
        buttons.append(
            ButtonElement(text=PlainTextObject(text="Refresh"), action_id=ACTION_REFRESH, value=ref.path)
        )
        if shareable:
            buttons.append(
                ButtonElement(
                    text=PlainTextObject(text="Share in channel"), action_id=ACTION_SHARE, value=ref.path
                )
            )
        buttons.append(
            ButtonElement(text=PlainTextObject(text="How to pull"), action_id=ACTION_PULL, value=ref.path)
        )
    return ActionsBlock(elements=buttons) if buttons else None


def _footer(requested_by: str | None, shared_by: str | None, looked_up_at: int | None) -> ContextBlock | None:
    when = _date(looked_up_at, DAY_AND_TIME)
    sharer, requester = _mention(shared_by), _mention(requested_by)
    if sharer:
        who = f"Shared by {sharer}"
    elif requester:
        who = f"Looked up for {requester}"
    elif when:
        who = "Looked up"
    else:
        return None
    return _context(f"{who}{SEP}{when}" if when else who)


def _fallback(registry: Registry, ref: RegistryRef, *, deleted: bool) -> str:
    name = _inline(_name(registry, ref), NAME_LIMIT)
    facts = _summary(registry, ref)[:3]
    if deleted:
        facts.append(f"{WARNING} deleted")
    return _fit(f"{name} — {SEP.join(facts)}", FALLBACK_LIMIT)


def registry_card(
    registry: Registry,
    ref: RegistryRef,
    *,
    ui_base: str,
    requested_by: str | None = None,
    shared_by: str | None = None,
    looked_up_at: int | None = None,
    shareable: bool = False,
    found: bool = False,
) -> Reply:
    """The full card: what the registry is, where it pulls from, what it deletes, and where to click.

    `found`: the registry was found by searching the account, so the card says where it lives.
    Everything above the footer is rendered once per looked-up registry (`RenderedCards`).
    """
    text, body = _card_bodies.get(
        registry,
        (ref, ui_base, shareable, found),
        lambda: _card_body(registry, ref, ui_base, shareable=shareable, found=found),
    )
    footer = _footer(requested_by, shared_by, looked_up_at)
    return Reply(text=text, blocks=[*body, footer] if footer is not None else [*body])


def _card_body(
    registry: Registry, ref: RegistryRef, ui_base: str, *, shareable: bool, found: bool = False
) -> tuple[str, list[Rendered]]:
    """The card's fallback text and its blocks above the footer, rendered."""
    deleted = _deleted_at(registry)
    description = registry.description.strip()
    blocks: list[Block | None] = [
        _header(registry, ref),
        _deleted_warning(deleted) if deleted is not None else None,
        _context(f"🔎 found in {describe_scope(ref)}") if found else None,
        _context(*_summary(registry, ref)),
        _section(escape(_cut(description, DESCRIPTION_LIMIT, measure=_units))) if description else None,
        _facts(registry),
        _cleanup(registry),
        _rules(registry),
        _buttons(ref, ui_base, shareable=shareable),
    ]
    text = _fallback(registry, ref, deleted=deleted is not None)
    return text, [block.to_dict() for block in blocks if block is not None]


_card_bodies: RenderedCards[tuple[str, list[Rendered]]] = RenderedCards()
_previews: RenderedCards[list[Rendered]] = RenderedCards()


def compact_card(registry: Registry, ref: RegistryRef, *, ui_base: str) -> dict[str, Any]:
    """A quiet preview for `chat.unfurl`: the name as a link to Harness, then one context line.

    Rendered once per looked-up registry (`RenderedCards`).
    """
    return {"blocks": _previews.get(registry, (ref, ui_base), lambda: _preview(registry, ref, ui_base))}


def _preview(registry: Registry, ref: RegistryRef, ui_base: str) -> list[Rendered]:
    emoji = PACKAGE_EMOJI.get(registry.package_type, DEFAULT_EMOJI)
    title = f"{emoji} {_link(ref.ui_url(ui_base), _inline(_name(registry, ref), NAME_LIMIT))}"
    description = registry.description.strip()
    if description:
        title += f" — {_inline(description, COMPACT_DESCRIPTION_LIMIT)}"
    facts = _summary(registry, ref)
    if registry.url.strip():
        facts.append(_code(registry.url, URL_SHOWN_LIMIT))
    if _deleted_at(registry) is not None:
        facts.insert(0, f"{WARNING} deleted")
    blocks: list[Block] = [_section(title), _context(*facts)]
    return [block.to_dict() for block in blocks]


# ---------------------------------------------------------------------------------------------------------
# Messages that are not cards.


def _message(what: str, next_step: str) -> Reply:
    """One sentence on what happened, one line on what to try: the shape of every error."""
    return Reply(text=f"{what} {next_step}", blocks=[_section(f"{what}\n{next_step}")])


def _not_found(exc: HarnessError) -> Reply:
    ref = exc.ref
    name = _code(ref.registry)
    what = f"I couldn't find a registry named {name} in {describe_scope(ref)}."
    if ref.project is not None and ref.org is not None:
        other = f"try {_code(f'{COMMAND} {ref.org}/{ref.registry}')} for the org"
    elif ref.org is not None:
        other = f"try {_code(f'{COMMAND} {ref.org}/<project>/{ref.registry}')} for a project in it"
    else:
        other = (
            f"try {_code(f'{COMMAND} <org>/{ref.registry}')} "
            f"or {_code(f'{COMMAND} <org>/<project>/{ref.registry}')}"
        )
    return _message(what, f"Registry lookups are scoped: {other}, or paste the link from Harness.")


def _bad_reference(exc: HarnessError) -> Reply:
    return _message(
        f"Harness rejected {_code(exc.ref.short)} as a registry reference.",
        f"Check the spelling, or see {_code(f'{COMMAND} help')} for the forms I understand.",
    )


def _unauthorized(exc: HarnessError) -> Reply:
    return _message(
        "Harness turned down my API key: it may be invalid or expired.",
        "Nothing is wrong with your request: please ask a Slack or Harness admin to renew the bot's key.",
    )


def _forbidden(exc: HarnessError) -> Reply:
    return _message(
        f"My Harness key doesn't have permission to read registries in {describe_scope(exc.ref)}.",
        "Ask a Harness admin to let the bot's key view registries there, or try a registry in another scope.",
    )


def _rate_limited(exc: HarnessError) -> Reply:
    return _message("Harness is busy right now and asked me to slow down.", "Please try again in a minute.")


def _server_error(exc: HarnessError) -> Reply:
    return _message(
        f"Harness had a problem answering for {_code(exc.ref.registry)}.",
        "That's usually brief: please try again shortly.",
    )


def _timeout(exc: HarnessError) -> Reply:
    return _message(
        f"Harness at {_code(exc.host)} didn't answer in time.",
        "It may be slow or busy: please try again in a minute.",
    )


def _unreachable(exc: HarnessError) -> Reply:
    return _message(
        f"I couldn't reach Harness at {_code(exc.host)}.",
        "Please try again in a minute; if it keeps failing, let whoever runs this bot know.",
    )


def _invalid_response(exc: HarnessError) -> Reply:
    return _message(
        f"Harness sent an answer I couldn't read for {_code(exc.ref.registry)}.",
        "Please try again in a minute; if it keeps happening, let whoever runs this bot know.",
    )


def _failed(exc: HarnessError) -> Reply:
    return _message(
        f"Something went wrong looking up {_code(exc.ref.registry)} in Harness.",
        "Please try again in a minute.",
    )


# Looked up along the exception's MRO, so a subclass added later gets its parent's message.
_ERROR_REPLIES: Final[dict[type[HarnessError], Callable[[HarnessError], Reply]]] = {
    BadReference: _bad_reference,
    Unauthorized: _unauthorized,
    Forbidden: _forbidden,
    NotFound: _not_found,
    RateLimited: _rate_limited,
    ServerError: _server_error,
    HarnessStatusError: _server_error,
    HarnessTimeout: _timeout,
    HarnessConnectionError: _unreachable,
    HarnessUnavailable: _unreachable,
    InvalidResponse: _invalid_response,
    HarnessError: _failed,
}


def error_reply(exc: HarnessError) -> Reply:
    """The friendly, specific message for a failed lookup. Never a status code alone, a trace or a secret."""
    for cls in type(exc).__mro__:
        build = _ERROR_REPLIES.get(cls)
        if build is not None:
            return build(exc)
    return _failed(exc)  # unreachable: HarnessError is in every MRO here


def apology_reply() -> Reply:
    """For a bug on our side: a short apology, no details (those are in the log)."""
    return _message(
        "Sorry, something went wrong on my side while answering that.",
        "It has been logged; please try again in a moment.",
    )


def refusal_reply(ref: RegistryRef, *, about_scope: bool) -> Reply:
    """For a lookup an allow-list turns down: polite, and naming no list (those are in the log)."""
    if about_scope:
        return _message(
            f"Sorry, I'm not set up to look up registries in {describe_scope(ref)}.",
            "Whoever runs this bot chooses which Harness orgs and projects it answers about; ask them "
            "if you need this one.",
        )
    return _message(
        "Sorry, I'm not set up to look up registries for you here.",
        "Whoever runs this bot chooses the workspaces, channels and people it answers; ask them if you "
        "need it here.",
    )


def stale_button_reply() -> Reply:
    """For a card button whose value can no longer be read (an old card, or a changed configuration)."""
    return _message(
        "That button belongs to a card I can't read anymore.",
        f"Ask again with {_code(f'{COMMAND} <registry>')} for a fresh card.",
    )


def _form_example(form: ScopeForm, ctx: ScopeContext) -> str:
    """The form's example, with the configured account in place of the sample one."""
    if form.kind != "registry_ref":
        return form.example
    parts = form.example.removesuffix("/+").split("/")
    return (
        "/".join(
            ctx.account_id if field == "account" else part
            for field, part in zip(form.fields, parts, strict=False)
        )
        + "/+"
    )


def _bare_name_meaning(ctx: ScopeContext) -> str:
    """What a bare registry name means under this configuration (mirrors `parse_scope`)."""
    if ctx.default_org is not None and ctx.default_project is not None:
        where = f"{ctx.default_org}/{ctx.default_project}/<registry>"
    elif ctx.default_org is not None:
        where = f"{ctx.default_org}/<registry>"
    else:
        return f"a bare {_code('<registry>')} means a registry in the account"
    return f"with defaults set, a bare {_code('<registry>')} means {_code(where)}"


def _hosts(ctx: ScopeContext) -> str:
    return ", ".join(_inline(host, NAME_LIMIT) for host in sorted(ctx.ui_hosts)) or "Harness"


def help_reply(ctx: ScopeContext, *, command: str = COMMAND, problem: InvalidScope | None = None) -> Reply:
    """What the command understands, one example per form, and this workspace's account and defaults.

    `command` prefixes the examples: "/har", "@harbot", or "" in a DM, where the bare text works.
    `problem`, when given, comes first: what was not understood, and why.
    """
    prefix = f"{command} " if command else ""
    lines: list[str] = []
    for form in SCOPE_FORMS:
        if form.kind == "link":
            example = _code(f"{prefix}<link>")
            lines.append(f"• {example} — {escape(form.meaning)} (links from {_hosts(ctx)})")
        else:
            example = _code(f"{prefix}{_form_example(form, ctx)}", 200)
            lines.append(f"• {example} — {escape(form.meaning)}")
    forms = _listing(lines, sep="\n", max_items=len(lines), budget=SECTION_LIMIT - 100)
    syntaxes = ", ".join(form.syntax for form in SCOPE_FORMS if form.kind == "name")
    ask = f"Tell {_code(command)} which one" if command else "Send me one of these"
    if problem is not None:
        what, hint = _not_understood(problem)
        lead = [_section(f"{what}\n{hint}" if hint else what)]
        text = f"{what} {hint or ''}".strip()
    else:
        lead, text = [], ""
    return Reply(
        text=text
        or escape(f"{command or 'harbot'} looks up a Harness artifact registry: {syntaxes}, or a link."),
        blocks=[
            *lead,
            _section(f"I look up Harness artifact registries. {ask}:\n{forms}"),
            _context(f"Account {_code(ctx.account_id)}", _bare_name_meaning(ctx)),
        ],
    )


def _not_understood(exc: InvalidScope) -> tuple[str, str | None]:
    """What was not understood and why (mrkdwn), and the suggestion when there is one."""
    reason = escape(_flat(exc.reason))
    shown = exc.text.strip()
    what = f"I couldn't read {_code(shown, 120)} as a registry. {reason}" if shown else reason
    return what, escape(_flat(exc.hint)) if exc.hint else None


def invalid_scope_reply(exc: InvalidScope, ctx: ScopeContext) -> Reply:
    """What was not understood and why, a suggestion when there is one, and the forms that work."""
    what, hint = _not_understood(exc)
    # The registry_ref forms are for people who already know the API; help lists them.
    forms = [
        _code(form.syntax, NAME_LIMIT) if form.kind != "link" else f"a link from {_hosts(ctx)}"
        for form in SCOPE_FORMS
        if form.kind != "registry_ref"
    ]
    listed = f"{', '.join(forms[:-1])} or {forms[-1]}" if len(forms) > 1 else forms[0]
    usage = f"I understand {listed}. {_code(f'{COMMAND} help')} shows examples."
    return Reply(
        text=_fit(f"{what} {hint or ''}".strip(), FALLBACK_LIMIT * 2),
        blocks=[_section(f"{what}\n{hint}" if hint else what), _context(usage)],
    )


def working_reply(subject: str) -> Reply:
    """Shown to the asker while Harness is slow to answer; the answer replaces it."""
    text = f"Looking up {_code(subject, NAME_LIMIT)}…"
    return Reply(text=text, blocks=[_context(text)])
