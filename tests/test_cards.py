"""The card and the messages that are not cards: what they say, and that Slack will accept them.

Every payload built here goes through `render`, `compact` or `message`, which check it with Slack's own
SDK models (`tests.blockkit.assert_valid_blocks`) before a test looks at what it says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards import (
    ACTION_OPEN,
    ACTION_PULL,
    ACTION_REFRESH,
    ACTION_SHARE,
    RenderedCards,
    Reply,
    apology_reply,
    compact_card,
    describe_scope,
    error_reply,
    help_reply,
    invalid_scope_reply,
    registry_card,
    stale_button_reply,
)
from bot.harness.errors import (
    BadReference,
    Forbidden,
    HarnessConnectionError,
    HarnessError,
    HarnessTimeout,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    error_for_status,
)
from bot.harness.models import Registry, RegistryResponse
from bot.parsing import SCOPE_FORMS, InvalidScope, ScopeContext, parse_scope
from bot.refs import RegistryRef
from tests.blockkit import assert_valid_blocks, utf16_len

FIXTURES = Path(__file__).parent / "fixtures" / "harness"
ALL_FIXTURES = sorted(path.stem for path in FIXTURES.glob("*.json"))
ACCOUNT = "px7xd_BFRCi-pfWPYXVjvw"
UI = "https://app.harness.io"
HOST = "app.harness.io"
PROJECT_REF = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
ORG_REF = RegistryRef(account=ACCOUNT, org="payments", registry="docker-prod")
ACCOUNT_REF = RegistryRef(account=ACCOUNT, registry="docker-prod")
CTX = ScopeContext(account_id=ACCOUNT, default_org="payments", default_project="checkout")

# The only Slack markup the bot writes on purpose: dates, user mentions and links into Harness.
OUR_MARKUP = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\}(?: at \{time\})?\|[^<>|]+>"
    r"|<@[UW][A-Z0-9]+>"
    r"|<https://app\.harness\.io/ng/[^<>|\s]+\|[^<>]+>"
)


# ---------------------------------------------------------------------------------------------------------
# Helpers: load real-shaped bodies, render, and always check what was rendered.


def load(name: str) -> Registry:
    """The `data` of a fixture body, parsed exactly as the client parses a 200."""
    body = RegistryResponse.model_validate_json((FIXTURES / f"{name}.json").read_bytes())
    assert body.status == "SUCCESS"
    assert body.data is not None
    return body.data


def variant(name: str, **changes: Any) -> Registry:
    """A fixture with some top-level fields of `data` replaced (API names), parsed the same way."""
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    body["data"].update(changes)
    data = RegistryResponse.model_validate_json(json.dumps(body)).data
    assert data is not None
    return data


def upstream_with(**config: Any) -> Registry:
    """The upstream fixture with some `config` fields replaced."""
    body = json.loads((FIXTURES / "upstream.json").read_text())
    return variant("upstream", config={**body["data"]["config"], **config})


def checked(reply: Reply) -> dict[str, Any]:
    """The reply as sent to Slack, after checking it with the SDK."""
    assert reply.text.strip()
    payload = reply.as_kwargs()
    assert_valid_blocks(payload["blocks"])
    return payload


def render(registry: Registry | str, ref: RegistryRef = PROJECT_REF, **options: Any) -> dict[str, Any]:
    """The full card for a registry (or a fixture name), checked."""
    if isinstance(registry, str):
        registry = load(registry)
    return checked(registry_card(registry, ref, ui_base=UI, **options))


def compact(registry: Registry | str, ref: RegistryRef = PROJECT_REF) -> dict[str, Any]:
    if isinstance(registry, str):
        registry = load(registry)
    payload = compact_card(registry, ref, ui_base=UI)
    assert set(payload) == {"blocks"}
    assert_valid_blocks(payload["blocks"])
    return payload


def message(reply: Reply) -> dict[str, Any]:
    return checked(reply)


def strings(node: Any) -> Iterator[str]:
    """Every `text` string in a payload, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def mrkdwn_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node
        for value in node.values():
            yield from mrkdwn_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_objects(item)


def everything(payload: dict[str, Any]) -> str:
    """All the text a reader could see, the fallback included, as one string."""
    return "\n".join(strings(payload))


def fields(payload: dict[str, Any]) -> dict[str, str]:
    """Section fields by title: {"URL": "`https://...`", ...}."""
    found: dict[str, str] = {}
    for block in payload["blocks"]:
        for field in block.get("fields", []):
            title, _, body = field["text"].partition("\n")
            found[title.strip("*")] = body
    return found


def blocks_of(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block for block in payload["blocks"] if block["type"] == kind]


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (actions,) = blocks_of(payload, "actions")
    return {element["action_id"]: element for element in actions["elements"]}


def assert_no_foreign_markup(payload: dict[str, Any]) -> None:
    """No mention, link or command can come from Harness or user text: only the markup we write."""
    texts = [payload.get("text", ""), *(obj["text"] for obj in mrkdwn_objects(payload))]
    for text in texts:
        stray = OUR_MARKUP.sub("", text)
        assert "<" not in stray, text
        assert ">" not in stray, text
        assert not re.search(r"&(?!amp;|lt;|gt;)", stray), text


def assert_code_spans_closed(text: str) -> None:
    assert text.count("`") % 2 == 0, text


# ---------------------------------------------------------------------------------------------------------
# Reply


def test_reply_as_kwargs_gives_text_and_block_dicts() -> None:
    reply = registry_card(load("virtual"), PROJECT_REF, ui_base=UI)
    kwargs = reply.as_kwargs()
    assert set(kwargs) == {"text", "blocks"}
    assert kwargs["text"] == reply.text
    assert all(isinstance(block, dict) for block in kwargs["blocks"])


def test_reply_refuses_empty_fallback_text() -> None:
    with pytest.raises(ValueError, match="fallback text"):
        Reply(text="  ", blocks=[])


# ---------------------------------------------------------------------------------------------------------
# The full card: what it says


def test_card_header_is_the_identifier_with_a_package_emoji() -> None:
    (header,) = blocks_of(render("virtual"), "header")
    assert header["text"] == {"type": "plain_text", "text": "🐳 docker-prod", "emoji": True}


def test_card_is_header_then_summary_then_description() -> None:
    payload = render("virtual")
    kinds = [block["type"] for block in payload["blocks"][:3]]
    assert kinds == ["header", "context", "section"]
    assert payload["blocks"][2]["text"]["text"] == "Production images for the checkout service"


def test_card_summary_names_package_type_registry_type_scope_and_visibility() -> None:
    summary = render("virtual")["blocks"][1]["elements"][0]["text"]
    assert summary == "Docker · Virtual · payments › checkout · private"


def test_card_fallback_text_names_the_registry_and_what_it_is() -> None:
    assert render("virtual")["text"] == "docker-prod — Docker · Virtual · payments › checkout"


def test_card_shows_the_registry_url_as_code() -> None:
    assert fields(render("virtual"))["URL"] == f"`https://pkg.harness.io/pkg/{ACCOUNT}/docker-prod`"


def test_virtual_card_lists_upstreams_in_order() -> None:
    upstreams = fields(render("virtual"))["Upstreams (in order)"]
    assert upstreams.splitlines() == ["1. dockerhub-proxy", "2. ecr-mirror", "3. gcr-mirror"]


def test_card_lays_fields_out_in_pairs_that_belong_together() -> None:
    assert list(fields(render("virtual"))) == [
        "URL",
        "Upstreams (in order)",
        "Created",
        "Modified",
        "Labels",
        "Scanners",
    ]


def test_card_shows_labels_as_code() -> None:
    assert fields(render("virtual"))["Labels"] == "`payments` `prod`"


def test_card_shows_scanners_in_human_words() -> None:
    assert fields(render("upstream"))["Scanners"] == "Aqua Trivy, Grype"


def test_card_shows_created_as_a_slack_date_with_a_utc_fallback() -> None:
    created = fields(render("virtual"))["Created"]
    assert created == "<!date^1718812345^{date_short_pretty}|2024-06-19 15:52 UTC>"


def test_card_shows_modified_with_the_time() -> None:
    modified = fields(render("virtual"))["Modified"]
    assert modified == "<!date^1721404800^{date_short_pretty} at {time}|2024-07-19 16:00 UTC>"


def test_card_shows_cleanup_policies_with_days_and_prefixes() -> None:
    texts = everything(render("virtual"))
    assert "*Cleanup*\n• keep-30-days · after 30 days · packages `checkout*` · versions `pr-*`" in texts


def test_card_shows_allowed_and_blocked_patterns_and_policies() -> None:
    texts = everything(render("virtual"))
    assert "*Allowed* `checkout/*`\n*Blocked* `*-debug`\n*Policies* `block-critical-cves`" in texts


def test_card_says_one_day_not_one_days() -> None:
    registry = variant("virtual", cleanupPolicy=[{"name": "daily", "expireDays": 1}])
    assert "• daily · after 1 day" in everything(render(registry))


def test_upstream_card_shows_source_remote_url_auth_and_firewall() -> None:
    shown = fields(render("upstream"))
    assert shown["Source"] == "Docker Hub"
    assert shown["Remote URL"] == "`https://registry-1.docker.io`"
    assert shown["Auth"] == "Username &amp; password"
    assert shown["Firewall"] == "⚠️ Block"


def test_upstream_card_has_no_upstreams_field() -> None:
    assert "Upstreams (in order)" not in fields(render("upstream"))


def test_upstream_card_shows_the_remote_url_suffix() -> None:
    registry = upstream_with(remoteUrlSuffix="simple")
    assert fields(render(registry))["Remote URL"] == "`https://registry-1.docker.io` (path `simple`)"


def test_upstream_card_never_shows_credential_details() -> None:
    texts = json.dumps(render("upstream"))
    for secret in ("svc-dockerhub-puller", "dockerhub_pull_token", "secretSpacePath", "userName"):
        assert secret not in texts


def test_open_source_firewall_field_is_read_too() -> None:
    registry = upstream_with(firewallMode=None, upstreamProxyConfigFirewallMode="WARN")
    assert fields(render(registry))["Firewall"] == "⚠️ Warn"


@pytest.mark.parametrize(
    ("mode", "shown"),
    [
        ("ALLOW", "Allow"),
        ("WARN", "⚠️ Warn"),
        ("BLOCK", "⚠️ Block"),
        ("ENABLED", "⚠️ Enabled"),
        ("QUARANTINE", "⚠️ Quarantine"),
    ],
)
def test_firewall_modes_that_can_stop_a_pull_carry_a_warning_sign(mode: str, shown: str) -> None:
    assert fields(render(upstream_with(firewallMode=mode)))["Firewall"] == shown


@pytest.mark.parametrize(
    ("package_type", "words"),
    [
        ("DOCKER", "Docker"),
        ("HUGGINGFACE", "Hugging Face"),
        ("HELM_HTTP", "Helm (HTTP)"),
        ("NPM", "npm"),
        ("PYTHON", "Python"),
        ("NUGET", "NuGet"),
        ("GENERIC", "Generic"),
    ],
)
def test_package_types_are_in_human_words(package_type: str, words: str) -> None:
    summary = render(variant("virtual", packageType=package_type))["blocks"][1]["elements"][0]["text"]
    assert summary.startswith(f"{words} · ")


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("Dockerhub", "Docker Hub"),
        ("AwsEcr", "AWS ECR"),
        ("MavenCentral", "Maven Central"),
        ("PyPi", "PyPI"),
        ("NpmJs", "npmjs"),
        ("NugetOrg", "NuGet Gallery"),
        ("Custom", "Custom"),
    ],
)
def test_upstream_sources_are_in_human_words(source: str, words: str) -> None:
    assert fields(render(upstream_with(source=source)))["Source"] == words


@pytest.mark.parametrize(
    ("auth_type", "words"),
    [
        ("UserPassword", "Username &amp; password"),
        ("AccessKeySecretKey", "Access key"),
        ("Anonymous", "Anonymous"),
    ],
)
def test_auth_types_are_in_human_words(auth_type: str, words: str) -> None:
    assert fields(render(upstream_with(authType=auth_type)))["Auth"] == words


def test_unknown_enum_values_are_shown_as_they_came() -> None:
    payload = render("unknown_values")
    shown = fields(payload)
    assert payload["blocks"][1]["elements"][0]["text"].startswith("QUANTUM · Upstream · ")
    assert shown["Source"] == "Artifactory"
    assert shown["Auth"] == "OAuth2ClientCredentials"
    assert shown["Firewall"] == "SANDBOX"
    assert shown["Scanners"] == "SNYK"


def test_unknown_package_type_gets_a_plain_package_emoji() -> None:
    (header,) = blocks_of(render("unknown_values"), "header")
    assert header["text"]["text"] == "📦 quantum-cache"


def test_a_timestamp_that_is_not_a_number_is_left_out() -> None:
    shown = fields(render("unknown_values"))
    assert "Created" in shown
    assert "Modified" not in shown


def test_minimal_registry_card_leaves_empty_things_out() -> None:
    payload = render("minimal")
    assert list(fields(payload)) == ["URL"]
    assert [block["type"] for block in payload["blocks"]] == ["header", "context", "section", "actions"]
    assert payload["blocks"][1]["elements"][0]["text"] == "Generic · payments › checkout"


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_no_card_ever_shows_none_or_null(name: str) -> None:
    texts = everything(render(name)) + everything(compact(name))
    assert not re.search(r"\b(None|null|nan)\b", texts)


def test_soft_deleted_registry_warns_right_under_the_header() -> None:
    warning = render("soft_deleted")["blocks"][1]["text"]["text"]
    assert warning.startswith("⚠️ *This registry was deleted* (<!date^1721491200^")
    assert "2024-07-20 16:00 UTC" in warning


def test_soft_deleted_registry_says_so_in_the_fallback_text() -> None:
    assert render("soft_deleted")["text"].endswith("· ⚠️ deleted")


@pytest.mark.parametrize("deleted_at", [None, "", "0", "not-a-number"])
def test_registry_without_a_real_deletion_time_is_not_called_deleted(deleted_at: str | None) -> None:
    payload = render(variant("virtual", deletedAt=deleted_at))
    assert "deleted" not in everything(payload)


def test_card_buttons_open_in_harness_refresh_and_how_to_pull() -> None:
    shown = buttons(render("virtual"))
    assert list(shown) == [ACTION_OPEN, ACTION_REFRESH, ACTION_PULL]
    assert shown[ACTION_PULL]["text"]["text"] == "How to pull"
    assert shown[ACTION_PULL]["value"] == PROJECT_REF.path
    assert shown[ACTION_OPEN]["text"]["text"] == "Open in Harness"
    assert shown[ACTION_OPEN]["url"] == PROJECT_REF.ui_url(UI)
    assert shown[ACTION_REFRESH]["value"] == PROJECT_REF.path


def test_share_button_only_when_shareable() -> None:
    shown = buttons(render("virtual", shareable=True))
    assert list(shown) == [ACTION_OPEN, ACTION_REFRESH, ACTION_SHARE, ACTION_PULL]
    assert shown[ACTION_SHARE]["text"]["text"] == "Share in channel"
    assert shown[ACTION_SHARE]["value"] == PROJECT_REF.path


def test_footer_says_who_it_was_looked_up_for_and_when() -> None:
    footer = render("virtual", requested_by="U123ABC", looked_up_at=1721404800)["blocks"][-1]
    assert footer["type"] == "context"
    assert footer["elements"][0]["text"] == (
        "Looked up for <@U123ABC> · <!date^1721404800^{date_short_pretty} at {time}|2024-07-19 16:00 UTC>"
    )


def test_footer_says_who_shared_it() -> None:
    footer = render("virtual", requested_by="U123ABC", shared_by="U456DEF")["blocks"][-1]
    assert footer["elements"][0]["text"] == "Shared by <@U456DEF>"


def test_card_without_requester_or_time_has_no_footer() -> None:
    assert render("virtual")["blocks"][-1]["type"] == "actions"


def test_footer_never_echoes_something_that_is_not_a_user_id() -> None:
    payload = render("virtual", requested_by="<!channel>", looked_up_at=1721404800)
    assert payload["blocks"][-1]["elements"][0]["text"].startswith("Looked up · <!date^")
    assert "channel" not in everything(payload)


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        (PROJECT_REF, "payments › checkout"),
        (ORG_REF, "org `payments`"),
        (ACCOUNT_REF, "the account"),
    ],
)
def test_describe_scope_says_where_a_registry_lives(ref: RegistryRef, words: str) -> None:
    assert describe_scope(ref) == words


def test_card_for_an_org_registry_names_the_org() -> None:
    assert render("virtual", ORG_REF)["text"] == "docker-prod — Docker · Virtual · org `payments`"


# ---------------------------------------------------------------------------------------------------------
# The full card: limits, for any registry


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_renders_a_card_slack_accepts(name: str) -> None:
    render(name, requested_by="U123ABC", looked_up_at=1721404800, shareable=True)


def test_huge_registry_card_stays_small() -> None:
    payload = render("huge", requested_by="U123ABC", looked_up_at=1721404800, shareable=True)
    assert len(payload["blocks"]) <= 12
    assert len(json.dumps(payload)) < 8000


def test_huge_description_is_cut_at_a_word_with_an_ellipsis() -> None:
    description = render("huge")["blocks"][2]["text"]["text"]
    assert utf16_len(description) <= 600
    assert description.endswith("…")
    assert description[:-1].split(" ")[-1] in load("huge").description.split(" ")


def test_huge_lists_show_the_first_few_and_how_many_more() -> None:
    payload = render("huge")
    shown = fields(payload)
    assert shown["Labels"].endswith("`label-011` +488 more")
    assert shown["Upstreams (in order)"].splitlines()[-2:] == ["10. upstream-009", "+190 more"]
    texts = everything(payload)
    assert "`allowed/007/*` +292 more" in texts
    assert "`blocked/007/*` +292 more" in texts
    assert "`policy-ref-007` +92 more" in texts
    assert "\n+55 more" in texts
    assert "`team-0-3/*` +16 more" in texts


def test_long_identifier_keeps_the_header_inside_its_limit() -> None:
    (header,) = blocks_of(render(variant("virtual", identifier="d" * 400)), "header")
    assert utf16_len(header["text"]["text"]) <= 150
    assert header["text"]["text"].endswith("…")


def test_long_registry_url_is_cut_but_stays_code() -> None:
    url = fields(render(variant("virtual", url="https://pkg.example/" + "a" * 5000)))["URL"]
    assert url.startswith("`https://pkg.example/")
    assert url.endswith("…`")


def test_labels_full_of_characters_that_grow_when_escaped_still_fit() -> None:
    render(variant("virtual", labels=["<&>" * 700] * 500, allowedPattern=["&" * 2000] * 300))


registry_text = st.text(st.characters(codec="utf-8"), max_size=300)
text_lists = st.lists(registry_text, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    identifier=registry_text,
    description=st.text(max_size=5000),
    labels=text_lists,
    upstreams=text_lists,
    patterns=text_lists,
    policy_name=registry_text,
    prefixes=text_lists,
)
def test_any_registry_renders_a_valid_card_without_foreign_markup(
    identifier: str,
    description: str,
    labels: list[str],
    upstreams: list[str],
    patterns: list[str],
    policy_name: str,
    prefixes: list[str],
) -> None:
    registry = Registry.model_validate(
        {
            "identifier": identifier,
            "packageType": "DOCKER",
            "url": "https://pkg.example/x",
            "description": description,
            "labels": labels,
            "config": {"type": "VIRTUAL", "upstreamProxies": upstreams},
            "allowedPattern": patterns,
            "blockedPattern": patterns,
            "policyRefs": patterns,
            "cleanupPolicy": [{"name": policy_name, "expireDays": 7, "packagePrefix": prefixes}],
        }
    )
    payload = render(registry, requested_by="U123ABC", looked_up_at=1721404800, shareable=True)
    assert_no_foreign_markup(payload)
    assert_no_foreign_markup(compact(registry))


# ---------------------------------------------------------------------------------------------------------
# Hostile text


def test_hostile_text_never_reaches_slack_as_markup() -> None:
    assert_no_foreign_markup(render("hostile", requested_by="U123ABC", looked_up_at=1721404800))
    assert_no_foreign_markup(compact("hostile"))


def test_hostile_description_is_escaped_not_dropped() -> None:
    description = render("hostile")["blocks"][2]["text"]["text"]
    assert description.startswith("&lt;!channel&gt; deploys are *frozen* &amp; ")
    assert "&lt;https://evil.example|click here&gt;" in description


def test_hostile_labels_are_escaped_inside_code() -> None:
    labels = fields(render("hostile"))["Labels"]
    assert "`&lt;!channel&gt;`" in labels
    assert "`*bold*`" in labels
    assert "`team&amp;ops`" in labels


def test_backticks_inside_code_spans_cannot_break_them() -> None:
    payload = render("hostile")
    assert "`aˋbˋc`" in fields(payload)["Labels"]
    assert "`ˋˋˋcode blockˋˋˋ`" in everything(payload)
    for block in payload["blocks"]:
        for field in block.get("fields", []):
            assert_code_spans_closed(field["text"])


def test_unicode_survives() -> None:
    payload = render("hostile")
    assert "`日本語` `🚀 launch`" in fields(payload)["Labels"]
    assert "ünïcødé 🚀" in everything(payload)


def test_hostile_identifier_is_escaped_in_the_fallback_text() -> None:
    payload = render(variant("virtual", identifier="<!channel>"))
    assert payload["text"].startswith("&lt;!channel&gt; — ")


def test_all_mrkdwn_is_verbatim_so_bare_mentions_and_channels_stay_text() -> None:
    objects = list(mrkdwn_objects(render("hostile"))) + list(mrkdwn_objects(compact("hostile")))
    assert objects
    assert all(obj.get("verbatim") is True for obj in objects)


# ---------------------------------------------------------------------------------------------------------
# Compact card (unfurls)


def test_compact_card_is_one_section_and_one_context() -> None:
    assert [block["type"] for block in compact("virtual")["blocks"]] == ["section", "context"]


def test_compact_card_links_the_name_to_harness() -> None:
    title = compact("virtual")["blocks"][0]["text"]["text"]
    assert title == f"🐳 <{PROJECT_REF.ui_url(UI)}|docker-prod> — Production images for the checkout service"


def test_compact_card_context_names_type_scope_and_url() -> None:
    line = compact("virtual")["blocks"][1]["elements"][0]["text"]
    assert (
        line
        == f"Docker · Virtual · payments › checkout · private · `https://pkg.harness.io/pkg/{ACCOUNT}/docker-prod`"
    )


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_compact_card_never_shouts(name: str) -> None:
    payload = compact(name)
    assert len(payload["blocks"]) <= 2
    assert not blocks_of(payload, "header")
    assert not blocks_of(payload, "actions")
    assert utf16_len(everything(payload)) < 700


def test_compact_card_marks_a_deleted_registry() -> None:
    assert compact("soft_deleted")["blocks"][1]["elements"][0]["text"].startswith("⚠️ deleted · ")


# ---------------------------------------------------------------------------------------------------------
# Errors


def status_error(status: int, ref: RegistryRef = PROJECT_REF) -> HarnessError:
    return error_for_status(status, ref=ref, host=HOST, detail="registry 0f8c6f2e not found SENTINEL")


def said_by(reply: Reply) -> str:
    """A one-section message's text, as the user reads it."""
    text: str = message(reply)["blocks"][0]["text"]["text"]
    return text


def said(exc: HarnessError) -> str:
    return said_by(error_reply(exc))


def test_not_found_names_the_registry_and_the_scope() -> None:
    ref = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prd")
    first, _ = said(status_error(404, ref)).split("\n")
    assert first == "I couldn't find a registry named `docker-prd` in payments › checkout."


def test_not_found_in_a_project_suggests_the_org_or_a_link() -> None:
    ref = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prd")
    _, hint = said(status_error(404, ref)).split("\n")
    assert hint == (
        "Registry lookups are scoped: try `/har payments/docker-prd` for the org, "
        "or paste the link from Harness."
    )


def test_not_found_in_an_org_suggests_a_project() -> None:
    text = said(status_error(404, ORG_REF))
    assert "in org `payments`." in text
    assert "`/har payments/&lt;project&gt;/docker-prod`" in text


def test_not_found_in_the_account_suggests_an_org_or_a_project() -> None:
    text = said(status_error(404, ACCOUNT_REF))
    assert "in the account." in text
    assert "`/har &lt;org&gt;/docker-prod`" in text
    assert "`/har &lt;org&gt;/&lt;project&gt;/docker-prod`" in text


def test_forbidden_names_the_scope() -> None:
    assert "doesn't have permission to read registries in payments › checkout." in said(status_error(403))


def test_unauthorized_asks_an_admin_to_renew_the_key() -> None:
    text = said(status_error(401))
    assert "invalid or expired" in text
    assert "admin to renew the bot's key" in text


def test_bad_reference_shows_what_harness_rejected() -> None:
    assert "Harness rejected `payments/checkout/docker-prod` as a registry reference." in said(
        status_error(400)
    )


def test_rate_limited_suggests_waiting_a_minute() -> None:
    assert said(status_error(429)) == (
        "Harness is busy right now and asked me to slow down.\nPlease try again in a minute."
    )


@pytest.mark.parametrize("status", [500, 502, 503, 418])
def test_server_errors_say_harness_had_a_problem(status: int) -> None:
    assert said(status_error(status)).startswith("Harness had a problem answering for `docker-prod`.")


def test_timeout_names_the_host() -> None:
    exc = HarnessTimeout("Harness did not answer within 5.0s", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("Harness at `app.harness.io` didn't answer in time.")


def test_connection_error_names_the_host() -> None:
    exc = HarnessConnectionError("could not reach Harness: ConnectError", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("I couldn't reach Harness at `app.harness.io`.")


def test_invalid_response_says_the_answer_could_not_be_read() -> None:
    exc = InvalidResponse("200 with status 'FAILURE'", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("Harness sent an answer I couldn't read for `docker-prod`.")


def test_unknown_harness_error_gets_a_calm_generic_message() -> None:
    exc = HarnessError("something new", ref=PROJECT_REF, host=HOST)
    assert said(exc).startswith("Something went wrong looking up `docker-prod` in Harness.")


def test_a_subclass_of_an_error_gets_its_parents_message() -> None:
    class RegistryGone(NotFound):
        pass

    exc = RegistryGone("gone", ref=PROJECT_REF, host=HOST, status=410)
    assert said(exc).startswith("I couldn't find a registry named `docker-prod`")


INTERNAL = "internal message SENTINEL"
ERRORS: list[HarnessError] = [
    *(status_error(status) for status in (400, 401, 403, 404, 429, 500)),
    HarnessTimeout(INTERNAL, ref=PROJECT_REF, host=HOST),
    HarnessConnectionError(INTERNAL, ref=PROJECT_REF, host=HOST),
    InvalidResponse(INTERNAL, ref=PROJECT_REF, host=HOST),
    HarnessError(INTERNAL, ref=PROJECT_REF, host=HOST),
]


@pytest.mark.parametrize("exc", ERRORS, ids=lambda exc: type(exc).__name__)
def test_error_is_one_sentence_and_one_next_step(exc: HarnessError) -> None:
    payload = message(error_reply(exc))
    assert [block["type"] for block in payload["blocks"]] == ["section"]
    what, next_step = payload["blocks"][0]["text"]["text"].split("\n")
    assert what.endswith(".")
    assert next_step.endswith(".")


@pytest.mark.parametrize("exc", ERRORS, ids=lambda exc: type(exc).__name__)
def test_error_never_shows_a_status_code_a_trace_an_internal_id_or_a_secret(exc: HarnessError) -> None:
    texts = json.dumps(message(error_reply(exc)))
    for leak in (str(exc), "SENTINEL", "0f8c6f2e", "Traceback", ACCOUNT, "/+", *map(str, range(400, 600))):
        assert leak not in texts


def test_every_error_class_has_its_own_message() -> None:
    classes = [BadReference, Unauthorized, Forbidden, NotFound, RateLimited, ServerError]
    replies = {said(cls("x", ref=PROJECT_REF, host=HOST, status=500)) for cls in classes}
    replies |= {
        said(cls("x", ref=PROJECT_REF, host=HOST)) for cls in (HarnessTimeout, HarnessConnectionError)
    }
    assert len(replies) == len(classes) + 2


def test_apology_is_short_and_has_no_details() -> None:
    payload = message(apology_reply())
    assert payload["text"].startswith("Sorry, something went wrong on my side")
    assert len(payload["blocks"]) == 1
    assert utf16_len(payload["text"]) < 120


def test_stale_button_says_to_ask_again() -> None:
    assert said_by(stale_button_reply()) == (
        "That button belongs to a card I can't read anymore.\n"
        "Ask again with `/har &lt;registry&gt;` for a fresh card."
    )


# ---------------------------------------------------------------------------------------------------------
# Text that is not a registry


def rejected(text: str, ctx: ScopeContext = CTX) -> InvalidScope:
    with pytest.raises(InvalidScope) as caught:
        parse_scope(text, ctx)
    return caught.value


def test_invalid_scope_shows_what_was_not_understood_and_why() -> None:
    payload = message(invalid_scope_reply(rejected("payments/Docker-Prod"), CTX))
    first = payload["blocks"][0]["text"]["text"].split("\n")[0]
    assert first == "I couldn't read `payments/Docker-Prod` as a registry. Registry names are lowercase."


def test_invalid_scope_passes_on_the_hint() -> None:
    payload = message(invalid_scope_reply(rejected("payments/Docker-Prod"), CTX))
    assert payload["blocks"][0]["text"]["text"].endswith("\nDid you mean `payments/docker-prod`?")
    assert "Did you mean `payments/docker-prod`?" in payload["text"]


def test_invalid_scope_lists_the_forms_that_work() -> None:
    usage = message(invalid_scope_reply(rejected("a/b/c/d/e"), CTX))["blocks"][-1]["elements"][0]["text"]
    assert "`&lt;org&gt;/&lt;project&gt;/&lt;registry&gt;`" in usage
    assert usage.startswith("I understand `&lt;registry&gt;`, ")
    assert "or a link from app.harness.io." in usage
    assert "`/har help` shows examples" in usage


def test_invalid_scope_escapes_what_the_user_typed() -> None:
    exc = InvalidScope("That's a Slack mention or channel, not a registry.", text="<!channel> `x` & co")
    payload = message(invalid_scope_reply(exc, CTX))
    assert "`&lt;!channel&gt; ˋxˋ &amp; co`" in payload["blocks"][0]["text"]["text"]
    assert_no_foreign_markup(payload)


def test_invalid_scope_cuts_a_long_text() -> None:
    exc = InvalidScope("That's too long to be a registry reference.", text="x" * 4000)
    shown = message(invalid_scope_reply(exc, CTX))["blocks"][0]["text"]["text"]
    assert "…`" in shown
    assert utf16_len(shown) < 400


def test_invalid_scope_without_text_just_says_why() -> None:
    exc = rejected("   ")
    assert message(invalid_scope_reply(exc, CTX))["blocks"][0]["text"]["text"].startswith(
        "Tell me which registry"
    )


# ---------------------------------------------------------------------------------------------------------
# Help


def help_lines(ctx: ScopeContext = CTX, command: str = "/har") -> list[str]:
    text: str = message(help_reply(ctx, command=command))["blocks"][0]["text"]["text"]
    return text.split("\n")[1:]


def test_help_has_one_example_per_scope_form() -> None:
    lines = help_lines()
    assert len(lines) == len(SCOPE_FORMS)
    for line, form in zip(lines, SCOPE_FORMS, strict=True):
        assert form.meaning in line


def test_help_examples_are_the_forms_own_examples() -> None:
    lines = help_lines()
    assert lines[0] == (
        "• `/har docker-prod` — a registry in your default org or project if one is set, else in the account"
    )
    assert lines[2] == "• `/har payments/checkout/docker-prod` — a registry in a project"


def test_help_registry_ref_examples_use_the_configured_account() -> None:
    lines = help_lines(ScopeContext(account_id="acc_test"))
    assert (
        "• `/har acc_test/payments/checkout/docker-prod/+` — an API registry_ref for a registry in a project"
        in lines
    )


def test_help_mentions_pasting_a_link_from_the_configured_hosts() -> None:
    ctx = ScopeContext(account_id=ACCOUNT, ui_hosts=frozenset({"harness.example.com"}))
    assert help_lines(ctx)[-1] == (
        "• `/har &lt;link&gt;` — a registry page copied from your browser (links from harness.example.com)"
    )


def test_help_shows_the_account_and_what_a_bare_name_means_with_defaults() -> None:
    context = message(help_reply(CTX))["blocks"][-1]["elements"][0]["text"]
    assert context == (
        f"Account `{ACCOUNT}` · with defaults set, a bare `&lt;registry&gt;` means "
        "`payments/checkout/&lt;registry&gt;`"
    )


def test_help_with_only_a_default_org() -> None:
    ctx = ScopeContext(account_id=ACCOUNT, default_org="payments")
    context = message(help_reply(ctx))["blocks"][-1]["elements"][0]["text"]
    assert context.endswith("a bare `&lt;registry&gt;` means `payments/&lt;registry&gt;`")


def test_help_without_defaults_says_a_bare_name_is_in_the_account() -> None:
    context = message(help_reply(ScopeContext(account_id=ACCOUNT)))["blocks"][-1]["elements"][0]["text"]
    assert context.endswith("a bare `&lt;registry&gt;` means a registry in the account")


def test_help_uses_the_command_it_was_called_with() -> None:
    assert help_lines(command="/har-dev")[0].startswith("• `/har-dev docker-prod`")


def test_help_fallback_text_keeps_its_placeholders_visible() -> None:
    text = message(help_reply(CTX))["text"]
    assert "&lt;org&gt;/&lt;project&gt;/&lt;registry&gt;" in text
    assert "<" not in text


# ---------------------------------------------------------------------------------------------------------
# Rendered once per looked-up registry


def test_a_looked_up_registry_is_rendered_once_and_only_the_footer_per_request() -> None:
    registry = load("virtual")
    first = registry_card(registry, PROJECT_REF, ui_base=UI, requested_by="U111", looked_up_at=1718812345)
    second = registry_card(registry, PROJECT_REF, ui_base=UI, requested_by="U222", looked_up_at=1718812399)
    one, two = first.as_kwargs()["blocks"], second.as_kwargs()["blocks"]
    assert all(a is b for a, b in zip(one[:-1], two[:-1], strict=True))
    assert "U111" in json.dumps(one[-1])
    assert "U222" in json.dumps(two[-1])
    assert first.text == second.text


def test_a_new_lookup_of_the_same_registry_renders_afresh_and_alike() -> None:
    first = registry_card(load("virtual"), PROJECT_REF, ui_base=UI)
    again = registry_card(load("virtual"), PROJECT_REF, ui_base=UI)
    assert first.as_kwargs() == again.as_kwargs()
    assert first.as_kwargs()["blocks"][0] is not again.as_kwargs()["blocks"][0]


def test_the_kept_card_follows_shareable_and_the_link_base() -> None:
    registry = load("virtual")
    private = render(registry, shareable=True)
    public = render(registry, shareable=False)
    elsewhere = checked(
        registry_card(registry, PROJECT_REF, ui_base="https://harness.example.com", shareable=True)
    )
    assert ACTION_SHARE in json.dumps(private)
    assert ACTION_SHARE not in json.dumps(public)
    assert "harness.example.com" in json.dumps(elsewhere)
    assert "harness.example.com" not in json.dumps(private)


def test_sending_a_kept_card_leaves_it_as_it_was() -> None:
    registry = load("virtual")
    before = json.dumps(registry_card(registry, PROJECT_REF, ui_base=UI).as_kwargs())
    sent = registry_card(registry, PROJECT_REF, ui_base=UI, requested_by="U111").as_kwargs()
    sent["blocks"].append({"type": "divider"})
    assert json.dumps(registry_card(registry, PROJECT_REF, ui_base=UI).as_kwargs()) == before


def test_an_unfurl_preview_is_rendered_once_per_looked_up_registry() -> None:
    registry = load("virtual")
    first = compact_card(registry, PROJECT_REF, ui_base=UI)
    second = compact_card(registry, PROJECT_REF, ui_base=UI)
    assert first["blocks"] is second["blocks"]
    assert compact_card(load("virtual"), PROJECT_REF, ui_base=UI) == first


def test_rendered_cards_keep_the_most_recently_used() -> None:
    kept: RenderedCards[str] = RenderedCards(size=2)
    a, b, c = load("virtual"), load("virtual"), load("virtual")
    kept.get(a, (), lambda: "a")
    kept.get(b, (), lambda: "b")
    assert kept.get(a, (), lambda: "a again") == "a"
    kept.get(c, (), lambda: "c")
    assert len(kept) == 2
    assert kept.get(b, (), lambda: "b again") == "b again"
    assert kept.get(a, (), lambda: "a third time") == "a third time"
