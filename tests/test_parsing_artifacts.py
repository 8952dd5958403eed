"""Specification of artifact and version references: the types, the text forms, links, and ambiguity."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import (
    Ambiguous,
    InvalidScope,
    ScopeContext,
    parse_target,
    spelled,
    target_from_url,
)
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef

ACC = "px7xd_BFRCi-pfWPYXVjvw"
CTX = ScopeContext(account_id=ACC)
HOSTS = frozenset({"app.harness.io"})
UI = "https://app.harness.io"
DIGEST = "sha256:" + "0123456789abcdef" * 4
MODEST = settings(max_examples=200, deadline=None)
# Every request path a parsed ref can build: checked identifiers, then percent-encoded segments only.
SAFE_PATH = re.compile(
    r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+){1,3}/\+"
    r"(?:/artifact/[A-Za-z0-9_.~%-]+/\+(?:/version/[A-Za-z0-9_.~%-]+)?)?"
)

registries = st.builds(
    RegistryRef,
    account=st.just(ACC),
    registry=st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True),
    org=st.none(),
)
scoped = st.one_of(
    registries,
    st.builds(
        RegistryRef,
        account=st.just(ACC),
        registry=st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True),
        org=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
        project=st.none() | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
    ),
)
_segment = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._:-]{0,15}", fullmatch=True)
names = st.builds(
    lambda scope, segs: scope + "/".join(segs),
    st.sampled_from(["", "@npm/"]),
    st.lists(_segment, min_size=1, max_size=3),
)
# Text reads the last colon of the last segment as the version's start, so a Maven `group:artifact`
# is typed with a version only (the documented limit); links carry any name.
artifacts = st.builds(ArtifactRef, registry=scoped, name=names.filter(lambda n: ":" not in n.split("/")[-1]))
versions = st.builds(
    VersionRef,
    artifact=st.builds(ArtifactRef, registry=scoped, name=names),
    version=st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,20}", fullmatch=True),
    digest=st.none() | st.just(DIGEST),
)
targets: st.SearchStrategy[Target] = st.one_of(scoped, artifacts, versions)


def readings(found: Target | Ambiguous) -> tuple[Target, ...]:
    return found.readings if isinstance(found, Ambiguous) else (found,)


def test_artifact_ref_encodes_slashes_into_one_segment() -> None:
    ref = ArtifactRef(RegistryRef(account=ACC, registry="docker-prod"), "library/nginx")
    assert ref.path == f"{ACC}/docker-prod/+/artifact/library%2Fnginx/+"
    assert ref.short == "docker-prod/library/nginx"


def test_version_ref_puts_the_digest_in_the_ui_query() -> None:
    ref = VersionRef(ArtifactRef(RegistryRef(account=ACC, registry="docker-prod"), "nginx"), "1.27", DIGEST)
    assert ref.path.endswith("/artifact/nginx/+/version/1.27")
    assert ref.ui_url(UI).endswith(f"/registries/docker-prod/artifacts/nginx/versions/1.27?digest={DIGEST}")
    assert ref.short == f"docker-prod/nginx:1.27@{DIGEST}"


@pytest.mark.parametrize("name", ["", "/a", "a//b", "a/../b", "..", "a@b", "a b", "@x", "x" * 256, "ü"])
def test_artifact_ref_refuses_bad_names(name: str) -> None:
    with pytest.raises(InvalidScope):
        ArtifactRef(RegistryRef(account=ACC, registry="r"), name)


def test_version_ref_needs_a_version_or_a_digest() -> None:
    with pytest.raises(InvalidScope):
        VersionRef(ArtifactRef(RegistryRef(account=ACC, registry="r"), "a"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("docker-prod/nginx", "docker-prod/+/nginx"),
        ("docker-prod/library/nginx:1.27", "docker-prod/+/library/nginx:1.27"),
        (f"docker-prod/nginx@{DIGEST}", f"docker-prod/+/nginx@{DIGEST}"),
        ("maven-prod/com.example:app:1.0", "maven-prod/+/com.example:app:1.0"),
        ("docker-prod/@scope/pkg:1.0.0", "docker-prod/+/@scope/pkg:1.0.0"),
        ("docker-prod", f"{ACC}/docker-prod/+"),
    ],
)
def test_parse_target_reads_one_meaning(text: str, expected: str) -> None:
    found = parse_target(text, CTX)
    assert not isinstance(found, Ambiguous)
    assert spelled(found) == expected


def test_parse_target_offers_every_reading_when_ambiguous_registry_first() -> None:
    found = parse_target("payments/docker-prod", CTX)
    assert isinstance(found, Ambiguous)
    assert [spelled(r) for r in found.readings] == [f"{ACC}/payments/docker-prod/+", "payments/+/docker-prod"]
    assert found.registries[0] == RegistryRef(account=ACC, registry="docker-prod", org="payments")


@pytest.mark.parametrize(
    "text", ["nginx:1", "docker-prod/nginx@1.27", "a//b", "other/reg/+", "docker-prod/+/", "r/a:b:"]
)
def test_parse_target_refuses_junk_with_invalid_scope(text: str) -> None:
    with pytest.raises(InvalidScope):
        parse_target(text, CTX)


def test_a_tag_after_an_at_sign_is_corrected() -> None:
    with pytest.raises(InvalidScope) as caught:
        parse_target("docker-prod/nginx@1.27", CTX)
    assert caught.value.hint == "Did you mean `docker-prod/nginx:1.27`?"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("", "docker-prod"),
        ("/artifacts/nginx", "docker-prod/+/nginx"),
        ("/artifacts/library%2Fnginx/versions", "docker-prod/+/library/nginx"),
        ("/artifacts/nginx/versions/1.27/overview", "docker-prod/+/nginx:1.27"),
        (f"/artifacts/nginx/versions/1.27?digest={DIGEST}", f"docker-prod/+/nginx:1.27@{DIGEST}"),
        ("/artifacts/nginx/versions/1.27/a/b", "docker-prod"),
        ("/artifacts/..%2F..%2Fx", "docker-prod"),
        ("/artifacts/%ff", "docker-prod"),
        ("/webhooks/7", "docker-prod"),
    ],
)
def test_links_give_the_most_specific_valid_ref(tail: str, expected: str) -> None:
    found = target_from_url(f"{UI}/ng/account/{ACC}/all/registries/docker-prod{tail}", HOSTS)
    assert found is not None
    assert spelled(found) == (f"{ACC}/docker-prod/+" if expected == "docker-prod" else expected)


def test_open_source_space_links_are_read() -> None:
    found = target_from_url(f"https://app.harness.io/spaces/{ACC}/registries/r/artifacts/a/versions/v", HOSTS)
    assert found is not None
    assert spelled(found) == "r/+/a:v"


@MODEST
@given(targets)
def test_spelled_text_parses_back_equal(ref: Target) -> None:
    assert parse_target(spelled(ref), CTX) == ref


@MODEST
@given(targets)
def test_short_text_parses_to_a_reading_that_includes_the_ref(ref: Target) -> None:
    assert ref in readings(parse_target(ref.short, CTX))


@MODEST
@given(targets)
def test_ui_links_parse_back_equal(ref: Target) -> None:
    assert parse_target(ref.ui_url(UI), CTX) == ref


_junk = st.lists(
    st.sampled_from([*"ab-_./:@%?#+~\x00\n é", "sha256:", "..", "%2F", "0" * 64]), max_size=12
).map("".join)


@MODEST
@given(st.tuples(_junk, _junk, _junk).map(lambda t: f"docker-prod/{t[0]}:{t[1]}@{t[2]}") | _junk)
def test_fuzzed_text_stays_in_the_account_and_builds_safe_paths(text: str) -> None:
    try:
        found = parse_target(text, CTX)
    except InvalidScope:
        return
    for reading in readings(found):
        assert (
            reading.registry.account == ACC
            if not isinstance(reading, RegistryRef)
            else reading.account == ACC
        )
        assert SAFE_PATH.fullmatch(reading.path), reading.path
        assert ".." not in reading.path.split("/")
