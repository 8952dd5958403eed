"""The buttons inside a registry, at handler level: real services, the sandbox Harness stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from bot.access import Asker
from bot.cards.artifact import ACTION_ARTIFACTS, ACTION_BACK, ACTION_VERSIONS, artifact_value, registry_value
from bot.cards.version import ACTION_FULL_DIGEST
from bot.harness.client import HarnessClient
from bot.listeners.artifact_actions import (
    ARTIFACTS,
    OPEN_VERSION,
    VERSIONS,
    handle_artifacts,
    handle_digest,
    handle_open,
    handle_refresh,
    handle_versions,
)
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from bot.services import Services, build_services
from devtools.artifacts import digest_of
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY
from tests.cardcheck import everything, fields
from tests.conftest import make_settings

ASKER = Asker(team="T1", channel="C1", user="U1")
DOCKER_PROD = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
API = ArtifactRef(DOCKER_PROD, "checkout-api")


class Responses:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def __call__(
        self,
        text: str = "",
        blocks: Sequence[Mapping[str, Any]] | None = None,
        *,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
    ) -> bool:
        self.sent.append(
            {
                "text": text,
                "blocks": list(blocks or []),
                "response_type": response_type,
                "replace_original": replace_original,
                "delete_original": delete_original,
            }
        )
        return True


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    server = HarnessStandIn.sandbox(slow_seconds=1.0)
    await server.start()
    settings = make_settings(
        harness_base_url=server.base_url, harness_api_key=API_KEY, harness_account_id=ACCOUNT
    )
    client = HarnessClient(base_url=server.base_url, api_key=API_KEY, backoff=0.01, max_retries=0)
    yield build_services(settings, harness=client)
    await client.aclose()
    await server.stop()


def test_the_action_ids_the_cards_write_are_the_ones_listened_to() -> None:
    assert VERSIONS.fullmatch(ACTION_VERSIONS)
    assert VERSIONS.fullmatch(f"{ACTION_VERSIONS}_next")
    assert ARTIFACTS.fullmatch(f"{ACTION_ARTIFACTS}_previous")
    assert OPEN_VERSION.fullmatch("open_version_9")
    assert not OPEN_VERSION.search("open_version_999")


async def test_next_shows_the_next_page_of_versions_in_place(services: Services) -> None:
    respond = Responses()
    action = {"action_id": f"{ACTION_VERSIONS}_next", "value": artifact_value(API, 1)}
    await handle_versions({}, action, respond, services, ASKER)
    (sent,) = respond.sent
    assert sent["replace_original"] is True
    assert "11–20 of" in everything(sent)


async def test_the_registry_cards_artifacts_button_answers_beside_the_card(services: Services) -> None:
    respond = Responses()
    action = {"action_id": ACTION_ARTIFACTS, "value": registry_value(DOCKER_PROD, 0)}
    await handle_artifacts({}, action, respond, services, ASKER)
    (sent,) = respond.sent
    assert sent["replace_original"] is False
    assert "`checkout-api`" in everything(sent)


async def test_a_rows_open_gives_the_version_card(services: Services) -> None:
    respond = Responses()
    await handle_open(
        {},
        {"action_id": "open_version_0", "value": artifact_value(VersionRef(API, "2.13.2"))},
        respond,
        services,
        ASKER,
    )
    (sent,) = respond.sent
    assert fields(sent)["Pushed by"] == "ci-bot"


async def test_back_replaces_the_version_with_the_artifact_card(services: Services) -> None:
    respond = Responses()
    await handle_open({}, {"action_id": ACTION_BACK, "value": artifact_value(API)}, respond, services, ASKER)
    assert respond.sent[0]["replace_original"] is True
    assert fields(respond.sent[0])["Latest version"] == "`2.14.0`"


async def test_full_digest_needs_no_harness_call(services: Services) -> None:
    respond = Responses()
    digest = digest_of("x")
    ref = VersionRef(API, "2.14.0", digest)
    await handle_digest(
        {}, {"action_id": ACTION_FULL_DIGEST, "value": artifact_value(ref)}, respond, services, ASKER
    )
    assert digest in everything(respond.sent[0])


@pytest.mark.parametrize(
    "value", ["", "junk", f"{DOCKER_PROD.path}/artifact/../+", "1|" + DOCKER_PROD.path + "x"]
)
async def test_a_button_value_the_bot_did_not_write_is_a_stale_button(services: Services, value: str) -> None:
    respond = Responses()
    await handle_refresh({}, {"action_id": "artifact_refresh", "value": value}, respond, services, ASKER)
    (sent,) = respond.sent
    assert sent["response_type"] == "ephemeral"
    assert "again" in everything(sent).lower()
