"""Who may look: ALLOWED_SLACK_TEAMS, _CHANNELS, _USERS and ALLOWED_HARNESS_SCOPES, off by default.

Outside a list, a lookup gets a polite refusal (ephemeral; an unfurl shows nothing) and no Harness call,
on every surface, because every surface looks registries up through `bot.answers.fetch`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.access import AccessPolicy, Asker
from bot.refs import RegistryRef
from bot.settings import SettingsError, load_settings
from devtools.harness import Canned, success_body
from tests.conftest import BOT_TOKEN, HARNESS_KEY, SIGNING_SECRET, Bot, make_settings
from tests.support import (
    LINK,
    REF,
    LogWatch,
    block_actions,
    command_body,
    dm,
    event_body,
    link_shared,
    listed,
    mention,
    message_of,
    settle,
)

REFUSED = "not set up to look up registries"

ACC = "acc_test"
ACCOUNT_REF = RegistryRef(account=ACC, registry="docker-prod")
ORG_REF = RegistryRef(account=ACC, org="payments", registry="docker-prod")
PROJECT_REF = RegistryRef(account=ACC, org="payments", project="checkout", registry="docker-prod")
OTHER_PROJECT_REF = RegistryRef(account=ACC, org="payments", project="billing", registry="docker-prod")
OTHER_ORG_REF = RegistryRef(account=ACC, org="platform", registry="docker-prod")
OTHER_ACCOUNT_REF = RegistryRef(account="someone_else", org="payments", registry="docker-prod")
ASKER = Asker(team="T1", channel="C1", user="U1")


# --- Settings --------------------------------------------------------------------------------------


def test_every_list_is_off_by_default() -> None:
    policy = AccessPolicy.from_settings(make_settings())
    for ref in (ACCOUNT_REF, ORG_REF, OTHER_ACCOUNT_REF):
        assert policy.refusal(Asker(), ref) is None


def test_lists_are_comma_separated_and_trimmed() -> None:
    settings = make_settings(
        allowed_slack_teams="T1, T2 ,",
        allowed_slack_channels="C1",
        allowed_slack_users=" U1,W2 ",
        allowed_harness_scopes="payments, platform/tools ,@account",
    )
    assert settings.allowed_slack_teams == ("T1", "T2")
    assert settings.allowed_slack_users == ("U1", "W2")
    assert settings.allowed_harness_scopes == ("payments", "platform/tools", "@account")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("allowed_slack_users", "alice"),
        ("allowed_slack_users", "U1 U2"),
        ("allowed_slack_channels", "#incidents"),
        ("allowed_slack_teams", "t1"),
        ("allowed_harness_scopes", "payments/checkout/docker-prod"),
        ("allowed_harness_scopes", "Payments Team"),
        ("allowed_harness_scopes", "pay-ments"),
        ("allowed_harness_scopes", "@org"),
    ],
)
def test_a_malformed_list_entry_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError):
        make_settings(**{name: value})


def test_a_malformed_list_stops_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("HARNESS_API_KEY", HARNESS_KEY)
    monkeypatch.setenv("ALLOWED_SLACK_USERS", "U1,alice")
    with pytest.raises(SettingsError, match="ALLOWED_SLACK_USERS='U1,alice' has 'alice'"):
        load_settings("http")


# --- The policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "allowed", "refused"),
    [
        ("payments", [ORG_REF, PROJECT_REF, OTHER_PROJECT_REF], [ACCOUNT_REF, OTHER_ORG_REF]),
        ("payments/checkout", [PROJECT_REF], [ORG_REF, OTHER_PROJECT_REF, ACCOUNT_REF]),
        ("@account", [ACCOUNT_REF], [ORG_REF, PROJECT_REF]),
        ("payments,@account", [ACCOUNT_REF, ORG_REF, PROJECT_REF], [OTHER_ORG_REF]),
        ("payments,platform", [ORG_REF, OTHER_ORG_REF], [OTHER_ACCOUNT_REF]),
    ],
)
def test_a_scope_entry_allows_its_org_or_project_and_nothing_else(
    scopes: str, allowed: list[RegistryRef], refused: list[RegistryRef]
) -> None:
    policy = AccessPolicy.from_settings(make_settings(allowed_harness_scopes=scopes))
    assert [policy.refusal(ASKER, ref) for ref in allowed] == [None] * len(allowed)
    assert [policy.refusal(ASKER, ref) for ref in refused] == ["scope"] * len(refused)


@pytest.mark.parametrize(
    ("settings", "asker", "refusal"),
    [
        ({"allowed_slack_teams": "T1"}, Asker(team="T2", channel="C1", user="U1"), "team"),
        ({"allowed_slack_teams": "T1"}, Asker(channel="C1", user="U1"), "team"),
        ({"allowed_slack_channels": "C1"}, Asker(team="T1", channel="C2", user="U1"), "channel"),
        ({"allowed_slack_channels": "C1"}, Asker(team="T1", channel="D9", user="U1"), None),
        ({"allowed_slack_users": "U1"}, Asker(team="T1", channel="D9", user="U2"), "user"),
        ({"allowed_slack_users": "U1"}, Asker(team="T1", channel="C1"), "user"),
        ({"allowed_slack_teams": "T1", "allowed_slack_users": "U1"}, ASKER, None),
    ],
    ids=["other team", "no team", "other channel", "direct message", "other user", "no user", "all match"],
)
def test_the_slack_lists_look_at_who_asks_and_where(
    settings: dict[str, str], asker: Asker, refusal: str | None
) -> None:
    policy = AccessPolicy.from_settings(make_settings(**settings))
    assert policy.refusal(asker, PROJECT_REF) == refusal


# --- Every surface ---------------------------------------------------------------------------------


@pytest.fixture
async def guarded(make_bot: Any) -> Bot:
    """A bot that answers only U0ALLOWED, about payments/checkout."""
    bot: Bot = await make_bot(allowed_slack_users="U0ALLOWED", allowed_harness_scopes="payments/checkout")
    bot.harness.program(REF, Canned(body=success_body()))
    return bot


def _says(message: dict[str, Any], words: str) -> bool:
    return words in json.dumps(message, ensure_ascii=False)


async def test_command_from_someone_not_listed_is_refused_politely(guarded: Bot, logs: LogWatch) -> None:
    await guarded.post(
        command_body(
            "payments/checkout/docker-prod", response_url=guarded.slack.response_url(), user_id="U0STRANGER"
        )
    )
    (answer,) = await guarded.slack.wait_response()
    assert answer.json()["response_type"] == "ephemeral"
    assert _says(answer.json(), REFUSED)
    assert guarded.harness.calls() == []
    assert logs.messages(f"lookup surface=command ref={REF} outcome=refused(user)")


async def test_command_from_someone_listed_gets_the_card(guarded: Bot) -> None:
    await guarded.post(
        command_body(
            "payments/checkout/docker-prod", response_url=guarded.slack.response_url(), user_id="U0ALLOWED"
        )
    )
    (answer,) = await guarded.slack.wait_response()
    assert _says(answer.json(), "Open in Harness")
    assert len(guarded.harness.calls(REF)) == 1


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("payments/docker-prod", "org `payments`"),
        ("payments/billing/docker-prod", "payments › billing"),
        ("someone_else/payments/checkout/docker-prod/+", "payments › checkout"),
    ],
)
async def test_a_registry_outside_the_scopes_is_refused_naming_its_scope(
    guarded: Bot, text: str, scope: str
) -> None:
    await guarded.post(command_body(text, response_url=guarded.slack.response_url(), user_id="U0ALLOWED"))
    (answer,) = await guarded.slack.wait_response()
    assert _says(answer.json(), f"{REFUSED} in {scope}")
    assert guarded.harness.calls() == []


async def test_a_bare_name_in_a_refused_scope_searches_only_what_is_allowed(guarded: Bot) -> None:
    guarded.harness.catalog = [listed("acc_test/payments/billing/docker-prod")]
    await guarded.post(
        command_body("docker-prod", response_url=guarded.slack.response_url(), user_id="U0ALLOWED")
    )
    (answer,) = await guarded.slack.wait_response()
    assert _says(answer.json(), f"{REFUSED} in the account")
    assert "billing" not in answer.body.decode()
    assert [c.path for c in guarded.harness.calls()] == [c.path for c in guarded.harness.list_calls()]


async def test_help_is_still_shown_to_everyone(guarded: Bot) -> None:
    _, ack = await guarded.post(
        command_body("help", response_url=guarded.slack.response_url(), user_id="U0STRANGER")
    )
    assert "/har" in json.loads(ack)["text"]


async def test_dm_from_someone_not_listed_gets_the_refusal_in_the_dm(guarded: Bot) -> None:
    await guarded.send_event(event_body(dm("payments/checkout/docker-prod", user="U0STRANGER")))
    (posted,) = await guarded.slack.wait_api("chat.postMessage")
    assert message_of(posted)["channel"] == "D1"
    assert _says(message_of(posted), REFUSED)
    assert guarded.harness.calls() == []


async def test_mention_from_someone_not_listed_is_refused_to_them_alone(guarded: Bot) -> None:
    await guarded.send_event(event_body(mention("payments/checkout/docker-prod", user="U0STRANGER")))
    (posted,) = await guarded.slack.wait_api("chat.postEphemeral")
    assert message_of(posted)["user"] == "U0STRANGER"
    assert _says(message_of(posted), REFUSED)
    assert guarded.slack.api_calls("chat.postMessage") == []
    assert guarded.harness.calls() == []


async def test_unfurl_for_someone_not_listed_shows_nothing_and_is_logged(
    guarded: Bot, logs: LogWatch
) -> None:
    await guarded.send_event(event_body(link_shared(LINK) | {"user": "U0STRANGER"}))
    await settle(guarded.services.background)
    assert guarded.slack.api_calls("chat.unfurl") == []
    assert guarded.harness.calls() == []
    assert logs.messages(f"unfurl refused url_ref={REF} refusal=user")


async def test_unfurl_for_someone_listed_shows_the_card(guarded: Bot) -> None:
    await guarded.send_event(event_body(link_shared(LINK) | {"user": "U0ALLOWED"}))
    await guarded.slack.wait_api("chat.unfurl")


@pytest.mark.parametrize("action", ["refresh", "share"])
async def test_buttons_pressed_by_someone_not_listed_are_refused(guarded: Bot, action: str) -> None:
    await guarded.post(
        block_actions(action, REF, response_url=guarded.slack.response_url("b"), user="U0STRANGER")
    )
    (answer,) = await guarded.slack.wait_response("b")
    assert answer.json()["response_type"] == "ephemeral"
    assert answer.json()["replace_original"] is False
    assert _says(answer.json(), REFUSED)
    assert guarded.harness.calls() == []


async def test_workspace_and_channel_lists_apply_to_commands(make_bot: Any) -> None:
    bot: Bot = await make_bot(allowed_slack_teams="T1", allowed_slack_channels="C0OK")
    bot.harness.program(REF, Canned(body=success_body()))
    refused = [("T2", "C0OK", "team"), ("T1", "C0NO", "channel")]
    for name, (team, channel, _) in enumerate(refused):
        await bot.post(
            command_body(
                "payments/checkout/docker-prod",
                response_url=bot.slack.response_url(str(name)),
                team_id=team,
                channel_id=channel,
            )
        )
        (answer,) = await bot.slack.wait_response(str(name))
        assert _says(answer.json(), "for you here")
    assert bot.harness.calls() == []
    await bot.post(
        command_body(
            "payments/checkout/docker-prod", response_url=bot.slack.response_url("dm"), channel_id="D42"
        )
    )
    (answer,) = await bot.slack.wait_response("dm")
    assert _says(answer.json(), "Open in Harness")  # a direct message passes the channel list


@pytest.mark.parametrize(
    "name", ["ALLOWED_SLACK_TEAMS", "ALLOWED_SLACK_CHANNELS", "ALLOWED_SLACK_USERS", "ALLOWED_HARNESS_SCOPES"]
)
def test_every_list_is_documented_in_env_sample_and_readme(name: str) -> None:
    root = Path(__file__).parent.parent
    assert f"\n{name}=" in (root / ".env.sample").read_text()
    assert f"| `{name}` |" in (root / "README.md").read_text()
