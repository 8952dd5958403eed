"""Help: one example per form, the configured account and what a bare name means."""

from __future__ import annotations

from bot.cards import (
    escape,
    help_reply,
)
from bot.commands import COMMANDS
from bot.parsing import SCOPE_FORMS, ScopeContext
from tests.cardcheck import (
    ACCOUNT,
    CTX,
    message,
)

# ---------------------------------------------------------------------------------------------------------
# Help


def help_lines(ctx: ScopeContext = CTX, command: str = "/har") -> list[str]:
    text: str = message(help_reply(ctx, COMMANDS, command=command))["blocks"][0]["text"]["text"]
    return text.split("\n")[1:]


SHORT_FORMS = [form for form in SCOPE_FORMS if form.kind != "registry_ref"]


def test_help_leads_with_the_short_forms_then_every_command_of_the_table() -> None:
    lines = help_lines()
    words = [command for command in COMMANDS if command.word]
    assert len(lines) == len(SHORT_FORMS) + len(words)
    for line, form in zip(lines, SHORT_FORMS, strict=False):
        assert form.meaning in line
    for line, command in zip(lines[len(SHORT_FORMS) :], words, strict=True):
        assert escape(command.summary) in line
        assert f"`/har {command.word}" in line


def test_help_says_share_and_help() -> None:
    lines = help_lines()
    assert (
        "• `/har share payments/docker-prod` — the card for the whole channel (else only you see it)" in lines
    )
    assert lines[-1] == "• `/har help` — this help"


def test_help_says_dms_and_mentions_work_too() -> None:
    note = message(help_reply(CTX, COMMANDS))["blocks"][1]["elements"][0]["text"]
    assert "DM" in note
    assert "@harbot" in note


def test_help_examples_are_the_forms_own_examples() -> None:
    lines = help_lines()
    assert lines[0] == (
        "• `/har docker-prod` — a registry in your default org or project if one is set, else in the account"
    )
    assert lines[2] == "• `/har payments/checkout/docker-prod` — a registry in a project"


def test_help_leaves_the_registry_ref_form_to_the_end_with_the_configured_account() -> None:
    reply = message(help_reply(ScopeContext(account_id="acc_test"), COMMANDS))
    assert "/+" not in reply["blocks"][0]["text"]["text"]
    assert "`acc_test/payments/docker-prod/+` works too" in reply["blocks"][-1]["elements"][-1]["text"]


def test_help_mentions_pasting_a_link_from_the_configured_hosts() -> None:
    ctx = ScopeContext(account_id=ACCOUNT, ui_hosts=frozenset({"harness.example.com"}))
    assert help_lines(ctx)[len(SHORT_FORMS) - 1] == (
        "• `/har &lt;link&gt;` — a registry page copied from your browser (links from harness.example.com)"
    )


def test_help_shows_the_account_and_what_a_bare_name_means_with_defaults() -> None:
    context = message(help_reply(CTX))["blocks"][-1]["elements"][0]["text"]
    assert context.startswith(
        f"Account `{ACCOUNT}` · with defaults set, a bare `&lt;registry&gt;` means "
        "`payments/checkout/&lt;registry&gt;`"
    )


def test_help_with_only_a_default_org() -> None:
    ctx = ScopeContext(account_id=ACCOUNT, default_org="payments")
    context = message(help_reply(ctx))["blocks"][-1]["elements"][0]["text"]
    assert "a bare `&lt;registry&gt;` means `payments/&lt;registry&gt;`" in context


def test_help_without_defaults_says_a_bare_name_is_in_the_account() -> None:
    context = message(help_reply(ScopeContext(account_id=ACCOUNT)))["blocks"][-1]["elements"][0]["text"]
    assert "a bare `&lt;registry&gt;` means a registry in the account" in context


def test_help_uses_the_command_it_was_called_with() -> None:
    assert help_lines(command="/har-dev")[0].startswith("• `/har-dev docker-prod`")


def test_help_fallback_text_keeps_its_placeholders_visible() -> None:
    text = message(help_reply(CTX))["text"]
    assert "&lt;org&gt;/&lt;project&gt;/&lt;registry&gt;" in text
    assert "<" not in text
