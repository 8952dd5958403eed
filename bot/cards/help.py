"""Help: what the command understands, one example per form, and this workspace's account and defaults."""

from __future__ import annotations

from bot.cards.blocks import Block, Reply, context, section
from bot.cards.errors import link_hosts, not_understood
from bot.cards.text import COMMAND, FALLBACK_LIMIT, SECTION_LIMIT, code, escape, fit, listing
from bot.parsing import SCOPE_FORMS, InvalidScope, ScopeContext, ScopeForm


def help_reply(ctx: ScopeContext, *, command: str = COMMAND, problem: InvalidScope | None = None) -> Reply:
    """Help for `command`, led by `problem` (what was not understood, and why) when given.

    `command` prefixes the examples: "/har", "@harbot", or "" in a DM, where the bare text works.
    """
    prefix = f"{command} " if command else ""
    lines: list[str] = []
    for form in SCOPE_FORMS:
        if form.kind == "link":
            example = code(f"{prefix}<link>")
            lines.append(f"• {example} — {escape(form.meaning)} (links from {link_hosts(ctx)})")
        else:
            example = code(f"{prefix}{_form_example(form, ctx)}", 200)
            lines.append(f"• {example} — {escape(form.meaning)}")
    forms = listing(lines, sep="\n", max_items=len(lines), budget=SECTION_LIMIT - 100)
    syntaxes = ", ".join(form.syntax for form in SCOPE_FORMS if form.kind == "name")
    ask = f"Tell {code(command)} which one" if command else "Send me one of these"
    lead: list[Block] = []
    text = ""
    if problem is not None:
        what, hint = not_understood(problem)
        lead = [section(f"{what}\n{hint}" if hint else what)]
        text = fit(f"{what} {hint or ''}".strip(), FALLBACK_LIMIT * 2)
    return Reply(
        text=text
        or escape(f"{command or 'harbot'} looks up a Harness artifact registry: {syntaxes}, or a link."),
        blocks=[
            *lead,
            section(f"I look up Harness artifact registries. {ask}:\n{forms}"),
            context(f"Account {code(ctx.account_id)}", _bare_name_meaning(ctx)),
        ],
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
        return f"a bare {code('<registry>')} means a registry in the account"
    return f"with defaults set, a bare {code('<registry>')} means {code(where)}"
