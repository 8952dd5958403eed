"""The artifact and version cards, their pages and unfurls: what they say, and that Slack takes them.

Bodies come from the Harness stand-in's catalog (`devtools.artifacts.answer`, as the server shapes them),
then from hypothesis: hostile bodies must still give valid Block Kit and never raise.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards.artifact import (
    ACTION_ARTIFACT_OPEN,
    ACTION_VERSIONS,
    MAX_ROWS,
    artifact_card,
    artifact_value,
    artifacts_page,
    compact_artifact,
    not_found,
    read_registry_value,
    read_value,
    registry_value,
    versions_page,
)
from bot.cards.blocks import Reply
from bot.cards.version import (
    ACTION_FULL_DIGEST,
    ACTION_VERSION_OPEN,
    compact_version,
    full_digest,
    short_digest,
    version_card,
)
from bot.harness.artifacts import (
    ArtifactList,
    ArtifactSummary,
    DockerDetail,
    FileList,
    Manifests,
    VersionDetail,
    VersionFacts,
    VersionList,
)
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from devtools.artifacts import CATALOG, answer
from tests.blockkit import assert_valid_blocks
from tests.cardcheck import (
    ACCOUNT,
    UI,
    as_json,
    assert_code_spans_closed,
    assert_no_foreign_markup,
    buttons,
    checked,
    everything,
    fields,
)

NOW = 1_765_000_000_000
DOCKER_PROD = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
API = ArtifactRef(DOCKER_PROD, "checkout-api")
MAVEN = ArtifactRef(
    RegistryRef(account=ACCOUNT, org="payments", registry="maven-releases"), "com.example.payments:ledger"
)


def served(ref: ArtifactRef | RegistryRef, tail: str, **query: str) -> Any:
    registry = ref if isinstance(ref, RegistryRef) else ref.registry
    result = answer(registry.path, tail, {k: [v] for k, v in query.items()}, now_ms=NOW, catalog=CATALOG)
    assert result is not None
    status, body = result
    assert status == 200, body
    return body


def summary(ref: ArtifactRef) -> ArtifactSummary:
    return ArtifactSummary.model_validate(served(ref, f"artifact/{ref.name_segment}/+/summary")["data"])


def versions(ref: ArtifactRef, page: int = 0) -> VersionList:
    body = served(
        ref, f"artifact/{ref.name_segment}/+/versions", page=str(page), size=str(MAX_ROWS), sort_order="DESC"
    )
    return VersionList.model_validate(body["data"])


def facts(ref: VersionRef) -> VersionFacts:
    base = f"artifact/{ref.artifact.name_segment}/+/version/{ref.version_segment}"
    detail = VersionDetail.model_validate(served(ref.artifact, f"{base}/details")["data"])
    if detail.package_type != "DOCKER":
        return VersionFacts(
            detail=detail, files=FileList.model_validate(served(ref.artifact, f"{base}/files", size="20"))
        )
    manifests = Manifests.model_validate(served(ref.artifact, f"{base}/docker/manifests")["data"])
    digest = ref.digest or manifests.manifests[0].digest
    docker = DockerDetail.model_validate(
        served(ref.artifact, f"{base}/docker/details", digest=digest)["data"]
    )
    return VersionFacts(detail=detail, docker=docker, manifests=manifests)


def resolved(ref: VersionRef) -> tuple[VersionRef, VersionFacts]:
    found = facts(ref)
    if ref.digest is None and found.manifests is not None:
        ref = VersionRef(ref.artifact, ref.version, found.manifests.manifests[0].digest)
    return ref, found


def compact_checked(payload: dict[str, Any]) -> dict[str, Any]:
    as_json(payload)
    assert set(payload) == {"blocks"}
    assert_valid_blocks(payload["blocks"])
    assert_no_foreign_markup(payload)
    return payload


def test_the_artifact_card_says_what_the_artifact_is() -> None:
    payload = checked(artifact_card(API, summary(API), versions(API), ui_base=UI, requested_by="U123"))
    grid = fields(payload)
    assert grid["Latest version"] == "`2.14.0`"
    assert grid["Versions"] == str(len(CATALOG[DOCKER_PROD.path][0].versions))
    assert grid["Downloads"] == "5120"
    assert "`payments` `prod`" in grid["Labels"]
    assert "Quarantined" in everything(payload)
    assert "docker-prod" in everything(payload)
    assert buttons(payload)[ACTION_ARTIFACT_OPEN]["url"].endswith(
        "/registries/docker-prod/artifacts/checkout-api"
    )
    assert read_value(buttons(payload)[ACTION_VERSIONS]["value"]) == (API, 0)


def test_the_versions_page_is_newest_first_and_each_row_opens_its_version() -> None:
    payload = checked(versions_page(API, versions(API), page=0))
    rows = [b for b in payload["blocks"] if b.get("accessory")]
    assert len(rows) == MAX_ROWS
    assert rows[0]["text"]["text"].startswith("`2.14.0`")
    assert read_value(rows[0]["accessory"]["value"]) == (VersionRef(API, "2.14.0"), 0)
    nav = {e["text"]["text"]: e for e in payload["blocks"][-1]["elements"]}
    assert read_value(nav["Next ▶"]["value"]) == (API, 1)


def test_the_last_page_of_versions_has_no_next_button() -> None:
    last = (len(CATALOG[DOCKER_PROD.path][0].versions) - 1) // MAX_ROWS
    payload = checked(versions_page(API, versions(API, last), page=last))
    labels = {e["text"]["text"] for e in payload["blocks"][-1]["elements"]}
    assert "Next ▶" not in labels
    assert "◀ Previous" in labels


def test_a_registrys_artifacts_show_their_latest_versions() -> None:
    listed = ArtifactList.model_validate(served(DOCKER_PROD, "artifacts", size="10")["data"])
    payload = checked(artifacts_page(DOCKER_PROD, listed, page=0))
    text = everything(payload)
    assert "`checkout-api`" in text
    assert "latest `2.14.0`" in text
    rows = [b for b in payload["blocks"] if b.get("accessory")]
    assert read_value(rows[1]["accessory"]["value"]) == (ArtifactRef(DOCKER_PROD, "payments/worker"), 0)


def test_the_version_card_has_digest_size_pusher_and_both_pull_commands() -> None:
    ref, found = resolved(VersionRef(API, "2.14.0"))
    payload = checked(version_card(ref, found, ui_base=UI))
    grid = fields(payload)
    assert ref.digest is not None
    assert grid["Digest"] == f"`{short_digest(ref.digest)}`"
    assert grid["Size"] == "212.7MB"
    assert grid["Pushed by"] == "alice@example.com"
    assert "<!date^" in grid["Pushed"]
    text = everything(payload)
    assert f"```docker pull pkg.harness.io/{ACCOUNT.lower()}/docker-prod/checkout-api:2.14.0```" in text
    assert f"checkout-api@{ref.digest}```" in text
    assert "`linux/amd64`" in text
    assert "`linux/arm64`" in text
    assert buttons(payload)[ACTION_VERSION_OPEN]["url"].endswith(f"/versions/2.14.0?digest={ref.digest}")
    assert read_value(buttons(payload)[ACTION_FULL_DIGEST]["value"]) == (ref, 0)
    assert_code_spans_closed(text)


def test_a_quarantined_version_says_so_and_why() -> None:
    ref, found = resolved(VersionRef(API, "2.13.0-rc1"))
    text = everything(checked(version_card(ref, found, ui_base=UI)))
    assert "*Quarantined*: CVE-2024-3094 (critical) in xz-utils 5.6.0" in text


def test_a_maven_version_lists_its_files_with_checksums() -> None:
    ref, found = resolved(VersionRef(MAVEN, "3.2.1"))
    text = everything(checked(version_card(ref, found, ui_base=UI)))
    assert "*Files* (3)" in text
    assert "`ledger-3.2.1.jar` · 1.8MB · SHA-256 `" in text
    assert "Pull by digest" not in text


def test_the_version_unfurl_is_small_and_has_the_pull_by_digest() -> None:
    ref, found = resolved(VersionRef(API, "2.14.0"))
    payload = compact_checked(compact_version(ref, found, ui_base=UI))
    assert len(payload["blocks"]) == 3
    text = everything(payload)
    assert "pushed by alice@example.com" in text
    assert "212.7MB" in text
    assert f"@{ref.digest}```" in text


def test_the_artifact_unfurl_is_one_link_and_one_line() -> None:
    payload = compact_checked(compact_artifact(API, summary(API), "2.14.0", ui_base=UI))
    assert len(payload["blocks"]) == 2
    assert "latest `2.14.0`" in everything(payload)


def test_full_digest_gives_the_whole_digest() -> None:
    ref, _ = resolved(VersionRef(API, "2.14.0"))
    reply = full_digest(ref)
    assert ref.digest is not None
    assert ref.digest in everything(checked(reply))


@pytest.mark.parametrize(
    ("missing", "ref", "said"),
    [
        ("registry", DOCKER_PROD, "couldn't find a registry named `docker-prod`"),
        (
            "artifact",
            ArtifactRef(DOCKER_PROD, "checkout-apx"),
            "couldn't find an artifact named `checkout-apx`",
        ),
        ("version", VersionRef(API, "2.14.1"), "couldn't find version `2.14.1` of `checkout-api`"),
    ],
)
def test_not_found_says_which_part_and_offers_close_names(missing: Any, ref: Any, said: str) -> None:
    choices = [VersionRef(API, f"2.14.{i}") for i in range(7)]
    payload = checked(not_found(missing, ref, choices))
    assert said in everything(payload)
    assert len(payload["blocks"][-1]["elements"]) == 5


def test_not_found_without_choices_says_what_to_try() -> None:
    text = everything(checked(not_found("artifact", ArtifactRef(DOCKER_PROD, "nope"))))
    assert "paste the link from Harness" in text


def test_button_values_round_trip_and_junk_is_refused() -> None:
    digest = "sha256:" + "a" * 64
    for ref in (
        API,
        VersionRef(API, "1.0+b"),
        VersionRef(API, "1.0", digest),
        VersionRef(API, digest=digest),
    ):
        assert read_value(artifact_value(ref, 3)) == (ref, 3)
    assert read_registry_value(registry_value(DOCKER_PROD, 2)) == (DOCKER_PROD, 2)
    for junk in (
        "",
        "x",
        "acc/reg/+/artifact/../+",
        f"{API.path}/version/a%2Fb",
        "9999999|" + API.path,
        "1|x/+",
    ):
        assert read_value(junk) is None, junk
    assert read_registry_value("1|../+") is None


# --- Hostile bodies ------------------------------------------------------------------------------------

NASTY = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    [
        "",
        " ",
        "<!channel>",
        "&lt;",
        "`",
        "```",
        "*_~",
        "\u202e",
        "\x00\x1b[31m",
        "x" * 10_000,
        "🐳" * 3000,
        "<@U1>",
    ]
)
COUNT = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
WHEN = st.none() | NASTY | st.integers(min_value=-(10**20), max_value=10**20).map(str)


def _version_row() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "name": NASTY,
            "size": NASTY,
            "digestCount": COUNT,
            "downloadsCount": COUNT,
            "lastModified": WHEN,
            "isQuarantined": st.none() | st.booleans(),
            "quarantineReason": st.none() | NASTY,
        },
    )


HOSTILE_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_sendable(reply: Reply) -> None:
    payload = checked(reply)
    assert_no_foreign_markup(payload)
    assert len(json.dumps(payload)) < 40_000


@HOSTILE_SETTINGS
@given(
    rows=st.lists(_version_row(), max_size=12) | st.just([{"name": "v" * 200}] * 3000),
    total=COUNT,
    page=st.integers(min_value=0, max_value=10**6),
    labels=st.none() | st.lists(NASTY, max_size=300),
    name=NASTY,
)
def test_hostile_versions_and_summaries_still_give_valid_cards(
    rows: list[dict[str, Any]], total: int | None, page: int, labels: list[str] | None, name: str
) -> None:
    listed = VersionList.model_validate({"artifactVersions": rows, "itemCount": total})
    about = ArtifactSummary.model_validate(
        {"imageName": name, "packageType": name, "labels": labels, "modifiedAt": name}
    )
    assert_sendable(artifact_card(API, about, listed, ui_base=UI, shareable=True))
    assert_sendable(versions_page(API, listed, page=page))
    compact_checked(compact_artifact(API, about, rows[0].get("name") if rows else None, ui_base=UI))
    artifacts = ArtifactList.model_validate(
        {"artifacts": [{**r, "latestVersion": r.get("name")} for r in rows]}
    )
    assert_sendable(artifacts_page(DOCKER_PROD, artifacts, page=page))


@HOSTILE_SETTINGS
@given(
    text=NASTY,
    when=WHEN,
    count=COUNT,
    manifests=st.lists(
        st.fixed_dictionaries(
            {"digest": NASTY, "osArch": NASTY, "size": NASTY, "isQuarantined": st.booleans()}
        ),
        max_size=15,
    )
    | st.just([{"digest": "sha256:" + "b" * 64, "osArch": "linux/" + "x" * 500}] * 2000),
    checksums=st.none() | st.lists(NASTY, max_size=5),
    version=st.sampled_from(["1", "v" * 128, "2.0.0-rc.1+build.5"]),
)
def test_hostile_version_bodies_still_give_valid_cards(
    text: str,
    when: str | None,
    count: int | None,
    manifests: list[dict[str, Any]],
    checksums: list[str] | None,
    version: str,
) -> None:
    detail = VersionDetail.model_validate(
        {
            "createdBy": text,
            "size": text,
            "createdAt": when,
            "downloadCount": count,
            "isQuarantined": True,
            "quarantineReason": text,
            "pullCommand": text,
            "packageType": text,
        }
    )
    docker = DockerDetail.model_validate(
        {"pullCommand": f"docker pull {text}:{version}", "pullCommandByDigest": text, "size": text}
    )
    listed = Manifests.model_validate({"manifests": manifests})
    files = FileList.model_validate(
        {
            "status": "SUCCESS",
            "itemCount": count,
            "files": [{"name": text, "size": text, "checksums": checksums}] * 40,
        }
    )
    ref = VersionRef(ArtifactRef(DOCKER_PROD, "a/" * 100 + "b"), version, "sha256:" + "c" * 64)
    for found in (
        VersionFacts(detail, docker, listed),
        VersionFacts(detail=detail, files=files),
        VersionFacts(),
    ):
        assert_sendable(version_card(ref, found, ui_base=UI, requested_by="U1", looked_up_at=1_700_000_000))
        compact_checked(compact_version(ref, found, ui_base=UI))
