"""The page's HTML: messages, threads, ephemeral notes, unfurls, the JSON tools and the side panel."""

from __future__ import annotations

from bot.cards.home import find_modal, home_tab
from bot.cards.subscribe import subscribe_modal
from bot.commands import COMMANDS
from devtools.playground.page import (
    HarnessInfo,
    render_conversation,
    render_home,
    render_log,
    render_modal,
    render_panel,
    render_shortcuts,
)
from devtools.playground.slack import Activity
from devtools.playground.views import View
from devtools.playground.workspace import BOT_USER, CHANNEL, DM, ME, Workspace
from devtools.registries import ACCOUNT, registries

HEADER = [{"type": "header", "text": {"type": "plain_text", "text": "🐳 docker-prod"}}]


def drawn(workspace: Workspace, channel: str = CHANNEL) -> str:
    return render_conversation(workspace.conversations[channel], workspace.names)


def test_empty_conversations_say_what_to_try() -> None:
    workspace = Workspace()
    assert "/har help" in drawn(workspace)
    assert "dockerhub-proxy" in drawn(workspace, DM)


def test_app_messages_carry_json_and_builder_link_and_how_they_arrived() -> None:
    workspace = Workspace()
    workspace.post(
        CHANNEL, BOT_USER, "fallback", blocks=HEADER, sent={"text": "fallback", "blocks": HEADER}, via="x"
    )
    html = drawn(workspace)
    assert "Block Kit JSON" in html
    assert "Open in Block Kit Builder" in html
    assert "via x" in html
    assert '<span class="app-badge">APP</span>' in html


def test_user_messages_have_no_json_tools() -> None:
    workspace = Workspace()
    workspace.post(CHANNEL, ME, "hello <@U07HARBOT1>")
    html = drawn(workspace)
    assert "Block Kit JSON" not in html
    assert "@harbot" in html


def test_ephemeral_messages_are_marked_only_visible_to_you() -> None:
    workspace = Workspace()
    workspace.post(CHANNEL, BOT_USER, "psst", ephemeral=True)
    assert "Only visible to you" in drawn(workspace)


def test_replies_are_drawn_in_their_thread() -> None:
    workspace = Workspace()
    parent = workspace.post(CHANNEL, ME, "question")
    workspace.post(CHANNEL, BOT_USER, "answer one", thread_ts=parent.ts)
    workspace.post(CHANNEL, BOT_USER, "answer two", thread_ts=parent.ts)
    html = drawn(workspace)
    thread = html[html.index('<section class="thread">') :]
    assert "2 replies" in thread
    assert "answer one" in thread
    assert "answer two" in thread


def test_a_reply_whose_parent_is_gone_is_still_shown() -> None:
    workspace = Workspace()
    workspace.post(CHANNEL, BOT_USER, "orphan", thread_ts="1.000001")
    assert "orphan" in drawn(workspace)


def test_unfurls_are_drawn_under_the_message_with_their_json() -> None:
    workspace = Workspace()
    message = workspace.post(CHANNEL, ME, "see <https://app.harness.io/x>")
    message.unfurls["https://app.harness.io/x"] = {"blocks": HEADER}
    html = drawn(workspace)
    assert '<div class="unfurl" data-url="https://app.harness.io/x">' in html
    assert "Unfurl JSON" in html


def test_slash_command_echo_is_literal() -> None:
    workspace = Workspace()
    workspace.post(CHANNEL, ME, "/har <b>*x*</b>", kind="command", ephemeral=True)
    html = drawn(workspace)
    assert "/har &lt;b&gt;*x*&lt;/b&gt;" in html


def test_sandbox_panel_says_it_is_sandbox_data_and_lists_names_to_try() -> None:
    info = HarnessInfo(
        sandbox=True,
        host="127.0.0.1",
        account=ACCOUNT,
        ui_base="https://app.harness.io",
        registries=registries(),
    )
    html = render_panel(info)
    assert "Sandbox data" in html
    assert "These registries are made up." in html
    for name in ("docker-prod", "helm-charts", "forbidden", "slow", "broken", "docker-prd"):
        assert f">{name}</button>" in html
    assert (
        f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/projects/checkout/registries/docker-prod"
        in html
    )


def test_live_panel_names_the_real_harness() -> None:
    info = HarnessInfo(sandbox=False, host="app.harness.io", account="acc", ui_base="https://app.harness.io")
    html = render_panel(info)
    assert "Live Harness" in html
    assert "Sandbox" not in html
    assert "forbidden" not in html


def test_log_is_newest_first_and_escaped() -> None:
    html = render_log(
        [Activity(1.0, "Slack → app", "<first>", "200"), Activity(2.0, "app → Slack", "second", "ok")]
    )
    assert html.index("second") < html.index("&lt;first&gt;")


def test_messages_offer_the_message_shortcut_except_ephemeral_ones() -> None:
    workspace = Workspace()
    workspace.post(CHANNEL, ME, "see https://app.harness.io/x")
    workspace.post(CHANNEL, BOT_USER, "psst", ephemeral=True)
    html = drawn(workspace)
    assert html.count('data-callback-id="look_up_in_harness"') == 1
    assert "Look up in Harness" in html
    assert 'data-callback-id="find_registry"' not in html


def test_the_shortcuts_menu_lists_the_global_shortcuts() -> None:
    menu = render_shortcuts()
    assert 'data-callback-id="find_registry"' in menu
    assert "Find a registry" in menu
    assert "look_up_in_harness" not in menu


def test_the_home_tab_says_nothing_is_published_until_the_app_publishes_it() -> None:
    workspace = Workspace()
    assert "Nothing published yet" in render_home(workspace)
    workspace.home = View(id="VHOME", view=home_tab([], COMMANDS))
    html = render_home(workspace)
    assert 'data-view-id="VHOME"' in html
    assert "Nothing published yet" not in html


def test_only_the_top_modal_is_drawn_with_what_slack_says_above_it() -> None:
    workspace = Workspace()
    assert render_modal(workspace) == ""
    workspace.modals = [View(id="V1", view=find_modal()), View(id="V2", view=subscribe_modal())]
    workspace.modals[-1].notice = "We had some trouble connecting. Try again?"
    html = render_modal(workspace)
    assert 'data-view-id="V2"' in html
    assert 'data-view-id="V1"' not in html
    assert "2 modals open" in html
    assert "We had some trouble connecting" in html
