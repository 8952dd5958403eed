"""The full registry card: what the registry is, where it pulls from, what it deletes, where to click.

Everything above the footer is rendered once per looked-up registry and kept (`RenderedCards`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from bot.cards.artifact import ACTION_ARTIFACTS, registry_value
from bot.cards.blocks import (
    Block,
    Reply,
    actions,
    button,
    context,
    field,
    field_budget,
    fields,
    header,
    section,
)
from bot.cards.rendered import RenderedCards
from bot.cards.text import (
    BUTTON_VALUE_LIMIT,
    DAY_AND_TIME,
    DESCRIPTION_LIMIT,
    FALLBACK_LIMIT,
    HEADER_LIMIT,
    MAX_FIELDS,
    NAME_LIMIT,
    SECTION_LIMIT,
    SEP,
    URL_LIMIT,
    URL_SHOWN_LIMIT,
    VALUE_LIMIT,
    WARNING,
    code,
    cut,
    date,
    describe_scope,
    escape,
    fit,
    flat,
    inline,
    listing,
    mention,
    plural,
    present,
    units,
)
from bot.cards.vocabulary import (
    AUTH_TYPES,
    FIREWALL_MODES,
    PACKAGE_TYPES,
    REGISTRY_TYPES,
    SCANNERS,
    SOURCES,
    emoji,
    human,
)
from bot.harness.models import CleanupPolicy, Registry, epoch_seconds
from bot.refs import RegistryRef

ACTION_OPEN: Final = "open_in_harness"
ACTION_REFRESH: Final = "refresh"
ACTION_SHARE: Final = "share"
ACTION_PULL: Final = "how_to_pull"

MAX_LABELS: Final = 12
MAX_PATTERNS: Final = 8
MAX_POLICY_REFS: Final = 8
MAX_UPSTREAMS: Final = 10
MAX_SCANNERS: Final = 5
MAX_CLEANUP_POLICIES: Final = 5
MAX_PREFIXES: Final = 4

T = TypeVar("T")

Row = Sequence[tuple[str, str | None]]
"""Fields that belong side by side: (title, mrkdwn value or None when there is nothing to show)."""


@dataclass(frozen=True, slots=True)
class CardOptions:
    """How one request's card is drawn, decided once where the request is understood and passed whole."""

    requested_by: str | None = None
    """Who asked, for "Looked up for @user" (a private answer)."""
    shared_by: str | None = None
    """Who shared it, for "Shared by @user" (an answer for the channel); wins over `requested_by`."""
    shareable: bool = False
    """Offer "Share in channel" (a private answer that could be public)."""
    found: bool = False
    """Found by searching the account: the card says where it lives."""
    looked_up_at: int | None = None
    """When, in epoch seconds, for the footer; set when the card is drawn."""

    @classmethod
    def for_asker(cls, user: str | None, *, public: bool, found: bool = False) -> CardOptions:
        """A card for `user` alone (shareable), or shared by them with the channel."""
        if public:
            return cls(shared_by=user, found=found)
        return cls(requested_by=user, shareable=True, found=found)


PLAIN_CARD: Final = CardOptions()
"""A card for nobody in particular: no footer, nothing to share."""


def registry_card(
    registry: Registry, ref: RegistryRef, *, ui_base: str, options: CardOptions | None = None
) -> Reply:
    """The full card; its footer says "Shared by" someone if shared, else "Looked up for" the requester."""
    options = options or PLAIN_CARD
    shareable, found = options.shareable, options.found
    text, body = _card_bodies.get(
        registry,
        (ref, ui_base, shareable, found),
        lambda: _card_body(registry, ref, ui_base, shareable=shareable, found=found),
    )
    footer = _footer(options.requested_by, options.shared_by, options.looked_up_at)
    return Reply(text=text, blocks=[*body, footer] if footer is not None else body)


def deleted_at(registry: Registry) -> int | None:
    """When the registry was soft-deleted (epoch seconds), or None when it is live."""
    return epoch_seconds(registry.deleted_at)


def summary(registry: Registry, ref: RegistryRef) -> list[str]:
    """Package type · registry type · scope · public/private, each only when known."""
    parts = [
        inline(human(PACKAGE_TYPES, registry.package_type), NAME_LIMIT) if registry.package_type else "",
        inline(human(REGISTRY_TYPES, registry.config.type), NAME_LIMIT) if registry.config.type else "",
        describe_scope(ref),
    ]
    if registry.is_public is not None:
        parts.append("public" if registry.is_public else "private")
    return present(parts)


def display_name(registry: Registry, ref: RegistryRef) -> str:
    """The registry's identifier as Harness sent it, else the name that was asked for (raw text)."""
    return registry.identifier.strip() or ref.registry


def _card_body(
    registry: Registry, ref: RegistryRef, ui_base: str, *, shareable: bool, found: bool = False
) -> tuple[str, list[Block]]:
    """The card's fallback text and its blocks above the footer."""
    deleted = deleted_at(registry)
    description = registry.description.strip()
    blocks: list[Block | None] = [
        _header(registry, ref),
        _deleted_warning(deleted) if deleted is not None else None,
        context(f"🔎 found in {describe_scope(ref)}") if found else None,
        context(*summary(registry, ref)),
        section(escape(cut(description, DESCRIPTION_LIMIT, measure=units))) if description else None,
        *_facts(registry),
        _cleanup(registry),
        _rules(registry),
        _buttons(ref, ui_base, shareable=shareable),
    ]
    text = _fallback(registry, ref, deleted=deleted is not None)
    return text, [block for block in blocks if block is not None]


_card_bodies: RenderedCards[tuple[str, list[Block]]] = RenderedCards()


def _header(registry: Registry, ref: RegistryRef) -> Block:
    text = cut(
        f"{emoji(registry.package_type)} {flat(display_name(registry, ref))}", HEADER_LIMIT, measure=units
    )
    return header(text)


def _deleted_warning(deleted: int) -> Block:
    when = date(deleted, DAY_AND_TIME)
    deleted_when = f"*This registry was deleted* ({when})" if when else "*This registry was deleted*"
    return section(
        f"{WARNING} {deleted_when}. Harness keeps it soft-deleted: "
        "this is its last configuration, and it may no longer serve packages."
    )


def _upstream_list(registry: Registry) -> str | None:
    names = present(registry.config.upstream_proxies)
    if not names:
        return None
    numbered = _first(
        list(enumerate(names, start=1)),
        lambda item: f"{item[0]}. {inline(item[1], NAME_LIMIT)}",
        MAX_UPSTREAMS,
    )
    budget = field_budget("Upstreams (in order)")
    return listing(numbered, sep="\n", max_items=MAX_UPSTREAMS, budget=budget)


def _codes(values: Sequence[str], *, max_items: int, budget: int, limit: int = VALUE_LIMIT) -> str | None:
    values = present(values)
    if not values:
        return None
    shown = _first(values, lambda value: code(value, limit), max_items)
    return listing(shown, sep=" ", max_items=max_items, budget=budget)


def _first(values: Sequence[T], render: Callable[[T], str], max_items: int) -> list[str]:
    """`values` ready for `listing`: the first `max_items` rendered, the rest left as placeholders, which
    `listing` only counts ("+N more"). A registry may hold hundreds of labels or patterns.
    """
    return [render(value) for value in values[:max_items]] + [""] * (len(values) - max_items)


def _remote_url(registry: Registry) -> str | None:
    config = registry.config
    if not config.url.strip():
        return None
    shown = code(config.url, URL_SHOWN_LIMIT)
    if config.remote_url_suffix.strip():
        shown += f" (path {code(config.remote_url_suffix, NAME_LIMIT)})"
    return shown


def _grid(rows: Sequence[Row]) -> list[Block]:
    """The facts as section fields in rows of two, the first row's first field (the URL) first on every card.

    Slack flows fields left to right, so a row missing one of its two fields would shift every row after
    it: rows left with one field are paired up at the end. A first field left without its partner takes
    the first of those; with none to take, it has a section of its own, so the pairs below stay paired.
    """
    pairs: list[tuple[str, str]] = []
    singles: list[tuple[str, str]] = []
    for row in rows:
        shown = [(title, body) for title, body in row if body]
        (pairs if len(shown) == 2 else singles).extend(shown)
    (title, body), *_ = rows[0]
    if body and pairs[:1] != [(title, body)]:
        singles.remove((title, body))
        if pairs and not singles:
            return [_fields([(title, body)]), _fields(pairs)]
        pairs = [(title, body), *singles[:1], *pairs]
        singles = singles[1:]
    laid_out = pairs + singles
    return [_fields(laid_out)] if laid_out else []


def _fields(items: Sequence[tuple[str, str]]) -> Block:
    return fields([field(title, body) for title, body in items[:MAX_FIELDS]])


def _facts(registry: Registry) -> list[Block]:
    config = registry.config
    url = code(registry.url, URL_SHOWN_LIMIT) if registry.url.strip() else None
    created = date(epoch_seconds(registry.created_at))
    modified = date(epoch_seconds(registry.modified_at), DAY_AND_TIME)
    labels = _codes(registry.labels, max_items=MAX_LABELS, budget=field_budget("Labels"), limit=NAME_LIMIT)
    scanners = listing(
        _first(
            [s.name for s in registry.scanners if s.name.strip()],
            lambda name: inline(human(SCANNERS, name), NAME_LIMIT),
            MAX_SCANNERS,
        ),
        sep=", ",
        max_items=MAX_SCANNERS,
        budget=field_budget("Scanners"),
    )
    rows: list[Row]
    if config.type == "UPSTREAM" or (config.type != "VIRTUAL" and (config.source or config.auth_type)):
        source = inline(human(SOURCES, config.source), NAME_LIMIT) if config.source.strip() else None
        auth = inline(human(AUTH_TYPES, config.auth_type), NAME_LIMIT) if config.auth_type.strip() else None
        firewall = (
            inline(human(FIREWALL_MODES, config.firewall), NAME_LIMIT) if config.firewall.strip() else None
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
    return _grid(rows)


def _cleanup_line(policy: CleanupPolicy) -> str:
    parts = [inline(policy.name, NAME_LIMIT) if policy.name.strip() else "unnamed"]
    if policy.expire_days is not None:
        parts.append(f"after {plural(policy.expire_days, 'day')}")
    for noun, prefixes in (("packages", policy.package_prefix), ("versions", policy.version_prefix)):
        globs = [p if p.endswith("*") else f"{p}*" for p in present(prefixes)]
        shown = _codes(globs, max_items=MAX_PREFIXES, budget=400, limit=NAME_LIMIT)
        if shown:
            parts.append(f"{noun} {shown}")
    return "• " + SEP.join(parts)


def _cleanup(registry: Registry) -> Block | None:
    policies = registry.cleanup_policy
    if not policies:
        return None
    title = "*Cleanup*\n"
    lines = _first(policies, _cleanup_line, MAX_CLEANUP_POLICIES)
    body = listing(lines, sep="\n", max_items=MAX_CLEANUP_POLICIES, budget=SECTION_LIMIT - units(title))
    return section(title + body)


def _rules(registry: Registry) -> Block | None:
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
    return section("\n".join(lines)) if lines else None


def _buttons(ref: RegistryRef, ui_base: str, *, shareable: bool) -> Block | None:
    elements: list[Block] = []
    url = ref.ui_url(ui_base)
    if len(url) <= URL_LIMIT:
        elements.append(button("Open in Harness", ACTION_OPEN, url=url, style="primary"))
    if len(ref.path) <= BUTTON_VALUE_LIMIT:
        elements.append(button("Refresh", ACTION_REFRESH, value=ref.path))
        if shareable:
            elements.append(button("Share in channel", ACTION_SHARE, value=ref.path))
        elements.append(button("How to pull", ACTION_PULL, value=ref.path))
        elements.append(button("Artifacts", ACTION_ARTIFACTS, value=registry_value(ref, 0)))
    return actions(elements) if elements else None


def _footer(requested_by: str | None, shared_by: str | None, looked_up_at: int | None) -> Block | None:
    """Who the card is for and when it was looked up; a sharer wins over a requester."""
    when = date(looked_up_at, DAY_AND_TIME)
    sharer, requester = mention(shared_by), mention(requested_by)
    if sharer:
        who = f"Shared by {sharer}"
    elif requester:
        who = f"Looked up for {requester}"
    elif when:
        who = "Looked up"
    else:
        return None
    return context(f"{who}{SEP}{when}" if when else who)


def _fallback(registry: Registry, ref: RegistryRef, *, deleted: bool) -> str:
    name = inline(display_name(registry, ref), NAME_LIMIT)
    facts = summary(registry, ref)[:3]
    if deleted:
        facts.append(f"{WARNING} deleted")
    return fit(f"{name} — {SEP.join(facts)}", FALLBACK_LIMIT)
