"""The full registry card: what it says, and that it is rendered once per looked-up registry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.cards import (
    ACTION_OPEN,
    ACTION_PULL,
    ACTION_REFRESH,
    ACTION_SHARE,
    CardOptions,
    RenderedCards,
    Reply,
    compact_card,
    describe_scope,
    registry_card,
)
from bot.cards.artifact import ACTION_ARTIFACTS, read_registry_value
from bot.refs import RegistryRef
from tests.cardcheck import (
    ACCOUNT,
    ACCOUNT_REF,
    ALL_FIXTURES,
    ORG_REF,
    PROJECT_REF,
    UI,
    blocks_of,
    buttons,
    checked,
    compact,
    everything,
    fields,
    load,
    render,
    upstream_with,
    variant,
)

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


def field_rows(payload: dict[str, Any]) -> list[list[str]]:
    """The field titles of each section of fields, in the order Slack lays them out."""
    return [
        [field["text"].partition("\n")[0].strip("*") for field in block["fields"]]
        for block in payload["blocks"]
        if "fields" in block
    ]


def test_upstream_card_lays_fields_out_with_the_url_first() -> None:
    assert field_rows(render("upstream"))[0][:2] == ["URL", "Source"]


URL_FIRST = {
    **{name: load(name) for name in ALL_FIXTURES},
    "virtual without upstreams": variant("virtual", config={"type": "VIRTUAL", "upstreamProxies": []}),
    "virtual without upstreams or labels": variant(
        "virtual", config={"type": "VIRTUAL"}, labels=[], scanners=[]
    ),
    "upstream without a source": upstream_with(source=""),
    "upstream with only a url": variant("upstream", config={"type": "UPSTREAM"}, labels=[]),
    "untyped with a source": variant("virtual", config={"source": "Dockerhub"}),
}


@pytest.mark.parametrize("name", sorted(URL_FIRST))
def test_the_url_is_the_first_field_on_every_card(name: str) -> None:
    rows = field_rows(render(URL_FIRST[name]))
    assert rows[0][0] == "URL"


def test_a_url_whose_partner_is_missing_takes_a_field_that_is_alone() -> None:
    assert field_rows(render(upstream_with(source="")))[0][:4] == ["URL", "Labels", "Remote URL", "Auth"]


def test_a_url_alone_has_its_own_row_so_the_pairs_below_stay_paired() -> None:
    registry = variant("virtual", config={"type": "VIRTUAL", "upstreamProxies": []})
    assert field_rows(render(registry)) == [["URL"], ["Created", "Modified", "Labels", "Scanners"]]


def test_a_card_without_a_url_keeps_its_pairs() -> None:
    registry = variant("virtual", url="")
    assert field_rows(render(registry)) == [
        ["Created", "Modified", "Labels", "Scanners", "Upstreams (in order)"]
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
    assert list(shown) == [ACTION_OPEN, ACTION_REFRESH, ACTION_PULL, ACTION_ARTIFACTS]
    assert read_registry_value(shown[ACTION_ARTIFACTS]["value"]) == (PROJECT_REF, 0)
    assert shown[ACTION_PULL]["text"]["text"] == "How to pull"
    assert shown[ACTION_PULL]["value"] == PROJECT_REF.path
    assert shown[ACTION_OPEN]["text"]["text"] == "Open in Harness"
    assert shown[ACTION_OPEN]["url"] == PROJECT_REF.ui_url(UI)
    assert shown[ACTION_REFRESH]["value"] == PROJECT_REF.path


def test_share_button_only_when_shareable() -> None:
    shown = buttons(render("virtual", shareable=True))
    assert list(shown) == [ACTION_OPEN, ACTION_REFRESH, ACTION_SHARE, ACTION_PULL, ACTION_ARTIFACTS]
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


def test_footer_says_who_shared_it_and_when() -> None:
    footer = render("virtual", shared_by="U456DEF", looked_up_at=1721404800)["blocks"][-1]
    assert footer["elements"][0]["text"] == (
        "Shared by <@U456DEF> · <!date^1721404800^{date_short_pretty} at {time}|2024-07-19 16:00 UTC>"
    )


def test_a_sharer_wins_over_the_requester_whatever_else_is_given() -> None:
    payload = render("virtual", requested_by="U123ABC", shared_by="U456DEF", looked_up_at=1721404800)
    footer = payload["blocks"][-1]["elements"][0]["text"]
    assert footer.startswith("Shared by <@U456DEF> · ")
    assert "Looked up" not in everything(payload)
    assert "U123ABC" not in everything(payload)


def test_a_sharer_that_is_not_a_user_id_leaves_the_requester() -> None:
    footer = render("virtual", requested_by="U123ABC", shared_by="<!here>")["blocks"][-1]
    assert footer["elements"][0]["text"] == "Looked up for <@U123ABC>"


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
# Rendered once per looked-up registry


def test_a_looked_up_registry_is_rendered_once_and_only_the_footer_per_request() -> None:
    registry = load("virtual")
    first = registry_card(
        registry, PROJECT_REF, ui_base=UI, options=CardOptions(requested_by="U111", looked_up_at=1718812345)
    )
    second = registry_card(
        registry, PROJECT_REF, ui_base=UI, options=CardOptions(requested_by="U222", looked_up_at=1718812399)
    )
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
        registry_card(
            registry, PROJECT_REF, ui_base="https://harness.example.com", options=CardOptions(shareable=True)
        )
    )
    assert ACTION_SHARE in json.dumps(private)
    assert ACTION_SHARE not in json.dumps(public)
    assert "harness.example.com" in json.dumps(elsewhere)
    assert "harness.example.com" not in json.dumps(private)


def test_sending_a_kept_card_leaves_it_as_it_was() -> None:
    registry = load("virtual")
    before = json.dumps(registry_card(registry, PROJECT_REF, ui_base=UI).as_kwargs())
    sent = registry_card(
        registry, PROJECT_REF, ui_base=UI, options=CardOptions(requested_by="U111")
    ).as_kwargs()
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
