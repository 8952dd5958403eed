"""Finding registries wherever they live: list a space, search the account by name, did-you-mean, pull.

Registry names are unique within an account, so a bare name that is not in the default scope is looked for
in the whole account (`scope=descendants`). Every result passes the allow-lists before it is shown: a
registry in a refused scope is never shown, nor counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from bot.access import Asker, NotAllowed
from bot.answers import Answer, card_answer, fetch, look_up
from bot.cards import PACKAGE_TYPES, REGISTRY_TYPES, CardOptions, Reply, error_reply, refusal_reply
from bot.cards.listing import (
    Page,
    Row,
    describe_space,
    did_you_mean,
    list_card,
    list_error,
)
from bot.cards.pull import pull_steps
from bot.finding.queries import encode_query
from bot.harness.errors import (
    BadReference,
    Forbidden,
    HarnessError,
    HarnessUnavailable,
    NotFound,
    RateLimited,
    Unauthorized,
)
from bot.harness.searches import ListQuery
from bot.refs import RegistryRef, SpaceRef, ref_from_path

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.harness.models import ListRegistry

logger = logging.getLogger(__name__)

SEARCH_SIZE: Final = 100
"""Registries read per search when looking for a name (Harness's largest page)."""
MAX_CHOICES: Final = 5

# --- Results, filtered ----------------------------------------------------------------------------------


def visible_rows(listing: ListRegistry, deps: Deps, asker: Asker) -> list[Row]:
    """The registries the allow-lists let `asker` see; with a scope list set, unreadable paths are out."""
    rows: list[Row] = []
    for registry in listing.registries:
        ref = ref_from_path(registry.path)
        if ref is None and deps.access.scopes:
            continue
        if ref is not None and deps.access.refusal(asker, ref) is not None:
            continue
        rows.append(Row(registry=registry, ref=ref))
    return rows


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest one-character edits that turn `a` into `b`."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def closest(name: str, refs: Sequence[RegistryRef], limit: int = MAX_CHOICES) -> list[RegistryRef]:
    """The refs whose names are nearest `name`, near enough to be a likely typo, at most `limit`."""
    cutoff = max(3, len(name) // 2)
    scored = sorted({(edit_distance(name, ref.registry), ref.path, ref) for ref in refs}, key=lambda s: s[:2])
    return [ref for distance, _, ref in scored if distance <= cutoff][:limit]


# --- Search -----------------------------------------------------------------------------------------------


async def _page(query: ListQuery, deps: Deps, asker: Asker, surface: str) -> tuple[ListRegistry, list[Row]]:
    """One page and the rows of it `asker` may see, with one log line saying how it went."""
    started = time.monotonic()
    outcome = "ok"
    shown = 0
    try:
        listing = await deps.searches.page(query)
        rows = visible_rows(listing, deps, asker)
        shown = len(rows)
        return listing, rows
    except HarnessError as exc:
        outcome = type(exc).__name__
        raise
    finally:
        logger.info(
            "list surface=%s space=%s term=%s page=%d outcome=%s shown=%d latency_ms=%d user=%s channel=%s",
            surface,
            query.space.path,
            query.search_term or "-",
            query.page,
            outcome,
            shown,
            (time.monotonic() - started) * 1000,
            asker.user or "-",
            asker.channel or "-",
        )


async def locate(name: str, deps: Deps, asker: Asker, surface: str) -> RegistryRef | list[RegistryRef]:
    """The registry called `name` anywhere in the account, else the closest names (may be empty)."""
    account = SpaceRef(account=deps.scope.account_id)
    _, found = await _page(ListQuery(account, name, 0, SEARCH_SIZE), deps, asker, surface)
    refs = [row.ref for row in found if row.ref is not None]
    exact = [ref for ref in refs if ref.registry == name]
    if exact:
        return exact[0]
    shorter = name[: max(3, len(name) // 2)]
    if shorter != name:
        _, more = await _page(ListQuery(account, shorter, 0, SEARCH_SIZE), deps, asker, surface)
        refs += [row.ref for row in more if row.ref is not None]
    return closest(name, refs)


def search_error_reply(exc: HarnessError) -> Reply:
    """What went wrong listing or searching, in the user's terms."""
    if exc.space is None:
        return error_reply(exc)
    where = describe_space(exc.space)
    if isinstance(exc, NotFound | BadReference) and exc.space.org is not None:
        return list_error(
            f"I couldn't find {where} in Harness.",
            "Check the org and project identifiers (not display names).",
        )
    if isinstance(exc, Forbidden):
        return list_error(
            f"My Harness key doesn't have permission to list registries in {where}.",
            "Ask a Harness admin to let the bot's key view registries there.",
        )
    if isinstance(exc, Unauthorized | RateLimited | HarnessUnavailable):
        return error_reply(exc)  # these messages name only the host
    return list_error(
        f"Harness had a problem listing registries in {where}.", "Please try again in a minute."
    )


def space_refusal_reply(space: SpaceRef, *, about_scope: bool) -> Reply:
    """For a list an allow-list turns down: polite, and naming no list (those are in the log)."""
    if about_scope:
        return list_error(
            f"Sorry, I'm not set up to list registries in {describe_space(space)}.",
            "Whoever runs this bot chooses which Harness orgs and projects it answers about.",
        )
    return list_error(
        "Sorry, I'm not set up to list registries for you here.",
        "Whoever runs this bot chooses the workspaces, channels and people it answers.",
    )


# --- Tasks ------------------------------------------------------------------------------------------------


async def list_page(query: ListQuery, deps: Deps, asker: Asker, *, surface: str) -> Answer:
    """The list card for one page of `query`, or why there is none."""
    refusal = deps.access.space_refusal(asker, query.space)
    if refusal is not None:
        logger.info("list surface=%s space=%s outcome=refused(%s)", surface, query.space.path, refusal)
        return Answer(reply=space_refusal_reply(query.space, about_scope=refusal == "scope"), ok=False)
    try:
        listing, rows = await _page(query, deps, asker, surface)
    except HarnessError as exc:
        return Answer(reply=search_error_reply(exc), ok=False)
    filtered = bool(deps.access.scopes)
    more = (
        query.page + 1 < listing.page_count
        if listing.page_count is not None
        else len(listing.registries) >= query.size
    )
    where = describe_space(query.space)
    if query.search_term:
        title = f"Registries whose name contains `{query.search_term}` in {where}"
    else:
        title = f"Registries in {where}" + (" and below" if query.space.project is None else "")
    kinds = [PACKAGE_TYPES.get(t, t) for t in query.package_types]
    if query.registry_type:
        kinds.append(REGISTRY_TYPES[query.registry_type])
    if kinds:
        title += f" ({', '.join(kinds)})"
    page = Page(
        title=title,
        rows=rows,
        page=query.page,
        next_value=encode_query(_at(query, query.page + 1)) if more else None,
        previous_value=encode_query(_at(query, query.page - 1)) if query.page > 0 else None,
        total=None if filtered else listing.item_count,
        pages=None if filtered else listing.page_count,
    )
    return Answer(reply=list_card(page), ok=True, private=True)


def _at(query: ListQuery, page: int) -> ListQuery:
    return ListQuery(
        query.space, query.search_term, page, query.size, query.package_types, query.registry_type
    )


async def find_and_show(
    ref: RegistryRef,
    deps: Deps,
    asker: Asker,
    *,
    surface: str,
    public: bool,
    pull: bool = False,
) -> Answer:
    """A bare name: its card (or pull steps) from the default scope, else from wherever it lives in the
    account ("found in …"), else did-you-mean."""
    try:
        registry = await fetch(ref, deps, asker=asker, surface=surface)
    except NotAllowed as exc:
        if exc.refusal != "scope":
            return Answer(reply=refusal_reply(ref, about_scope=False), ok=False)
        refused: NotAllowed | None = exc
    except NotFound:
        refused = None
    except HarnessError as exc:
        return Answer(reply=error_reply(exc), ok=False)
    else:
        if pull:
            return await pull_answer(ref, deps, asker, surface=surface, package_type=registry.package_type)
        return card_answer(registry, ref, deps, CardOptions.for_asker(asker.user, public=public))
    try:
        located = await locate(ref.registry, deps, asker, surface)
    except HarnessError as exc:
        if refused is not None:
            return Answer(reply=refusal_reply(ref, about_scope=True), ok=False)
        return Answer(reply=search_error_reply(exc), ok=False)
    if isinstance(located, RegistryRef):
        if pull:
            return await pull_answer(located, deps, asker, surface=surface)
        card = CardOptions.for_asker(asker.user, public=public, found=True)
        return await look_up(located, deps, surface=surface, asker=asker, card=card)
    if refused is not None and not located:
        return Answer(reply=refusal_reply(ref, about_scope=True), ok=False)
    account = SpaceRef(account=ref.account)
    return Answer(reply=did_you_mean(ref.registry, account, located, pull=pull), ok=False)


async def pull_answer(
    ref: RegistryRef, deps: Deps, asker: Asker, *, surface: str, package_type: str = ""
) -> Answer:
    """The client set-up steps for a registry the allow-lists let `asker` see; only ever to the asker."""
    try:
        deps.access.check(asker, ref)
        details = await deps.searches.setup(ref)
    except NotAllowed as exc:
        return Answer(reply=refusal_reply(ref, about_scope=exc.refusal == "scope"), ok=False)
    except HarnessError as exc:
        logger.info("pull surface=%s ref=%s outcome=%s", surface, ref.path, type(exc).__name__)
        return Answer(reply=error_reply(exc), ok=False)
    logger.info("pull surface=%s ref=%s outcome=ok user=%s", surface, ref.path, asker.user or "-")
    reply = pull_steps(details, ref, ui_base=deps.ui_base, package_type=package_type)
    return Answer(reply=reply, ok=True, private=True)
