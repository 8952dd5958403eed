"""Harness's own spec, served by Prism with random valid bodies: the client must parse every one or raise
InvalidResponse (never anything else), and the cards built from what it parsed stay inside Block Kit's
limits. Covers the list, the client set-up and the registry endpoints, and the artifact, version,
details, Docker details and manifests, Helm details and files endpoints (issue 16).

Prism (`@stoplight/prism-cli`, npm) routes by the spec's path templates, where a parameter is one
segment; the bot's references are several (`acc/org/proj/reg/+`). So Prism serves a copy of
docs/harness/swagger.yaml whose three paths are written out for the references used here: the schemas,
which are what is tested, are Harness's own, unchanged. Prism serves at its root, so the client's base URL
is Prism's URL.

Skipped when Prism is not installed (`npm install --prefix .ci`, as .ci/run does) unless
HARBOT_REQUIRE_PRISM is set, as it is in CI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cards import CardOptions, registry_card
from bot.cards.artifact import artifact_card, artifacts_page, compact_artifact, versions_page
from bot.cards.listing import Page, Row, list_card
from bot.cards.pull import pull_steps
from bot.cards.version import compact_version, version_card
from bot.harness.artifacts import VersionFacts
from bot.harness.client import HarnessClient
from bot.harness.errors import InvalidResponse
from bot.refs import ArtifactRef, RegistryRef, SpaceRef, VersionRef, ref_from_path
from tests.blockkit import assert_valid_blocks
from tests.conftest import HARNESS_KEY

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "harness" / "swagger.yaml"
LOCAL_PRISM = ROOT / ".ci" / "node_modules" / ".bin" / "prism"
PRISM = str(LOCAL_PRISM) if LOCAL_PRISM.exists() else shutil.which("prism")
REQUIRED = bool(os.environ.get("HARBOT_REQUIRE_PRISM"))
START_SECONDS = 60.0
ROUNDS = 40
"""Random bodies drawn per endpoint."""

SPACE = SpaceRef(account="acc_test", org="payments")
REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
API = "/har/api/v1"
PATHS = {
    "/spaces/{space_ref}/registries": f"{API}/spaces/{SPACE.path}/registries",
    "/registry/{registry_ref}/+/client-setup-details": f"{API}/registry/{REF.path}/client-setup-details",
    "/registry/{registry_ref}/+": f"{API}/registry/{REF.path}",
}
ARTIFACT = ArtifactRef(REF, "checkout-api")
VERSION = VersionRef(ARTIFACT, "2.14.0", "sha256:" + "ab" * 32)
ARTIFACT_PATHS = {
    "/registry/{registry_ref}/+/artifacts": f"{API}/registry/{REF.path}/artifacts",
    "/registry/{registry_ref}/+/artifact/{artifact}/+/summary": f"{API}/registry/{ARTIFACT.path}/summary",
    "/registry/{registry_ref}/+/artifact/{artifact}/+/versions": f"{API}/registry/{ARTIFACT.path}/versions",
    **{
        f"/registry/{{registry_ref}}/+/artifact/{{artifact}}/+/version/{{version}}/{tail}": (
            f"{API}/registry/{VERSION.path}/{tail}"
        )
        for tail in ("details", "docker/details", "docker/manifests", "helm/details", "files")
    },
}
"""The artifact endpoints (issue 16), written out the same way for ARTIFACT and VERSION."""
PATHS.update(ARTIFACT_PATHS)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PRISM is None and not REQUIRED,
        reason="no Prism (npm install --prefix .ci); set HARBOT_REQUIRE_PRISM=1 to fail instead",
    ),
]


def served_spec(
    directory: Path,
    paths: dict[str, str] = PATHS,
    *,
    methods: tuple[str, ...] = ("get",),
    name: str = "harness",
) -> Path:
    """The spec with only `paths` (template -> concrete path) and their `methods`, written out for the
    references used here (see the module docstring)."""
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    served: dict[str, Any] = {}
    for template, concrete in paths.items():
        item = spec["paths"][template]
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [p for p in operation["parameters"] if p.get("in") != "path"]
        served[concrete] = {method: item[method] for method in methods if method in item}
    spec["paths"] = served
    target = directory / f"{name}.yaml"
    target.write_text(yaml.safe_dump(spec))
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (a loopback URL)
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"Prism did not answer within {START_SECONDS:.0f}s") from None
            time.sleep(0.2)


@contextlib.contextmanager
def running_prism(spec: Path, probe: str, log_path: Path) -> Iterator[str]:
    """Prism mocking `spec` with --dynamic on a loopback port, up once `probe` (a path) answers; its URL."""
    if PRISM is None:
        pytest.fail("HARBOT_REQUIRE_PRISM is set, but Prism is not installed (npm install --prefix .ci)")
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [PRISM, "mock", "--dynamic", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}{probe}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prism serving the three endpoints; its base URL."""
    spec = served_spec(tmp_path_factory.mktemp("prism"))
    log = tmp_path_factory.getbasetemp() / "prism.log"
    with running_prism(spec, PATHS["/registry/{registry_ref}/+"], log) as url:
        yield url


@pytest.fixture
async def client(prism: str) -> AsyncIterator[HarnessClient]:
    instance = HarnessClient(base_url=prism, api_key=HARNESS_KEY, timeout=5.0, deadline=10.0, backoff=0.01)
    yield instance
    await instance.aclose()


async def test_any_list_body_from_the_spec_parses_or_is_invalid_and_its_card_is_valid(
    client: HarnessClient,
) -> None:
    parsed = 0
    for _ in range(ROUNDS):
        try:
            listing = await client.list_registries(SPACE, search_term="docker", page=0, size=20)
        except InvalidResponse:
            continue
        parsed += 1
        rows = [Row(registry=r, ref=ref_from_path(r.path)) for r in listing.registries]
        page = Page(title="Registries", rows=rows, page=0, total=listing.item_count, pages=listing.page_count)
        assert_valid_blocks(list_card(page).as_kwargs()["blocks"])
    assert parsed > 0, "no random list body from the spec parsed"


async def test_any_client_setup_body_from_the_spec_parses_or_is_invalid_and_its_steps_are_valid(
    client: HarnessClient,
) -> None:
    parsed = 0
    for _ in range(ROUNDS):
        try:
            details = await client.client_setup(REF)
        except InvalidResponse:
            continue
        parsed += 1
        assert_valid_blocks(pull_steps(details, REF, ui_base="https://app.harness.io").as_kwargs()["blocks"])
    assert parsed > 0, "no random client set-up body from the spec parsed"


async def test_any_registry_body_from_the_spec_parses_or_is_invalid_and_its_card_is_valid(
    client: HarnessClient,
) -> None:
    parsed = 0
    for _ in range(ROUNDS):
        try:
            registry = await client.get_registry(REF)
        except InvalidResponse:
            continue
        parsed += 1
        card = registry_card(
            registry, REF, ui_base="https://app.harness.io", options=CardOptions(shareable=True)
        )
        assert_valid_blocks(card.as_kwargs()["blocks"])
    assert parsed > 0, "no random registry body from the spec parsed"


UI = "https://app.harness.io"


async def _drawn(client: HarnessClient, call: Callable[[HarnessClient], Awaitable[Any]]) -> list[Any]:
    """ROUNDS answers of one call that parsed (InvalidResponse is the only other way allowed)."""
    parsed = []
    for _ in range(ROUNDS):
        try:
            parsed.append(await call(client))
        except InvalidResponse:
            continue
    assert parsed, "no random body from the spec parsed"
    return parsed


async def test_any_artifact_list_body_gives_a_valid_page(client: HarnessClient) -> None:
    for listed in await _drawn(client, lambda c: c.list_artifacts(REF, search_term="check")):
        assert_valid_blocks(artifacts_page(REF, listed, page=0).as_kwargs()["blocks"])


async def test_any_summary_and_versions_body_gives_a_valid_artifact_card(client: HarnessClient) -> None:
    summaries = await _drawn(client, lambda c: c.artifact_summary(ARTIFACT))
    versions = await _drawn(client, lambda c: c.list_versions(ARTIFACT))
    for summary, listed in zip(summaries, versions, strict=False):
        assert_valid_blocks(artifact_card(ARTIFACT, summary, listed, ui_base=UI).as_kwargs()["blocks"])
        assert_valid_blocks(versions_page(ARTIFACT, listed, page=0).as_kwargs()["blocks"])
        assert_valid_blocks(compact_artifact(ARTIFACT, summary, None, ui_base=UI)["blocks"])


async def test_any_version_bodies_give_a_valid_version_card(client: HarnessClient) -> None:
    details = await _drawn(client, lambda c: c.version_detail(VERSION))
    dockers = await _drawn(client, lambda c: c.docker_detail(VERSION))
    helms = await _drawn(client, lambda c: c.helm_detail(VERSION))
    manifests = await _drawn(client, lambda c: c.docker_manifests(VERSION))
    files = await _drawn(client, lambda c: c.version_files(VERSION))
    for detail, docker, helm, listed, some in zip(details, dockers, helms, manifests, files, strict=False):
        for facts in (VersionFacts(detail, docker, listed), VersionFacts(detail, helm, files=some)):
            assert_valid_blocks(version_card(VERSION, facts, ui_base=UI).as_kwargs()["blocks"])
            assert_valid_blocks(compact_version(VERSION, facts, ui_base=UI)["blocks"])
