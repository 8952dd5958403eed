"""The Harness stand-in: the Artifact Registry API the bot calls, on loopback, recording every request.

Endpoints (under `/gateway/har/api/v1/`, shaped as Harness's OpenAPI spec and server code answer them):
- `registry/{ref}/+`: `{"status": "SUCCESS", "data": Registry}` for a registry in the data set;
- `registry/{ref}/+/client-setup-details`: `{"status": "SUCCESS", "data": ClientSetupDetails}`;
- `registry/{ref}/+/artifacts` and `…/+/artifact/{artifact}/+/…` (summary, versions, version details,
  docker details and manifests, helm details, files): the catalog in `devtools.artifacts`;
- `spaces/{space_ref}[/+]/registries`: `{"status": "SUCCESS", "data": ListRegistry}`, with `scope`
  (none, ancestors, descendants; `recursive=true` alone means ancestors), `search_term` (substring),
  `page` (0-based), `size` (without it: 10, `page` ignored, `pageIndex` 1), repeatable `package_type`, `type`.

Answers come, in order, from what a test programmed for that path (`program`, `Canned`: any status, body,
delay, hold, connection cut), from the fault names (`FAULTS`, with `faults=True`), from the data set, and
otherwise from `default` (a 404 error body). `strict` adds what the real server does with a wrong key
(401) and an unknown path (plain-text 404). `HarnessStandIn.sandbox()` is the playground's Harness.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from devtools.artifacts import CATALOG, StoredArtifact, answer
from devtools.client_setup import client_setup
from devtools.registries import ACCOUNT, API_KEY, PKG_HOST, StoredRegistry, registries
from devtools.server import Recorded, Server
from devtools.webhooks import Webhooks

API_PREFIX: Final = "/gateway/har/api/v1/"
HARNESS_PREFIX: Final = API_PREFIX + "registry/"
SETUP_SUFFIX: Final = "/+/client-setup-details"
DEFAULT_PAGE_SIZE: Final = 10
LONGEST_SLOW_ANSWER: Final = 35.0
"""`slow` never holds a request longer than this, whatever the bot's timeout."""


@dataclass
class Canned:
    """One programmed answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"
    hold: asyncio.Event | None = None
    """When set, the answer waits until the test sets this event: a deterministic "slow Harness"."""
    cut_after: int | None = None
    """When set, the headers promise the whole body but only this many bytes are written before the
    connection is closed: a connection reset mid-body."""


def success_body(**data: Any) -> bytes:
    """A 200 body for a registry with the given fields (identifier, packageType and url have defaults)."""
    registry = {"identifier": "docker-prod", "packageType": "DOCKER", "url": "https://pkg.example/r", **data}
    return json.dumps({"status": "SUCCESS", "data": registry}).encode()


def error_body(code: int, message: str) -> bytes:
    """The documented error body."""
    return json.dumps({"code": str(code), "message": message}).encode()


@dataclass(frozen=True)
class ErrorName:
    """A registry name that makes the stand-in fail in one way (with `faults=True`), and what it shows."""

    name: str
    status: int
    shows: str


ERROR_NAMES: Final[tuple[ErrorName, ...]] = (
    ErrorName("forbidden", 403, "403: the bot's key may not read that scope"),
    ErrorName("slow", 200, "answers after the bot's timeout: “didn't answer in time”"),
    ErrorName("broken", 500, "500 every time: retried, then “Harness had a problem”"),
    ErrorName("busy", 429, "429 every time: retried, then “Harness is busy”"),
    ErrorName("garbled", 200, "200 with status FAILURE: “an answer I couldn't read”"),
)
FAULTS: Final = frozenset(error.name for error in ERROR_NAMES)

_ANY_TEMPLATE: Final = json.dumps(
    {
        "status": "SUCCESS",
        "data": {
            "identifier": "__ID__",
            "packageType": "DOCKER",
            "url": f"{PKG_HOST}/__ACCOUNT__/__ID__",
            "uuid": "0f8c6f2e-3b1a-4d7e-9a51-6b2f3c9d8e71",
            "description": "Production images for the checkout service",
            "labels": ["payments", "prod"],
            "isPublic": False,
            "config": {"type": "VIRTUAL", "upstreamProxies": ["dockerhub-proxy", "ecr-mirror", "gcr-mirror"]},
            "cleanupPolicy": [
                {
                    "name": "keep-30-days",
                    "expireDays": 30,
                    "packagePrefix": ["checkout"],
                    "versionPrefix": ["pr-"],
                }
            ],
            "allowedPattern": ["checkout/*"],
            "blockedPattern": ["*-debug"],
            "scanners": [{"name": "AQUA_TRIVY"}],
            "policyRefs": ["block-critical-cves"],
            "createdAt": "1718812345678",
            "modifiedAt": "1721404800000",
        },
    }
).encode()


def _json(status: int, body: Any, **headers: str) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json", headers=headers
    )


def _error(status: int, message: str) -> web.Response:
    return _json(status, {"code": str(status), "message": message})


def _plain_404() -> web.Response:
    return web.Response(status=404, text="404 page not found")


class HarnessStandIn(Server):
    """Harness's registry, list and client-setup endpoints. See the module docstring."""

    def __init__(
        self,
        *,
        registries: Sequence[StoredRegistry] = (),
        account: str | None = None,
        api_key: str | None = None,
        strict: bool = False,
        faults: bool = False,
        answer_any: bool = False,
        latency: float = 0.0,
        slow_seconds: float = LONGEST_SLOW_ANSWER,
        keep: bool = True,
        artifacts: dict[str, tuple[StoredArtifact, ...]] | None = None,
        now_ms: int | None = None,
    ) -> None:
        super().__init__(keep=keep, cancel_on_disconnect=faults)
        self.registries = tuple(registries)
        self.account = account
        """When set, refs and spaces of any other account are not found."""
        self.api_key = api_key
        """With `strict`, a request without this `x-api-key` is 401 Unauthorized."""
        self.strict = strict
        self.faults = faults
        self.answer_any = answer_any
        """Any registry name not in the data set answers a spec-shaped DOCKER registry of that name."""
        self.latency = latency
        """Seconds every answer that was not programmed waits first."""
        self.slow_seconds = min(slow_seconds, LONGEST_SLOW_ANSWER)
        self.answers: dict[str, list[Canned]] = {}
        self.default = Canned(status=404, body=error_body(404, "registry not found"))
        self.catalog: list[dict[str, Any]] = []
        """RegistryMetadata the list endpoint serves beside the data set (its `path` says where each
        lives); client-setup-details answers for them too."""
        self._by_ref = {registry.ref: registry for registry in self.registries}
        self.webhooks = Webhooks(self)
        """The registries' webhooks and the deliveries they make (devtools/webhooks.py)."""
        self.artifacts = artifacts
        """Artifacts by registry_ref (`devtools.artifacts`); None serves no artifact endpoints."""
        self.now_ms = now_ms
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    @classmethod
    def sandbox(cls, *, slow_seconds: float, now_ms: int | None = None) -> HarnessStandIn:
        """The playground's Harness: the sandbox data set, its key and account, fault names, strict."""
        return cls(
            registries=registries(now_ms),
            account=ACCOUNT,
            api_key=API_KEY,
            strict=True,
            faults=True,
            slow_seconds=slow_seconds,
            artifacts=CATALOG,
            now_ms=now_ms,
        )

    @property
    def base_url(self) -> str:
        """What HARNESS_BASE_URL is set to."""
        return f"{self.url}/gateway"

    def program(self, ref_path: str, *answers: Canned) -> None:
        """Answer requests for `ref_path` ("acc/org/proj/reg/+") with these, in order; the last repeats."""
        self.answers[HARNESS_PREFIX + ref_path] = list(answers)

    def program_path(self, path: str, *answers: Canned) -> None:
        """The same for any path under `/gateway/har/api/v1/` ("spaces/acc/+/registries"), query aside."""
        self.answers[API_PREFIX + path] = list(answers)

    def calls(self, ref_path: str | None = None) -> list[Recorded]:
        """Requests for one registry (`ref_path` as in `program`), or every request."""
        return [r for r in self.requests if ref_path is None or r.path == HARNESS_PREFIX + ref_path]

    def list_calls(self) -> list[Recorded]:
        """Requests to the list endpoint, in order (`query` holds what was asked)."""
        return [r for r in self.requests if r.route.startswith(API_PREFIX + "spaces/")]

    def setup_calls(self) -> list[Recorded]:
        """Requests to the client-setup-details endpoint, in order."""
        return [r for r in self.requests if r.route.endswith(SETUP_SUFFIX)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        recorded = await self.record(request)
        queue = self.answers.get(recorded.route)
        if queue:
            return await self._canned(request, queue.pop(0) if len(queue) > 1 else queue[0])
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if self.strict and request.headers.get("x-api-key") != self.api_key:
            return _json(401, {"message": "Unauthorized"})
        route = recorded.route
        if self.webhooks.owns(route, HARNESS_PREFIX):
            return await self.webhooks.handle(request, recorded, HARNESS_PREFIX)
        if request.method == "GET" and route.startswith(HARNESS_PREFIX):
            ref = route.removeprefix(HARNESS_PREFIX)
            if ref.endswith(SETUP_SUFFIX):
                return await self._setup(ref.removesuffix(SETUP_SUFFIX) + "/+")
            if ref.endswith("/+"):
                return await self._registry(request, ref)
            if self.artifacts is not None and "/+/" in ref:
                registry_ref, _, tail = ref.partition("/+/")
                now = int(time.time() * 1000) if self.now_ms is None else self.now_ms
                served = answer(registry_ref + "/+", tail, recorded.query, now_ms=now, catalog=self.artifacts)
                if served is not None:
                    return _json(*served)
        if (
            request.method == "GET"
            and route.startswith(API_PREFIX + "spaces/")
            and route.endswith("/registries")
        ):
            space = route.removeprefix(API_PREFIX + "spaces/").removesuffix("/registries").removesuffix("/+")
            return await self._list(space, recorded.query)
        return _plain_404() if self.strict else await self._canned(request, self.default)

    def _find(self, ref: str) -> tuple[list[str], StoredRegistry | None] | None:
        """The ref's parts and its registry (None when absent); None when the ref itself is malformed."""
        parts = ref.removesuffix("/+").split("/")
        if not 2 <= len(parts) <= 4 or (self.account is not None and parts[0] != self.account):
            return None
        return parts, self._by_ref.get(ref)

    async def _registry(self, request: web.Request, ref: str) -> web.StreamResponse:
        found = self._find(ref)
        if found is None:
            return (
                _error(404, "registry not found")
                if self.strict
                else await self._canned(request, self.default)
            )
        parts, registry = found
        if self.faults and parts[-1] in FAULTS:
            return await self._fail(parts[-1], parts[0])
        if registry is not None:
            return _json(200, {"status": "SUCCESS", "data": registry.data})
        if self.answer_any:
            body = _ANY_TEMPLATE.replace(b"__ID__", parts[-1].encode()).replace(
                b"__ACCOUNT__", parts[0].encode()
            )
            return web.Response(body=body, content_type="application/json")
        return (
            _error(404, f"registry '{parts[-1]}' not found")
            if self.strict
            else await self._canned(request, self.default)
        )

    async def _setup(self, ref: str) -> web.StreamResponse:
        found = self._find(ref)
        if found is None:
            return _error(404, "registry not found")
        parts, registry = found
        if self.faults and parts[-1] in FAULTS:
            return await self._fail(parts[-1], parts[0])
        listed = next((e for e in self.catalog if e.get("path") == "/".join(parts)), None)
        if registry is None and listed is None and not self.answer_any:
            return _error(404, f"registry '{parts[-1]}' not found")
        data = (
            registry.data
            if registry is not None
            else listed
            if listed is not None
            else {"packageType": "DOCKER", "url": f"{PKG_HOST}/{parts[0]}/{parts[-1]}"}
        )
        details = client_setup(
            str(data.get("packageType")), url=str(data.get("url")), account=parts[0], registry=parts[-1]
        )
        return _json(200, {"status": "SUCCESS", "data": details})

    async def _list(self, space: str, query: dict[str, list[str]]) -> web.StreamResponse:
        parts = space.split("/")
        if not 1 <= len(parts) <= 3 or (self.account is not None and parts[0] != self.account):
            return _error(404, "space not found")
        first = {name: values[0] for name, values in query.items() if values}
        term = first.get("search_term", "")
        if self.faults and term in FAULTS:
            return await self._fail(term, parts[0])
        scope = first.get("scope") or ("ancestors" if first.get("recursive") == "true" else "none")
        kind = first.get("type")
        if scope not in {"none", "ancestors", "descendants"} or kind not in {None, "VIRTUAL", "UPSTREAM"}:
            return _error(400, "invalid query parameter")
        try:
            size = int(first["size"]) if "size" in first else None
            page = int(first.get("page", "0")) if size is not None else 0
        except ValueError:
            return _error(400, "page and size must be integers")
        if (size is not None and size < 1) or page < 0:
            return _error(400, "page must be 0 or more, size 1 or more")
        types = set(query.get("package_type", []))
        stored = [registry.metadata() for registry in self.registries if not registry.deleted]
        wanted = sorted(
            (
                entry
                for entry in [*stored, *self.catalog]
                if _path_in_scope(str(entry.get("path") or ""), parts, scope)
                and term in str(entry.get("identifier"))
                and (not types or entry.get("packageType") in types)
                and (kind is None or entry.get("type") == kind)
            ),
            key=lambda entry: str(entry.get("identifier")),
        )
        per_page = size or DEFAULT_PAGE_SIZE
        listing = {
            "registries": wanted[page * per_page : (page + 1) * per_page],
            "itemCount": len(wanted),
            "pageCount": math.ceil(len(wanted) / per_page),
            "pageIndex": page if size is not None else 1,
            "pageSize": per_page,
        }
        return _json(200, {"status": "SUCCESS", "data": listing})

    async def _fail(self, name: str, account: str) -> web.StreamResponse:
        if name == "forbidden":
            return _error(403, "forbidden: the principal has no permission to view registries in this scope")
        if name == "broken":
            return _error(500, "internal server error")
        if name == "busy":
            return _json(429, {"code": "429", "message": "rate limit exceeded"}, **{"Retry-After": "1"})
        if name == "garbled":
            return _json(200, {"status": "FAILURE", "data": None})
        # slow: answer, correctly, but only after the bot has stopped waiting.
        await asyncio.sleep(self.slow_seconds)
        body = {"identifier": name, "packageType": "GENERIC", "url": f"{PKG_HOST}/{account}/{name}"}
        return _json(200, {"status": "SUCCESS", "data": body})

    async def _canned(self, request: web.Request, answer: Canned) -> web.StreamResponse:
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.hold is not None:
            await answer.hold.wait()
        headers = {"Content-Type": answer.content_type, **answer.headers}
        if answer.cut_after is None:
            return web.Response(status=answer.status, body=answer.body, headers=headers)
        response = web.StreamResponse(status=answer.status, headers=headers)
        response.content_length = len(answer.body)
        await response.prepare(request)
        await response.write(answer.body[: answer.cut_after])
        if request.transport is not None:
            request.transport.close()
        return response


def _path_in_scope(path: str, space: list[str], scope: str) -> bool:
    """Whether a registry at `path` (account/…/name) lives in the space (`none`), in it or above
    (`ancestors`), or in it or below (`descendants`)."""
    parts = path.split("/")[:-1]
    if not parts or parts[0] != space[0]:
        return False
    where = parts[1:]
    below = space[1:]
    if scope == "descendants":
        return where[: len(below)] == below
    if scope == "ancestors":
        return below[: len(where)] == where
    return where == below
