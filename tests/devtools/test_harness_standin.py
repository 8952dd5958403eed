"""The Harness stand-in's list and client-setup endpoints, as Harness's spec and server code answer them."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devtools.harness import Canned, HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY, registries

LIVE = sorted((r for r in registries() if not r.deleted), key=lambda r: r.name)
"""What a list can show: every registry of the data set but the soft-deleted one."""
METADATA_FIELDS = {
    "identifier",
    "packageType",
    "type",
    "url",
    "path",
    "description",
    "labels",
    "lastModified",
    "artifactsCount",
    "downloadsCount",
    "registrySize",
}


@pytest.fixture
async def harness() -> AsyncIterator[HarnessStandIn]:
    server = HarnessStandIn.sandbox(slow_seconds=1.0)
    await server.start()
    yield server
    await server.stop()


async def get(harness: HarnessStandIn, path: str, *, key: str = API_KEY, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(
            f"{harness.base_url}/har/api/v1/{path}", params=params, headers={"x-api-key": key}
        )


async def names(harness: HarnessStandIn, space: str, **params: Any) -> list[str]:
    response = await get(harness, f"spaces/{space}/+/registries", size=100, **params)
    assert response.status_code == 200
    return [item["identifier"] for item in response.json()["data"]["registries"]]


def test_the_data_set_has_one_soft_deleted_registry_lists_leave_out() -> None:
    assert len(registries()) - len(LIVE) == 1


async def test_descendants_of_the_account_is_every_live_registry(harness: HarnessStandIn) -> None:
    found = await names(harness, ACCOUNT, scope="descendants")
    assert found == sorted(r.name for r in LIVE)


async def test_without_scope_only_the_space_itself_is_listed(harness: HarnessStandIn) -> None:
    found = await names(harness, f"{ACCOUNT}/payments")
    assert found == ["ecr-mirror", "helm-charts", "maven-releases"]


async def test_descendants_of_an_org_include_its_projects(harness: HarnessStandIn) -> None:
    found = await names(harness, f"{ACCOUNT}/payments", scope="descendants")
    assert found == ["docker-prod", "ecr-mirror", "helm-charts", "maven-releases", "npm-internal"]


async def test_recursive_alone_means_ancestors_and_scope_wins_over_it(harness: HarnessStandIn) -> None:
    space = f"{ACCOUNT}/payments/checkout"
    ancestors = await names(harness, space, recursive="true")
    assert set(ancestors) == {
        r.name for r in LIVE if r.org in (None, "payments") and r.project in (None, "checkout")
    }
    assert await names(harness, space, recursive="true", scope="descendants") == [
        "docker-prod",
        "npm-internal",
    ]


async def test_search_term_is_a_case_sensitive_substring_of_the_name(harness: HarnessStandIn) -> None:
    assert await names(harness, ACCOUNT, scope="descendants", search_term="docker") == [
        "docker-prod",
        "dockerhub-proxy",
    ]
    assert await names(harness, ACCOUNT, scope="descendants", search_term="DOCKER") == []


async def test_package_type_repeats_and_type_filters(harness: HarnessStandIn) -> None:
    params = httpx.QueryParams([("scope", "descendants"), ("package_type", "NPM"), ("package_type", "HELM")])
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{harness.base_url}/har/api/v1/spaces/{ACCOUNT}/+/registries",
            params=params,
            headers={"x-api-key": API_KEY},
        )
    found = {item["identifier"] for item in response.json()["data"]["registries"]}
    assert found == {"helm-charts", "npm-internal", "npmjs-proxy"}
    assert harness.list_calls()[-1].query["package_type"] == ["NPM", "HELM"]
    upstream = await names(harness, ACCOUNT, scope="descendants", type="UPSTREAM")
    assert upstream == sorted(r.name for r in LIVE if r.data["config"]["type"] == "UPSTREAM")


async def test_pages_are_zero_based_with_a_size(harness: HarnessStandIn) -> None:
    response = await get(harness, f"spaces/{ACCOUNT}/+/registries", scope="descendants", page=1, size=4)
    data = response.json()["data"]
    assert [item["identifier"] for item in data["registries"]] == [r.name for r in LIVE[4:8]]
    assert (data["itemCount"], data["pageCount"], data["pageIndex"], data["pageSize"]) == (
        len(LIVE),
        math.ceil(len(LIVE) / 4),
        1,
        4,
    )


async def test_without_size_the_server_uses_ten_and_ignores_page(harness: HarnessStandIn) -> None:
    response = await get(harness, f"spaces/{ACCOUNT}/registries", scope="descendants", page=1)
    data = response.json()["data"]
    assert [item["identifier"] for item in data["registries"]] == [r.name for r in LIVE[:10]]
    assert (data["pageIndex"], data["pageSize"]) == (1, 10)


async def test_every_item_is_registry_metadata_with_its_full_path(harness: HarnessStandIn) -> None:
    response = await get(harness, f"spaces/{ACCOUNT}/+/registries", scope="descendants", size=100)
    body = response.json()
    assert body["status"] == "SUCCESS"
    for item, registry in zip(body["data"]["registries"], LIVE, strict=True):
        assert set(item) == METADATA_FIELDS
        assert item["path"] == f"{ACCOUNT}/{registry.short}"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"size": "ten"}, 400),
        ({"size": 0}, 400),
        ({"type": "LOCAL"}, 400),
        ({"search_term": "forbidden"}, 403),
    ],
)
async def test_bad_queries_and_fault_names_fail(
    harness: HarnessStandIn, params: dict[str, Any], status: int
) -> None:
    response = await get(harness, f"spaces/{ACCOUNT}/+/registries", **params)
    assert response.status_code == status
    assert set(response.json()) == {"code", "message"}


async def test_a_wrong_key_is_unauthorized_and_never_shown(harness: HarnessStandIn) -> None:
    response = await get(harness, f"spaces/{ACCOUNT}/+/registries", key="pat.other.SENTINEL-KEY.x")
    assert response.status_code == 401
    (call,) = harness.list_calls()
    assert "SENTINEL-KEY" not in repr(call)
    assert "x-api-key" not in {name.lower() for name in call.public_headers()}


@pytest.mark.parametrize(
    "short", ["payments/checkout/docker-prod", "payments/checkout/npm-internal", "shared-tools"]
)
async def test_client_setup_details_keep_token_placeholders(harness: HarnessStandIn, short: str) -> None:
    response = await get(harness, f"registry/{ACCOUNT}/{short}/+/client-setup-details")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "SUCCESS"
    assert {"mainHeader", "secHeader", "sections"} <= set(body["data"])
    steps = [step for section in body["data"]["sections"] for step in section["steps"]]
    assert {section["type"] for section in body["data"]["sections"]} == {"INLINE"}
    assert {step["type"] for step in steps} <= {"Static", "GenerateToken"}
    commands = [command["value"] for step in steps for command in step["commands"]]
    assert commands
    assert API_KEY not in response.text
    assert any("<" in command for command in commands)


async def test_client_setup_details_of_an_absent_registry_is_not_found(harness: HarnessStandIn) -> None:
    response = await get(harness, f"registry/{ACCOUNT}/nope/+/client-setup-details")
    assert response.status_code == 404
    assert len(harness.setup_calls()) == 1


async def test_a_programmed_list_answer_comes_first_whatever_the_query(harness: HarnessStandIn) -> None:
    harness.program_path(f"spaces/{ACCOUNT}/+/registries", Canned(status=503, body=b"{}"))
    response = await get(harness, f"spaces/{ACCOUNT}/+/registries", scope="descendants", search_term="x")
    assert response.status_code == 503


async def test_answer_any_makes_up_a_registry_of_any_name() -> None:
    harness = HarnessStandIn(answer_any=True)
    await harness.start()
    try:
        response = await get(harness, "registry/acc_bench/payments/whatever-name/+")
    finally:
        await harness.stop()
    assert response.json()["data"]["identifier"] == "whatever-name"
    assert harness.count == 1
