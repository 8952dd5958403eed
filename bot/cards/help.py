"""Help: the short ways to name a registry, then every other command from the command table, where
else to ask (DMs, mentions, links), and this workspace's account and defaults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.cards.blocks import Block, Reply, context, section
from bot.cards.errors import link_hosts, not_understood
from bot.cards.text import FALLBACK_LIMIT, SECTION_LIMIT, code, escape, fit, listing
from bot.names import BOT_HANDLE, BOT_NAME, SLASH_COMMAND
from bot.parsing import SCOPE_FORMS, InvalidScope, ScopeContext


class HelpEntry(Protocol):
    """A command as help shows it (bot.commands.Command is one)."""

    @property
    def word(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def example(self) -> str: ...


def help_reply(
    ctx: ScopeContext,
    commands: Sequence[HelpEntry] = (),
    *,
    command: str = SLASH_COMMAND,
    problem: InvalidScope | None = None,
) -> Reply:
    """Help for `command`, led by `problem` (what was not understood, and why) when given.

    `command` prefixes the examples: SLASH_COMMAND, BOT_HANDLE, or "" in a DM, where the bare text works.
    `commands` are the words besides the lookup itself (the lookup's entry, word "", is skipped).
    """
    prefix = f"{command} " if command else ""
    lines: list[str] = []
    for form in SCOPE_FORMS:
        if form.kind == "name":
            lines.append(f"• {code(prefix + form.example, 200)} — {escape(form.meaning)}")
        elif form.kind == "link":
            lines.append(
                f"• {code(prefix + '<link>')} — {escape(form.meaning)} (links from {link_hosts(ctx)})"
            )
    for entry in commands:
        if entry.word:
            lines.append(f"• {code(prefix + (entry.example or entry.usage), 200)} — {escape(entry.summary)}")
    shown = listing(lines, sep="\n", max_items=len(lines), budget=SECTION_LIMIT - 100)
    ask = f"Tell {code(command)} which one" if command else "Send me one of these"
    lead: list[Block] = []
    text = ""
    if problem is not None:
        what, hint = not_understood(problem)
        lead = [section(f"{what}\n{hint}" if hint else what)]
        text = fit(f"{what} {hint or ''}".strip(), FALLBACK_LIMIT * 2)
    syntaxes = ", ".join(form.syntax for form in SCOPE_FORMS if form.kind == "name")
    return Reply(
        text=text
        or escape(f"{command or BOT_NAME} looks up a Harness artifact registry: {syntaxes}, or a link."),
        blocks=[
            *lead,
            section(f"I look up Harness artifact registries. {ask}:\n{shown}"),
            context(
                f"The same words work in a DM with me (no {code(SLASH_COMMAND)} needed) and after "
                f"{code(BOT_HANDLE)} in a channel; a registry link pasted anywhere gets a small card."
            ),
            context(
                "No typing needed: search and *Subscribe a channel…* from my Home tab, or use *Look up "
                "in Harness* on a message and *Find a registry* in the shortcuts menu."
            ),
            context(f"Account {code(ctx.account_id)}", _bare_name_meaning(ctx), _registry_ref(ctx)),
        ],
    )


def _registry_ref(ctx: ScopeContext) -> str:
    """The long API form, last: for people who already know it."""
    return f"an API registry_ref such as {code(f'{ctx.account_id}/payments/docker-prod/+')} works too"


def _bare_name_meaning(ctx: ScopeContext) -> str:
    """What a bare registry name means under this configuration (mirrors `parse_scope`)."""
    if ctx.default_org is not None and ctx.default_project is not None:
        where = f"{ctx.default_org}/{ctx.default_project}/<registry>"
    elif ctx.default_org is not None:
        where = f"{ctx.default_org}/<registry>"
    else:
        return f"a bare {code('<registry>')} means a registry in the account"
    return f"with defaults set, a bare {code('<registry>')} means {code(where)}"
