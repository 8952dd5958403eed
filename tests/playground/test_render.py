"""Block Kit and mrkdwn to HTML: every block and element type the bot emits, and the escaping rules."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.cards import CardOptions, compact_card, error_reply, help_reply, invalid_scope_reply, registry_card
from bot.harness.errors import Forbidden, HarnessTimeout, NotFound, ServerError
from bot.harness.models import RegistryResponse
from bot.parsing import InvalidScope, ScopeContext
from bot.refs import RegistryRef
from devtools.playground.render import (
    BLOCK_KIT_BUILDER,
    builder_url,
    format_date,
    mrkdwn,
    plain_text,
    render_blocks,
    render_text_object,
)
from tests.support import harness_fixture

NOW = datetime(2024, 6, 19, 12, 0, tzinfo=UTC)
JUNE_19 = 1718812345  # 2024-06-19 15:52:25 UTC
REF = RegistryRef(account="acc", org="payments", project="checkout", registry="docker-prod")
CTX = ScopeContext(account_id="acc")


def md(text: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, **kwargs}


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


class Tags(HTMLParser):
    """Every tag and attribute in a fragment, and its text."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data


# -------------------------------------------------------------------------------------------------------
# Blocks.


def test_header_is_drawn_as_a_heading() -> None:
    html = render_blocks([{"type": "header", "text": pt("🐳 docker-prod")}])
    assert '<h3 class="bk-header-text">🐳 docker-prod</h3>' in html
    assert 'class="bk-block bk-header"' in html


def test_header_text_is_plain_even_when_it_looks_like_markup() -> None:
    html = render_blocks([{"type": "header", "text": pt("*not bold* <@U1> &amp;")}])
    assert Tags(html).text == "*not bold* <@U1> &amp;"


def test_section_text_is_mrkdwn() -> None:
    html = render_blocks([{"type": "section", "text": md("*Cleanup*\n• keep")}])
    assert '<div class="bk-section-text"><strong>Cleanup</strong><br>• keep</div>' in html


def test_section_fields_are_drawn_in_a_grid() -> None:
    html = render_blocks([{"type": "section", "fields": [md("*URL*\n`x`"), md("*Upstreams*\n1. a")]}])
    assert html.count('class="bk-field"') == 2
    assert '<div class="bk-fields">' in html
    assert '<strong>URL</strong><br><code class="bk-code">x</code>' in html


def test_section_accessory_button_sits_beside_the_text() -> None:
    block = {
        "type": "section",
        "block_id": "s1",
        "text": md("hi"),
        "accessory": {"type": "button", "text": pt("Go"), "action_id": "go", "value": "v"},
    }
    html = render_blocks([block])
    assert '<div class="bk-accessory"><button type="button" class="bk-button" data-block-id="s1"' in html


def test_context_draws_mrkdwn_plain_text_and_images() -> None:
    block = {
        "type": "context",
        "elements": [
            md("*a*"),
            pt("b"),
            {"type": "image", "image_url": "https://x/i.png", "alt_text": "logo"},
        ],
    }
    html = render_blocks([block])
    assert '<span class="bk-context-text"><strong>a</strong></span>' in html
    assert '<span class="bk-context-text">b</span>' in html
    assert "🖼 logo" in html
    assert "<img" not in html


def test_divider_is_a_rule() -> None:
    assert '<hr class="bk-divider-line">' in render_blocks([{"type": "divider"}])


def test_image_block_is_a_labelled_placeholder_not_a_fetch() -> None:
    block = {
        "type": "image",
        "image_url": "https://cdn.example/a.png",
        "alt_text": "graph",
        "title": pt("Pulls"),
    }
    html = render_blocks([block])
    assert "Pulls" in html
    assert 'href="https://cdn.example/a.png"' in html
    assert "<img" not in html


def test_actions_draw_each_button_with_its_ids_and_style() -> None:
    block = {
        "type": "actions",
        "block_id": "b9",
        "elements": [
            {
                "type": "button",
                "text": pt("Open in Harness"),
                "action_id": "open",
                "url": "https://h/x",
                "style": "primary",
            },
            {"type": "button", "text": pt("Refresh"), "action_id": "refresh", "value": "acc/reg/+"},
            {"type": "button", "text": pt("Delete"), "action_id": "del", "style": "danger"},
        ],
    }
    tags = Tags(render_blocks([block])).tags
    buttons = [(tag, attrs) for tag, attrs in tags if "bk-button" in (attrs.get("class") or "")]
    assert [tag for tag, _ in buttons] == ["a", "button", "button"]
    link, refresh, delete = (attrs for _, attrs in buttons)
    assert link["href"] == "https://h/x"
    assert link["target"] == "_blank"
    assert link["rel"] == "noopener noreferrer"
    assert link["class"] == "bk-button bk-primary"
    assert (refresh["data-block-id"], refresh["data-action-id"]) == ("b9", "refresh")
    assert delete["class"] == "bk-button bk-danger"


def test_button_confirm_dialog_is_carried_for_the_page_to_ask() -> None:
    button = {
        "type": "button",
        "text": pt("Purge"),
        "action_id": "purge",
        "confirm": {
            "title": pt("Sure?"),
            "text": md("This &amp; that"),
            "confirm": pt("Yes"),
            "deny": pt("No"),
        },
    }
    html = render_blocks([{"type": "actions", "elements": [button]}])
    assert 'data-confirm="Sure? This &amp; that"' in html


def test_buttons_are_disabled_when_not_interactive() -> None:
    button = {"type": "button", "text": pt("Refresh"), "action_id": "refresh"}
    html = render_blocks([{"type": "actions", "elements": [button]}], interactive=False)
    assert " disabled>" in html


def test_a_button_with_a_script_url_is_not_a_link() -> None:
    button = {"type": "button", "text": pt("x"), "action_id": "x", "url": "javascript:alert(1)"}
    html = render_blocks([{"type": "actions", "elements": [button]}])
    assert "javascript" not in html
    assert "<button" in html


def test_blocks_without_a_block_id_get_one_by_position() -> None:
    html = render_blocks([{"type": "divider"}, {"type": "divider"}])
    assert 'data-block-id="b0"' in html
    assert 'data-block-id="b1"' in html


def test_unknown_blocks_and_elements_say_so_instead_of_vanishing() -> None:
    html = render_blocks(
        [
            {"type": "rich_text", "elements": []},
            {"type": "actions", "elements": [{"type": "static_select"}]},
            "junk",
        ]
    )
    assert "<code>rich_text block</code>" in html
    assert "<code>static_select element</code>" in html
    assert "<code>block</code>" in html


def test_text_objects_of_unknown_shape_draw_nothing() -> None:
    assert render_text_object(None) == ""
    assert render_text_object({"type": "mrkdwn"}) == ""


# -------------------------------------------------------------------------------------------------------
# mrkdwn.


def test_mrkdwn_emphasis() -> None:
    assert mrkdwn("*bold* _it_ ~gone~") == "<strong>bold</strong> <em>it</em> <del>gone</del>"


def test_mrkdwn_underscores_inside_words_are_not_italic() -> None:
    assert mrkdwn("registry_ref and my_reg_x") == "registry_ref and my_reg_x"


def test_mrkdwn_code_is_literal() -> None:
    assert mrkdwn("`*x* &lt;y&gt;`") == '<code class="bk-code">*x* &lt;y&gt;</code>'


def test_mrkdwn_preformatted_block() -> None:
    assert mrkdwn("```\na  b\n```") == '<pre class="bk-pre">a  b</pre>'


def test_mrkdwn_quote_lines() -> None:
    assert mrkdwn("> said\nthen") == '<blockquote class="bk-quote">said</blockquote>then'


def test_mrkdwn_escaped_angle_brackets_are_not_quotes_or_tags() -> None:
    assert mrkdwn("&gt; no &lt;b&gt; &amp;amp;") == "&gt; no &lt;b&gt; &amp;amp;"


def test_mrkdwn_newlines_become_breaks() -> None:
    assert mrkdwn("a\nb") == "a<br>b"


def test_mrkdwn_links_with_and_without_label() -> None:
    assert mrkdwn("<https://h/x?a=1&amp;b=2|the &lt;page&gt;>") == (
        '<a href="https://h/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">the &lt;page&gt;</a>'
    )
    assert mrkdwn("<https://h/y>").endswith(
        'href="https://h/y" target="_blank" rel="noopener noreferrer">https://h/y</a>'
    )


def test_mrkdwn_link_to_a_script_url_is_shown_as_text() -> None:
    html = mrkdwn("<javascript:alert(1)|click>")
    assert "<a" not in html
    assert "javascript:alert(1)" in Tags(html).text


def test_mrkdwn_user_mentions_use_display_names() -> None:
    assert mrkdwn("<@U07ALICE42>", names={"U07ALICE42": "alice"}) == (
        '<span class="bk-mention" data-user="U07ALICE42">@alice</span>'
    )
    assert "@U999" in mrkdwn("<@U999>")
    assert "@bob" in mrkdwn("<@U999|bob>")


def test_mrkdwn_channel_broadcast_and_group_mentions() -> None:
    assert "#incident-42" in mrkdwn("<#C1|incident-42>")
    assert '<span class="bk-mention bk-broadcast">@here</span>' in mrkdwn("<!here>")
    assert "@oncall" in mrkdwn("<!subteam^S1|@oncall>")


def test_mrkdwn_date_is_a_time_element_with_its_format() -> None:
    html = mrkdwn("<!date^1718812345^{date_short_pretty} at {time}|2024-06-19 15:52 UTC>", now=NOW)
    ((tag, attrs),) = Tags(html).tags
    assert tag == "time"
    assert attrs["datetime"] == "2024-06-19T15:52:25Z"
    assert attrs["data-ts"] == "1718812345"
    assert attrs["data-format"] == "{date_short_pretty} at {time}"
    assert attrs["title"] == "2024-06-19 15:52 UTC"
    assert Tags(html).text == "today at 3:52 PM"


def test_mrkdwn_date_with_a_link() -> None:
    html = mrkdwn("<!date^1718812345^{date_num}^https://h/x|fallback>")
    assert html.startswith('<a href="https://h/x"')
    assert "2024-06-19" in html


def test_mrkdwn_unreadable_date_shows_its_fallback() -> None:
    assert mrkdwn("<!date^soon^{date}|some day>") == "some day"


def test_mrkdwn_bold_around_a_date() -> None:
    html = mrkdwn("*<!date^1718812345^{date_num}|x>*")
    assert html.startswith("<strong><time")


def test_mrkdwn_non_verbatim_links_bare_urls() -> None:
    assert '<a href="https://h/x"' in mrkdwn("see https://h/x.", verbatim=False)
    assert "<a" not in mrkdwn("see https://h/x.", verbatim=True)


def test_mrkdwn_private_use_markers_in_text_cannot_pull_in_fragments() -> None:
    assert mrkdwn("\ue0000\ue001 `x`") == '0 <code class="bk-code">x</code>'


def test_plain_text_escapes_everything() -> None:
    assert plain_text('<b>"x"</b>\ny') == "&lt;b&gt;&quot;x&quot;&lt;/b&gt;<br>y"


ALLOWED_TAGS = {"strong", "em", "del", "code", "pre", "blockquote", "br", "a", "span", "time"}


TOKENS = [
    *"ab *_~`<>|&;!@#^:/.\n",
    "javascript:",
    "https://h",
    "&lt;",
    "&gt;",
    "&amp;",
    "!date^1^{time}",
    "\ue000",
]


@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_mrkdwn_never_emits_unexpected_markup_or_unsafe_links(text: str) -> None:
    parsed = Tags(mrkdwn(text, verbatim=False))
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS
        assert not any(name.startswith("on") for name in attrs)
        href = attrs.get("href")
        if href is not None:
            assert urllib.parse.urlsplit(href).scheme in ("http", "https", "mailto")


# -------------------------------------------------------------------------------------------------------
# Dates.


def test_format_date_tokens() -> None:
    cases = {
        "{date_num}": "2024-06-19",
        "{date}": "June 19th, 2024",
        "{date_short}": "Jun 19, 2024",
        "{date_long}": "Wednesday, June 19th, 2024",
        "{time}": "3:52 PM",
        "{time_secs}": "3:52:25 PM",
        "{nonsense}": "{nonsense}",
    }
    later = datetime(2025, 1, 1, tzinfo=UTC)
    for fmt, expected in cases.items():
        assert format_date(JUNE_19, fmt, now=later) == expected


def test_format_date_pretty_forms_say_today_yesterday_tomorrow() -> None:
    assert format_date(JUNE_19, "{date_pretty}", now=NOW) == "today"
    assert format_date(JUNE_19 - 86400, "{date_short_pretty}", now=NOW) == "yesterday"
    assert format_date(JUNE_19 + 86400, "{date_long_pretty}", now=NOW) == "tomorrow"
    assert format_date(JUNE_19 - 5 * 86400, "{date_short_pretty}", now=NOW) == "Jun 14, 2024"


def test_format_date_ordinals() -> None:
    days = {
        1: "1st",
        2: "2nd",
        3: "3rd",
        4: "4th",
        11: "11th",
        12: "12th",
        13: "13th",
        21: "21st",
        22: "22nd",
    }
    for day, ordinal in days.items():
        seconds = int(datetime(2024, 3, day, tzinfo=UTC).timestamp())
        assert format_date(seconds, "{date}", now=NOW) == f"March {ordinal}, 2024"


def test_format_date_midnight_and_noon() -> None:
    midnight = int(datetime(2024, 3, 1, 0, 5, tzinfo=UTC).timestamp())
    assert format_date(midnight, "{time}", now=NOW) == "12:05 AM"
    assert format_date(midnight + 12 * 3600, "{time}", now=NOW) == "12:05 PM"


# -------------------------------------------------------------------------------------------------------
# Block Kit Builder.


def test_builder_url_holds_the_blocks() -> None:
    blocks = [{"type": "section", "text": md("a & b / c#d")}]
    url = builder_url(blocks)
    assert url.startswith(BLOCK_KIT_BUILDER)
    assert json.loads(urllib.parse.unquote(url.removeprefix(BLOCK_KIT_BUILDER))) == {"blocks": blocks}
    assert "#" not in url.removeprefix(BLOCK_KIT_BUILDER)


# -------------------------------------------------------------------------------------------------------
# What the bot actually sends, drawn whole.


def _registry(fixture: str) -> Any:
    data = RegistryResponse.model_validate_json(harness_fixture(fixture)).data
    assert data is not None
    return data


def _drawn(blocks: list[dict[str, Any]]) -> str:
    html = render_blocks(blocks, now=NOW)
    assert "bk-unsupported" not in html
    return html


def test_registry_card_draws_every_block() -> None:
    reply = registry_card(
        _registry("virtual.json"),
        REF,
        ui_base="https://app.harness.io",
        options=CardOptions(requested_by="U07ALICE42", looked_up_at=JUNE_19, shareable=True),
    )
    blocks = reply.as_kwargs()["blocks"]
    html = _drawn(blocks)
    text = Tags(render_blocks(blocks, names={"U07ALICE42": "alice"}, now=NOW)).text
    assert html.count('class="bk-block ') == len(blocks)
    for expected in ("🐳 docker-prod", "Upstreams (in order)", "1. dockerhub-proxy", "Aqua Trivy", "Refresh"):
        assert expected in text
    assert "Looked up for @alice" in text


def test_upstream_and_deleted_cards_draw_whole() -> None:
    for fixture in ("upstream.json", "soft_deleted.json", "unknown_values.json", "huge.json", "minimal.json"):
        _drawn(registry_card(_registry(fixture), REF, ui_base="https://app.harness.io").as_kwargs()["blocks"])


def test_hostile_registry_text_stays_text() -> None:
    blocks = registry_card(_registry("hostile.json"), REF, ui_base="https://app.harness.io").as_kwargs()[
        "blocks"
    ]
    for tag, attrs in Tags(_drawn(blocks)).tags:
        assert tag in ALLOWED_TAGS | {"div", "h3", "button", "hr"}
        assert not any(name.startswith("on") for name in attrs)


def test_compact_card_draws_a_link_and_a_context_line() -> None:
    blocks = compact_card(_registry("virtual.json"), REF, ui_base="https://app.harness.io")["blocks"]
    html = _drawn(blocks)
    assert (
        'href="https://app.harness.io/ng/account/acc/all/orgs/payments/projects/checkout/registries/docker-prod"'
        in html
    )
    assert 'class="bk-block bk-context"' in html


def test_help_and_error_messages_draw_whole() -> None:
    replies = [
        help_reply(CTX),
        invalid_scope_reply(
            InvalidScope("Registry names are lowercase.", text="Docker", hint="Did you mean `docker`?"), CTX
        ),
        error_reply(NotFound("x", ref=REF, host="app.harness.io", status=404)),
        error_reply(Forbidden("x", ref=REF, host="app.harness.io", status=403)),
        error_reply(ServerError("x", ref=REF, host="app.harness.io", status=500)),
        error_reply(HarnessTimeout("x", ref=REF, host="app.harness.io")),
    ]
    for reply in replies:
        assert Tags(_drawn(reply.as_kwargs()["blocks"])).text.strip()
    assert '<code class="bk-code">/har &lt;link&gt;</code>' in render_blocks(
        help_reply(CTX).as_kwargs()["blocks"]
    )
