"""The Harness client against a local HTTP server that answers with spec-shaped bodies."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.harness import errors
from bot.harness.client import MAX_BODY_BYTES, USER_AGENT, HarnessClient
from bot.refs import RegistryRef
from devtools.harness import HARNESS_PREFIX, Canned, HarnessStandIn, error_body, success_body
from tests.conftest import HARNESS_KEY

REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
OK = Canned(body=success_body(description="Production images"))


@pytest.fixture
async def client(harness: HarnessStandIn) -> AsyncIterator[HarnessClient]:
    instance = HarnessClient(
        base_url=harness.base_url, api_key=HARNESS_KEY, timeout=0.5, deadline=5.0, backoff=0.01
    )
    yield instance
    await instance.aclose()


async def lookup_error(client: HarnessClient) -> errors.HarnessError:
    with pytest.raises(errors.HarnessError) as caught:
        await client.get_registry(REF)
    assert HARNESS_KEY not in str(caught.value)
    return caught.value


async def test_get_registry_calls_the_scoped_endpoint_with_the_key(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(REF.path, OK)
    registry = await client.get_registry(REF)
    assert registry.identifier == "docker-prod"
    assert registry.description == "Production images"
    (call,) = harness.calls()
    assert call.path == HARNESS_PREFIX + "acc_test/payments/checkout/docker-prod/+"
    assert call.headers["x-api-key"] == HARNESS_KEY


async def test_requests_carry_the_same_headers_with_or_without_an_injected_client(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(REF.path, OK)
    await client.get_registry(REF)  # the default: straight to the client's own transport
    http = httpx.AsyncClient(headers={"user-agent": USER_AGENT, "accept": "application/json"})
    injected = HarnessClient(base_url=harness.base_url, api_key=HARNESS_KEY, http=http)
    await injected.get_registry(REF)  # through httpx.AsyncClient
    await injected.aclose()
    direct, through_client = ({k.lower(): v for k, v in c.headers.items()} for c in harness.calls())
    assert direct["user-agent"] == USER_AGENT
    assert direct["accept"] == "application/json"
    assert direct["x-api-key"] == HARNESS_KEY
    assert "gzip" in direct["accept-encoding"]
    assert direct == through_client


async def test_get_registry_parses_the_upstream_fixture(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(
        REF.path,
        Canned(
            body=success_body(
                labels=None,
                cleanupPolicy=None,
                config={"type": "UPSTREAM", "source": "Dockerhub", "authType": "Anonymous", "auth": None},
                createdAt="1718812345678",
                somethingNew={"nested": True},
            )
        ),
    )
    registry = await client.get_registry(REF)
    assert registry.labels == []
    assert registry.cleanup_policy == []
    assert registry.config.source == "Dockerhub"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadReference),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (418, errors.ServerError),
    ],
)
async def test_client_errors_map_to_their_class_without_retrying(
    client: HarnessClient, harness: HarnessStandIn, status: int, expected: type[errors.HarnessError]
) -> None:
    harness.program(REF.path, Canned(status=status, body=error_body(status, "nope")))
    error = await lookup_error(client)
    assert type(error) is expected
    assert isinstance(error, errors.HarnessStatusError)
    assert error.status == status
    assert error.detail == "nope"
    assert len(harness.calls()) == 1


async def test_unauthorized_without_a_code_field_is_still_unauthorized(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(REF.path, Canned(status=401, body=b'{"message": "Unauthorized"}'))
    error = await lookup_error(client)
    assert isinstance(error, errors.Unauthorized)


async def test_plain_text_404_is_not_found(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(status=404, body=b"404 page not found", content_type="text/plain"))
    error = await lookup_error(client)
    assert isinstance(error, errors.NotFound)
    assert isinstance(error, errors.HarnessStatusError)
    assert error.detail is None


async def test_rate_limit_is_retried_then_succeeds(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(status=429, body=error_body(429, "slow down")), OK)
    registry = await client.get_registry(REF)
    assert registry.identifier == "docker-prod"
    assert len(harness.calls()) == 2


async def test_retry_after_is_honoured(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(status=429, headers={"Retry-After": "0"}), OK)
    await client.get_registry(REF)
    assert len(harness.calls()) == 2


async def test_persistent_rate_limit_gives_up_after_bounded_retries(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(REF.path, Canned(status=429, body=error_body(429, "slow down")))
    error = await lookup_error(client)
    assert isinstance(error, errors.RateLimited)
    assert len(harness.calls()) == 3


async def test_retry_after_longer_than_we_wait_ends_the_retries(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(REF.path, Canned(status=429, headers={"Retry-After": "120"}))
    error = await lookup_error(client)
    assert isinstance(error, errors.RateLimited)
    assert len(harness.calls()) == 1


async def test_server_errors_in_a_row_then_success(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(status=502, body=b"<html>bad gateway</html>"), Canned(status=503), OK)
    registry = await client.get_registry(REF)
    assert registry.identifier == "docker-prod"
    assert len(harness.calls()) == 3


async def test_persistent_server_error_is_reported(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(status=500, body=error_body(500, "internal")))
    error = await lookup_error(client)
    assert isinstance(error, errors.ServerError)
    assert len(harness.calls()) == 3


@pytest.mark.slow
async def test_slow_harness_times_out_and_names_the_host(
    client: HarnessClient, harness: HarnessStandIn
) -> None:
    harness.program(REF.path, Canned(body=success_body(), delay=2.0))
    error = await lookup_error(client)
    assert isinstance(error, errors.HarnessTimeout)
    assert error.host == "127.0.0.1"
    assert "127.0.0.1" in str(error)


@pytest.mark.slow
async def test_retries_stop_at_the_total_deadline(harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(body=success_body(), delay=2.0))
    client = HarnessClient(
        base_url=harness.base_url,
        api_key=HARNESS_KEY,
        timeout=0.3,
        deadline=0.7,
        max_retries=10,
        backoff=0.01,
    )
    with pytest.raises(errors.HarnessTimeout):
        await client.get_registry(REF)
    await client.aclose()
    assert 1 <= len(harness.calls()) <= 3


async def test_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HarnessClient(base_url=f"http://127.0.0.1:{port}/gateway", api_key=HARNESS_KEY, backoff=0.01)
    with pytest.raises(errors.HarnessConnectionError) as caught:
        await client.get_registry(REF)
    await client.aclose()
    assert "127.0.0.1" in str(caught.value)
    assert HARNESS_KEY not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><html><body>Sign in</body></html>",
        b'{"status": "SUCCESS", "data": {"identifier": "docker-pr',
        b'{"status": "SUCCESS", "data": {"identifier": 42, "labels": "not a list"}}',
        b'{"unexpected": "shape"}',
        b"[]",
    ],
    ids=["html", "truncated", "wrong-types", "wrong-shape", "array"],
)
async def test_unreadable_200_is_an_invalid_response(
    client: HarnessClient, harness: HarnessStandIn, body: bytes
) -> None:
    harness.program(REF.path, Canned(body=body))
    error = await lookup_error(client)
    assert isinstance(error, errors.InvalidResponse)


@pytest.mark.parametrize("status", ["FAILURE", "ERROR"])
async def test_200_with_a_failure_status_is_an_invalid_response(
    client: HarnessClient, harness: HarnessStandIn, status: str
) -> None:
    harness.program(REF.path, Canned(body=b'{"status": "%s", "data": null}' % status.encode()))
    error = await lookup_error(client)
    assert isinstance(error, errors.InvalidResponse)
    assert status in str(error)


async def test_huge_body_is_refused_without_parsing(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(body=b"[" + b"0," * MAX_BODY_BYTES + b"0]"))
    error = await lookup_error(client)
    assert isinstance(error, errors.InvalidResponse)


async def test_unicode_everywhere_is_parsed(client: HarnessClient, harness: HarnessStandIn) -> None:
    harness.program(REF.path, Canned(body=success_body(description="Образы 🚀 für «prod»", labels=["日本"])))
    registry = await client.get_registry(REF)
    assert registry.description == "Образы 🚀 für «prod»"
    assert registry.labels == ["日本"]
