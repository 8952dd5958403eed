"""What the bot says: the registry card, its compact unfurl, help, and the messages that are not cards.

One builder per message (`registry`, `unfurl`, `help`, `errors`), with the shared parts beside them:
`text` (escaping, UTF-16 lengths, cutting), `vocabulary` (enum values in human words), `blocks` (Block
Kit as plain dicts, and `Reply`), `rendered` (the per-registry render cache). Nothing here talks to
Slack or Harness. The design and the voice are in docs/CARD.md.

Two promises hold for any input, however large or hostile:
- every payload stays inside Block Kit's limits (lists show the first few and "+N more", long text is cut
  at a word with "…"), measured in UTF-16 code units as Slack counts them;
- text that came from Harness or from a user is escaped for mrkdwn (`&`, `<`, `>`), so it can never
  mention anyone or forge a link, and code spans cannot be broken by a backtick inside them.
"""

from bot.cards.blocks import Reply
from bot.cards.errors import (
    apology_reply,
    error_reply,
    invalid_scope_reply,
    refusal_reply,
    stale_button_reply,
)
from bot.cards.help import help_reply
from bot.cards.registry import (
    ACTION_OPEN,
    ACTION_PULL,
    ACTION_REFRESH,
    ACTION_SHARE,
    PLAIN_CARD,
    CardOptions,
    registry_card,
)
from bot.cards.rendered import RenderedCards
from bot.cards.status import working_reply
from bot.cards.text import describe_scope, escape
from bot.cards.unfurl import compact_card
from bot.cards.vocabulary import PACKAGE_TYPES, REGISTRY_TYPES

__all__ = [
    "ACTION_OPEN",
    "ACTION_PULL",
    "ACTION_REFRESH",
    "ACTION_SHARE",
    "PACKAGE_TYPES",
    "PLAIN_CARD",
    "REGISTRY_TYPES",
    "CardOptions",
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
    "working_reply",
]
