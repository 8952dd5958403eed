"""The messages that are not cards: failed lookups, and text that is not a registry."""

from __future__ import annotations

import json

import pytest

from bot.cards import (
    Reply,
    apology_reply,
    error_reply,
    invalid_scope_reply,
    refusal_reply,
    stale_button_reply,
)
from bot.harness.errors import (
    BadReference,
    Forbidden,
    HarnessConnectionError,
    HarnessError,
    HarnessTimeout,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    error_for_status,
)
from bot.parsing import InvalidScope, ScopeContext, parse_scope
from bot.refs import RegistryRef
from tests.blockkit import utf16_len
from tests.cardcheck import (
    ACCOUNT,
    ACCOUNT_REF,
    CTX,
    HOST,
    ORG_REF,
    PROJECT_REF,
    assert_no_foreign_markup,
    message,
)

# ---------------------------------------------------------------------------------------------------------
# Errors


def status_error(status: int, ref: RegistryRef = PROJECT_REF) -> HarnessError:
    return error_for_status(status, ref=ref, host=HOST, detail="registry 0f8c6f2e not found SENTINEL")


def said_by(reply: Reply) -> str:
    """A one-section message's text, as the user reads it."""
    text: str = message(reply)["blocks"][0]["text"]["text"]
    return text


def said(exc: HarnessError) -> str:
    return said_by(error_reply(exc))


def test_not_found_names_the_registry_and_the_scope() -> None:
    ref = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prd")
    first, _ = said(status_error(404, ref)).split("\n")
    assert first == "I couldn't find a registry named `docker-prd` in payments › checkout."


def test_not_found_in_a_project_suggests_the_org_or_a_link() -> None:
    ref = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prd")
    _, hint = said(status_error(404, ref)).split("\n")
    assert hint == (
        "Registry lookups are scoped: try `/har payments/docker-prd` for the org, "
        "or paste the link from Harness."
    )


def test_not_found_in_an_org_suggests_a_project() -> None:
    text = said(status_error(404, ORG_REF))
    assert "in org `payments`." in text
    assert "`/har payments/&lt;project&gt;/docker-prod`" in text


def test_not_found_in_the_account_suggests_an_org_or_a_project() -> None:
    text = said(status_error(404, ACCOUNT_REF))
    assert "in the account." in text
    assert "`/har &lt;org&gt;/docker-prod`" in text
    assert "`/har &lt;org&gt;/&lt;project&gt;/docker-prod`" in text


def test_forbidden_names_the_registry_and_the_scope() -> None:
    what, _ = said(status_error(403)).split("\n")
    assert what == "My Harness key doesn't have permission to read `docker-prod` in payments › checkout."


@pytest.mark.parametrize(("ref", "where"), [(ORG_REF, "org `payments`"), (ACCOUNT_REF, "the account")])
def test_forbidden_names_the_registry_in_any_scope(ref: RegistryRef, where: str) -> None:
    assert said(status_error(403, ref)).startswith(
        f"My Harness key doesn't have permission to read `docker-prod` in {where}."
    )


def test_forbidden_fallback_text_names_the_registry_too() -> None:
    assert "read `docker-prod` in payments › checkout." in message(error_reply(status_error(403)))["text"]


def test_unauthorized_asks_an_admin_to_renew_the_key() -> None:
    text = said(status_error(401))
    assert "invalid or expired" in text
    assert "admin to renew the bot's key" in text


def test_bad_reference_shows_what_harness_rejected() -> None:
    assert "Harness rejected `payments/checkout/docker-prod` as a registry reference." in said(
        status_error(400)
    )


def test_rate_limited_suggests_waiting_a_minute() -> None:
    assert said(status_error(429)) == (
        "Harness is busy right now and asked me to slow down.\nPlease try again in a minute."
    )


@pytest.mark.parametrize("status", [500, 502, 503, 418])
def test_server_errors_say_harness_had_a_problem(status: int) -> None:
    assert said(status_error(status)).startswith("Harness had a problem answering for `docker-prod`.")


def test_timeout_names_the_host() -> None:
    exc = HarnessTimeout("Harness did not answer within 5.0s", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("Harness at `app.harness.io` didn't answer in time.")


def test_connection_error_names_the_host() -> None:
    exc = HarnessConnectionError("could not reach Harness: ConnectError", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("I couldn't reach Harness at `app.harness.io`.")


def test_invalid_response_says_the_answer_could_not_be_read() -> None:
    exc = InvalidResponse("200 with status 'FAILURE'", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("Harness sent an answer I couldn't read for `docker-prod`.")


def test_unknown_harness_error_gets_a_calm_generic_message() -> None:
    exc = HarnessError("something new", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("Something went wrong looking up `docker-prod` in Harness.")


def test_a_subclass_of_an_error_gets_its_parents_message() -> None:
    class RegistryGone(NotFound):
        pass

    exc = RegistryGone("gone", ref=PROJECT_REF, host=HOST, status=410)
    assert said(exc).startswith("I couldn't find a registry named `docker-prod`")


INTERNAL = "internal message SENTINEL"
ERRORS: list[HarnessError] = [
    *(status_error(status) for status in (400, 401, 403, 404, 429, 500)),
    HarnessTimeout(INTERNAL, ref=PROJECT_REF, host=HOST),
    HarnessConnectionError(INTERNAL, ref=PROJECT_REF, host=HOST),
    InvalidResponse(INTERNAL, ref=PROJECT_REF, host=HOST),
    HarnessError(INTERNAL, ref=PROJECT_REF, host=HOST),
]


@pytest.mark.parametrize("exc", ERRORS, ids=lambda exc: type(exc).__name__)
def test_error_is_one_sentence_and_one_next_step(exc: HarnessError) -> None:
    payload = message(error_reply(exc))
    assert [block["type"] for block in payload["blocks"]] == ["section"]
    what, next_step = payload["blocks"][0]["text"]["text"].split("\n")
    assert what.endswith(".")
    assert next_step.endswith(".")


@pytest.mark.parametrize("exc", ERRORS, ids=lambda exc: type(exc).__name__)
def test_error_never_shows_a_status_code_a_trace_an_internal_id_or_a_secret(exc: HarnessError) -> None:
    texts = json.dumps(message(error_reply(exc)))
    for leak in (str(exc), "SENTINEL", "0f8c6f2e", "Traceback", ACCOUNT, "/+", *map(str, range(400, 600))):
        assert leak not in texts


def test_every_error_class_has_its_own_message() -> None:
    classes = [BadReference, Unauthorized, Forbidden, NotFound, RateLimited, ServerError]
    replies = {said(cls("x", ref=PROJECT_REF, host=HOST, status=500)) for cls in classes}
    replies |= {
        said(cls("x", ref=PROJECT_REF, host=HOST)) for cls in (HarnessTimeout, HarnessConnectionError)
    }
    assert len(replies) == len(classes) + 2


def test_refusal_about_a_scope_names_the_scope_and_no_list() -> None:
    what, next_step = said_by(refusal_reply(PROJECT_REF, about_scope=True)).split("\n")
    assert what == "Sorry, I'm not set up to look up registries in payments › checkout."
    assert next_step.startswith("Whoever runs this bot chooses which Harness orgs and projects")


def test_refusal_about_the_asker_names_no_scope_and_no_list() -> None:
    text = said_by(refusal_reply(PROJECT_REF, about_scope=False))
    assert text.startswith("Sorry, I'm not set up to look up registries for you here.\n")
    assert "payments" not in text


def test_apology_is_short_and_has_no_details() -> None:
    payload = message(apology_reply())
    assert payload["text"].startswith("Sorry, something went wrong on my side")
    assert len(payload["blocks"]) == 1
    assert utf16_len(payload["text"]) < 120


def test_stale_button_says_to_ask_again() -> None:
    assert said_by(stale_button_reply()) == (
        "That button belongs to a card I can't read anymore.\n"
        "Ask again with `/har &lt;registry&gt;` for a fresh card."
    )


# ---------------------------------------------------------------------------------------------------------
# Text that is not a registry


def rejected(text: str, ctx: ScopeContext = CTX) -> InvalidScope:
    with pytest.raises(InvalidScope) as caught:
        parse_scope(text, ctx)
    return caught.value


def test_invalid_scope_shows_what_was_not_understood_and_why() -> None:
    payload = message(invalid_scope_reply(rejected("payments/Docker-Prod"), CTX))
    first = payload["blocks"][0]["text"]["text"].split("\n")[0]
    assert first == "I couldn't read `payments/Docker-Prod` as a registry. Registry names are lowercase."


def test_invalid_scope_passes_on_the_hint() -> None:
    payload = message(invalid_scope_reply(rejected("payments/Docker-Prod"), CTX))
    assert payload["blocks"][0]["text"]["text"].endswith("\nDid you mean `payments/docker-prod`?")
    assert "Did you mean `payments/docker-prod`?" in payload["text"]


def test_invalid_scope_lists_the_forms_that_work() -> None:
    usage = message(invalid_scope_reply(rejected("a/b/c/d/e"), CTX))["blocks"][-1]["elements"][0]["text"]
    assert "`&lt;org&gt;/&lt;project&gt;/&lt;registry&gt;`" in usage
    assert usage.startswith("I understand `&lt;registry&gt;`, ")
    assert "or a link from app.harness.io." in usage
    assert "`/har help` shows examples" in usage


def test_invalid_scope_escapes_what_the_user_typed() -> None:
    exc = InvalidScope("That's a Slack mention or channel, not a registry.", text="<!channel> `x` & co")
    payload = message(invalid_scope_reply(exc, CTX))
    assert "`&lt;!channel&gt; ˋxˋ &amp; co`" in payload["blocks"][0]["text"]["text"]
    assert_no_foreign_markup(payload)


def test_invalid_scope_cuts_a_long_text() -> None:
    exc = InvalidScope("That's too long to be a registry reference.", text="x" * 4000)
    shown = message(invalid_scope_reply(exc, CTX))["blocks"][0]["text"]["text"]
    assert "…`" in shown
    assert utf16_len(shown) < 400


def test_invalid_scope_without_text_just_says_why() -> None:
    exc = rejected("   ")
    assert message(invalid_scope_reply(exc, CTX))["blocks"][0]["text"]["text"].startswith(
        "Tell me which registry"
    )
