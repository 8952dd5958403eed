"""The Harness stand-in's webhooks: the API as Harness's server answers it, and deliveries made as it makes
them (headers, the Go-encoded body, the HMAC signature), recorded as executions."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY
from devtools.server import Server
from devtools.webhooks import go_json, result_for
from tests.watching_support import UPSTREAM, VIRTUAL


class Receiver(Server):
    """A webhook receiver on loopback that answers `status` and keeps what arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.status = 200
        self.app.router.add_post("/hook/{id}", self._hook)

    async def _hook(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.json_response({"ok": self.status < 300}, status=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


async def call(
    harness: HarnessStandIn, method: str, tail: str, *, ref: str = VIRTUAL.ref, **kwargs: object
) -> httpx.Response:
    url = f"{harness.base_url}/har/api/v1/registry/{ref}/webhooks{tail}"
    async with httpx.AsyncClient() as http:
        return await http.request(method, url, headers={"x-api-key": API_KEY}, **kwargs)  # type: ignore[arg-type]


def hook_body(receiver: Receiver, **fields: object) -> dict[str, object]:
    return {
        "identifier": "harbot_1",
        "name": "harbot",
        "url": f"{receiver.url}/hook/harbot_1",
        "enabled": True,
        "insecure": False,
        "triggers": ["ARTIFACT_CREATION", "ARTIFACT_DELETION"],
        "extraHeaders": [{"key": "X-Harbot-Token", "value": "tok-SENTINEL", "masked": True}],
        **fields,
    }


async def test_create_get_update_delete_round_trip(sandbox: HarnessStandIn, receiver: Receiver) -> None:
    created = await call(sandbox, "POST", "", json=hook_body(receiver))
    assert created.status_code == 201
    assert created.json()["data"]["identifier"] == "harbot_1"
    got = await call(sandbox, "GET", "/harbot_1")
    assert got.json()["data"]["url"].endswith("/hook/harbot_1")
    updated = await call(sandbox, "PUT", "/harbot_1", json=hook_body(receiver, enabled=False))
    assert updated.json()["data"]["enabled"] is False
    assert (await call(sandbox, "DELETE", "/harbot_1")).json() == {"status": "SUCCESS"}
    assert (await call(sandbox, "GET", "/harbot_1")).status_code == 404


async def test_create_refuses_what_the_server_refuses(sandbox: HarnessStandIn, receiver: Receiver) -> None:
    assert (await call(sandbox, "POST", "", json=hook_body(receiver, url="ftp://x/y"))).status_code == 400
    assert (await call(sandbox, "POST", "", json=hook_body(receiver, identifier=""))).status_code == 400
    reserved = hook_body(receiver, identifier="harnesstriggerwebhok")
    assert (await call(sandbox, "POST", "", json=reserved)).status_code == 400
    upstream = await call(sandbox, "POST", "", ref=UPSTREAM.ref, json=hook_body(receiver))
    assert upstream.status_code == 400
    assert "UPSTREAM" in upstream.json()["message"]
    await call(sandbox, "POST", "", json=hook_body(receiver))
    duplicate = await call(sandbox, "POST", "", json=hook_body(receiver))
    assert "already exists" in duplicate.json()["message"]


async def test_writes_to_a_read_only_registry_answer_403(sandbox: HarnessStandIn, receiver: Receiver) -> None:
    sandbox.webhooks.read_only.add(VIRTUAL.ref)
    assert (await call(sandbox, "POST", "", json=hook_body(receiver))).status_code == 403
    assert (await call(sandbox, "GET", "")).status_code == 200


async def test_a_push_is_delivered_with_the_servers_headers_and_a_go_encoded_body(
    sandbox: HarnessStandIn, receiver: Receiver
) -> None:
    await call(sandbox, "POST", "", json=hook_body(receiver))
    (execution,) = await sandbox.webhooks.push(VIRTUAL.ref, "payments-api", "1.4.2")
    (arrived,) = receiver.requests
    assert arrived.headers["X-Harbot-Token"] == "tok-SENTINEL"
    assert arrived.headers["X-Gitness-Artifact-Registry-Trigger"] == "artifact_created"
    assert arrived.headers["X-Gitness-Webhook-Identifier"] == "harbot_1"
    assert "X-Gitness-Signature" not in arrived.headers
    assert arrived.body.endswith(b"}\n")
    body = json.loads(arrived.body)
    assert body["trigger"] == "artifact_created"
    assert body["artifact_info"]["artifact"]["tag"] == "1.4.2"
    assert body["principal"]["display_name"] == "Alice"
    assert execution["result"] == "SUCCESS"
    assert "tok-SENTINEL" not in execution["request"]["headers"]
    assert "X-Harbot-Token: ******" in execution["request"]["headers"]


async def test_a_webhook_naming_a_secret_is_signed_with_hmac_sha256_of_the_exact_body(
    sandbox: HarnessStandIn, receiver: Receiver
) -> None:
    sandbox.webhooks.secrets["harbot_secret"] = "s3cret-SENTINEL"
    await call(sandbox, "POST", "", json=hook_body(receiver, secretIdentifier="harbot_secret"))
    await sandbox.webhooks.push(VIRTUAL.ref, "payments-api", "1.4.2")
    (arrived,) = receiver.requests
    expected = hmac.new(b"s3cret-SENTINEL", arrived.body, hashlib.sha256).hexdigest()
    assert arrived.headers["X-Gitness-Signature"] == expected


async def test_only_wanted_triggers_of_enabled_webhooks_are_delivered(
    sandbox: HarnessStandIn, receiver: Receiver
) -> None:
    await call(sandbox, "POST", "", json=hook_body(receiver, triggers=["ARTIFACT_DELETION"]))
    assert await sandbox.webhooks.push(VIRTUAL.ref, "a", "1") == []
    assert len(await sandbox.webhooks.delete(VIRTUAL.ref, "a", "1")) == 1
    await call(sandbox, "PUT", "/harbot_1", json=hook_body(receiver, enabled=False))
    assert await sandbox.webhooks.delete(VIRTUAL.ref, "a", "1") == []


async def test_executions_list_newest_first_with_the_servers_paging(
    sandbox: HarnessStandIn, receiver: Receiver
) -> None:
    await call(sandbox, "POST", "", json=hook_body(receiver))
    for version in range(6):
        await sandbox.webhooks.push(VIRTUAL.ref, "a", str(version))
    first = (await call(sandbox, "GET", "/harbot_1/executions", params={"page": 0, "size": 2})).json()["data"]
    assert [e["id"] for e in first["executions"]] == [6, 5]
    assert first["itemCount"] == 6
    one = (await call(sandbox, "GET", "/harbot_1/executions", params={"page": 1, "size": 2})).json()["data"]
    assert [e["id"] for e in one["executions"]] == [6, 5]
    two = (await call(sandbox, "GET", "/harbot_1/executions", params={"page": 2, "size": 2})).json()["data"]
    assert [e["id"] for e in two["executions"]] == [2, 1]  # offset (2-1)*(2*2): 4 and 3 are skipped


async def test_a_failed_delivery_is_recorded_and_a_retrigger_repeats_its_body(
    sandbox: HarnessStandIn, receiver: Receiver
) -> None:
    await call(sandbox, "POST", "", json=hook_body(receiver))
    receiver.status = 503
    (failed,) = await sandbox.webhooks.push(VIRTUAL.ref, "a", "1")
    assert failed["result"] == "RETRIABLE_ERROR"
    assert failed["response"]["statusCode"] == 503
    receiver.status = 200
    again = (await call(sandbox, "GET", f"/harbot_1/executions/{failed['id']}/retrigger")).json()["data"]
    assert again["retriggerOf"] == failed["id"]
    assert again["result"] == "SUCCESS"
    first, second = receiver.requests
    assert first.body == second.body
    got = await call(sandbox, "GET", f"/harbot_1/executions/{again['id']}")
    assert got.json()["data"]["request"]["body"] == first.body.decode()
    assert (await call(sandbox, "GET", "/harbot_1/executions/x")).status_code == 400


async def test_deliveries_to_loopback_fail_when_the_stand_in_plays_saas(
    sandbox: HarnessStandIn, receiver: Receiver
) -> None:
    sandbox.webhooks.allow_loopback = False
    await call(sandbox, "POST", "", json=hook_body(receiver))
    (execution,) = await sandbox.webhooks.push(VIRTUAL.ref, "a", "1")
    assert execution["result"] == "FATAL_ERROR"
    assert "loopback" in execution["error"]
    assert receiver.requests == []


def test_go_json_escapes_html_characters_and_ends_with_a_newline() -> None:
    assert go_json({"a": "<b>&é\u2028"}) == '{"a":"\\u003cb\\u003e\\u0026é\\u2028"}\n'.encode()


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, "SUCCESS"),
        (204, "SUCCESS"),
        (408, "RETRIABLE_ERROR"),
        (429, "RETRIABLE_ERROR"),
        (500, "RETRIABLE_ERROR"),
        (501, "FATAL_ERROR"),
        (401, "FATAL_ERROR"),
        (302, "FATAL_ERROR"),
    ],
)
def test_results_follow_the_servers_status_rules(status: int, result: str) -> None:
    assert result_for(status)[0] == result


def test_the_sandbox_has_both_registry_kinds() -> None:
    assert VIRTUAL.account == ACCOUNT
    assert UPSTREAM.ref != VIRTUAL.ref
