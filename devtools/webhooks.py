"""Registry webhooks in the Harness stand-in: the API, and deliveries made as Harness's server makes them.

Mounted by `HarnessStandIn` (its `webhooks` attribute) under `registry/{ref}/+/webhooks`:
- `GET|POST …/webhooks`, `GET|PUT|DELETE …/webhooks/{identifier}`;
- `GET …/{identifier}/executions` (`page`, `size`, with the open-source server's offset: page n starts at
  (n-1)·n·size, so pages 0 and 1 are both the first), `GET …/executions/{id}`, `GET …/{id}/retrigger`.

`push(ref, artifact, version)` and `delete(…)` make an event and deliver it to every enabled webhook of the
registry whose triggers name it, as `registry/services/webhook` and `app/services/webhook/trigger.go` do:
the body JSON-encoded as Go's encoder writes it (compact, `<>&` escaped, a trailing newline), the extra
headers first, then `X-<identity>-Webhook-Parent-Type`, `-Webhook-Parent-Id`, `-Webhook-Uid`,
`-Webhook-Identifier`, `-Artifact-Registry-Trigger` and, when the webhook names a secret `secrets` holds,
`-Signature`: the hex HMAC-SHA256 of the body under the secret's value. Each delivery is recorded as an
execution (masked headers as `******`, the answer cut to 1 KB, the result as the server judges it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import httpx
from aiohttp import web

if TYPE_CHECKING:
    from devtools.harness import HarnessStandIn
    from devtools.server import Recorded

SEGMENT: Final = "/+/webhooks"
IDENTITY: Final = "Gitness"
"""The open-source server's header identity (`X-Gitness-…`); Harness SaaS documents `X-Harness-…`."""
USER_AGENT: Final = "Gitness/3.0.0"
DELIVERY_TIMEOUT: Final = 10.0
"""Seconds Harness waits for the receiver (`webhookTimeLimit`); then the execution is a FATAL_ERROR."""
KEPT_BYTES: Final = 1024
MASK: Final = "******"
RESERVED: Final = "harnesstriggerwebhok"
TRIGGERS: Final = {"artifact_created": "ARTIFACT_CREATION", "artifact_deleted": "ARTIFACT_DELETION"}


def go_json(value: Any) -> bytes:
    """JSON as Go's `json.NewEncoder(…).Encode` writes it: compact, `<`, `>`, `&`, U+2028 and U+2029
    escaped, UTF-8 kept, and a trailing newline (part of the signed body)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return (text + "\n").encode()


def signature(body: bytes, secret: str) -> str:
    """`crypto.GenerateHMACSHA256`: hex HMAC-SHA256 of the body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def result_for(status: int) -> tuple[str, str]:
    """`handleWebhookResponse`: (result, error) for the receiver's status."""
    if 200 <= status < 300:
        return "SUCCESS", ""
    if status in (408, 429) or (500 <= status < 600 and status != 501):
        return "RETRIABLE_ERROR", f"receiver answered {status}"
    return "FATAL_ERROR", f"receiver answered {status}"


@dataclass
class StoredHook:
    """A webhook as the stand-in keeps it: the request fields, plus the server's own."""

    id: int
    ref: str
    body: dict[str, Any]
    created: int
    latest: str | None = None
    executions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def identifier(self) -> str:
        return str(self.body["identifier"])

    def answer(self) -> dict[str, Any]:
        """The `Webhook` body (extra header values shown as stored, as the open-source server does)."""
        headers = [
            {"key": h.get("key"), "value": h.get("value"), "masked": bool(h.get("masked"))}
            for h in self.body.get("extraHeaders") or []
        ]
        data = {
            **{k: v for k, v in self.body.items() if k != "extraHeaders"},
            "extraHeaders": headers,
            "createdAt": str(self.created),
            "modifiedAt": str(self.created),
            "internal": False,
            "version": 1,
        }
        if self.latest:
            data["latestExecutionResult"] = self.latest
        return data


class Webhooks:
    """The webhook endpoints and deliveries of one `HarnessStandIn`. See the module docstring."""

    def __init__(self, host: HarnessStandIn) -> None:
        self.host = host
        self.hooks: dict[tuple[str, str], StoredHook] = {}
        self.secrets: dict[str, str] = {}
        """Harness's secret manager: identifier -> value, read when a webhook names `secretIdentifier`."""
        self.read_only: set[str] = set()
        """Registry refs (`acc/…/reg/+`) the key may read but not edit: writes there answer 403."""
        self.allow_loopback = True
        """False: deliveries to loopback or private addresses fail as Harness SaaS fails them."""
        self.identity = IDENTITY
        self._ids = 0
        self._executions = 0
        self._http: httpx.AsyncClient | None = None
        host.app.on_cleanup.append(self._cleanup)

    def owns(self, route: str, prefix: str) -> bool:
        return route.startswith(prefix) and SEGMENT in route

    def of(self, ref: str) -> list[StoredHook]:
        """The webhooks of a registry (`acc/…/reg/+`)."""
        return [hook for (where, _), hook in self.hooks.items() if where == ref]

    async def _cleanup(self, _app: web.Application) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the delivery client (the stand-in's stop does it too)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def handle(self, request: web.Request, recorded: Recorded, prefix: str) -> web.StreamResponse:
        route = recorded.route.removeprefix(prefix)
        ref_part, _, tail = route.partition(SEGMENT)
        ref = ref_part + "/+"
        parts = [p for p in tail.split("/") if p]
        writes = request.method in {"POST", "PUT", "DELETE"} or parts[-1:] == ["retrigger"]
        if not self._registry_known(ref):
            return _error(404, "registry not found")
        if writes and ref in self.read_only:
            return _error(403, "principal does not have permission registry_edit")
        try:
            return await self._route(request, ref, parts, recorded)
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, f"invalid request: {type(exc).__name__}")

    async def _route(
        self, request: web.Request, ref: str, parts: list[str], recorded: Recorded
    ) -> web.StreamResponse:
        method = request.method
        if not parts:
            if method == "POST":
                return self._create(ref, recorded.json())
            if method == "GET":
                hooks = [hook.answer() for hook in self.of(ref)]
                listing = {"webhooks": hooks, "itemCount": len(hooks), "pageCount": 1, "pageIndex": 0}
                return _ok(listing)
            return _error(405, "method not allowed")
        hook = self.hooks.get((ref, parts[0]))
        if hook is None:
            return _error(404, f"webhook '{parts[0]}' not found")
        if len(parts) == 1:
            if method == "GET":
                return _ok(hook.answer())
            if method == "PUT":
                body = _checked(recorded.json())
                hook.body = {**body, "identifier": hook.identifier}
                return _ok(hook.answer(), status=201)
            if method == "DELETE":
                del self.hooks[(ref, hook.identifier)]
                return _json(200, {"status": "SUCCESS"})
        if parts[1:2] == ["executions"] and method == "GET":
            if len(parts) == 2:
                return self._list(hook, recorded.query)
            execution = _find_execution(hook, parts[2])
            if execution is None:
                return _error(404, f"webhook execution '{parts[2]}' not found")
            if parts[3:] == ["retrigger"]:
                again = await self._execute(hook, bytes(execution["request"]["body"], "utf-8"), execution)
                return _ok(again)
            if len(parts) == 3:
                return _ok(execution)
        return _error(404, "not found")

    def _registry_known(self, ref: str) -> bool:
        host = self.host
        known = {registry.ref for registry in host.registries}
        return not known or ref in known or host.answer_any

    def _create(self, ref: str, body: Any) -> web.StreamResponse:
        body = _checked(body)
        identifier = str(body["identifier"])
        if identifier == RESERVED:
            return _error(400, f"webhook identifier {RESERVED} is reserved")
        stored = next((r for r in self.host.registries if r.ref == ref), None)
        kind = ((stored.data.get("config") or {}).get("type") if stored else None) or "VIRTUAL"
        if kind != "VIRTUAL":
            return _error(400, f"not allowed to create webhook for {kind} registry")
        if (ref, identifier) in self.hooks:
            return _error(
                400, f"failed to store webhook, Webhook with identifier {identifier} already exists"
            )
        self._ids += 1
        hook = StoredHook(id=self._ids, ref=ref, body=body, created=int(time.time() * 1000))
        self.hooks[(ref, identifier)] = hook
        return _ok(hook.answer(), status=201)

    def _list(self, hook: StoredHook, query: dict[str, list[str]]) -> web.StreamResponse:
        page = int(query.get("page", ["1"])[0])
        size = int(query["size"][0]) if "size" in query else None
        limit = size or 10
        # The open-source server's GetOffset/Offset: (page-1) * (size*page), page 0 counting as 1.
        offset = 0 if not page or size is None else max(page - 1, 0) * (size * page)
        newest = sorted(hook.executions, key=lambda e: -int(e["id"]))
        chosen = newest[offset : offset + limit]
        listing = {
            "executions": chosen,
            "itemCount": len(newest),
            "pageCount": -(-len(newest) // limit),
            "pageIndex": page,
            "pageSize": len(chosen),
        }
        return _ok(listing)

    async def push(
        self,
        ref: str,
        artifact: str,
        version: str,
        *,
        digest: str = "sha256:" + "ab12cd34" * 8,
        principal: str = "Alice",
        email: str = "alice@example.com",
        package_type: str = "DOCKER",
        trigger: str = "artifact_created",
    ) -> list[dict[str, Any]]:
        """An artifact version pushed (or, with `trigger="artifact_deleted"`, deleted): delivered to every
        webhook of `ref` that wants it. The executions, one per webhook."""
        body = go_json(self.payload(ref, artifact, version, digest, principal, email, package_type, trigger))
        done = []
        for hook in self.of(ref):
            wanted = hook.body.get("triggers") or list(TRIGGERS.values())
            if hook.body.get("enabled", True) and TRIGGERS[trigger] in wanted:
                done.append(await self._execute(hook, body, None))
        return done

    async def delete(self, ref: str, artifact: str, version: str, **kwargs: Any) -> list[dict[str, Any]]:
        """A version deleted: `push` with the deletion trigger."""
        return await self.push(ref, artifact, version, trigger="artifact_deleted", **kwargs)

    def payload(
        self,
        ref: str,
        artifact: str,
        version: str,
        digest: str,
        principal: str,
        email: str,
        package_type: str,
        trigger: str,
    ) -> dict[str, Any]:
        """`ArtifactEventPayload`, its fields in the Go structs' order."""
        parts = ref.removesuffix("/+").split("/")
        registry = parts[-1]
        pkg = f"pkg.harness.io/{parts[0].lower()}/{registry}"
        if package_type in {"DOCKER", "HELM"}:
            details: dict[str, Any] = {
                "name": artifact,
                "ref": f"{pkg}/{artifact}:{version}",
                "url": f"https://{pkg}/{artifact}:{version}",
                "tag": version,
                "digest": digest,
            }
        else:
            details = {
                "name": artifact,
                "ref": f"{artifact}:{version}",
                "package_type": package_type,
                "version": version,
            }
        space = "/".join(parts[:-1])
        return {
            "trigger": trigger,
            "registry": {
                "id": abs(hash(ref)) % 10_000,
                "name": registry,
                "description": "",
                "url": f"{self.host.url}/ng/account/{parts[0]}/registries/{registry}?space={space}",
            },
            "principal": {
                "id": 7,
                "uid": principal.lower().replace(" ", "."),
                "display_name": principal,
                "email": email,
                "type": "user",
                "created": 1718812345678,
                "updated": 1718812345678,
            },
            "artifact_info": {
                "type": package_type,
                "name": artifact,
                "version": version,
                "artifact": details,
            },
        }

    def headers_for(self, hook: StoredHook, trigger: str) -> list[tuple[str, str]]:
        """The request headers, in the server's order (extra headers first; the signature comes after)."""
        x = f"X-{self.identity}-"
        headers = [(str(h["key"]), str(h.get("value", ""))) for h in hook.body.get("extraHeaders") or []]
        return [
            *headers,
            ("User-Agent", USER_AGENT),
            ("Content-Type", "application/json"),
            (x + "Webhook-Parent-Type", "registry"),
            (x + "Webhook-Parent-Id", str(hook.id)),
            (x + "Webhook-Uid", hook.identifier),
            (x + "Webhook-Identifier", hook.identifier),
            (x + "Artifact-Registry-Trigger", trigger),
        ]

    async def _execute(
        self, hook: StoredHook, body: bytes, original: dict[str, Any] | None
    ) -> dict[str, Any]:
        trigger = json.loads(body).get("trigger", "artifact_created")
        headers = self.headers_for(hook, trigger)
        secret = self.secrets.get(str(hook.body.get("secretIdentifier") or ""))
        if secret:
            headers.append((f"X-{self.identity}-Signature", signature(body, secret)))
        masked = {str(h["key"]).lower() for h in hook.body.get("extraHeaders") or [] if h.get("masked")}
        shown = "".join(f"{k}: {MASK if k.lower() in masked else v}\r\n" for k, v in headers)
        self._executions += 1
        execution: dict[str, Any] = {
            "id": self._executions,
            "webhookId": hook.id,
            "triggerType": TRIGGERS.get(trigger, "ARTIFACT_CREATION"),
            "retriggerable": True,
            "request": {"url": hook.body["url"], "headers": shown, "body": body.decode()},
            "response": {"status": "", "statusCode": 0, "headers": "", "body": ""},
        }
        if original is not None:
            execution["retriggerOf"] = original["id"]
        started = time.monotonic()
        execution["result"], execution["error"] = await self._send(
            str(hook.body["url"]), headers, body, execution
        )
        execution["duration"] = int((time.monotonic() - started) * 1e9)  # Go's time.Duration: nanoseconds
        execution["created"] = int(time.time() * 1000)
        hook.executions.append(execution)
        hook.latest = execution["result"]
        return execution

    async def _send(
        self, url: str, headers: list[tuple[str, str]], body: bytes, execution: dict[str, Any]
    ) -> tuple[str, str]:
        host = httpx.URL(url).host
        if not self.allow_loopback and (
            host in {"localhost", "127.0.0.1", "::1"} or host.startswith(("10.", "192.168."))
        ):
            return "FATAL_ERROR", "an error occurred while sending the request: loopback not allowed"
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DELIVERY_TIMEOUT, follow_redirects=False, trust_env=False)
        try:
            answer = await self._http.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "FATAL_ERROR", f"request exceeded time limit of {DELIVERY_TIMEOUT:.0f}s"
        except httpx.HTTPError as exc:
            return "FATAL_ERROR", f"an error occurred while sending the request: {type(exc).__name__}"
        execution["response"] = {
            "status": f"{answer.status_code} {answer.reason_phrase}",
            "statusCode": answer.status_code,
            "headers": "".join(f"{k}: {v}\r\n" for k, v in answer.headers.items())[:KEPT_BYTES],
            "body": answer.content[:KEPT_BYTES].decode(errors="replace"),
        }
        return result_for(answer.status_code)

    def delivered(self, ref: str) -> list[dict[str, Any]]:
        """Every execution of the registry's webhooks, oldest first."""
        return sorted((e for hook in self.of(ref) for e in hook.executions), key=lambda e: int(e["id"]))


def _checked(body: Any) -> dict[str, Any]:
    """The create/update body, refused (ValueError: 400) as the server refuses it."""
    if not isinstance(body, dict):
        raise ValueError("body must be an object")
    for name in ("identifier", "name", "url"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise ValueError(f"webhook {name} is required")
    url = httpx.URL(body["url"])
    if url.scheme not in {"http", "https"} or not url.host:
        raise ValueError("webhook url must use http or https scheme")
    for header in body.get("extraHeaders") or []:
        if not isinstance(header, dict) or not isinstance(header.get("key"), str):
            raise ValueError("extra headers need a key")
    return dict(body)


def _find_execution(hook: StoredHook, text: str) -> dict[str, Any] | None:
    if not text.isdigit() or int(text) <= 0:
        raise ValueError("invalid webhook execution identifier")
    return next((e for e in hook.executions if e["id"] == int(text)), None)


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def _ok(data: Any, status: int = 200) -> web.Response:
    return _json(status, {"status": "SUCCESS", "data": data})


def _error(status: int, message: str) -> web.Response:
    return _json(status, {"code": str(status), "message": message})
