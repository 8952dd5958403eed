"""From a registry reference to the reply: its card, or a friendly error.

Every registry the bot reads goes through `fetch`, on every surface: the allow-lists first, then the lookup
cache, and one log line saying how it ended.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.access import Asker, NotAllowed
from bot.cards import PLAIN_CARD, CardOptions, Reply, error_reply, refusal_reply, registry_card
from bot.harness.errors import HarnessError
from bot.metrics import outcome_of, record_lookup
from bot.refs import RegistryRef, Target

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.harness.models import Registry

logger = logging.getLogger(__name__)

LOOKUP_LINE = (
    "lookup surface=%(surface)s ref=%(ref)s outcome=%(outcome)s latency_ms=%(latency_ms)d "
    "user=%(user)s channel=%(channel)s"
)


@dataclass(frozen=True)
class Answer:
    """A reply to deliver: `ok` is False for errors, which are always shown to the requester only."""

    reply: Reply
    ok: bool
    public: bool = False
    """For the whole channel; only ever True when `ok`."""
    private: bool = False
    """For the asker only, even where a card would go to the channel or thread (lists, pull steps)."""
    card_of: Target | None = None
    """What the reply is the card of (a registry, artifact or version), for the asker's recent lookups."""


async def fetch(ref: RegistryRef, deps: Deps, *, asker: Asker, surface: str, fresh: bool = False) -> Registry:
    """The registry, if the allow-lists let `asker` look it up; raises NotAllowed or a HarnessError.

    The one way every surface reaches Harness: a refused lookup never makes a Harness call. Logs one
    line per lookup, naming the surface, the registry, the outcome and who asked.
    """
    started = time.monotonic()
    outcome = label = "ok"
    try:
        deps.access.check(asker, ref)
        return await deps.lookups.get(ref, fresh=fresh)
    except NotAllowed as exc:
        outcome, label = f"refused({exc.refusal})", "refused"
        raise
    except HarnessError as exc:
        outcome, label = type(exc).__name__, outcome_of(exc)
        raise
    except Exception:
        outcome = label = "error"
        raise
    finally:
        elapsed = time.monotonic() - started
        record_lookup(surface, label, elapsed)
        if logger.isEnabledFor(logging.INFO):
            fields = {
                "surface": surface,
                "ref": ref.path,
                "outcome": outcome,
                "latency_ms": int(elapsed * 1000),
                "user": asker.user or "-",
                "channel": asker.channel or "-",
            }
            # The fields go twice: into the text (plain logs), and as keys of their own (LOG_FORMAT=json).
            logger.info(LOOKUP_LINE, fields, extra=fields)


async def look_up(
    ref: RegistryRef,
    deps: Deps,
    *,
    surface: str,
    asker: Asker,
    card: CardOptions = PLAIN_CARD,
    fresh: bool = False,
) -> Answer:
    """Look the registry up and render the card drawn as `card` says, or the friendly message for what
    went wrong."""
    try:
        registry = await fetch(ref, deps, asker=asker, surface=surface, fresh=fresh)
    except NotAllowed as exc:
        return Answer(reply=refusal_reply(ref, about_scope=exc.refusal == "scope"), ok=False)
    except HarnessError as exc:
        return Answer(reply=error_reply(exc), ok=False)
    return card_answer(registry, ref, deps, card)


def card_answer(registry: Registry, ref: RegistryRef, deps: Deps, card: CardOptions) -> Answer:
    """The card for a registry already fetched, stamped with the time it is drawn."""
    options = dataclasses.replace(card, looked_up_at=int(time.time()))
    reply = registry_card(registry, ref, ui_base=deps.ui_base, options=options)
    return Answer(reply=reply, ok=True, card_of=ref)
