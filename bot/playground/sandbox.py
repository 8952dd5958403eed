"""A sandbox Harness for the playground: made-up registries behind the real endpoint's shape.

An aiohttp server on 127.0.0.1 that answers `GET /gateway/har/api/v1/registry/{registry_ref}` the way
Harness SaaS does (shared/harness/swagger.yaml and NOTES.md): `{"status": "SUCCESS", "data": Registry}`
with epoch-millisecond strings, `null` lists where Harness sends them, secret *references* under
`auth`; `{"code", "message"}` error bodies; `{"message": "Unauthorized"}` for a wrong key; a plain-text
404 for a path without `/+`. The bot talks to it through its real Harness client, retries and all.

Some registry names, in any scope, stand for a way Harness fails (see ERROR_NAMES); any other name
that is not in REGISTRIES is simply absent (404).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

logger = logging.getLogger(__name__)

ACCOUNT: Final = "px7xd_BFRCi-pfWPYXVjvw"
API_KEY: Final = f"pat.{ACCOUNT}.playground.sandbox-not-a-secret"
"""The key the bot sends to the sandbox. It guards nothing: the sandbox only answers on loopback."""
API_PREFIX: Final = "/gateway/har/api/v1/registry/"
PKG_HOST: Final = "https://pkg.harness.io/pkg"
LONGEST_SLOW_ANSWER: Final = 35.0
"""`slow` never holds a request longer than this, whatever the bot's timeout."""

DAY_MS: Final = 24 * 3600 * 1000


@dataclass(frozen=True)
class ErrorName:
    """A registry name that makes the sandbox fail in one way, and what the bot then says."""

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
NOT_FOUND_EXAMPLE: Final = "docker-prd"
"""A name the page suggests for "not found": a typo of docker-prod. Any absent name does the same."""


@dataclass(frozen=True)
class SandboxRegistry:
    """One made-up registry: where it lives and its `data` body, as Harness would send it."""

    org: str | None
    project: str | None
    data: dict[str, Any]

    @property
    def name(self) -> str:
        """The registry identifier."""
        return str(self.data["identifier"])

    @property
    def short(self) -> str:
        """What a user types after `/har`: `org/project/name`, `org/name` or `name`."""
        return "/".join(part for part in (self.org, self.project, self.name) if part)

    @property
    def ref(self) -> str:
        """The API registry_ref: `account[/org[/project]]/name/+`."""
        return f"{ACCOUNT}/{self.short}/+"


def _ms(days_ago: float, *, now_ms: int) -> str:
    return str(now_ms - int(days_ago * DAY_MS))


def _virtual(upstreams: list[str] | None) -> dict[str, Any]:
    return {"type": "VIRTUAL", "upstreamProxies": upstreams}


def _upstream(source: str, url: str, auth_type: str, firewall: str, **extra: Any) -> dict[str, Any]:
    auth: dict[str, Any] | None = None
    if auth_type == "UserPassword":
        auth = {
            "authType": "UserPassword",
            "userName": "svc-registry-puller",
            "secretIdentifier": "registry_pull_token",
            "secretSpacePath": ACCOUNT,
        }
    elif auth_type == "AccessKeySecretKey":
        auth = {
            "authType": "AccessKeySecretKey",
            "accessKeySecretIdentifier": "ecr_access_key",
            "secretKeyIdentifier": "ecr_secret_key",
            "secretSpacePath": f"{ACCOUNT}/payments",
        }
    return {
        "type": "UPSTREAM",
        "source": source,
        "url": url,
        "authType": auth_type,
        "auth": auth,
        "remoteUrlSuffix": "",
        "firewallMode": firewall,
        **extra,
    }


def _registry(
    org: str | None,
    project: str | None,
    name: str,
    package_type: str,
    description: str,
    config: dict[str, Any],
    *,
    now_ms: int,
    created: float,
    modified: float,
    uuid: str,
    **fields: Any,
) -> SandboxRegistry:
    data: dict[str, Any] = {
        "identifier": name,
        "packageType": package_type,
        "url": f"{PKG_HOST}/{ACCOUNT}/{name}",
        "uuid": uuid,
        "description": description,
        "isPublic": False,
        "labels": [],
        "allowedPattern": None,
        "blockedPattern": None,
        "cleanupPolicy": None,
        "scanners": None,
        "config": config,
        "createdAt": _ms(created, now_ms=now_ms),
        "modifiedAt": _ms(modified, now_ms=now_ms),
    }
    data.update(fields)
    return SandboxRegistry(org=org, project=project, data=data)


def registries(now_ms: int | None = None) -> tuple[SandboxRegistry, ...]:
    """The sandbox's registries: every scope, package type and registry type the card draws.

    Dates are relative to `now_ms` (default: now), so "modified today" reads as it should.
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms

    def reg(*args: Any, **kwargs: Any) -> SandboxRegistry:
        return _registry(*args, now_ms=now, **kwargs)

    return (
        # The account: upstream proxies every team shares, and one public generic registry.
        reg(
            None,
            None,
            "dockerhub-proxy",
            "DOCKER",
            "Caches Docker Hub pulls for every pipeline",
            _upstream("Dockerhub", "https://registry-1.docker.io", "UserPassword", "QUARANTINE"),
            created=420,
            modified=12,
            uuid="7d1e0a44-52c3-4f0b-8d6a-0c5e2b9f1a33",
            labels=["ci", "cache"],
            blockedPattern=["*:latest"],
            scanners=[{"name": "AQUA_TRIVY"}, {"name": "GRYPE"}],
        ),
        reg(
            None,
            None,
            "npmjs-proxy",
            "NPM",
            "npmjs.org, cached",
            _upstream("NpmJs", "https://registry.npmjs.org", "Anonymous", "ENABLED"),
            created=390,
            modified=40,
            uuid="2b9e6c10-6f1d-4c55-9a0e-3c8d7e1f2a90",
            labels=["frontend"],
            cleanupPolicy=[
                {"name": "evict-unused", "expireDays": 90, "packagePrefix": [], "versionPrefix": []}
            ],
        ),
        reg(
            None,
            None,
            "maven-central",
            "MAVEN",
            "",
            _upstream(
                "MavenCentral", "https://repo1.maven.org/maven2", "Anonymous", "ALLOW", metadataCacheTTL=3600
            ),
            created=500,
            modified=500,
            uuid="c41f7a2e-0d3b-48a9-b6e2-5f1a9c7d3e08",
        ),
        reg(
            None,
            None,
            "pypi-proxy",
            "PYTHON",
            "PyPI through the package firewall",
            _upstream("PyPi", "https://pypi.org", "Anonymous", "ENABLED"),
            created=300,
            modified=3,
            uuid="5e0c2d9b-7a4f-4e1c-8b3d-9f6a2c1e7b45",
            scanners=[{"name": "GRYPE"}],
        ),
        reg(
            None,
            None,
            "shared-tools",
            "GENERIC",
            "CLIs, installers and test fixtures that every team downloads",
            _virtual(None),
            created=610,
            modified=1,
            uuid="9a3d1f6e-2c8b-4d07-a5e9-1b4c7f0d2e63",
            isPublic=True,
            labels=["tools", "public"],
        ),
        # The org `payments`.
        reg(
            "payments",
            None,
            "ecr-mirror",
            "DOCKER",
            "Mirror of the payments AWS ECR account",
            _upstream(
                "AwsEcr",
                "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
                "AccessKeySecretKey",
                "ALLOW",
            ),
            created=200,
            modified=20,
            uuid="e7b2c5a1-9d3f-4a60-8e1b-2c7d4f9a0b16",
            labels=["aws"],
            scanners=[{"name": "AQUA_TRIVY"}],
        ),
        reg(
            "payments",
            None,
            "helm-charts",
            "HELM",
            "Helm charts for every payments service",
            _virtual([]),
            created=250,
            modified=6,
            uuid="3f8a0c7d-1e5b-4b92-9c4a-6d2e8f1b7c30",
            labels=["helm", "payments"],
            allowedPattern=["payments-*"],
            cleanupPolicy=[
                {"name": "keep-recent", "expireDays": 180, "packagePrefix": None, "versionPrefix": ["0."]}
            ],
        ),
        reg(
            "payments",
            None,
            "maven-releases",
            "MAVEN",
            "Release builds of the payments libraries",
            _virtual(["maven-central"]),
            created=330,
            modified=9,
            uuid="b0d4e8f2-6a1c-4f3e-9b7d-0e5a2c8f4d19",
            labels=["java"],
            policyRefs=["license-allowlist"],
            cleanupPolicy=[
                {
                    "name": "drop-snapshots",
                    "expireDays": 14,
                    "packagePrefix": [],
                    "versionPrefix": ["SNAPSHOT-"],
                }
            ],
        ),
        # The project `payments/checkout`: the README's docker-prod and its neighbours.
        reg(
            "payments",
            "checkout",
            "docker-prod",
            "DOCKER",
            "Production images for the checkout service",
            _virtual(["dockerhub-proxy", "ecr-mirror"]),
            created=160,
            modified=0.1,
            uuid="0f8c6f2e-3b1a-4d7e-9a51-6b2f3c9d8e71",
            labels=["payments", "prod", "pci"],
            allowedPattern=["checkout/*"],
            blockedPattern=["*-debug"],
            cleanupPolicy=[
                {
                    "name": "keep-30-days",
                    "expireDays": 30,
                    "packagePrefix": ["checkout"],
                    "versionPrefix": ["pr-"],
                },
                {"name": "purge-debug", "expireDays": 7, "packagePrefix": [], "versionPrefix": ["debug-"]},
            ],
            scanners=[{"name": "AQUA_TRIVY"}],
            policyRefs=["block-critical-cves"],
        ),
        reg(
            "payments",
            "checkout",
            "npm-internal",
            "NPM",
            "Private @acme packages for the checkout web app",
            _virtual(["npmjs-proxy"]),
            created=140,
            modified=2,
            uuid="d2a7f1c9-4e0b-4c83-a6d5-8b1e3f7c0a24",
            labels=["frontend"],
            allowedPattern=["@acme/*"],
        ),
        reg(
            "payments",
            "checkout",
            "docker-legacy",
            "DOCKER",
            "Images from the old checkout stack; replaced by docker-prod",
            _virtual(["dockerhub-proxy"]),
            created=700,
            modified=45,
            uuid="61c0e9a3-8b2d-4f5e-b1a7-c3d9e0f4a852",
            labels=["legacy"],
            deletedAt=_ms(30, now_ms=now),
        ),
        # The org `data`: machine learning.
        reg(
            "data",
            "ml",
            "python-ml",
            "PYTHON",
            "Wheels for the ML training and serving images",
            _virtual(["pypi-proxy"]),
            created=90,
            modified=4,
            uuid="f5b8d2e0-3c7a-4a19-8e6f-1d0b4c9a7e53",
            labels=["ml", "python"],
            scanners=[{"name": "GRYPE"}],
            cleanupPolicy=[
                {
                    "name": "drop-nightlies",
                    "expireDays": 10,
                    "packagePrefix": [],
                    "versionPrefix": ["dev", "rc"],
                }
            ],
        ),
        reg(
            "data",
            None,
            "hf-models",
            "HUGGINGFACE",
            "Hugging Face models, pulled through the firewall",
            _upstream("HuggingFace", "https://huggingface.co", "Anonymous", "QUARANTINE"),
            created=60,
            modified=5,
            uuid="8c2f4a6e-0b9d-4e31-a7c5-2f1e6d3b9a07",
            labels=["ml"],
        ),
        # The project `platform/ci`: a busy registry, to show how long lists are cut.
        reg(
            "platform",
            "ci",
            "build-cache",
            "GENERIC",
            "Build outputs shared between pipeline stages: compiled assets, test reports, coverage, "
            "SBOMs and the odd core dump. Anything here can be rebuilt, so the cleanup rules are strict; "
            "ask #platform-ci before pinning something for longer than a week.",
            _virtual(None),
            created=365,
            modified=0.5,
            uuid="1e6b3d8f-5a2c-4f70-9d1b-7c4e0a8f2b65",
            labels=[
                "ci",
                "cache",
                "platform",
                "assets",
                "reports",
                "coverage",
                "sbom",
                "linux",
                "macos",
                "windows",
                "arm64",
                "amd64",
                "nightly",
                "ephemeral",
            ],
            cleanupPolicy=[
                {
                    "name": f"expire-{prefix}",
                    "expireDays": days,
                    "packagePrefix": [prefix],
                    "versionPrefix": [],
                }
                for prefix, days in (
                    ("assets", 7),
                    ("reports", 14),
                    ("coverage", 14),
                    ("sbom", 30),
                    ("core", 2),
                    ("tmp", 1),
                )
            ],
        ),
    )


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"code": str(status), "message": message}, status=status)


class SandboxHarness:
    """The sandbox's HTTP server. `slow_seconds` is how long `slow` takes: longer than the bot waits."""

    def __init__(self, *, slow_seconds: float, now_ms: int | None = None) -> None:
        self.slow_seconds = min(slow_seconds, LONGEST_SLOW_ANSWER)
        self.registries = registries(now_ms)
        self._by_ref = {registry.ref: registry for registry in self.registries}
        self._errors = {error.name: error for error in ERROR_NAMES}
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """What the bot's HARNESS_BASE_URL becomes."""
        return f"http://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        # handler_cancellation: a `slow` answer stops waiting as soon as the bot hangs up.
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.split("?", 1)[0]
        if request.method != "GET" or not path.startswith(API_PREFIX):
            return web.Response(status=404, text="404 page not found")
        if request.headers.get("x-api-key") != API_KEY:
            return web.json_response({"message": "Unauthorized"}, status=401)
        ref = path.removeprefix(API_PREFIX)
        if not ref.endswith("/+"):
            return web.Response(status=404, text="404 page not found")
        parts = ref.removesuffix("/+").split("/")
        if not 2 <= len(parts) <= 4 or parts[0] != ACCOUNT:
            return _error(404, "registry not found")
        error = self._errors.get(parts[-1])
        if error is not None:
            return await self._fail(error, ref)
        registry = self._by_ref.get(ref)
        if registry is None:
            return _error(404, f"registry '{parts[-1]}' not found")
        return web.json_response({"status": "SUCCESS", "data": registry.data})

    async def _fail(self, error: ErrorName, ref: str) -> web.StreamResponse:
        name = error.name
        if name == "forbidden":
            return _error(403, "forbidden: the principal has no permission to view registries in this scope")
        if name == "broken":
            return _error(500, "internal server error")
        if name == "busy":
            return web.json_response(
                {"code": "429", "message": "rate limit exceeded"}, status=429, headers={"Retry-After": "1"}
            )
        if name == "garbled":
            return web.json_response({"status": "FAILURE", "data": None})
        # slow: answer, correctly, but only after the bot has stopped waiting.
        await asyncio.sleep(self.slow_seconds)
        logger.debug("sandbox answered slowly ref=%s", ref)
        body = {"identifier": name, "packageType": "GENERIC", "url": f"{PKG_HOST}/{ACCOUNT}/{name}"}
        return web.Response(
            text=json.dumps({"status": "SUCCESS", "data": body}), content_type="application/json"
        )
