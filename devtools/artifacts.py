"""The sandbox's artifacts: what the Harness stand-in serves inside its registries.

- `payments/checkout/docker-prod`: `checkout-api` (a multi-arch tag `2.14.0`, a quarantined `2.13.0-rc1`,
  and enough older tags to page), and `payments/worker`, a name with a slash;
- `payments/helm-charts`: the `checkout` chart;
- `payments/maven-releases`: `com.example.payments:ledger`, with its jar, pom and checksums;
- `shared-tools` (generic): `harness-cli-bundle`, a tarball and its signature.

`answer()` serves the artifact endpoints for a registry as Harness's server does (NOTES.md): 0-based
`page`, `size` (default 10, `page` ignored without it), `search_term` a substring, `sort_order=DESC`
newest first; an unknown artifact is a 404, an unknown Docker tag a 500 "manifest not found".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from devtools.registries import ACCOUNT, DAY_MS, PKG_HOST

DEFAULT_PAGE_SIZE: Final = 10
OLD_TAGS: Final = 24
"""Older checkout-api tags, so the versions list has more than one page."""


def digest_of(text: str) -> str:
    """A made-up but well-formed sha256 digest, the same for the same text."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: str
    body: str


@dataclass(frozen=True)
class StoredVersion:
    """One version: a Docker/Helm tag (with its platforms) or a package version (with its files)."""

    name: str
    age_days: float
    size: str
    created_by: str
    downloads: int
    platforms: tuple[str, ...] = ()
    quarantine: str = ""
    files: tuple[StoredFile, ...] = ()

    def digest(self, artifact: str, platform: str = "") -> str:
        return digest_of(f"{artifact}:{self.name}:{platform}")


@dataclass(frozen=True)
class StoredArtifact:
    name: str
    package_type: str
    labels: tuple[str, ...]
    versions: tuple[StoredVersion, ...]
    """Newest first."""
    downloads: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _docker() -> tuple[StoredArtifact, ...]:
    old = tuple(
        StoredVersion(f"2.{12 - i // 4}.{3 - i % 4}", 20 + 3 * i, f"{180 + i}.4MB", "ci-bot", 40 - i)
        for i in range(OLD_TAGS)
    )
    api = StoredArtifact(
        "checkout-api",
        "DOCKER",
        ("payments", "prod"),
        (
            StoredVersion("2.14.0", 0.2, "212.7MB", "alice@example.com", 318, ("linux/amd64", "linux/arm64")),
            StoredVersion("2.13.2", 6, "209.1MB", "ci-bot", 1204, ("linux/amd64",)),
            StoredVersion(
                "2.13.0-rc1",
                14,
                "208.8MB",
                "bob@example.com",
                3,
                ("linux/amd64",),
                quarantine="CVE-2024-3094 (critical) in xz-utils 5.6.0",
            ),
            *(
                StoredVersion(v.name, v.age_days, v.size, v.created_by, v.downloads, ("linux/amd64",))
                for v in old
            ),
        ),
        downloads=5120,
    )
    worker = StoredArtifact(
        "payments/worker",
        "DOCKER",
        (),
        (StoredVersion("1.0.3", 2, "88.0MB", "ci-bot", 12, ("linux/amd64",)),),
        downloads=12,
    )
    return (api, worker)


def _helm() -> tuple[StoredArtifact, ...]:
    return (
        StoredArtifact(
            "checkout",
            "HELM",
            ("helm",),
            (
                StoredVersion("1.4.0", 1, "12.4KB", "alice@example.com", 44),
                StoredVersion("1.3.2", 30, "12.1KB", "ci-bot", 210),
            ),
            downloads=254,
        ),
    )


def _maven() -> tuple[StoredArtifact, ...]:
    files = (
        StoredFile("ledger-3.2.1.jar", "1.8MB", "jar"),
        StoredFile("ledger-3.2.1.pom", "2.3KB", "pom"),
        StoredFile("ledger-3.2.1-sources.jar", "640.2KB", "sources"),
    )
    return (
        StoredArtifact(
            "com.example.payments:ledger",
            "MAVEN",
            ("java",),
            (
                StoredVersion("3.2.1", 3, "2.4MB", "release-bot", 77, files=files),
                StoredVersion("3.2.0", 40, "2.4MB", "release-bot", 512, files=files[:2]),
            ),
            downloads=589,
            extra={"groupId": "com.example.payments", "artifactId": "ledger"},
        ),
    )


def _generic() -> tuple[StoredArtifact, ...]:
    files = (
        StoredFile("harness-cli.tar.gz", "14.2MB", "cli"),
        StoredFile("harness-cli.tar.gz.sig", "566B", "sig"),
    )
    return (
        StoredArtifact(
            "harness-cli-bundle",
            "GENERIC",
            ("tools",),
            (StoredVersion("1.0.0", 8, "14.2MB", "carol@example.com", 930, files=files),),
            downloads=930,
        ),
    )


CATALOG: Final[dict[str, tuple[StoredArtifact, ...]]] = {
    f"{ACCOUNT}/payments/checkout/docker-prod/+": _docker(),
    f"{ACCOUNT}/payments/helm-charts/+": _helm(),
    f"{ACCOUNT}/payments/maven-releases/+": _maven(),
    f"{ACCOUNT}/shared-tools/+": _generic(),
}
"""Artifacts by registry_ref, as the stand-in's registries hold them."""


Answer = tuple[int, dict[str, Any]]


def answer(
    ref: str,
    tail: str,
    query: dict[str, list[str]],
    *,
    now_ms: int,
    catalog: dict[str, tuple[StoredArtifact, ...]],
) -> Answer | None:
    """The answer for `registry/{ref}/{tail}` (tail as sent: `artifacts`, `artifact/{name}/+/…`), or None
    when the path is not an artifact endpoint."""
    artifacts = catalog.get(ref)
    registry = ref.removesuffix("/+").rsplit("/", 1)[-1]
    if tail == "artifacts":
        if artifacts is None:
            return _error(404, "registry not found")
        return _ok(_artifact_page([a for a in artifacts], registry, ref, query, now_ms))
    if not tail.startswith("artifact/") or "/+/" not in tail:
        return None
    raw_name, _, rest = tail.removeprefix("artifact/").partition("/+/")
    name = unquote(raw_name)
    found = next((a for a in artifacts or () if a.name == name), None)
    if artifacts is None:
        return _error(404, "registry not found")
    if found is None:
        return _error(404, f"artifact {name!r} not found")
    if rest == "summary":
        return _ok(_summary(found, now_ms))
    if rest == "versions":
        return _ok(_version_page(found, registry, ref, query, now_ms))
    if not rest.startswith("version/"):
        return None
    raw_version, _, operation = rest.removeprefix("version/").partition("/")
    return _version_answer(found, unquote(raw_version), operation, registry, query, now_ms)


def _version_answer(
    artifact: StoredArtifact,
    wanted: str,
    operation: str,
    registry: str,
    query: dict[str, list[str]],
    now_ms: int,
) -> Answer | None:
    version = next((v for v in artifact.versions if wanted in (v.name, v.digest(artifact.name))), None)
    docker = operation in ("docker/details", "docker/manifests")
    if version is None:
        # Harness's server maps an unknown tag to a 500 on the Docker endpoints, a 404 elsewhere.
        return _error(500, "manifest not found") if docker else _error(404, "Artifact version not found")
    created = _ms(version.age_days, now_ms)
    pull = _pull(artifact, version, registry)
    if operation == "details":
        return _ok(
            {
                "name": artifact.name,
                "version": version.name,
                "packageType": artifact.package_type,
                "size": version.size,
                "downloadCount": version.downloads,
                "createdAt": created,
                "modifiedAt": created,
                "createdBy": version.created_by,
                "isQuarantined": bool(version.quarantine),
                "quarantineReason": version.quarantine or None,
                **({"pullCommand": pull} if artifact.package_type in ("DOCKER", "HELM") else {}),
                **artifact.extra,
            }
        )
    if operation == "docker/manifests":
        return _ok(
            {
                "imageName": artifact.name,
                "version": version.name,
                "manifests": [
                    {
                        "digest": version.digest(artifact.name, platform),
                        "osArch": platform,
                        "size": version.size,
                        "createdAt": created,
                        "downloadsCount": version.downloads // len(version.platforms),
                        "isQuarantined": bool(version.quarantine),
                        "quarantineReason": version.quarantine or None,
                    }
                    for platform in version.platforms
                ],
            }
        )
    if operation in ("docker/details", "helm/details"):
        digests = [version.digest(artifact.name, p) for p in version.platforms] or [
            version.digest(artifact.name)
        ]
        digest = query.get("digest", [""])[0]
        image = f"{_host(registry)}/{artifact.name}"
        if operation == "docker/details" and digest not in digests:
            return _error(500, "manifest not found")
        return _ok(
            {
                "imageName": artifact.name,
                "artifact": artifact.name,
                "version": version.name,
                "packageType": artifact.package_type,
                "registryPath": f"{registry}/{artifact.name}/{digest or digests[0]}",
                "url": f"{PKG_HOST}/{ACCOUNT}/{registry}/{artifact.name}/{version.name}",
                "size": version.size,
                "downloadsCount": version.downloads,
                "createdAt": created,
                "modifiedAt": created,
                "pullCommand": pull,
                "pullCommandByDigest": f"docker pull {image}@{digest or digests[0]}",
                "isQuarantined": bool(version.quarantine),
                "quarantineReason": version.quarantine or None,
            }
        )
    if operation == "files":
        files = [
            {
                "name": f.name,
                "size": f.size,
                "checksums": [f"SHA-256: {digest_of(f.body).removeprefix('sha256:')}", f"MD5: {f.body}"],
                "downloadCommand": f"curl -O {PKG_HOST}/{ACCOUNT}/{registry}/files/{f.name}",
                "createdAt": created,
                "path": f"/{artifact.name}/{version.name}/{f.name}",
            }
            for f in version.files
        ]
        page, size, index = _paging(query)
        shown = files[page * size : page * size + size]
        return 200, {"status": "SUCCESS", "files": shown, **_counts(len(files), size, index)}
    if operation == "summary":
        return _ok(
            {"imageName": artifact.name, "version": version.name, "packageType": artifact.package_type}
        )
    return None


def _summary(artifact: StoredArtifact, now_ms: int) -> dict[str, Any]:
    newest, oldest = artifact.versions[0], artifact.versions[-1]
    return {
        "imageName": artifact.name,
        "packageType": artifact.package_type,
        "labels": list(artifact.labels) or None,
        "downloadsCount": artifact.downloads,
        "createdAt": _ms(oldest.age_days, now_ms),
        "modifiedAt": _ms(newest.age_days, now_ms),
        "isQuarantined": any(v.quarantine for v in artifact.versions),
    }


def _artifact_page(
    artifacts: list[StoredArtifact], registry: str, ref: str, query: dict[str, list[str]], now_ms: int
) -> dict[str, Any]:
    term = query.get("search_term", [""])[0]
    chosen = sorted((a for a in artifacts if term in a.name), key=lambda a: a.name)
    if query.get("sort_order", [""])[0] == "DESC":
        chosen.reverse()
    page, size, index = _paging(query)
    rows = [
        {
            "name": a.name,
            "registryIdentifier": registry,
            "registryPath": ref.removesuffix("/+"),
            "packageType": a.package_type,
            "latestVersion": a.versions[0].name,
            "labels": list(a.labels) or None,
            "downloadsCount": a.downloads,
            "lastModified": _ms(a.versions[0].age_days, now_ms),
            "isQuarantined": any(v.quarantine for v in a.versions),
        }
        for a in chosen[page * size : page * size + size]
    ]
    return {"artifacts": rows, **_counts(len(chosen), size, index)}


def _version_page(
    artifact: StoredArtifact, registry: str, ref: str, query: dict[str, list[str]], now_ms: int
) -> dict[str, Any]:
    term = query.get("search_term", [""])[0]
    chosen = [v for v in artifact.versions if term in v.name]
    if query.get("sort_order", [""])[0] != "DESC":
        chosen.reverse()  # the stored order is newest first
    page, size, index = _paging(query)
    rows = [
        {
            "name": v.name,
            "registryIdentifier": registry,
            "registryPath": ref.removesuffix("/+"),
            "packageType": artifact.package_type,
            "size": v.size,
            "digestCount": len(v.platforms) or None,
            "fileCount": len(v.files) or None,
            "downloadsCount": v.downloads,
            "lastModified": _ms(v.age_days, now_ms),
            "pullCommand": _pull(artifact, v, registry),
            "isQuarantined": bool(v.quarantine),
            "quarantineReason": v.quarantine or None,
        }
        for v in chosen[page * size : page * size + size]
    ]
    return {"artifactVersions": rows, **_counts(len(chosen), size, index)}


def _paging(query: dict[str, list[str]]) -> tuple[int, int, int]:
    """(page, size, pageIndex as reported): without `size` Harness uses 10 and ignores `page`."""
    try:
        size = int(query["size"][0]) if "size" in query else DEFAULT_PAGE_SIZE
        page = int(query["page"][0]) if "size" in query and "page" in query else 0
    except ValueError:
        return 0, DEFAULT_PAGE_SIZE, 0
    size = max(size, 1)
    return max(page, 0), size, page if "size" in query and "page" in query else 1


def _counts(total: int, size: int, index: int) -> dict[str, int]:
    return {"itemCount": total, "pageCount": -(-total // size), "pageIndex": index, "pageSize": size}


def _host(registry: str) -> str:
    return f"pkg.harness.io/{ACCOUNT.lower()}/{registry}"


def _pull(artifact: StoredArtifact, version: StoredVersion, registry: str) -> str:
    if artifact.package_type == "DOCKER":
        return f"docker pull {_host(registry)}/{artifact.name}:{version.name}"
    if artifact.package_type == "HELM":
        return f"helm pull oci://{_host(registry)}/{artifact.name} --version {version.name}"
    return ""


def _ms(days_ago: float, now_ms: int) -> str:
    return str(int(now_ms - days_ago * DAY_MS))


def _ok(data: dict[str, Any]) -> Answer:
    return 200, {"status": "SUCCESS", "data": data}


def _error(status: int, message: str) -> Answer:
    return status, {"code": str(status), "message": message}
