"""The client's list and client set-up calls against the Harness stand-in: the request they send, the
bodies they accept, and the same retries, deadline and body cap as a registry lookup."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.harness import errors
from bot.harness.client import MAX_BODY_BYTES, HarnessClient
from bot.refs import RegistryRef, SpaceRef, ref_from_path
from devtools.harness import Canned, HarnessStandIn, error_body
from tests.conftest import HARNESS_KEY
from tests.support import SETUP_SUFFIX, list_key, listed, setup_body

SPACE = SpaceRef(account="acc_test", org="payments")
REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")


@pytest.fixture
async def client(harness: HarnessStandIn) -> AsyncIterator[HarnessClient]:
    instance = HarnessClient(
        base_url=harness.base_url, api_key=HARNESS_KEY, timeout=0.5, deadline=5.0, backoff=0.01
    )
    yield instance
    await instance.aclose()


def body(**data: object) -> bytes:
    return json.dumps({"status": "SUCCESS", "data": data}).encode()


async def test_list_sends_descendants_recursive_page_size_and_filters(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.catalog = [listed("acc_test/payments/checkout/docker-prod"), listed("acc_test/ops/docker-x")]
    listing = await client.list_registries(
        SPACE,
        search_term="docker",
        page=0,
        size=20,
        package_types=("DOCKER", "HELM"),
        registry_type="VIRTUAL",
    )
    assert [r.identifier for r in listing.registries] == ["docker-prod"]
    (call,) = harness.list_calls()
    assert call.path == (
        "/gateway/har/api/v1/spaces/acc_test/payments/+/registries?scope=descendants&recursive=true"
        "&page=0&size=20&search_term=docker&package_type=DOCKER&package_type=HELM&type=VIRTUAL"
    )
    assert call.headers["x-api-key"] == HARNESS_KEY


async def test_list_tolerates_nulls_missing_fields_and_new_ones(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    registries = [{"identifier": None, "path": None, "labels": None, "new": {"x": 1}}, {}]
    harness.program_path(
        list_key("acc_test/payments"), Canned(body=body(registries=registries, itemCount=None))
    )
    listing = await client.list_registries(SPACE)
    assert [(r.identifier, r.path, r.labels) for r in listing.registries] == [("", "", []), ("", "", [])]
    harness.program_path(list_key("acc_test/payments"), Canned(body=body(registries=None)))
    assert (await client.list_registries(SPACE)).registries == []


@pytest.mark.parametrize(
    "answer",
    [
        b"not json",
        json.dumps({"status": "FAILURE", "data": None}).encode(),
        json.dumps({"status": "SUCCESS", "data": {"registries": "nope"}}).encode(),
        b'{"status":"SUCCESS","data":' + b'{"registries":[' * 5000 + b"]}" * 5000 + b"}",
    ],
)
async def test_a_list_body_that_is_not_a_list_is_an_invalid_response(
    client: HarnessClient, harness: HarnessStandIn, answer: bytes
) -> None:
    harness.program_path(list_key("acc_test/payments"), Canned(body=answer))
    with pytest.raises(errors.InvalidResponse) as caught:
        await client.list_registries(SPACE)
    assert caught.value.space == SPACE
    assert HARNESS_KEY not in str(caught.value)


async def test_list_retries_a_503_then_answers(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program_path(
        list_key("acc_test/payments"),
        Canned(status=503, body=error_body(503, "busy")),
        Canned(body=body(registries=[listed("acc_test/payments/a")])),
    )
    listing = await client.list_registries(SPACE)
    assert len(listing.registries) == 1
    assert len(harness.list_calls()) == 2


async def test_list_errors_name_the_space(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program_path(list_key("acc_test/payments"), Canned(status=403, body=error_body(403, "no")))
    with pytest.raises(errors.Forbidden) as caught:
        await client.list_registries(SPACE)
    assert caught.value.space == SPACE
    assert "acc_test/payments/+" in str(caught.value)


async def test_a_list_body_over_the_cap_is_refused(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program_path(list_key("acc_test/payments"), Canned(body=b" " * (MAX_BODY_BYTES + 1)))
    with pytest.raises(errors.InvalidResponse):
        await client.list_registries(SPACE)


async def test_client_setup_reads_the_steps(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path + SETUP_SUFFIX, Canned(body=setup_body("docker-prod")))
    details = await client.client_setup(REF)
    assert details.main_header == "Docker Client Setup"
    assert details.sections[0].steps[0].commands[0].value.endswith("-p <TOKEN>")
    (call,) = harness.calls(REF.path + SETUP_SUFFIX)
    assert (
        call.path
        == "/gateway/har/api/v1/registry/acc_test/payments/checkout/docker-prod/+/client-setup-details"
    )


async def test_client_setup_never_returns_the_bots_key(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    echoed = setup_body("docker-prod").replace(b"<TOKEN>", HARNESS_KEY.encode())
    harness.program(REF.path + SETUP_SUFFIX, Canned(body=echoed))
    details = await client.client_setup(REF)
    assert HARNESS_KEY not in details.model_dump_json()
    assert details.sections[0].steps[0].commands[0].value.endswith("-p <TOKEN>")


async def test_client_setup_404_is_not_found(client: HarnessClient, harness: HarnessStandIn) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await client.client_setup(REF)
    assert caught.value.ref == REF


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("acc/org/proj/reg", RegistryRef(account="acc", org="org", project="proj", registry="reg")),
        ("acc/reg", RegistryRef(account="acc", registry="reg")),
        ("", None),
        ("acc", None),
        ("acc/a/b/c/reg", None),
        ("acc/org/../reg", None),
        ("acc/org/Reg", None),
    ],
)
def test_ref_from_path(path: str, expected: RegistryRef | None) -> None:
    assert ref_from_path(path) == expected


def test_space_ref_path_and_validation() -> None:
    assert SpaceRef("acc").path == "acc/+"
    assert SpaceRef("acc", "org", "proj").path == "acc/org/proj/+"
    for bad in (("acc", "o/x", None), ("acc", None, "p"), ("acc", "..", None), ("", None, None)):
        with pytest.raises(ValueError, match=r"."):
            SpaceRef(*bad)


async def test_client_setup_nested_past_any_sense_is_an_invalid_response(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    depth = 3000
    nested = '{"type":"TABS","tabs":[{"sections":[' * depth + "]}]}" * depth
    answer = f'{{"status":"SUCCESS","data":{{"sections":[{nested}]}}}}'.encode()
    harness.program(REF.path + SETUP_SUFFIX, Canned(body=answer))
    with pytest.raises(errors.InvalidResponse):
        await client.client_setup(REF)
