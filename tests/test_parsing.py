"""Specification of bot.parsing: what users may type or paste to name a registry, and what is refused."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import (
    SCOPE_FORMS,
    InvalidScope,
    ScopeContext,
    ScopeForm,
    find_registry_links,
    parse_scope,
    ref_from_url,
)
from bot.refs import RegistryRef

ACC = "px7xd_BFRCi-pfWPYXVjvw"
CTX = ScopeContext(account_id=ACC)
HOSTS = frozenset({"app.harness.io"})
UI = "https://app.harness.io"

ACCOUNT_REF = RegistryRef(account=ACC, registry="docker-prod")
ORG_REF = RegistryRef(account=ACC, registry="docker-prod", org="payments")
PROJECT_REF = RegistryRef(account=ACC, registry="docker-prod", org="payments", project="checkout")

# What the request path may look like, whatever the user typed.
SAFE_PATH = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+){1,3}/\+\Z")

MODEST = settings(max_examples=200, deadline=None)


def rejection(text: str, ctx: ScopeContext = CTX) -> InvalidScope:
    with pytest.raises(InvalidScope) as caught:
        parse_scope(text, ctx)
    return caught.value


# --- RegistryRef -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        (ACCOUNT_REF, f"{ACC}/docker-prod/+"),
        (ORG_REF, f"{ACC}/payments/docker-prod/+"),
        (PROJECT_REF, f"{ACC}/payments/checkout/docker-prod/+"),
    ],
)
def test_registry_ref_path_is_the_api_registry_ref(ref: RegistryRef, path: str) -> None:
    assert ref.path == path


@pytest.mark.parametrize(
    ("ref", "scope"), [(ACCOUNT_REF, "account"), (ORG_REF, "org"), (PROJECT_REF, "project")]
)
def test_registry_ref_scope_follows_the_parts_given(ref: RegistryRef, scope: str) -> None:
    assert ref.scope == scope


@pytest.mark.parametrize(
    ("ref", "short"),
    [
        (ACCOUNT_REF, "docker-prod"),
        (ORG_REF, "payments/docker-prod"),
        (PROJECT_REF, "payments/checkout/docker-prod"),
    ],
)
def test_registry_ref_short_is_relative_to_the_account(ref: RegistryRef, short: str) -> None:
    assert ref.short == short


@pytest.mark.parametrize(
    ("ref", "url"),
    [
        (ACCOUNT_REF, f"{UI}/ng/account/{ACC}/all/registries/docker-prod"),
        (ORG_REF, f"{UI}/ng/account/{ACC}/all/orgs/payments/registries/docker-prod"),
        (PROJECT_REF, f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/registries/docker-prod"),
    ],
)
def test_registry_ref_ui_url_is_the_registry_page(ref: RegistryRef, url: str) -> None:
    assert ref.ui_url(UI) == url


def test_registry_ref_ui_url_ignores_a_trailing_slash_on_the_base() -> None:
    assert ACCOUNT_REF.ui_url(UI + "/") == ACCOUNT_REF.ui_url(UI)


def test_registry_ref_is_hashable_and_equal_by_value() -> None:
    twin = RegistryRef(account=ACC, registry="docker-prod", org="payments", project="checkout")
    assert {PROJECT_REF: 1}[twin] == 1


def test_registry_ref_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROJECT_REF.registry = "other"  # type: ignore[misc]


def test_registry_ref_rejects_a_project_without_an_org() -> None:
    with pytest.raises(InvalidScope, match="org"):
        RegistryRef(account=ACC, registry="docker-prod", project="checkout")


@pytest.mark.parametrize(
    "parts",
    [
        {"account": ACC, "registry": "Docker"},
        {"account": ACC, "registry": "docker\n"},
        {"account": ACC, "registry": ".."},
        {"account": ACC, "registry": "a/b"},
        {"account": ACC, "registry": ""},
        {"account": "acc/x", "registry": "docker"},
        {"account": "", "registry": "docker"},
        {"account": ACC, "registry": "docker", "org": "pay-ments"},
        {"account": ACC, "registry": "docker", "org": "payments", "project": "check out"},
    ],
)
def test_registry_ref_rejects_invalid_parts(parts: dict[str, str]) -> None:
    with pytest.raises(InvalidScope):
        RegistryRef(**parts)


# --- identifier rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("registry", ["a", "a" * 63, "docker-prod", "docker_prod", "d0cker", "a-", "a_"])
def test_registry_names_follow_the_harness_rule(registry: str) -> None:
    assert RegistryRef(account=ACC, registry=registry).registry == registry


@pytest.mark.parametrize(
    ("registry", "reason"),
    [
        ("a" * 64, "at most 63"),
        ("1docker", "start with a letter"),
        ("-docker", "start with a letter"),
        ("_docker", "start with a letter"),
        ("dockér", "only lowercase letters"),
        ("docker\n", "only lowercase letters"),
    ],
)
def test_registry_ref_explains_which_registry_rule_is_broken(registry: str, reason: str) -> None:
    with pytest.raises(InvalidScope, match=reason):
        RegistryRef(account=ACC, registry=registry)


@pytest.mark.parametrize("org", ["_private", "Payments", "a" * 128, "team_42"])
def test_org_identifiers_follow_the_harness_rule(org: str) -> None:
    assert RegistryRef(account=ACC, registry="docker", org=org).org == org


@pytest.mark.parametrize("org", ["a" * 129, "42team", "pay-ments", "pay.ments", "paymënts"])
def test_org_identifiers_outside_the_rule_are_refused(org: str) -> None:
    with pytest.raises(InvalidScope):
        RegistryRef(account=ACC, registry="docker", org=org)


@pytest.mark.parametrize("account", ["a" * 64, "1", "-", "px7xd_BFRCi-pfWPYXVjvw"])
def test_account_ids_follow_the_harness_rule(account: str) -> None:
    assert RegistryRef(account=account, registry="docker").account == account


@pytest.mark.parametrize("account", ["a" * 65, "acc.1", "acc+1", "acc%31"])
def test_account_ids_outside_the_rule_are_refused(account: str) -> None:
    with pytest.raises(InvalidScope):
        RegistryRef(account=account, registry="docker")


# --- parse_scope: names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("docker-prod", ACCOUNT_REF),
        ("payments/docker-prod", ORG_REF),
        ("payments/checkout/docker-prod", PROJECT_REF),
    ],
)
def test_parse_scope_reads_names_relative_to_the_account(text: str, ref: RegistryRef) -> None:
    assert parse_scope(text, CTX) == ref


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("other_acc/docker-prod/+", RegistryRef(account="other_acc", registry="docker-prod")),
        (
            "other_acc/payments/docker-prod/+",
            RegistryRef(account="other_acc", registry="docker-prod", org="payments"),
        ),
        (
            "other_acc/payments/checkout/docker-prod/+",
            RegistryRef(account="other_acc", registry="docker-prod", org="payments", project="checkout"),
        ),
    ],
)
def test_parse_scope_takes_an_api_registry_ref_with_its_own_account(text: str, ref: RegistryRef) -> None:
    assert parse_scope(text, CTX) == ref


def test_parse_scope_puts_a_bare_registry_in_the_default_org() -> None:
    ctx = ScopeContext(account_id=ACC, default_org="payments")
    assert parse_scope("docker-prod", ctx) == ORG_REF


def test_parse_scope_puts_a_bare_registry_in_the_default_project() -> None:
    ctx = ScopeContext(account_id=ACC, default_org="payments", default_project="checkout")
    assert parse_scope("docker-prod", ctx) == PROJECT_REF


def test_parse_scope_does_not_apply_defaults_to_an_org_registry() -> None:
    ctx = ScopeContext(account_id=ACC, default_org="other", default_project="elsewhere")
    assert parse_scope("payments/docker-prod", ctx) == ORG_REF


def test_parse_scope_reaches_an_account_registry_through_the_api_form_when_defaults_are_set() -> None:
    ctx = ScopeContext(account_id=ACC, default_org="payments", default_project="checkout")
    assert parse_scope(f"{ACC}/docker-prod/+", ctx) == ACCOUNT_REF


@pytest.mark.parametrize(
    "text",
    [
        "  docker-prod \n",
        '"docker-prod"',
        "'docker-prod'",
        "“docker-prod”",
        "‘docker-prod’",
        "`docker-prod`",
        "```docker-prod```",
        "```\ndocker-prod\n```",
        '`"docker-prod"`',
        " ` docker-prod ` ",
    ],
)
def test_parse_scope_ignores_whitespace_quotes_and_backticks(text: str) -> None:
    assert parse_scope(text, CTX) == ACCOUNT_REF


def test_parse_scope_accepts_help_placeholder_brackets_around_a_name() -> None:
    assert parse_scope("<docker-prod>", CTX) == ACCOUNT_REF


@pytest.mark.parametrize("form", SCOPE_FORMS, ids=lambda f: f.syntax)
def test_parse_scope_reads_every_scope_form_example(form: ScopeForm) -> None:
    assert isinstance(parse_scope(form.example, CTX), RegistryRef)


def test_scope_forms_cover_every_form_once() -> None:
    assert len(SCOPE_FORMS) == 7
    assert len({form.syntax for form in SCOPE_FORMS}) == len(SCOPE_FORMS)


@pytest.mark.parametrize("form", [f for f in SCOPE_FORMS if f.kind != "link"], ids=lambda f: f.syntax)
def test_scope_form_examples_are_written_the_way_they_parse(form: ScopeForm) -> None:
    ref = parse_scope(form.example, CTX)
    assert form.example in (ref.short, ref.path)


@pytest.mark.parametrize("form", SCOPE_FORMS, ids=lambda f: f.syntax)
def test_scope_forms_have_words_for_the_help_card(form: ScopeForm) -> None:
    assert form.syntax
    assert form.example
    assert form.meaning


# --- parse_scope: links ----------------------------------------------------------------------------

LINKS = [
    (f"{UI}/ng/account/{ACC}/all/registries/docker-prod", ACCOUNT_REF),
    (f"{UI}/ng/account/{ACC}/all/orgs/payments/registries/docker-prod", ORG_REF),
    (f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/registries/docker-prod", PROJECT_REF),
    (f"{UI}/ng/account/{ACC}/module/har/registries/docker-prod", ACCOUNT_REF),
    (f"{UI}/ng/account/{ACC}/module/har/orgs/payments/registries/docker-prod", ORG_REF),
    (f"{UI}/ng/account/{ACC}/module/har/orgs/payments/projects/checkout/registries/docker-prod", PROJECT_REF),
    (f"{UI}/ng/#/account/{ACC}/all/registries/docker-prod", ACCOUNT_REF),
    (
        f"{UI}/ng/#/account/{ACC}/module/har/orgs/payments/projects/checkout/registries/docker-prod",
        PROJECT_REF,
    ),
    (f"{UI}/ng#/account/{ACC}/all/orgs/payments/registries/docker-prod", ORG_REF),
    (f"{UI}/spaces/{ACC}/registries/docker-prod", ACCOUNT_REF),
]


@pytest.mark.parametrize(("url", "ref"), LINKS)
def test_parse_scope_reads_every_harness_registry_link(url: str, ref: RegistryRef) -> None:
    assert parse_scope(url, CTX) == ref


PAGE = f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/registries/docker-prod"


@pytest.mark.parametrize(
    "suffix",
    [
        "/",
        "/packages",
        "/configuration",
        "/webhooks/wh_1",
        "/artifacts/api/versions/1.2.3",
        "/artifacts/api/versions/1.2.3/artifact_details?digest=sha256:abc",
        "?tab=packages",
        "?tab=packages&page=2",
        "#top",
        "/packages?x=1#frag",
    ],
)
def test_parse_scope_ignores_tabs_deeper_pages_queries_and_fragments(suffix: str) -> None:
    assert parse_scope(PAGE + suffix, CTX) == PROJECT_REF


def test_parse_scope_ignores_the_query_of_a_hash_routed_link() -> None:
    url = f"{UI}/ng/#/account/{ACC}/all/orgs/payments/projects/checkout/registries/docker-prod?tab=packages"
    assert parse_scope(url, CTX) == PROJECT_REF


@pytest.mark.parametrize("text", [f"<{PAGE}>", f"<{PAGE}|docker-prod>", f"<{PAGE}|my registry page>"])
def test_parse_scope_reads_slack_link_markup_with_or_without_a_label(text: str) -> None:
    assert parse_scope(text, CTX) == PROJECT_REF


def test_parse_scope_reads_slack_link_markup_inside_backticks() -> None:
    assert parse_scope(f"`<{PAGE}|x>`", CTX) == PROJECT_REF


@pytest.mark.parametrize(
    "url",
    [
        PAGE.replace("https://app.harness.io", "https://APP.Harness.IO"),
        PAGE.replace("https://", "HTTPS://"),
        PAGE.replace("https://", "http://"),
        PAGE.replace("app.harness.io", "app.harness.io:443"),
        PAGE.replace("app.harness.io", "app.harness.io."),
    ],
    ids=["mixed-case host", "upper-case scheme", "http", "port", "trailing dot"],
)
def test_parse_scope_reads_links_to_the_accepted_host_however_written(url: str) -> None:
    assert parse_scope(url, CTX) == PROJECT_REF


def test_parse_scope_reads_a_link_pasted_without_its_scheme() -> None:
    assert parse_scope(PAGE.removeprefix("https://"), CTX) == PROJECT_REF


def test_parse_scope_takes_the_account_from_the_link() -> None:
    ref = parse_scope(f"{UI}/ng/account/other_acc/all/registries/docker-prod", CTX)
    assert ref == RegistryRef(account="other_acc", registry="docker-prod")


def test_parse_scope_ignores_default_org_for_links() -> None:
    ctx = ScopeContext(account_id=ACC, default_org="other")
    assert parse_scope(f"{UI}/ng/account/{ACC}/all/registries/docker-prod", ctx) == ACCOUNT_REF


def test_parse_scope_reads_links_from_a_configured_host() -> None:
    ctx = ScopeContext(account_id=ACC, ui_hosts=frozenset({"acme.harness.io"}))
    url = f"https://acme.harness.io/ng/account/{ACC}/all/registries/docker-prod"
    assert parse_scope(url, ctx) == ACCOUNT_REF


# --- parse_scope: rejections -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", '""', "``", "``````", "<>", "“ ”"])
def test_parse_scope_rejects_empty_text(text: str) -> None:
    assert "which registry" in rejection(text).reason


def test_parse_scope_rejects_uppercase_registry() -> None:
    error = rejection("Docker-Prod")
    assert error.reason == "Registry names are lowercase."
    assert error.hint == "Did you mean `docker-prod`?"


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Payments/Docker", "Payments/docker"),
        ("payments/checkout/DOCKER", "payments/checkout/docker"),
        (f"{ACC}/DOCKER/+", f"{ACC}/docker/+"),
    ],
)
def test_parse_scope_suggests_the_lowercased_registry_in_any_form(text: str, fixed: str) -> None:
    assert rejection(text).hint == f"Did you mean `{fixed}`?"


def test_parse_scope_does_not_suggest_a_lowercased_name_that_is_still_invalid() -> None:
    error = rejection("1Docker")
    assert error.reason == "Registry names are lowercase."
    assert error.hint is None


def test_parse_scope_rejects_too_many_parts() -> None:
    error = rejection("a/b/c/d/e")
    assert "too many parts" in error.reason
    assert error.hint is None


def test_parse_scope_suggests_the_api_suffix_for_four_parts() -> None:
    error = rejection(f"{ACC}/payments/checkout/docker-prod")
    assert "too many parts" in error.reason
    assert error.hint == f"Did you mean `{ACC}/payments/checkout/docker-prod/+`?"


def test_parse_scope_rejects_an_api_registry_ref_without_an_account() -> None:
    error = rejection("docker-prod/+")
    assert "/+" in error.reason
    assert error.hint == f"Did you mean `{ACC}/docker-prod/+`?"


def test_parse_scope_rejects_an_api_registry_ref_with_too_many_parts() -> None:
    assert "/+" in rejection("a/b/c/d/docker/+").reason


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("payments//docker-prod", "payments/docker-prod"),
        ("docker-prod/", "docker-prod"),
        ("/docker-prod", "docker-prod"),
    ],
)
def test_parse_scope_rejects_empty_parts_and_suggests_without_them(text: str, fixed: str) -> None:
    error = rejection(text)
    assert "empty part" in error.reason
    assert error.hint == f"Did you mean `{fixed}`?"


@pytest.mark.parametrize(
    "text",
    [
        "..",
        "../docker",
        "payments/../docker",
        "docker%2dprod",
        "%2e%2e/docker",
        "docker?x=1",
        "docker#x",
        "docker.prod",
        "docker\\prod",
        "docker@prod",
        "docker+",
        "docker:prod",
        "dockér",
        "docker／prod",
        "payments/docker;rm",
        f"{ACC}/docker-prod/+/",
        f"{ACC}/docker-prod/++",
    ],
)
def test_parse_scope_rejects_forbidden_characters(text: str) -> None:
    rejection(text)


def test_parse_scope_explains_a_hyphen_in_an_org_identifier() -> None:
    assert "identifier, not the display name" in rejection("payments-team/docker").reason


@pytest.mark.parametrize("text", ["docker prod", "payments/ docker", "docker\tprod", "docker\u2028prod"])
def test_parse_scope_rejects_spaces_inside_the_reference(text: str) -> None:
    assert "spaces" in rejection(text).reason


@pytest.mark.parametrize("text", ["docker\x00", "dock\x1bker", "docker\u200b", "\u202edocker"])
def test_parse_scope_rejects_control_and_invisible_characters(text: str) -> None:
    assert "control" in rejection(text).reason


@pytest.mark.parametrize("text", ["<@U024BE7LH>", "<#C024BE7LR|general>", "<!here>", "@docker"])
def test_parse_scope_rejects_slack_mentions(text: str) -> None:
    assert "mention" in rejection(text).reason


def test_parse_scope_rejects_very_long_text() -> None:
    assert "too long" in rejection("a" * 5000).reason


def test_parse_scope_rejects_a_link_on_another_host_naming_the_accepted_host() -> None:
    error = rejection(PAGE.replace("app.harness.io", "evil.example"))
    assert error.reason == "I only read links from app.harness.io."


def test_parse_scope_names_every_accepted_host() -> None:
    ctx = ScopeContext(account_id=ACC, ui_hosts=frozenset({"app.harness.io", "app3.harness.io"}))
    error = rejection(PAGE.replace("app.harness.io", "evil.example"), ctx)
    assert error.reason == "I only read links from app.harness.io and app3.harness.io."


def test_parse_scope_rejects_links_when_no_host_is_accepted() -> None:
    ctx = ScopeContext(account_id=ACC, ui_hosts=frozenset())
    assert "not set up to read links" in rejection(PAGE, ctx).reason


@pytest.mark.parametrize(
    "url",
    [
        f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/pipelines/build",
        f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/registries",
        f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/registries/",
        f"{UI}/ng/account/{ACC}/module/har",
        f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/registries/docker-prod/x",
        f"{UI}/ng/#/account/{ACC}/cd/pipelines",
        f"{UI}/ng/",
        UI,
        f"{UI}/registries/docker-prod",
        f"{UI}/spaces/a/b/registries",
    ],
)
def test_parse_scope_rejects_a_link_that_is_not_a_registry_page(url: str) -> None:
    assert rejection(url).reason == "That link isn't a Harness registry page."


def test_parse_scope_rejects_a_link_that_is_not_http() -> None:
    assert "http" in rejection(PAGE.replace("https://", "ftp://")).reason


@pytest.mark.parametrize(
    "url",
    [
        PAGE.replace("app.harness.io", "app.harness.io@evil.example"),
        PAGE.replace("app.harness.io", "user:pw@app.harness.io"),
        PAGE.replace("app.harness.io", "evil.example\\@app.harness.io"),
        PAGE.replace("app.harness.io", "app.harness.io:port"),
        "https:///ng/account/x/all/registries/docker",
    ],
)
def test_parse_scope_rejects_links_with_userinfo_or_a_malformed_host(url: str) -> None:
    rejection(url)


@pytest.mark.parametrize(
    "url",
    [
        f"{UI}/ng/account/{ACC}/all/registries/docker%2Dprod",
        f"{UI}/ng/account/{ACC}/all/registries/%2e%2e",
        f"{UI}/ng/account/%2e%2e/all/registries/docker-prod",
        f"{UI}/ng/account/{ACC}/all/orgs/pay%6dents/registries/docker-prod",
    ],
)
def test_parse_scope_does_not_percent_decode_link_segments(url: str) -> None:
    rejection(url)


def test_parse_scope_rejects_a_link_with_an_uppercase_registry() -> None:
    assert rejection(f"{UI}/ng/account/{ACC}/all/registries/Docker").reason == "Registry names are lowercase."


def test_parse_scope_rejects_a_link_followed_by_more_words() -> None:
    assert "spaces" in rejection(f"{PAGE} please").reason


# --- InvalidScope ---------------------------------------------------------------------------------


def test_invalid_scope_is_a_value_error_whose_message_is_the_reason() -> None:
    error = rejection("Docker")
    assert isinstance(error, ValueError)
    assert str(error) == error.reason


def test_invalid_scope_keeps_the_trimmed_input_as_text() -> None:
    assert rejection("  a/b/c/d/e \n").text == "a/b/c/d/e"


def test_invalid_scope_cuts_long_text_to_about_200_characters() -> None:
    text = rejection("x" * 5000).text
    assert len(text) == 200
    assert text.endswith("…")


def test_invalid_scope_text_shows_control_characters_as_replacement_characters() -> None:
    assert rejection("dock\x00er\nx").text == "dock\N{REPLACEMENT CHARACTER}er x"


def test_invalid_scope_hint_defaults_to_none() -> None:
    error = InvalidScope("Registry names are lowercase.", text="Docker")
    assert (error.reason, error.text, error.hint) == ("Registry names are lowercase.", "Docker", None)


# --- ScopeContext ---------------------------------------------------------------------------------


def test_scope_context_lowercases_ui_hosts() -> None:
    ctx = ScopeContext(account_id=ACC, ui_hosts=frozenset({"App.Harness.IO"}))
    assert ctx.ui_hosts == frozenset({"app.harness.io"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"account_id": "acc/x"},
        {"account_id": ""},
        {"account_id": ACC, "default_org": "pay-ments"},
        {"account_id": ACC, "default_org": "payments", "default_project": "check out"},
        {"account_id": ACC, "default_project": "checkout"},
        {"account_id": ACC, "ui_hosts": frozenset({"https://app.harness.io"})},
        {"account_id": ACC, "ui_hosts": frozenset({"app.harness.io:443"})},
    ],
)
def test_scope_context_rejects_invalid_configuration(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"\S") as caught:
        ScopeContext(**kwargs)  # type: ignore[arg-type]
    assert not isinstance(caught.value, InvalidScope)


def test_scope_context_rejects_a_single_host_given_as_a_string() -> None:
    with pytest.raises(TypeError):
        ScopeContext(account_id=ACC, ui_hosts="app.harness.io")  # type: ignore[arg-type]


# --- ref_from_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "ref"), LINKS)
def test_ref_from_url_reads_every_harness_registry_link(url: str, ref: RegistryRef) -> None:
    assert ref_from_url(url, HOSTS) == ref


def test_ref_from_url_matches_hosts_case_insensitively() -> None:
    assert ref_from_url(PAGE, frozenset({"APP.harness.io"})) == PROJECT_REF


@pytest.mark.parametrize(
    "url",
    [
        f"{UI}/ng/account/{ACC}/all/orgs/payments/projects/checkout/pipelines/build",
        f"{UI}/ng/account/{ACC}/all/registries",
        PAGE.replace("app.harness.io", "evil.example"),
        PAGE.replace("app.harness.io", "app.harness.io.evil.example"),
        PAGE.replace("https://", "ftp://"),
        PAGE.replace("docker-prod", "Docker-Prod"),
        PAGE.removeprefix("https://"),
        f"<{PAGE}>",
        "docker-prod",
        "",
        "https://",
    ],
)
def test_ref_from_url_returns_none_for_anything_but_a_registry_page_on_an_accepted_host(url: str) -> None:
    assert ref_from_url(url, HOSTS) is None


# --- find_registry_links ------------------------------------------------------------------------

OTHER_PAGE = f"{UI}/ng/account/{ACC}/module/har/orgs/payments/registries/docker-prod"


def test_find_registry_links_lists_each_registry_once_in_order() -> None:
    text = (
        f"deploy from <{PAGE}|checkout docker> then <{OTHER_PAGE}>; "
        f"docs at <https://developer.harness.io/docs/artifact-registry|docs> "
        f"and again <{PAGE}/packages|the packages>"
    )
    assert find_registry_links(text, HOSTS) == [(PAGE, PROJECT_REF), (OTHER_PAGE, ORG_REF)]


def test_find_registry_links_reads_bare_links_without_trailing_punctuation() -> None:
    text = f"see {PAGE}. Or ({OTHER_PAGE}), *{OTHER_PAGE}/packages*"
    assert find_registry_links(text, HOSTS) == [(PAGE, PROJECT_REF), (OTHER_PAGE, ORG_REF)]


def test_find_registry_links_ignores_links_in_labels() -> None:
    text = f"<https://example.com/x|{PAGE}>"
    assert find_registry_links(text, HOSTS) == []


def test_find_registry_links_skips_links_on_other_hosts() -> None:
    assert find_registry_links(f"<{PAGE.replace('app.harness.io', 'evil.example')}>", HOSTS) == []


def test_find_registry_links_finds_nothing_in_plain_text() -> None:
    assert find_registry_links("docker-prod is down again", HOSTS) == []


# --- properties ---------------------------------------------------------------------------------

registries = st.from_regex(r"[a-z][a-z0-9_-]{0,62}", fullmatch=True)
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,127}", fullmatch=True)
accounts = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)


@st.composite
def registry_refs(draw: st.DrawFn) -> RegistryRef:
    scope = draw(st.sampled_from(["account", "org", "project"]))
    org = draw(identifiers) if scope != "account" else None
    project = draw(identifiers) if scope == "project" else None
    return RegistryRef(account=draw(accounts), registry=draw(registries), org=org, project=project)


# Pieces that poke at every branch of the parser, mixed with arbitrary unicode text.
TRICKY = [
    "/",
    "/+",
    "+",
    "..",
    "%2e",
    "%2F",
    "?",
    "#",
    "@",
    "\\",
    ":",
    "|",
    "<",
    ">",
    "`",
    "```",
    '"',
    "“",
    "’",
    " ",
    "\n",
    "\x00",
    "\u200b",
    "https://",
    "http://",
    "app.harness.io",
    "APP.HARNESS.IO",
    "evil.example",
    ":443",
    "/ng/",
    "#/",
    "account/",
    "/account/",
    "/all",
    "/module/har",
    "/orgs/",
    "/projects/",
    "/registries/",
    "/spaces/",
    "docker-prod",
    "Docker",
    "payments",
    ACC,
    "a" * 70,
    "b" * 300,
]
messy_text = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=4)), max_size=24).map("".join),
)


@MODEST
@given(registry_refs())
def test_parse_scope_round_trips_the_short_form(ref: RegistryRef) -> None:
    assert parse_scope(ref.short, ScopeContext(account_id=ref.account)) == ref


@MODEST
@given(registry_refs())
def test_parse_scope_round_trips_the_api_path_with_the_account_it_names(ref: RegistryRef) -> None:
    assert parse_scope(ref.path, CTX) == ref


@MODEST
@given(registry_refs())
def test_ref_from_url_round_trips_the_ui_url(ref: RegistryRef) -> None:
    assert ref_from_url(ref.ui_url(UI), HOSTS) == ref


@MODEST
@given(registry_refs())
def test_parse_scope_round_trips_the_ui_url_in_slack_markup(ref: RegistryRef) -> None:
    assert parse_scope(f"<{ref.ui_url(UI)}|{ref.short}>", CTX) == ref


@MODEST
@given(st.lists(registry_refs(), max_size=4))
def test_find_registry_links_round_trips_links_in_a_message(refs: list[RegistryRef]) -> None:
    text = " and ".join(f"<{ref.ui_url(UI)}|{ref.registry}>" for ref in refs)
    assert [ref for _, ref in find_registry_links(text, HOSTS)] == list(dict.fromkeys(refs))


def assert_safe(ref: RegistryRef) -> None:
    assert SAFE_PATH.match(ref.path), ref.path
    assert ".." not in ref.path


def outcome(text: str) -> RegistryRef | InvalidScope:
    """What parse_scope made of the text: a ref, or the InvalidScope it raised."""
    try:
        return parse_scope(text, CTX)
    except InvalidScope as error:
        return error


@MODEST
@given(messy_text)
def test_parse_scope_either_refuses_or_returns_a_safe_path(text: str) -> None:
    result = outcome(text)
    if isinstance(result, RegistryRef):
        assert_safe(result)
    else:
        assert result.reason
        assert len(result.text) <= 200
        assert result.text.isprintable()


@MODEST
@given(messy_text)
def test_parse_scope_reasons_and_hints_are_safe_in_slack_mrkdwn(text: str) -> None:
    result = outcome(text)
    if isinstance(result, InvalidScope):
        assert not set(result.reason + (result.hint or "")) & set("<>&")


@MODEST
@given(st.one_of(messy_text, messy_text.map(lambda tail: PAGE + tail)))
def test_ref_from_url_never_raises_and_returns_only_safe_paths(url: str) -> None:
    ref = ref_from_url(url, HOSTS)
    if ref is not None:
        assert_safe(ref)


@MODEST
@given(messy_text)
def test_find_registry_links_never_raises_and_returns_only_safe_paths(text: str) -> None:
    for _, ref in find_registry_links(text, HOSTS):
        assert_safe(ref)
