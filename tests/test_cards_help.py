"""Help: one example per form, the configured account and what a bare name means."""

from __future__ import annotations

from bot.cards import (
    help_reply,
)
from bot.parsing import SCOPE_FORMS, ScopeContext
from tests.cardcheck import (
    ACCOUNT,
    CTX,
    message,
)

# ---------------------------------------------------------------------------------------------------------
# Help


def help_lines(ctx: ScopeContext = CTX, command: str = "/har") -> list[str]:
    text: str = message(help_reply(ctx, command=command))["blocks"][0]["text"]["text"]
    return text.split("\n")[1:]


def test_help_has_one_example_per_scope_form() -> None:
    lines = help_lines()
    assert len(lines) == len(SCOPE_FORMS)
    for line, form in zip(lines, SCOPE_FORMS, strict=True):
        assert form.meaning in line


def test_help_examples_are_the_forms_own_examples() -> None:
    lines = help_lines()
    assert lines[0] == (
        "• `/har docker-prod` — a registry in your default org or project if one is set, else in the account"
    )
    assert lines[2] == "• `/har payments/checkout/docker-prod` — a registry in a project"


def test_help_registry_ref_examples_use_the_configured_account() -> None:
    lines = help_lines(ScopeContext(account_id="acc_test"))
    assert (
        "• `/har acc_test/payments/checkout/docker-prod/+` — an API registry_ref for a registry in a project"
        in lines
    )


def test_help_mentions_pasting_a_link_from_the_configured_hosts() -> None:
    ctx = ScopeContext(account_id=ACCOUNT, ui_hosts=frozenset({"harness.example.com"}))
    assert help_lines(ctx)[-1] == (
        "• `/har &lt;link&gt;` — a registry page copied from your browser (links from harness.example.com)"
    )


def test_help_shows_the_account_and_what_a_bare_name_means_with_defaults() -> None:
    context = message(help_reply(CTX))["blocks"][-1]["elements"][0]["text"]
    assert context == (
        f"Account `{ACCOUNT}` · with defaults set, a bare `&lt;registry&gt;` means "
        "`payments/checkout/&lt;registry&gt;`"
    )


def test_help_with_only_a_default_org() -> None:
    ctx = ScopeContext(account_id=ACCOUNT, default_org="payments")
    context = message(help_reply(ctx))["blocks"][-1]["elements"][0]["text"]
    assert context.endswith("a bare `&lt;registry&gt;` means `payments/&lt;registry&gt;`")


def test_help_without_defaults_says_a_bare_name_is_in_the_account() -> None:
    context = message(help_reply(ScopeContext(account_id=ACCOUNT)))["blocks"][-1]["elements"][0]["text"]
    assert context.endswith("a bare `&lt;registry&gt;` means a registry in the account")


def test_help_uses_the_command_it_was_called_with() -> None:
    assert help_lines(command="/har-dev")[0].startswith("• `/har-dev docker-prod`")


def test_help_fallback_text_keeps_its_placeholders_visible() -> None:
    text = message(help_reply(CTX))["text"]
    assert "&lt;org&gt;/&lt;project&gt;/&lt;registry&gt;" in text
    assert "<" not in text
