"""Messages about an answer under way."""

from __future__ import annotations

from bot.cards.blocks import Reply, context
from bot.cards.text import NAME_LIMIT, code


def working_reply(subject: str) -> Reply:
    """Shown to the asker while Harness is slow to answer; the answer replaces it."""
    text = f"Looking up {code(subject, NAME_LIMIT)}…"
    return Reply(text=text, blocks=[context(text)])
