"""Harness's spec for the webhook operations, served by Prism with random valid bodies: every call parses
or raises a HarnessError (InvalidResponse for nonsense), never anything else. See tests/test_prism.py for
why the paths are written out, and when this is skipped."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from bot.harness.client import HarnessClient
from bot.harness.errors import HarnessError, InvalidResponse
from bot.harness.webhooks import new_identifier, webhook_request
from bot.refs import RegistryRef
from tests.conftest import HARNESS_KEY
from tests.test_prism import PRISM, REQUIRED, ROUNDS, running_prism, served_spec

REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
HOOK = "harbot_0123456789abcdef"
API = f"/har/api/v1/registry/{REF.path}/webhooks"
PATHS = {
    "/registry/{registry_ref}/+/webhooks": API,
    "/registry/{registry_ref}/+/webhooks/{webhook_identifier}": f"{API}/{HOOK}",
    "/registry/{registry_ref}/+/webhooks/{webhook_identifier}/executions": f"{API}/{HOOK}/executions",
    "/registry/{registry_ref}/+/webhooks/{webhook_identifier}/executions/{webhook_execution_id}": (
        f"{API}/{HOOK}/executions/7"
    ),
    "/registry/{registry_ref}/+/webhooks/{webhook_identifier}/executions/{webhook_execution_id}/retrigger": (
        f"{API}/{HOOK}/executions/7/retrigger"
    ),
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PRISM is None and not REQUIRED,
        reason="no Prism (npm install --prefix .ci); set HARBOT_REQUIRE_PRISM=1 to fail instead",
    ),
]


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("prism-webhooks")
    spec = served_spec(directory, PATHS, methods=("get", "post", "put", "delete"), name="webhooks")
    with running_prism(
        spec, PATHS["/registry/{registry_ref}/+/webhooks"], tmp_path_factory.getbasetemp() / "p.log"
    ) as url:
        yield url


@pytest.fixture
async def client(prism: str) -> AsyncIterator[HarnessClient]:
    instance = HarnessClient(base_url=prism, api_key=HARNESS_KEY, timeout=5.0, deadline=10.0, backoff=0.01)
    yield instance
    await instance.aclose()


async def test_every_webhook_operation_parses_or_fails_as_a_harness_error(client: HarnessClient) -> None:
    request = webhook_request(
        identifier=new_identifier(), registry="docker-prod", url="https://bot.example/h", token="t"
    )
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "create": lambda: client.create_webhook(REF, request),
        "get": lambda: client.get_webhook(REF, HOOK),
        "update": lambda: client.update_webhook(REF, HOOK, request),
        "delete": lambda: client.delete_webhook(REF, HOOK),
        "executions": lambda: client.list_executions(REF, HOOK, size=20),
        "execution": lambda: client.get_execution(REF, HOOK, 7),
        "retrigger": lambda: client.retrigger_execution(REF, HOOK, 7),
    }
    parsed: dict[str, int] = dict.fromkeys(calls, 0)
    messages: list[str] = []
    for _ in range(ROUNDS // 4):
        for name, call in calls.items():
            try:
                await call()
            except InvalidResponse:
                continue
            except HarnessError as exc:
                messages.append(str(exc))
                continue
            parsed[name] += 1
    # Prism's random bodies are not derandomized: any one operation may draw no parsable body in a run,
    # so the test asks that none crashed (each parsed or failed as a HarnessError) and some parsed.
    assert sum(parsed.values()) > 0, parsed
    assert not [message for message in messages if HARNESS_KEY in message]
