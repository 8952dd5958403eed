"""What `/har list` and `/har find` were given -> a ListQuery (InvalidScope on junk), and the query a
paging button carries, both ways.

A list names a space in the configured account (`<org>` or `<org>/<project>`, validated as identifiers)
and optional filters; a search term is a piece of a registry name. A button's value never names an
account: a click is always read in the bot's own.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from bot.cards.listing import PAGE_SIZE
from bot.cards.vocabulary import PACKAGE_TYPES, REGISTRY_TYPES
from bot.harness.searches import ListQuery
from bot.refs import InvalidScope, SpaceRef

if TYPE_CHECKING:
    from bot.parsing import ScopeContext

MAX_PACKAGE_TYPES: Final = 5
TERM_RE: Final = re.compile(r"[a-z0-9_-]{1,63}")
"""What a search term may be: a piece of a registry name (lowercase letters, digits, `-`, `_`)."""
PACKAGE_TYPE_RE: Final = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_QUOTES: Final = "`'\"“”‘’*_"

_HUMAN_TYPES: Final = {human.lower().replace(" ", ""): key for key, human in PACKAGE_TYPES.items()}


def _package_type(word: str) -> str | None:
    key = word.upper().replace("-", "_")
    if key in PACKAGE_TYPES:
        return key
    return _HUMAN_TYPES.get(word.lower())


def space_from(text: str, ctx: ScopeContext) -> SpaceRef:
    """`org` or `org/project` (or "") -> the space in the configured account; InvalidScope on junk."""
    parts = [part for part in text.strip("/").split("/")] if text.strip("/") else []
    if len(parts) > 2:
        raise InvalidScope("I list an org or a project: `<org>` or `<org>/<project>`.", text=text)
    return SpaceRef(
        account=ctx.account_id,
        org=parts[0] if parts else None,
        project=parts[1] if len(parts) > 1 else None,
    )


def list_query(text: str, ctx: ScopeContext) -> ListQuery:
    """`[<org>[/<project>]] [<package type or virtual/upstream>...]` -> page 0 of that list."""
    space: SpaceRef | None = None
    types: list[str] = []
    registry_type: str | None = None
    for word in text.split():
        word = word.strip(_QUOTES)
        package_type = _package_type(word)
        if word.upper() in REGISTRY_TYPES:
            registry_type = word.upper()
        elif package_type is not None and "/" not in word:
            if package_type not in types:
                types.append(package_type)
        elif space is None and word:
            space = space_from(word, ctx)
        elif word:
            raise InvalidScope("I list one org or project at a time.", text=text)
    if len(types) > MAX_PACKAGE_TYPES:
        raise InvalidScope(f"I filter by at most {MAX_PACKAGE_TYPES} package types.", text=text)
    return ListQuery(
        space=space or SpaceRef(account=ctx.account_id),
        page=0,
        size=PAGE_SIZE,
        package_types=tuple(types),
        registry_type=registry_type,
    )


def find_term(text: str) -> str:
    """The piece of a registry name to search for; InvalidScope when it cannot be one."""
    term = text.strip().strip(_QUOTES).strip().lower()
    if not TERM_RE.fullmatch(term):
        raise InvalidScope(
            "Search for part of a registry name: letters, digits, hyphens and underscores.", text=text
        )
    return term


# --- Paging buttons carry their query ----------------------------------------------------------------------


def encode_query(query: ListQuery) -> str:
    """A button value for `query`; the account is never in it (a click is read in the bot's own)."""
    value: dict[str, Any] = {"s": query.space.short, "p": query.page}
    if query.search_term:
        value["q"] = query.search_term
    if query.package_types:
        value["t"] = list(query.package_types)
    if query.registry_type:
        value["r"] = query.registry_type
    return json.dumps(value, separators=(",", ":"))


def decode_query(value: object, ctx: ScopeContext) -> ListQuery | None:
    """The query a paging button carries, validated as if typed; None when it cannot be read."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    try:
        data = json.loads(value)
        space = space_from(data["s"], ctx) if isinstance(data["s"], str) else None
        page = data["p"]
        term = data.get("q")
        types = data.get("t", [])
        registry_type = data.get("r")
    except (ValueError, KeyError, TypeError, InvalidScope):
        return None
    valid = (
        space is not None
        and isinstance(page, int)
        and 0 <= page < 10_000
        and (term is None or (isinstance(term, str) and TERM_RE.fullmatch(term) is not None))
        and isinstance(types, list)
        and len(types) <= MAX_PACKAGE_TYPES
        and all(isinstance(t, str) and PACKAGE_TYPE_RE.fullmatch(t) for t in types)
        and (registry_type is None or registry_type in REGISTRY_TYPES)
    )
    if not valid or space is None:
        return None
    return ListQuery(space, term, page, PAGE_SIZE, tuple(types), registry_type)
