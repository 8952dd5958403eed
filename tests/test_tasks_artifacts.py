"""Artifact and version Tasks, through the real services, against the sandbox Harness stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.access import Asker
from bot.cards.version import short_digest
from bot.deps import Deps
from bot.harness.client import HarnessClient
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from bot.services import build_services
from bot.tasks.artifacts import ArtifactLookup, ArtifactsPage, VersionLookup, VersionsPage, unfurl_card
from devtools.artifacts import digest_of
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY
from tests.cardcheck import buttons, checked, everything, fields
from tests.conftest import make_settings

ASKER = Asker(team="T1", channel="C1", user="U1")
DOCKER_PROD = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
API = ArtifactRef(DOCKER_PROD, "checkout-api")


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[HarnessStandIn, Deps]]:
    server = HarnessStandIn.sandbox(slow_seconds=1.0)
    await server.start()
    settings = make_settings(
        harness_base_url=server.base_url, harness_api_key=API_KEY, harness_account_id=ACCOUNT
    )
    client = HarnessClient(base_url=server.base_url, api_key=API_KEY, backoff=0.01, max_retries=0)
    services = build_services(settings, harness=client)
    yield server, services.deps
    await client.aclose()
    await server.stop()


async def test_a_tag_answers_with_the_version_card_and_its_pull_by_digest(
    sandbox: tuple[HarnessStandIn, Deps],
) -> None:
    _, deps = sandbox
    answer = await VersionLookup(VersionRef(API, "2.14.0")).run(deps, ASKER, surface="command")
    assert answer.ok
    payload = checked(answer.reply)
    grid = fields(payload)
    assert grid["Pushed by"] == "alice@example.com"
    assert grid["Size"] == "212.7MB"
    assert grid["Digest"].startswith("`sha256:")
    assert "checkout-api@sha256:" in everything(payload)


async def test_a_version_by_digest_is_asked_of_harness_once(sandbox: tuple[HarnessStandIn, Deps]) -> None:
    server, deps = sandbox
    first = await VersionLookup(VersionRef(API, "2.14.0")).run(deps, ASKER, surface="command")
    digest = fields(checked(first.reply))["Digest"]
    assert digest
    calls = len(server.requests)
    again = await VersionLookup(VersionRef(API, "2.14.0")).run(deps, ASKER, surface="command")
    assert again.ok
    assert len(server.requests) == calls  # every part cached: the registry, the manifests, the facts


async def test_an_unknown_tag_says_the_version_was_not_found_and_offers_close_ones(
    sandbox: tuple[HarnessStandIn, Deps],
) -> None:
    _, deps = sandbox
    answer = await VersionLookup(VersionRef(API, "2.14.1")).run(deps, ASKER, surface="command")
    assert not answer.ok
    payload = checked(answer.reply)
    assert "couldn't find version `2.14.1` of `checkout-api`" in everything(payload)
    labels = [e["text"]["text"] for e in payload["blocks"][-1]["elements"]]
    assert "2.14.0" in labels
    assert len(labels) <= 5


async def test_an_unknown_artifact_says_so_and_offers_the_close_name(
    sandbox: tuple[HarnessStandIn, Deps],
) -> None:
    _, deps = sandbox
    answer = await ArtifactLookup(ArtifactRef(DOCKER_PROD, "checkout-apx")).run(
        deps, ASKER, surface="command"
    )
    payload = checked(answer.reply)
    assert "couldn't find an artifact named `checkout-apx`" in everything(payload)
    assert [e["text"]["text"] for e in payload["blocks"][-1]["elements"]] == ["checkout-api"]


async def test_an_unknown_registry_is_named_as_the_missing_part(sandbox: tuple[HarnessStandIn, Deps]) -> None:
    _, deps = sandbox
    ref = ArtifactRef(RegistryRef(account=ACCOUNT, org="payments", registry="docker-prd"), "checkout-api")
    answer = await ArtifactLookup(ref).run(deps, ASKER, surface="command")
    assert "couldn't find a registry named `docker-prd`" in everything(checked(answer.reply))


async def test_the_artifact_card_and_its_pages(sandbox: tuple[HarnessStandIn, Deps]) -> None:
    _, deps = sandbox
    card = checked((await ArtifactLookup(API).run(deps, ASKER, surface="command")).reply)
    assert fields(card)["Latest version"] == "`2.14.0`"
    assert "artifact_versions" in buttons(card)
    page = await VersionsPage(API, 1).run(deps, ASKER, surface="action")
    assert page.ok
    assert "11–20 of" in everything(checked(page.reply))
    listed = await ArtifactsPage(DOCKER_PROD).run(deps, ASKER, surface="action")
    assert "`payments/worker`" in everything(checked(listed.reply))


async def test_a_maven_version_shows_its_files_and_a_helm_chart_its_pull(
    sandbox: tuple[HarnessStandIn, Deps],
) -> None:
    _, deps = sandbox
    maven = ArtifactRef(
        RegistryRef(account=ACCOUNT, org="payments", registry="maven-releases"), "com.example.payments:ledger"
    )
    text = everything(
        checked((await VersionLookup(VersionRef(maven, "3.2.1")).run(deps, ASKER, surface="c")).reply)
    )
    assert "*Files* (3)" in text
    assert "release-bot" in text
    helm = ArtifactRef(RegistryRef(account=ACCOUNT, org="payments", registry="helm-charts"), "checkout")
    text = everything(
        checked((await VersionLookup(VersionRef(helm, "1.4.0")).run(deps, ASKER, surface="c")).reply)
    )
    assert "helm pull oci://" in text


async def test_a_refused_registry_never_reaches_harness_for_artifacts(
    sandbox: tuple[HarnessStandIn, Deps],
) -> None:
    server, _ = sandbox
    settings = make_settings(
        harness_base_url=server.base_url,
        harness_api_key=API_KEY,
        harness_account_id=ACCOUNT,
        allowed_slack_teams="T9",
    )
    refused = build_services(settings).deps
    answer = await VersionLookup(VersionRef(API, "2.14.0")).run(refused, ASKER, surface="command")
    assert not answer.ok
    assert not server.requests


async def test_a_version_link_unfurls_with_digest_size_pusher_and_pull_by_digest(
    sandbox: tuple[HarnessStandIn, Deps],
) -> None:
    _, deps = sandbox
    digest = digest_of("checkout-api:2.14.0:linux/arm64")
    compact = await unfurl_card(VersionRef(API, "2.14.0", digest), deps, ASKER)
    assert compact is not None
    text = everything(compact)
    assert f"`{short_digest(digest)}`" in text
    assert "212.7MB" in text
    assert "pushed by alice@example.com" in text
    assert f"checkout-api@{digest}```" in text


async def test_an_artifact_link_unfurls_with_its_latest_version(sandbox: tuple[HarnessStandIn, Deps]) -> None:
    _, deps = sandbox
    compact = await unfurl_card(API, deps, ASKER)
    assert compact is not None
    assert "latest `2.14.0`" in everything(compact)


async def test_a_version_link_that_fails_unfurls_as_nothing(sandbox: tuple[HarnessStandIn, Deps]) -> None:
    _, deps = sandbox
    assert await unfurl_card(VersionRef(API, "9.9.9"), deps, ASKER) is None
