"""The sandbox data set: fourteen made-up registries in every scope, package type and registry type.

Plugged into the Harness stand-in (`HarnessStandIn.sandbox()`), it is what the playground shows without
HARNESS_API_KEY, and what tests list, search and look up. The bodies are shaped as Harness SaaS sends
them: epoch-millisecond strings, `null` lists where Harness sends them, secret *references* under `auth`.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any, Final

ACCOUNT: Final = "px7xd_BFRCi-pfWPYXVjvw"
API_KEY: Final = f"pat.{ACCOUNT}.playground.sandbox-not-a-secret"
"""The key the bot sends to the sandbox. It guards nothing: the stand-in only answers on loopback."""
PKG_HOST: Final = "https://pkg.harness.io/pkg"
NOT_FOUND_EXAMPLE: Final = "docker-prd"
"""A name the page suggests for "not found": a typo of docker-prod. Any absent name does the same."""

DAY_MS: Final = 24 * 3600 * 1000


@dataclass(frozen=True)
class StoredRegistry:
    """One registry the Harness stand-in holds: where it lives and its `data` body, as Harness sends it."""

    org: str | None
    project: str | None
    data: dict[str, Any]
    account: str = ACCOUNT

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
        return f"{self.account}/{self.short}/+"

    @property
    def deleted(self) -> bool:
        """Soft-deleted: looked up it still answers (with `deletedAt`), but lists leave it out."""
        return bool(self.data.get("deletedAt"))

    def metadata(self) -> dict[str, Any]:
        """The registry as the list endpoint shows it (RegistryMetadata); the counts are made up."""
        seed = zlib.crc32(self.name.encode())
        config = self.data.get("config")
        return {
            "identifier": self.name,
            "packageType": self.data.get("packageType"),
            "type": config.get("type") if isinstance(config, dict) else None,
            "url": self.data.get("url"),
            "path": f"{self.account}/{self.short}",
            "description": self.data.get("description", ""),
            "labels": self.data.get("labels"),
            "lastModified": self.data.get("modifiedAt"),
            "artifactsCount": seed % 400,
            "downloadsCount": seed % 90_000,
            "registrySize": f"{seed % 9_000 / 10:.1f} MB",
        }


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
) -> StoredRegistry:
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
    return StoredRegistry(org=org, project=project, data=data)


def registries(now_ms: int | None = None) -> tuple[StoredRegistry, ...]:
    """The sandbox's registries: every scope, package type and registry type the card draws.

    Dates are relative to `now_ms` (default: now), so "modified today" reads as it should.
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms

    def reg(*args: Any, **kwargs: Any) -> StoredRegistry:
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
