"""The sandbox Harness: spec-shaped registries in every scope, and a name for each way Harness fails."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.cards import CardOptions, registry_card
from bot.harness.client import HarnessClient
from bot.harness.errors import (
    Forbidden,
    HarnessError,
    HarnessTimeout,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
)
from bot.harness.models import RegistryResponse
from bot.refs import RegistryRef
from devtools.harness import ERROR_NAMES, HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY, registries
from tests.blockkit import assert_valid_blocks

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

TIMEOUT = 0.3


@pytest.fixture
async def sandbox() -> AsyncIterator[HarnessStandIn]:
    server = HarnessStandIn.sandbox(slow_seconds=TIMEOUT + 1)
    await server.start()
    yield server
    await server.stop()


def client(sandbox: HarnessStandIn, *, key: str = API_KEY) -> HarnessClient:
    """The bot's own Harness client, pointed at the sandbox, quick to give up."""
    return HarnessClient(base_url=sandbox.base_url, api_key=key, timeout=TIMEOUT, deadline=2.0, backoff=0.01)


def ref(short: str) -> RegistryRef:
    parts = short.split("/")
    org, project = [*parts[:-1], None, None][:2]
    return RegistryRef(account=ACCOUNT, registry=parts[-1], org=org, project=project)


def test_sandbox_covers_every_scope_package_and_registry_type() -> None:
    all_registries = registries()
    datas = [r.data for r in all_registries]
    assert 12 <= len(all_registries) <= 16
    assert {"DOCKER", "NPM", "MAVEN", "PYTHON", "HELM", "GENERIC"} <= {d["packageType"] for d in datas}
    assert {d["config"]["type"] for d in datas} == {"VIRTUAL", "UPSTREAM"}
    assert {(r.org is not None, r.project is not None) for r in all_registries} == {
        (False, False),
        (True, False),
        (True, True),
    }
    assert any(d.get("deletedAt") for d in datas)
    for field in ("cleanupPolicy", "allowedPattern", "blockedPattern", "labels", "scanners", "policyRefs"):
        assert any(d.get(field) for d in datas), field


def test_sandbox_names_are_unique_and_none_is_an_error_name() -> None:
    names = [r.name for r in registries()]
    assert len(names) == len(set(names))
    assert not set(names) & {error.name for error in ERROR_NAMES}


def test_upstream_auth_holds_secret_references_only() -> None:
    for registry in registries():
        auth = registry.data["config"].get("auth") or {}
        assert not any("password" in key.lower() or key == "secretKey" for key in auth)


@pytest.mark.parametrize("registry", registries(), ids=lambda r: r.short)
async def test_every_registry_parses_and_draws_a_valid_card(
    sandbox: HarnessStandIn, registry: object
) -> None:
    short = registry.short  # type: ignore[attr-defined]
    harness = client(sandbox)
    try:
        found = await harness.get_registry(ref(short))
    finally:
        await harness.aclose()
    assert found.identifier == short.rsplit("/", 1)[-1]
    card = registry_card(
        found, ref(short), ui_base="https://app.harness.io", options=CardOptions(shareable=True)
    )
    assert_valid_blocks(card.as_kwargs()["blocks"])


async def test_success_body_is_the_documented_envelope(sandbox: HarnessStandIn) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{sandbox.base_url}/har/api/v1/registry/{ACCOUNT}/payments/checkout/docker-prod/+",
            headers={"x-api-key": API_KEY},
        )
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "SUCCESS"
    assert body["data"]["createdAt"].isdigit()
    assert RegistryResponse.model_validate(body).data is not None


async def test_path_without_plus_is_a_plain_text_404(sandbox: HarnessStandIn) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{sandbox.base_url}/har/api/v1/registry/{ACCOUNT}/shared-tools", headers={"x-api-key": API_KEY}
        )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("short", "error"),
    [
        ("payments/forbidden", Forbidden),
        ("broken", ServerError),
        ("payments/checkout/busy", RateLimited),
        ("garbled", InvalidResponse),
        ("slow", HarnessTimeout),
        ("payments/checkout/docker-prd", NotFound),
        ("docker-prod", NotFound),
    ],
)
async def test_names_fail_the_way_they_say(
    sandbox: HarnessStandIn, short: str, error: type[HarnessError]
) -> None:
    harness = client(sandbox)
    try:
        with pytest.raises(error):
            await harness.get_registry(ref(short))
    finally:
        await harness.aclose()


async def test_a_wrong_key_is_unauthorized(sandbox: HarnessStandIn) -> None:
    harness = client(sandbox, key="pat.other.key.value")
    try:
        with pytest.raises(Unauthorized):
            await harness.get_registry(ref("shared-tools"))
    finally:
        await harness.aclose()


async def test_error_bodies_are_the_documented_shape(sandbox: HarnessStandIn) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{sandbox.base_url}/har/api/v1/registry/{ACCOUNT}/payments/forbidden/+",
            headers={"x-api-key": API_KEY},
        )
    assert response.status_code == 403
    assert set(json.loads(response.content)) == {"code", "message"}
