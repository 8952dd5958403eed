"""The messages that are not cards, for when there is no card to show: a failed lookup, a refusal, our
own bug, a stale button, text that is not a registry.

Each is one sentence on what happened, in the user's terms, and one line on what to try next; never a
status code alone, a trace, an internal identifier or a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bot.cards.blocks import Reply, context, message, section
from bot.cards.text import (
    FALLBACK_LIMIT,
    NAME_LIMIT,
    code,
    describe_scope,
    escape,
    fit,
    flat,
    inline,
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
from bot.names import SLASH_COMMAND
from bot.parsing import SCOPE_FORMS, InvalidScope, ScopeContext
from bot.refs import RegistryRef


def error_reply(exc: HarnessError) -> Reply:
    """The friendly, specific message for a failed lookup."""
    for cls in type(exc).__mro__:
        build = _ERROR_REPLIES.get(cls)
        if build is not None:
            return build(exc)
    return _failed(exc)  # unreachable: HarnessError is in every MRO here


def _not_found(exc: HarnessError) -> Reply:
    ref = exc.ref
    name = code(ref.registry)
    what = f"I couldn't find a registry named {name} in {describe_scope(ref)}."
    if ref.project is not None and ref.org is not None:
        other = f"try {code(f'{SLASH_COMMAND} {ref.org}/{ref.registry}')} for the org"
    elif ref.org is not None:
        other = f"try {code(f'{SLASH_COMMAND} {ref.org}/<project>/{ref.registry}')} for a project in it"
    else:
        other = (
            f"try {code(f'{SLASH_COMMAND} <org>/{ref.registry}')} "
            f"or {code(f'{SLASH_COMMAND} <org>/<project>/{ref.registry}')}"
        )
    return message(what, f"Registry lookups are scoped: {other}, or paste the link from Harness.")


def _bad_reference(exc: HarnessError) -> Reply:
    return message(
        f"Harness rejected {code(exc.ref.short)} as a registry reference.",
        f"Check the spelling, or see {code(f'{SLASH_COMMAND} help')} for the forms I understand.",
    )


def _unauthorized(exc: HarnessError) -> Reply:
    return message(
        "Harness turned down my API key: it may be invalid or expired.",
        "Nothing is wrong with your request: please ask a Slack or Harness admin to renew the bot's key.",
    )


def _forbidden(exc: HarnessError) -> Reply:
    return message(
        f"My Harness key doesn't have permission to read {code(exc.ref.registry)} "
        f"in {describe_scope(exc.ref)}.",
        "Ask a Harness admin to let the bot's key view registries there, or try a registry in another scope.",
    )


def _rate_limited(exc: HarnessError) -> Reply:
    return message("Harness is busy right now and asked me to slow down.", "Please try again in a minute.")


def _server_error(exc: HarnessError) -> Reply:
    return message(
        f"Harness had a problem answering for {code(exc.ref.registry)}.",
        "That's usually brief: please try again shortly.",
    )


def _timeout(exc: HarnessError) -> Reply:
    return message(
        f"Harness at {code(exc.host)} didn't answer in time.",
        "It may be slow or busy: please try again in a minute.",
    )


def _unreachable(exc: HarnessError) -> Reply:
    return message(
        f"I couldn't reach Harness at {code(exc.host)}.",
        "Please try again in a minute; if it keeps failing, let whoever runs this bot know.",
    )


def _invalid_response(exc: HarnessError) -> Reply:
    return message(
        f"Harness sent an answer I couldn't read for {code(exc.ref.registry)}.",
        "Please try again in a minute; if it keeps happening, let whoever runs this bot know.",
    )


def _failed(exc: HarnessError) -> Reply:
    return message(
        f"Something went wrong looking up {code(exc.ref.registry)} in Harness.",
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


def apology_reply() -> Reply:
    """For a bug on our side: a short apology, no details (those are in the log)."""
    return message(
        "Sorry, something went wrong on my side while answering that.",
        "It has been logged; please try again in a moment.",
    )


def refusal_reply(ref: RegistryRef, *, about_scope: bool) -> Reply:
    """For a lookup an allow-list turns down: polite, and naming no list (those are in the log)."""
    if about_scope:
        return message(
            f"Sorry, I'm not set up to look up registries in {describe_scope(ref)}.",
            "Whoever runs this bot chooses which Harness orgs and projects it answers about; ask them "
            "if you need this one.",
        )
    return message(
        "Sorry, I'm not set up to look up registries for you here.",
        "Whoever runs this bot chooses the workspaces, channels and people it answers; ask them if you "
        "need it here.",
    )


def stale_button_reply() -> Reply:
    """For a card button whose value can no longer be read (an old card, or a changed configuration)."""
    return message(
        "That button belongs to a card I can't read anymore.",
        f"Ask again with {code(f'{SLASH_COMMAND} <registry>')} for a fresh card.",
    )


def not_understood(exc: InvalidScope) -> tuple[str, str | None]:
    """What was not understood and why (mrkdwn), and the suggestion when there is one."""
    reason = escape(flat(exc.reason))
    shown = exc.text.strip()
    what = f"I couldn't read {code(shown, 120)} as a registry. {reason}" if shown else reason
    return what, escape(flat(exc.hint)) if exc.hint else None


def link_hosts(ctx: ScopeContext) -> str:
    """The Harness hosts whose links are understood, as mrkdwn."""
    return ", ".join(inline(host, NAME_LIMIT) for host in sorted(ctx.ui_hosts)) or "Harness"


def invalid_scope_reply(exc: InvalidScope, ctx: ScopeContext) -> Reply:
    """What was not understood and why, a suggestion when there is one, and the forms that work."""
    what, hint = not_understood(exc)
    # The registry_ref forms are for people who already know the API; help lists them.
    forms = [
        code(form.syntax, NAME_LIMIT) if form.kind != "link" else f"a link from {link_hosts(ctx)}"
        for form in SCOPE_FORMS
        if form.kind != "registry_ref"
    ]
    listed = f"{', '.join(forms[:-1])} or {forms[-1]}" if len(forms) > 1 else forms[0]
    usage = f"I understand {listed}. {code(f'{SLASH_COMMAND} help')} shows examples."
    return Reply(
        text=fit(f"{what} {hint or ''}".strip(), FALLBACK_LIMIT * 2),
        blocks=[section(f"{what}\n{hint}" if hint else what), context(usage)],
    )
