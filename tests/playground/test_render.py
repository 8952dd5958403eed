"""Block Kit and mrkdwn to HTML: every block and element type the bot emits, and the escaping rules."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st

from bot.cards import CardOptions, compact_card, error_reply, help_reply, invalid_scope_reply, registry_card
from bot.cards.home import (
    ACTION_HOME_FIND,
    ACTION_MODAL_CHANNEL,
    ACTION_MODAL_FIND,
    FIND_BLOCK,
    LastEvent,
    Watched,
    card_modal,
    find_modal,
    home_tab,
    registry_option,
)
from bot.cards.subscribe import (
    ACTION_SUBSCRIBE_ARTIFACT,
    ACTION_SUBSCRIBE_CHANNEL,
    ACTION_SUBSCRIBE_EVENTS,
    ACTION_SUBSCRIBE_REGISTRY,
    ACTION_SUBSCRIBE_TAG,
    ARTIFACT_BLOCK,
    CHANNEL_BLOCK,
    EVENTS_BLOCK,
    REGISTRY_BLOCK,
    TAG_BLOCK,
    subscribe_modal,
)
from bot.commands import COMMANDS
from bot.harness.errors import Forbidden, HarnessTimeout, NotFound, ServerError
from bot.harness.models import RegistryResponse
from bot.parsing import InvalidScope, ScopeContext
from bot.parsing.globs import MAX_GLOB_CHARS
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef
from devtools.playground.render import (
    BLOCK_KIT_BUILDER,
    builder_url,
    format_date,
    mrkdwn,
    option_label,
    options_of,
    plain_text,
    render_blocks,
    render_text_object,
    render_view,
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
            {"type": "actions", "elements": [{"type": "datepicker"}]},
            "junk",
        ]
    )
    assert "<code>rich_text block</code>" in html
    assert "<code>datepicker element</code>" in html
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


# -------------------------------------------------------------------------------------------------------
# Views and their input elements.

VOID = frozenset({"input", "br", "hr", "img"})
CONVERSATIONS = [("C1", "general", False), ("C2", "incident-42", False), ("D1", "alice", True)]
INPUT_TAGS = ("input", "select", "textarea")


@dataclass
class Node:
    """One element of a parsed fragment, with its children and all the text inside it."""

    tag: str
    attrs: dict[str, str | None]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str | None = None, css: str | None = None, **attrs: str | None) -> list[Node]:
        """Descendants, depth first, with this tag, this class among their classes and these attributes
        (`data_kind` for `data-kind`; None for a boolean attribute present, as in `selected=None`)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        found: list[Node] = []
        for child in self.children:
            classes = (child.attrs.get("class") or "").split()
            if (
                (tag is None or child.tag == tag)
                and (css is None or css in classes)
                and all(name in child.attrs and child.attrs[name] == value for name, value in wanted.items())
            ):
                found.append(child)
            found += child.find(tag, css, **attrs)
        return found

    def one(self, tag: str | None = None, css: str | None = None, **attrs: str | None) -> Node:
        (found,) = self.find(tag, css, **attrs)
        return found


class Tree(HTMLParser):
    """A fragment as a tree; a closing tag that does not close the open element fails the test."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("", {})
        self.open = [self.root]
        self.feed(fragment)
        self.close()
        assert self.open == [self.root], "unclosed elements"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for node in self.open:
            node.text += data


def view_tree(view: Any, **kwargs: Any) -> Node:
    html = render_view(view, view_id="V1", now=NOW, **kwargs)
    assert "bk-unsupported" not in html
    return Tree(html).root


def block_of(root: Node, block_id: str) -> Node:
    return root.one("div", "bk-block", data_block_id=block_id)


def element_of(root: Node, block_id: str) -> Node:
    return block_of(root, block_id).one(css="bk-input-element")


def watched() -> list[Watched]:
    last = LastEvent("pushed", "checkout-api", "2.14.0", datetime(2024, 6, 19, 15, 0, tzinfo=UTC))
    return [
        Watched("C2", REF, "checkout-*", "pushes and deletes", last),
        Watched("C1", REF, "", "deletes", None),
    ]


def subscribe_tree(**kwargs: Any) -> Node:
    return view_tree(subscribe_modal(registry=REF, channel="C1"), conversations=CONVERSATIONS, **kwargs)


def test_home_tab_draws_whole_with_recents_and_watched_channels() -> None:
    api = ArtifactRef(REF, "checkout-api")
    recent: list[Target] = [VersionRef(api, "2.14.0"), api, REF]
    view = home_tab(recent, COMMANDS, watched())
    root = view_tree(view, names={"C2": "incident-42"})
    (home,) = root.children
    assert (home.tag, home.attrs["class"], home.attrs["data-view-id"]) == ("div", "home-view", "V1")
    assert len(home.children) == len(view["blocks"])
    buttons = [button.text for button in root.find("button", "bk-button")]
    assert buttons[:3] == [target.short for target in recent]
    assert "#incident-42" in root.text
    assert "checkout-api:2.14.0" in root.text


def test_home_search_box_is_an_external_select_that_dispatches_at_once() -> None:
    root = view_tree(home_tab([], COMMANDS))
    box = root.one(data_kind="external_select")
    assert box.tag == "div"
    assert box.attrs["class"] == "bk-input-element bk-external-select"
    assert box.attrs["data-action-id"] == ACTION_HOME_FIND
    assert box.attrs["data-block-id"] == "b1"
    assert box.attrs["data-dispatch"] == "1"
    assert box.attrs["data-min-query"] == "1"
    assert (box.attrs["data-value"], box.attrs["data-label"]) == ("", "")
    search = box.one("input")
    assert search.attrs["type"] == "search"
    assert search.attrs["class"] == "bk-select-search"
    assert search.attrs["placeholder"] == search.attrs["aria-label"] == "Type a registry name"
    assert search.attrs["value"] == ""
    assert search.attrs["autocomplete"] == "off"
    listbox = box.one("ul")
    assert (listbox.attrs["class"], listbox.attrs["role"]) == ("bk-select-options", "listbox")
    assert "hidden" in listbox.attrs
    assert listbox.children == []


def test_find_modal_is_a_dialog_with_its_title_close_and_submit() -> None:
    root = view_tree(find_modal())
    (modal,) = root.children
    assert modal.attrs == {
        "class": "modal",
        "role": "dialog",
        "aria-modal": "true",
        "aria-labelledby": "modal-title-V1",
        "data-view-id": "V1",
    }
    title = modal.one("h2")
    assert (title.attrs["id"], title.attrs["class"], title.text) == (
        "modal-title-V1",
        "modal-title",
        "Find a registry",
    )
    assert modal.one("button", "modal-x").attrs["data-view-action"] == "close"
    assert modal.one("button", "modal-x").attrs["aria-label"] == "Close"
    cancel = modal.one("footer", "modal-foot").one("button", "modal-cancel")
    assert (cancel.text, cancel.attrs["data-view-action"]) == ("Close", "close")
    submit = modal.one("button", "modal-submit")
    assert (submit.text, submit.attrs["data-view-action"]) == ("Show", "submit")
    assert modal.one("div", "modal-body").one("div", "bk-input", data_block_id=FIND_BLOCK)


def test_a_modal_input_block_has_its_label_then_an_element_that_waits_for_submit() -> None:
    block = block_of(view_tree(find_modal()), FIND_BLOCK)
    label, box = block.children
    assert (label.tag, label.attrs["class"], label.text) == ("label", "bk-input-label", "Registry")
    assert label.find(css="bk-optional") == []
    assert box.attrs["data-kind"] == "external_select"
    assert box.attrs["data-block-id"] == FIND_BLOCK
    assert box.attrs["data-action-id"] == ACTION_MODAL_FIND
    assert "data-dispatch" not in box.attrs


def test_a_modal_without_submit_or_close_has_only_cancel() -> None:
    root = view_tree({"type": "modal", "title": pt("Note"), "blocks": []})
    assert root.find("button", "modal-submit") == []
    assert root.one("button", "modal-cancel").text == "Cancel"


def test_card_modal_shares_to_any_conversation_dms_included() -> None:
    card = registry_card(_registry("virtual.json"), REF, ui_base="https://app.harness.io").as_kwargs()[
        "blocks"
    ]
    root = view_tree(card_modal(card, REF), conversations=CONVERSATIONS)
    menu = root.one(data_kind="conversations_select")
    assert menu.tag == "select"
    assert menu.attrs["class"] == "bk-input-element bk-conversations-select"
    assert menu.attrs["data-action-id"] == ACTION_MODAL_CHANNEL
    assert menu.attrs["data-dispatch"] == "1"
    options = [(option.attrs["value"], option.text) for option in menu.find("option")]
    assert options == [("", "Pick a channel"), ("C1", "#general"), ("C2", "#incident-42"), ("D1", "@alice")]
    assert not any("selected" in option.attrs for option in menu.find("option"))
    assert root.find("button", "modal-submit") == []


def test_subscribe_modal_starts_from_the_registry_channel_and_both_events() -> None:
    root = subscribe_tree()
    registry = element_of(root, REGISTRY_BLOCK)
    assert (registry.attrs["data-value"], registry.attrs["data-label"]) == (REF.path, REF.short)
    assert registry.one("input").attrs["value"] == REF.short
    events = element_of(root, EVENTS_BLOCK)
    assert events.attrs["class"] == "bk-input-element bk-checkboxes"
    boxes = [(box.attrs["value"], "checked" in box.attrs) for box in events.find("input", type="checkbox")]
    assert boxes == [("pushes", True), ("deletes", True)]
    assert [label.text for label in events.find("label", "bk-checkbox")] == [
        " Pushes (a version arrives)",
        " Deletes (a version goes)",
    ]
    channel = element_of(root, CHANNEL_BLOCK)
    assert [option.attrs["value"] for option in channel.find("option", selected=None)] == ["C1"]


def test_subscribe_modal_channel_menu_leaves_dms_out() -> None:
    channel = element_of(subscribe_tree(), CHANNEL_BLOCK)
    assert [option.attrs["value"] for option in channel.find("option")] == ["", "C1", "C2"]


def test_subscribe_modal_text_inputs_are_optional_and_cut_at_the_glob_limit() -> None:
    root = subscribe_tree()
    for block_id, action_id in (
        (ARTIFACT_BLOCK, ACTION_SUBSCRIBE_ARTIFACT),
        (TAG_BLOCK, ACTION_SUBSCRIBE_TAG),
    ):
        box = element_of(root, block_id)
        assert box.tag == "input"
        assert box.attrs["type"] == "text"
        assert box.attrs["class"] == "bk-input-element bk-text-input"
        assert box.attrs["data-kind"] == "plain_text_input"
        assert box.attrs["data-action-id"] == action_id
        assert box.attrs["maxlength"] == str(MAX_GLOB_CHARS)
        assert box.attrs["value"] == ""
        assert "pattern" in (box.attrs["placeholder"] or "")
        assert block_of(root, block_id).one("span", "bk-optional").text == "(optional)"
    assert block_of(root, REGISTRY_BLOCK).find(css="bk-optional") == []


def test_every_input_element_of_the_subscribe_modal_names_its_block_and_action() -> None:
    root = subscribe_tree()
    expected = {
        REGISTRY_BLOCK: ("external_select", ACTION_SUBSCRIBE_REGISTRY),
        ARTIFACT_BLOCK: ("plain_text_input", ACTION_SUBSCRIBE_ARTIFACT),
        TAG_BLOCK: ("plain_text_input", ACTION_SUBSCRIBE_TAG),
        EVENTS_BLOCK: ("checkboxes", ACTION_SUBSCRIBE_EVENTS),
        CHANNEL_BLOCK: ("conversations_select", ACTION_SUBSCRIBE_CHANNEL),
    }
    found = {
        node.attrs["data-block-id"]: (node.attrs["data-kind"], node.attrs["data-action-id"])
        for node in root.find(css="bk-input-element")
    }
    assert found == expected
    assert not any("data-dispatch" in node.attrs for node in root.find(css="bk-input-element"))
    hints = [node.text for node in root.find("div", "bk-hint")]
    assert len(hints) == 4
    assert hints[0] == "A virtual registry: Harness sends changes for those."


def test_values_entered_override_the_initial_ones() -> None:
    values = {
        REGISTRY_BLOCK: {ACTION_SUBSCRIBE_REGISTRY: {"value": "acc/payments/other", "label": "other"}},
        ARTIFACT_BLOCK: {ACTION_SUBSCRIBE_ARTIFACT: "payments-*"},
        EVENTS_BLOCK: {ACTION_SUBSCRIBE_EVENTS: ["deletes"]},
        CHANNEL_BLOCK: {ACTION_SUBSCRIBE_CHANNEL: "C2"},
    }
    root = subscribe_tree(values=values)
    registry = element_of(root, REGISTRY_BLOCK)
    assert (registry.attrs["data-value"], registry.attrs["data-label"]) == ("acc/payments/other", "other")
    assert registry.one("input").attrs["value"] == "other"
    assert element_of(root, ARTIFACT_BLOCK).attrs["value"] == "payments-*"
    assert element_of(root, TAG_BLOCK).attrs["value"] == ""
    ticked = [box.attrs["value"] for box in element_of(root, EVENTS_BLOCK).find("input", checked=None)]
    assert ticked == ["deletes"]
    assert [
        option.attrs["value"] for option in element_of(root, CHANNEL_BLOCK).find("option", selected=None)
    ] == ["C2"]


def test_unticking_every_checkbox_is_a_value_too() -> None:
    root = subscribe_tree(values={EVENTS_BLOCK: {ACTION_SUBSCRIBE_EVENTS: []}})
    assert element_of(root, EVENTS_BLOCK).find("input", checked=None) == []


def test_values_of_the_wrong_shape_are_ignored() -> None:
    values: Any = {
        REGISTRY_BLOCK: {ACTION_SUBSCRIBE_REGISTRY: {"value": 5, "label": None}},
        ARTIFACT_BLOCK: "junk",
        TAG_BLOCK: {ACTION_SUBSCRIBE_TAG: ["not", "text"]},
        EVENTS_BLOCK: {ACTION_SUBSCRIBE_EVENTS: ["pushes", 1]},
        CHANNEL_BLOCK: {ACTION_SUBSCRIBE_CHANNEL: {"id": "C2"}},
        7: None,
    }
    root = subscribe_tree(values=values)
    assert element_of(root, REGISTRY_BLOCK).attrs["data-value"] == REF.path
    assert element_of(root, TAG_BLOCK).attrs["value"] == ""
    assert len(element_of(root, EVENTS_BLOCK).find("input", checked=None)) == 2
    assert element_of(root, CHANNEL_BLOCK).one("option", selected=None).attrs["value"] == "C1"
    assert subscribe_tree(values=cast(Any, ["junk"])).find(css="bk-input-element")


def test_errors_appear_under_their_own_block_only() -> None:
    root = subscribe_tree(errors={TAG_BLOCK: "Use * and ? only.", "elsewhere": "never shown"})
    (error,) = root.find("div", "bk-error")
    assert (error.attrs["role"], error.text) == ("alert", "Use * and ? only.")
    assert block_of(root, TAG_BLOCK).children[-1] is error
    assert "never shown" not in root.text


def test_an_input_block_with_dispatch_action_dispatches() -> None:
    block = {
        "type": "input",
        "block_id": "q",
        "dispatch_action": True,
        "label": pt("Query"),
        "element": {"type": "plain_text_input", "action_id": "typed"},
    }
    assert Tree(render_blocks([block])).root.one(data_kind="plain_text_input").attrs["data-dispatch"] == "1"


def test_input_elements_are_disabled_when_not_interactive() -> None:
    root = Tree(render_blocks(subscribe_modal()["blocks"], interactive=False)).root
    controls = [node for tag in INPUT_TAGS for node in root.find(tag)]
    assert len(controls) == 6  # the search box, two text boxes, two checkboxes, the channel menu
    assert all("disabled" in node.attrs for node in controls)
    enabled = Tree(render_blocks(subscribe_modal()["blocks"])).root
    assert not any("disabled" in node.attrs for tag in INPUT_TAGS for node in enabled.find(tag))


def test_a_multiline_text_input_is_a_textarea_keeping_a_leading_newline() -> None:
    element = {
        "type": "plain_text_input",
        "action_id": "notes",
        "multiline": True,
        "max_length": 300,
        "initial_value": "\nsecond </textarea><b>",
    }
    html = render_blocks([{"type": "actions", "block_id": "a", "elements": [element]}])
    box = Tree(html).root.one(data_kind="plain_text_input")
    assert (box.tag, box.attrs["class"], box.attrs["maxlength"]) == (
        "textarea",
        "bk-input-element bk-text-input",
        "300",
    )
    assert box.text == "\n\nsecond </textarea><b>"
    assert box.children == []


def test_maxlength_and_min_query_only_from_counts() -> None:
    for junk in ("9", True, -1, None, 2.5):
        text = {"type": "plain_text_input", "action_id": "t", "max_length": junk}
        select = {"type": "external_select", "action_id": "s", "min_query_length": junk}
        root = Tree(render_blocks([{"type": "actions", "elements": [text, select]}])).root
        assert "maxlength" not in root.one(data_kind="plain_text_input").attrs
        assert root.one(data_kind="external_select").attrs["data-min-query"] == "3"
    zero = {"type": "external_select", "action_id": "s", "min_query_length": 0}
    assert 'data-min-query="0"' in render_blocks([{"type": "actions", "elements": [zero]}])


def test_static_select_offers_its_options_and_groups() -> None:
    element = {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": pt("Pick one"),
        "option_groups": [
            {"label": pt("A"), "options": [{"text": pt("one"), "value": "1"}]},
            {"label": pt("B"), "options": [{"text": pt("two"), "value": "2"}, {"value": "broken"}]},
        ],
        "initial_option": {"text": pt("two"), "value": "2"},
    }
    blocks = [{"type": "section", "block_id": "s", "text": md("x"), "accessory": element}]
    menu = Tree(render_blocks(blocks)).root.one(data_kind="static_select")
    assert menu.attrs["class"] == "bk-input-element bk-static-select"
    assert [(option.attrs["value"], option.text) for option in menu.find("option")] == [
        ("", "Pick one"),
        ("1", "one"),
        ("2", "two"),
    ]
    assert menu.one("option", selected=None).attrs["value"] == "2"
    chosen = Tree(render_blocks(blocks, values={"s": {"pick": "1"}})).root
    assert chosen.one("option", selected=None).attrs["value"] == "1"


HOSTILE = '"><script>alert(1)</script>&amp;' + "x" * 500


def test_hostile_values_and_names_come_out_inert() -> None:
    values: dict[str, dict[str, Any]] = {
        REGISTRY_BLOCK: {ACTION_SUBSCRIBE_REGISTRY: {"value": HOSTILE, "label": HOSTILE}},
        ARTIFACT_BLOCK: {ACTION_SUBSCRIBE_ARTIFACT: HOSTILE},
        EVENTS_BLOCK: {ACTION_SUBSCRIBE_EVENTS: [HOSTILE]},
        CHANNEL_BLOCK: {ACTION_SUBSCRIBE_CHANNEL: HOSTILE},
    }
    conversations = [(HOSTILE, HOSTILE, False), ("D1", HOSTILE, True)]
    html = render_view(
        subscribe_modal(),
        view_id=HOSTILE,
        values=values,
        errors={TAG_BLOCK: HOSTILE},
        conversations=conversations,
    )
    root = Tree(html).root
    assert root.find("script") == []
    assert not any(
        name.startswith("on")
        for tag in ("div", "input", "select", "option")
        for node in root.find(tag)
        for name in node.attrs
    )
    registry = element_of(root, REGISTRY_BLOCK)
    assert registry.attrs["data-value"] == registry.attrs["data-label"] == HOSTILE
    assert registry.one("input").attrs["value"] == HOSTILE
    assert element_of(root, ARTIFACT_BLOCK).attrs["value"] == HOSTILE
    assert root.one("div", "bk-error").text == HOSTILE
    assert root.one("option", selected=None).text == "#" + HOSTILE
    assert root.one("div", "modal").attrs["data-view-id"] == HOSTILE
    assert "&amp;amp;" in html


@given(st.text(max_size=300))
def test_any_text_entered_round_trips_through_the_attributes(text: str) -> None:
    values = {REGISTRY_BLOCK: {ACTION_SUBSCRIBE_REGISTRY: {"value": text, "label": text}}}
    root = Tree(render_blocks(subscribe_modal()["blocks"], values=values)).root
    registry = element_of(root, REGISTRY_BLOCK)
    assert registry.attrs["data-label"] == registry.one("input").attrs["value"] == text


def test_a_view_slack_would_refuse_is_a_note_not_an_exception() -> None:
    for view in ({"type": "workflow_step", "blocks": []}, {}, "junk", None, {"type": "<script>"}):
        html = render_view(cast(Any, view), view_id="V1")
        assert "Slack would refuse this view" in html
        assert "<script>" not in html
        assert Tree(html).root.find("div", "bk-unsupported")


# -------------------------------------------------------------------------------------------------------
# Options an app answers a block_suggestion with.


def test_options_of_the_bots_own_answer() -> None:
    found = registry_option(REF)
    assert found is not None
    assert options_of({"options": [found]}) == [{"value": REF.path, "label": REF.short}]


def test_options_of_option_groups_are_flattened_in_order() -> None:
    answer = {
        "option_groups": [
            {"label": pt("Mine"), "options": [{"text": pt("a & <b>"), "value": "1"}]},
            "junk",
            {"label": pt("Empty")},
            {"label": pt("Others"), "options": [{"text": pt("c"), "value": "3"}]},
        ]
    }
    assert options_of(answer) == [{"value": "1", "label": "a & <b>"}, {"value": "3", "label": "c"}]


def test_options_of_skip_malformed_options_and_stop_at_one_hundred() -> None:
    malformed = [
        1,
        None,
        {"value": "v"},
        {"text": pt("t")},
        {"text": md("m"), "value": "v"},
        {"text": pt("t"), "value": 2},
    ]
    assert options_of({"options": malformed}) == []
    many = [{"text": pt(f"r{i}"), "value": str(i)} for i in range(150)]
    found = options_of({"options": many})
    assert len(found) == 100
    assert found[-1] == {"value": "99", "label": "r99"}


def test_options_of_garbage_is_empty() -> None:
    garbage: list[Any] = [None, "options", [], {}, {"options": "x"}, {"option_groups": {"a": 1}}]
    for answer in garbage:
        assert options_of(answer) == []


def test_option_label_is_the_plain_text() -> None:
    assert option_label({"text": pt("&amp; <x>"), "value": "v"}) == "&amp; <x>"
    for junk in (None, {"text": "bare"}, {"text": md("m")}, {"text": {"type": "plain_text", "text": 3}}):
        assert option_label(junk) is None
