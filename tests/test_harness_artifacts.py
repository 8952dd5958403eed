"""The client's artifact calls against the Harness stand-in, and where fuzzed names can send them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.harness.client import HarnessClient
from bot.harness.errors import NotFound, ServerError
from bot.refs import ArtifactRef, InvalidScope, RegistryRef, VersionRef
from devtools.artifacts import CATALOG, digest_of
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY

DOCKER_PROD = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
API = ArtifactRef(DOCKER_PROD, "checkout-api")
MULTI_ARCH = VersionRef(API, "2.14.0")
QUARANTINED = VersionRef(API, "2.13.0-rc1")
MAVEN = ArtifactRef(
    RegistryRef(account=ACCOUNT, org="payments", registry="maven-releases"), "com.example.payments:ledger"
)
HELM = ArtifactRef(RegistryRef(account=ACCOUNT, org="payments", registry="helm-charts"), "checkout")


@pytest.fixture
async def client() -> AsyncIterator[HarnessClient]:
    server = HarnessStandIn.sandbox(slow_seconds=1.0)
    await server.start()
    harness = HarnessClient(base_url=server.base_url, api_key=API_KEY, backoff=0.01, max_retries=0)
    yield harness
    await harness.aclose()
    await server.stop()


async def test_listing_a_registrys_artifacts_gives_each_its_latest_version(client: HarnessClient) -> None:
    listed = await client.list_artifacts(DOCKER_PROD)
    assert [(a.name, a.latest_version) for a in listed.artifacts] == [
        ("checkout-api", "2.14.0"),
        ("payments/worker", "1.0.3"),
    ]
    assert listed.item_count == 2


async def test_versions_come_newest_first_one_page_at_a_time(client: HarnessClient) -> None:
    first = await client.list_versions(API, size=5)
    second = await client.list_versions(API, size=5, page=1)
    assert [v.name for v in first.versions][:2] == ["2.14.0", "2.13.2"]
    assert len(first.versions) == len(second.versions) == 5
    assert not {v.name for v in first.versions} & {v.name for v in second.versions}
    assert first.item_count == len(CATALOG[DOCKER_PROD.path][0].versions)


async def test_a_multi_arch_tag_has_one_manifest_per_platform(client: HarnessClient) -> None:
    manifests = await client.docker_manifests(MULTI_ARCH)
    assert [m.os_arch for m in manifests.manifests] == ["linux/amd64", "linux/arm64"]
    assert all(m.digest.startswith("sha256:") for m in manifests.manifests)


async def test_docker_details_by_digest_say_how_to_pull_by_digest(client: HarnessClient) -> None:
    digest = (await client.docker_manifests(MULTI_ARCH)).manifests[1].digest
    detail = await client.docker_detail(VersionRef(API, "2.14.0", digest))
    assert detail.pull_command_by_digest.endswith(f"checkout-api@{digest}")
    assert detail.size == "212.7MB"


async def test_a_quarantined_version_says_why(client: HarnessClient) -> None:
    detail = await client.version_detail(QUARANTINED)
    assert detail.is_quarantined
    assert "CVE-2024-3094" in detail.quarantine_reason
    assert detail.created_by == "bob@example.com"


async def test_a_maven_version_lists_its_files_with_checksums(client: HarnessClient) -> None:
    files = await client.version_files(VersionRef(MAVEN, "3.2.1"))
    assert [f.name for f in files.files] == [
        "ledger-3.2.1.jar",
        "ledger-3.2.1.pom",
        "ledger-3.2.1-sources.jar",
    ]
    assert files.files[0].checksums[0].startswith("SHA-256: ")


async def test_a_helm_chart_version_has_its_pull_command(client: HarnessClient) -> None:
    detail = await client.helm_detail(VersionRef(HELM, "1.4.0"))
    assert detail.pull_command.startswith("helm pull oci://")


async def test_a_name_with_a_slash_reaches_its_artifact(client: HarnessClient) -> None:
    summary = await client.artifact_summary(ArtifactRef(DOCKER_PROD, "payments/worker"))
    assert summary.image_name == "payments/worker"


async def test_an_unknown_artifact_is_not_found(client: HarnessClient) -> None:
    with pytest.raises(NotFound):
        await client.artifact_summary(ArtifactRef(DOCKER_PROD, "checkout-apx"))


async def test_an_unknown_docker_tag_is_a_server_error_as_harness_answers_it(client: HarnessClient) -> None:
    with pytest.raises(ServerError):
        await client.docker_manifests(VersionRef(API, "9.9.9"))


async def test_docker_details_need_a_digest(client: HarnessClient) -> None:
    with pytest.raises(ValueError, match="digest"):
        await client.docker_detail(MULTI_ARCH)


def test_the_stand_ins_digests_are_well_formed() -> None:
    assert VersionRef(API, digest=digest_of("x")).digest == digest_of("x")


Call = Callable[[HarnessClient, VersionRef], Awaitable[object]]
CALLS: tuple[Call, ...] = (
    lambda c, v: c.list_artifacts(v.registry, search_term=v.artifact.name),
    lambda c, v: c.artifact_summary(v.artifact),
    lambda c, v: c.list_versions(v.artifact, search_term=v.version),
    lambda c, v: c.version_detail(v),
    lambda c, v: c.docker_detail(v) if v.digest else c.docker_manifests(v),
    lambda c, v: c.helm_detail(v),
    lambda c, v: c.version_files(v),
)
HOSTILE = (
    st.text(st.characters(codec="utf-8"), max_size=40)
    | st.text("ab1._:@/+-%?#", min_size=1, max_size=20)
    | st.sampled_from(
        [
            "..",
            "a/../b",
            "a%2F..",
            "x?y",
            "x#y",
            "a/+/b",
            "@s/x",
            "1.0+b",
            "a:b",
            "../../admin",
            "a//b",
            "%00",
        ]
    )
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE, version=HOSTILE, digest=st.none() | HOSTILE | st.just(digest_of("d")))
async def test_fuzzed_text_only_reaches_the_registrys_artifact_paths(
    name: str, version: str, digest: str | None
) -> None:
    try:
        ref = VersionRef(ArtifactRef(DOCKER_PROD, name), version, digest)
    except InvalidScope:
        return
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"message": "no"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = HarnessClient(base_url="https://harness.test/gateway", api_key="k", http=http, max_retries=0)
        for call in CALLS:
            with pytest.raises(NotFound):
                await call(client, ref)
    registry_path = f"/gateway/har/api/v1/registry/{DOCKER_PROD.path}/"
    for request in seen:
        assert request.url.host == "harness.test"
        raw = request.url.raw_path.decode().split("?", 1)[0]
        assert raw.startswith(registry_path)
        rest = raw.removeprefix(registry_path)
        if rest == "artifacts":
            continue
        segment, _, tail = rest.removeprefix("artifact/").partition("/+/")
        assert rest.startswith("artifact/")
        assert "/" not in segment
        assert unquote(segment) == name
        assert tail in ("summary", "versions") or tail.startswith("version/")
        if tail.startswith("version/"):
            version_segment, _, operation = tail.removeprefix("version/").partition("/")
            assert unquote(version_segment) == version
            assert operation in ("details", "docker/details", "docker/manifests", "helm/details", "files")
