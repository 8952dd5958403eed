"""What a user typed -> RegistryRef, in any of the SCOPE_FORMS; InvalidScope on anything else."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

from bot.parsing.context import Rejected, ScopeContext, make_ref
from bot.parsing.links import link_ref
from bot.refs import SHOWN_TEXT_CHARS, InvalidScope, Part, RegistryRef

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS: Final = 4096
"""Longer input is not a reference, and the cap keeps the layer-peeling in _unwrap cheap."""

FormKind = Literal["name", "registry_ref", "link"]
_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# A link pasted without its scheme: "app.harness.io/ng/...". No identifier contains a dot, so this
# never takes away a reference that would otherwise parse.
_BARE_HOST_RE: Final = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?/")


_PLACEHOLDERS: Final[dict[str, Part]] = {
    "<account>": "account",
    "<org>": "org",
    "<project>": "project",
    "<registry>": "registry",
}


@dataclass(frozen=True, slots=True)
class ScopeForm:
    """One way of naming a registry that parse_scope understands; the help card lists these.

    For ``name`` and ``registry_ref`` forms the placeholders of ``syntax`` drive parsing: the text's
    slash-separated parts are matched to them in order.
    """

    syntax: str
    example: str
    meaning: str
    kind: FormKind

    @property
    def fields(self) -> tuple[Part, ...]:
        """The placeholders of the syntax, in order; empty for the link form."""
        if self.kind == "link":
            return ()
        names = self.syntax.removesuffix("/+").split("/")
        unknown = [name for name in names if name not in _PLACEHOLDERS]
        if unknown:
            raise ValueError(f"unknown placeholder {unknown[0]!r} in scope syntax {self.syntax!r}")
        return tuple(_PLACEHOLDERS[name] for name in names)


SCOPE_FORMS: Final[tuple[ScopeForm, ...]] = (
    ScopeForm(
        "<registry>",
        "docker-prod",
        "a registry in your default org or project if one is set, else in the account",
        "name",
    ),
    ScopeForm("<org>/<registry>", "payments/docker-prod", "a registry in an org", "name"),
    ScopeForm(
        "<org>/<project>/<registry>", "payments/checkout/docker-prod", "a registry in a project", "name"
    ),
    ScopeForm(
        "<account>/<registry>/+",
        "px7xd_BFRCi-pfWPYXVjvw/docker-prod/+",
        "an API registry_ref for a registry in an account",
        "registry_ref",
    ),
    ScopeForm(
        "<account>/<org>/<registry>/+",
        "px7xd_BFRCi-pfWPYXVjvw/payments/docker-prod/+",
        "an API registry_ref for a registry in an org",
        "registry_ref",
    ),
    ScopeForm(
        "<account>/<org>/<project>/<registry>/+",
        "px7xd_BFRCi-pfWPYXVjvw/payments/checkout/docker-prod/+",
        "an API registry_ref for a registry in a project",
        "registry_ref",
    ),
    ScopeForm(
        "<link to a registry page in Harness>",
        "https://app.harness.io/ng/account/px7xd_BFRCi-pfWPYXVjvw/all/orgs/payments/projects/checkout"
        "/registries/docker-prod",
        "a registry page copied from your browser",
        "link",
    ),
)


def _forms_text(kind: FormKind) -> str:
    """The syntaxes of one kind of form as plain words (no angle brackets, which Slack would eat)."""
    syntaxes = [f.syntax.replace("<", "").replace(">", "") for f in SCOPE_FORMS if f.kind == kind]
    return ", ".join(syntaxes[:-1]) + " or " + syntaxes[-1] if len(syntaxes) > 1 else syntaxes[0]


_QUOTES: Final = "\"'“”‘’"


def _unwrap(text: str) -> str:
    """Peel whitespace, quotes, backticks and Slack ``<url|label>`` markup off the text, in any nesting."""
    while True:
        before = text
        if len(text) >= 6 and text.startswith("```") and text.endswith("```"):
            text = text[3:-3]
        elif len(text) >= 2 and (text[0] == text[-1] == "`" or (text[0] in _QUOTES and text[-1] in _QUOTES)):
            text = text[1:-1]
        elif len(text) >= 2 and text[0] == "<" and text[-1] == ">":
            # Slack sends links as <url> or <url|label>; the label is only what the user saw.
            text = text[1:-1].split("|", 1)[0]
        text = text.strip()
        if text == before:
            return text


def name_ref(text: str, ctx: ScopeContext) -> RegistryRef:
    """A reference typed as slash-separated parts, matched against the SCOPE_FORMS syntaxes."""
    is_ref = text.endswith("/+")
    kind: FormKind = "registry_ref" if is_ref else "name"
    suffix = "/+" if is_ref else ""
    parts = text.removesuffix("/+").split("/")
    if "" in parts:
        raise Rejected(
            "There's an empty part between the slashes.", fix="/".join(p for p in parts if p) + suffix
        )
    form = next((f for f in SCOPE_FORMS if f.kind == kind and len(f.fields) == len(parts)), None)
    if form is None:
        if is_ref:
            raise Rejected(
                f"A registry_ref ending in /+ reads {_forms_text('registry_ref')}.",
                fix=f"{ctx.account_id}/{text}" if len(parts) == 1 else None,
            )
        raise Rejected(
            f"That has too many parts: I read {_forms_text('name')}.",
            # Four parts is most likely a registry_ref missing its /+.
            fix=f"{text}/+" if len(parts) == 4 else None,
        )
    values: dict[Part, str] = dict(zip(form.fields, parts, strict=True))
    account = values.get("account", ctx.account_id)
    org = values.get("org")
    project = values.get("project")
    if form.fields == ("registry",) and ctx.default_org is not None:
        org, project = ctx.default_org, ctx.default_project
    try:
        return make_ref(account, values["registry"], org, project)
    except Rejected as exc:
        if exc.part == "registry" and exc.reason == "Registry names are lowercase.":
            exc.fix = "/".join([*parts[:-1], parts[-1].lower()]) + suffix
        raise


def clean(text: str) -> str:
    """The reference inside what the user typed, unwrapped; Rejected when it cannot be one."""
    empty = Rejected("Tell me which registry, for example docker-prod.")
    text = text.strip()
    if not text:
        raise empty
    if len(text) > MAX_TEXT_CHARS:
        raise Rejected("That's too long to be a registry reference.")
    text = _unwrap(text)
    if not text:
        raise empty
    if any(c.isspace() for c in text):
        raise Rejected("A registry reference has no spaces in it: send one registry at a time.")
    if not text.isprintable():
        raise Rejected("That has invisible or control characters in it.")
    if text[0] in "@#!":
        raise Rejected("That's a Slack mention or channel, not a registry.")
    return text


def link_text(text: str) -> str | None:
    """The text as a URL when it is a link (with or without its scheme), else None."""
    if _SCHEME_RE.match(text):
        return text
    if _BARE_HOST_RE.match(text):
        return f"https://{text}"
    return None


def _parse(text: str, ctx: ScopeContext) -> RegistryRef:
    text = clean(text)
    url = link_text(text)
    return link_ref(url, ctx.ui_hosts) if url is not None else name_ref(text, ctx)


def _parses(text: str, ctx: ScopeContext) -> bool:
    try:
        _parse(text, ctx)
    except Rejected:
        return False
    return True


def parse_scope(text: str, ctx: ScopeContext) -> RegistryRef:
    """The registry that ``text`` names, in any of the SCOPE_FORMS; raises InvalidScope otherwise.

    Surrounding whitespace, quotes, backticks and Slack link markup are ignored. Links are read only
    from ``ctx.ui_hosts``; their path segments are validated as they are, never percent-decoded.
    """
    try:
        return _parse(text, ctx)
    except Rejected as exc:
        raise invalid(exc, text, fixed=exc.fix is not None and _parses(exc.fix, ctx)) from None


def invalid(exc: Rejected, text: str, *, fixed: bool) -> InvalidScope:
    """The InvalidScope for a rejection; ``fixed`` says whether its fix parses (only then is it hinted,
    so a suggestion is never a guess that fails too)."""
    hint = f"Did you mean `{exc.fix}`?" if exc.fix is not None and fixed else None
    logger.debug("could not read a reference from %r: %s", text[:SHOWN_TEXT_CHARS], exc.reason)
    return InvalidScope(exc.reason, text=text, hint=hint)
