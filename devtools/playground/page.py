"""The playground page's HTML: the conversations as Slack draws them, the side panel, the wire log.

Pure functions of the Workspace (and of the sandbox data set); every string that came from a
message, a user or Harness goes through `render` or `html.escape`.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bot.cards import PACKAGE_TYPES, REGISTRY_TYPES
from bot.refs import RegistryRef
from devtools.harness import ERROR_NAMES
from devtools.playground.render import Names, builder_url, mrkdwn, plain_text, render_blocks, render_view
from devtools.playground.slack import SHORTCUTS, Activity
from devtools.playground.views import View
from devtools.playground.workspace import (
    BOT_NAME,
    BOT_USER,
    CHANNEL,
    COMMAND,
    DM,
    ME,
    SLACKBOT,
    Conversation,
    Message,
    Workspace,
)
from devtools.registries import NOT_FOUND_EXAMPLE, StoredRegistry

STATIC: Final = Path(__file__).parent / "static"
AVATARS: Final[dict[str, tuple[str, str]]] = {
    BOT_USER: ("H", "avatar-bot"),
    ME: ("A", "avatar-me"),
    SLACKBOT: ("S", "avatar-slackbot"),
}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _time(ts: str, fmt: str = "{time}") -> str:
    seconds = int(float(ts))
    moment = datetime.fromtimestamp(seconds, UTC)
    return (
        f'<time class="bk-date msg-time" datetime="{moment.isoformat().replace("+00:00", "Z")}" '
        f'data-ts="{seconds}" data-format="{_esc(fmt)}">{moment:%H:%M}</time>'
    )


def _json_tools(key: str, sent: dict[str, Any], blocks: list[dict[str, Any]], label: str) -> str:
    """The "Block Kit JSON" toggle and the "Open in Block Kit Builder" link for one set of blocks."""
    pretty = json.dumps(sent, indent=2, ensure_ascii=False)
    tools = (
        f'<details class="json" data-key="{_esc(key)}"><summary>{_esc(label)}</summary>'
        f'<pre class="json-body">{_esc(pretty)}</pre></details>'
    )
    if blocks:
        tools += (
            f'<a class="builder-link" href="{_esc(builder_url(blocks))}" target="_blank" '
            'rel="noopener noreferrer">Open in Block Kit Builder ↗</a>'
        )
    return f'<div class="msg-tools">{tools}</div>'


def _body(message: Message, names: Names, now: datetime) -> str:
    if message.kind == "command":
        return f'<div class="msg-text msg-command-text"><code>{plain_text(message.text)}</code></div>'
    if message.blocks:
        return f'<div class="msg-blocks">{render_blocks(message.stored_blocks(), names=names, now=now)}</div>'
    # Text without blocks is mrkdwn; Slack links bare URLs in it.
    verbatim = message.user == ME
    return f'<div class="msg-text">{mrkdwn(message.text, verbatim=verbatim, names=names, now=now)}</div>'


def _unfurls(message: Message, names: Names, now: datetime) -> str:
    parts = []
    for index, (url, unfurl) in enumerate(message.unfurls.items()):
        blocks = unfurl.get("blocks")
        drawn = (
            render_blocks(blocks, names=names, now=now)
            if isinstance(blocks, list)
            else mrkdwn(str(unfurl.get("text", "")), names=names, now=now)
        )
        tools = _json_tools(
            f"unfurl-{message.ts}-{index}", unfurl, blocks if isinstance(blocks, list) else [], "Unfurl JSON"
        )
        parts.append(
            f'<div class="unfurl" data-url="{_esc(url)}"><div class="unfurl-body">{drawn}</div>{tools}</div>'
        )
    return f'<div class="unfurls">{"".join(parts)}</div>' if parts else ""


def _more_menu(message: Message) -> str:
    """A message's ⋯ menu: the app's message shortcuts (Slack offers none on ephemeral messages)."""
    if message.ephemeral or message.kind != "message":
        return ""
    return (
        f'<details class="msg-more" data-key="more-{_esc(message.ts)}"><summary title="More actions" '
        f'aria-label="More actions">⋯</summary>{_shortcut_menu("message")}</details>'
    )


def _shortcut_menu(kind: str) -> str:
    """The app's shortcuts of one kind (`message`, `global`) as a menu of buttons."""
    items = "".join(
        f'<button type="button" class="shortcut" data-callback-id="{_esc(s.callback_id)}" '
        f'data-kind="{_esc(kind)}">{_esc(s.name)} <span class="menu-app">{BOT_NAME}</span></button>'
        for s in SHORTCUTS
        if s.kind == kind
    )
    return f'<div class="menu" role="menu">{items}</div>'


def render_message(message: Message, names: Names, *, now: datetime, replies: Sequence[Message] = ()) -> str:
    """One message as Slack draws it, with its unfurls, its thread, and (for the app's) its JSON."""
    letter, avatar = AVATARS.get(message.user, ("?", "avatar-other"))
    author = names.get(message.user, message.user)
    badge = '<span class="app-badge">APP</span>' if message.user == BOT_USER else ""
    classes = ["msg", f"msg-{message.kind}"]
    if message.ephemeral:
        classes.append("msg-ephemeral")
    if message.user == BOT_USER:
        classes.append("msg-bot")
    ephemeral = (
        '<div class="ephemeral-note"><span aria-hidden="true">👁</span> Only visible to you</div>'
        if message.ephemeral
        else ""
    )
    via = f'<span class="msg-via">via {_esc(message.via)}</span>' if message.user == BOT_USER else ""
    tools = (
        _json_tools(f"json-{message.ts}", message.sent, message.blocks, "Block Kit JSON")
        if message.user == BOT_USER
        else ""
    )
    thread = ""
    if replies:
        count = f"{len(replies)} repl{'y' if len(replies) == 1 else 'ies'}"
        drawn = "".join(render_message(reply, names, now=now) for reply in replies)
        thread = f'<section class="thread"><div class="thread-count">{count}</div>{drawn}</section>'
    return (
        f'<article class="{" ".join(classes)}" id="m-{_esc(message.ts)}" data-ts="{_esc(message.ts)}" '
        f'data-channel="{_esc(message.channel)}">'
        f'<div class="avatar {avatar}" aria-hidden="true">{letter}</div>{_more_menu(message)}'
        f'<div class="msg-main">{ephemeral}'
        f'<div class="msg-head"><strong class="msg-author">{_esc(author)}</strong>{badge}'
        f"{_time(message.ts)}{via}</div>"
        f"{_body(message, names, now)}{_unfurls(message, names, now)}{tools}{thread}</div></article>"
    )


def render_conversation(conversation: Conversation, names: Names, *, now: datetime | None = None) -> str:
    """A conversation's messages in order, each thread's replies drawn under their parent."""
    now = now or datetime.now(UTC)
    present = {m.ts for m in conversation.messages}
    replies: dict[str, list[Message]] = {}
    for message in conversation.messages:
        if message.is_reply and message.thread_ts in present:
            replies.setdefault(str(message.thread_ts), []).append(message)
    drawn = [
        render_message(message, names, now=now, replies=replies.get(message.ts, ()))
        for message in conversation.messages
        if not (message.is_reply and message.thread_ts in present)
    ]
    if not drawn:
        return _empty(conversation)
    return "".join(drawn)


def _empty(conversation: Conversation) -> str:
    if conversation.is_im:
        hint = (
            f"This is your direct message with <strong>{BOT_NAME}</strong>. Send it a registry name or a "
            f"Harness link, no <code>{COMMAND}</code> needed: try <code>dockerhub-proxy</code>."
        )
    else:
        hint = (
            f"This is <strong>#{_esc(conversation.name)}</strong>. Type <code>{COMMAND} help</code>, "
            f"<code>{COMMAND} payments/checkout/docker-prod</code>, mention <code>@{BOT_NAME}</code>, "
            "or paste a registry link from Harness."
        )
    return f'<div class="empty">{hint}</div>'


def render_log(activities: Iterable[Activity]) -> str:
    """The wire log, newest first."""
    rows = [
        f'<li><time class="bk-date" data-ts="{int(a.at)}" data-format="{{time_secs}}">'
        f"{datetime.fromtimestamp(a.at, UTC):%H:%M:%S}</time> "
        f'<span class="log-dir">{_esc(a.direction)}</span> <span class="log-what">{_esc(a.what)}</span> '
        f'<span class="log-outcome">{_esc(a.outcome)}</span></li>'
        for a in reversed(list(activities))
    ]
    return "".join(rows) or "<li>Nothing yet.</li>"


def _draw_view(view: View, workspace: Workspace, now: datetime) -> str:
    conversations = [(c.id, c.name, c.is_im) for c in workspace.conversations.values()]
    return render_view(
        view.view,
        view_id=view.id,
        values=view.values,
        errors=view.errors,
        names=workspace.names,
        conversations=conversations,
        now=now,
    )


def render_home(workspace: Workspace, *, now: datetime | None = None) -> str:
    """The app's Home tab as the app last published it, or what Slack shows before it has."""
    if workspace.home is None:
        return (
            f'<div class="empty">This is <strong>{BOT_NAME}</strong>\'s Home tab. Slack tells the app each '
            "time you open it (<code>app_home_opened</code>); the app draws it with "
            "<code>views.publish</code>. Nothing published yet.</div>"
        )
    return _draw_view(workspace.home, workspace, now or datetime.now(UTC))


def render_modal(workspace: Workspace, *, now: datetime | None = None) -> str:
    """The top modal (with what Slack says above it when the app did not answer), or nothing."""
    if not workspace.modals:
        return ""
    top = workspace.modals[-1]
    notice = f'<div class="modal-notice" role="alert">{_esc(top.notice)}</div>' if top.notice else ""
    depth = len(workspace.modals)
    stack = f'<div class="modal-stack">{depth} modals open</div>' if depth > 1 else ""
    return f"{stack}{notice}{_draw_view(top, workspace, now or datetime.now(UTC))}"


def render_updates(workspace: Workspace, activities: Iterable[Activity]) -> dict[str, Any]:
    """What the page's long poll receives: every conversation's HTML, the Home tab, the top modal and
    the wire log."""
    now = datetime.now(UTC)
    return {
        "version": workspace.version,
        "conversations": {
            cid: render_conversation(conversation, workspace.names, now=now)
            for cid, conversation in workspace.conversations.items()
        },
        "counts": {cid: len(c.messages) for cid, c in workspace.conversations.items()},
        "home": render_home(workspace, now=now),
        "modal": render_modal(workspace, now=now),
        "log": render_log(activities),
    }


def render_shortcuts() -> str:
    """The ⚡ menu beside the message box: the app's global shortcuts."""
    return (
        '<details class="shortcuts" id="shortcuts"><summary title="Shortcuts" aria-label="Shortcuts">⚡'
        f"</summary>{_shortcut_menu('global')}</details>"
    )


# ---------------------------------------------------------------------------------------------------------
# The side panel.


@dataclass(frozen=True)
class HarnessInfo:
    """Which Harness the playground's app talks to."""

    sandbox: bool
    host: str
    account: str
    ui_base: str
    registries: tuple[StoredRegistry, ...] = ()
    timeout: float = 5.0


def _chip(text: str, *, channel: str = CHANNEL, label: str | None = None) -> str:
    return (
        f'<button type="button" class="chip" data-fill="{_esc(text)}" data-channel="{_esc(channel)}" '
        f'title="Put this in the message box">{_esc(label or text)}</button>'
    )


def _registry_row(registry: StoredRegistry, info: HarnessInfo) -> str:
    data = registry.data
    kind = " · ".join(
        part
        for part in (
            PACKAGE_TYPES.get(str(data.get("packageType")), str(data.get("packageType"))),
            REGISTRY_TYPES.get(str(data["config"].get("type")), ""),
        )
        if part
    )
    if data.get("deletedAt"):
        kind += " · deleted"
    link = RegistryRef(
        account=info.account, registry=registry.name, org=registry.org, project=registry.project
    ).ui_url(info.ui_base)
    scope = (
        f"{registry.org} › {registry.project}"
        if registry.project
        else (f"org {registry.org}" if registry.org else "account")
    )
    return (
        f"<tr><td>{_chip(f'{COMMAND} {registry.short}', label=registry.name)}</td>"
        f'<td class="scope">{_esc(scope)}</td><td class="kind">{_esc(kind)}</td>'
        f"<td>{_chip(f'{link}/packages', label='link')}</td></tr>"
    )


def _push_section(info: HarnessInfo) -> str:
    """Subscribe a channel, then push or delete a version: the sandbox delivers a real, signed webhook."""
    virtual = [r for r in info.registries if (r.data.get("config") or {}).get("type") == "VIRTUAL"]
    if not virtual:
        return ""
    first = virtual[0]
    options = "".join(
        f'<option value="{_esc(r.ref)}">{_esc(r.short)}</option>' for r in virtual if not r.deleted
    )
    return (
        '<h3>What changed</h3><p class="tries">'
        f"{_chip(f'{COMMAND} subscribe {first.short}')}{_chip(f'{COMMAND} subscriptions')}"
        f"{_chip(f'{COMMAND} changes {first.short} since 1h')}</p>"
        '<form class="push" id="push"><select name="registry">' + options + "</select>"
        '<input name="artifact" value="payments-api" aria-label="artifact" size="12">'
        '<input name="version" value="1.4.2" aria-label="version" size="6">'
        '<button type="submit" name="trigger" value="artifact_created">Push a version</button>'
        '<button type="submit" name="trigger" value="artifact_deleted">Delete it</button></form>'
        '<p class="small">The sandbox Harness delivers a real webhook (signed, with its token) to the '
        "bot, as Harness does for a subscribed registry; the message appears in the channel.</p>"
    )


def render_panel(info: HarnessInfo) -> str:
    """The side panel: which Harness this is, what to type, and the names that show each error."""
    tries = [
        _chip(f"{COMMAND} help"),
        _chip(f"{COMMAND} payments/checkout/docker-prod"),
        _chip(f"{COMMAND} share payments/helm-charts"),
        _chip(f"@{BOT_NAME} platform/ci/build-cache"),
        _chip("dockerhub-proxy", channel=DM, label="DM: dockerhub-proxy"),
    ]
    # Finding a registry without knowing its scope: search, did-you-mean, lists and pull steps.
    finds = [
        _chip(f"{COMMAND} docker-prod", label=f"{COMMAND} docker-prod (found anywhere)"),
        _chip(f"{COMMAND} {NOT_FOUND_EXAMPLE}", label=f"{COMMAND} {NOT_FOUND_EXAMPLE} (did you mean)"),
        _chip(f"{COMMAND} list"),
        _chip(f"{COMMAND} list payments docker"),
        _chip(f"{COMMAND} find proxy"),
        _chip(f"{COMMAND} pull payments/checkout/docker-prod"),
    ]
    if not info.sandbox:
        return (
            '<section class="panel-section live"><h2>Live Harness</h2>'
            f"<p>Lookups go to the real Harness at <code>{_esc(info.host)}</code>, account "
            f"<code>{_esc(info.account)}</code>, with your <code>HARNESS_API_KEY</code>.</p>"
            f'<p class="tries">{"".join(tries[:2])}</p></section>'
        )
    rows = "".join(_registry_row(registry, info) for registry in info.registries)
    links = " and ".join(
        RegistryRef(account=info.account, registry=name, org=org, project=project).ui_url(info.ui_base)
        for org, project, name in (("payments", "checkout", "docker-prod"), ("payments", None, "helm-charts"))
    )
    clicks = (
        "<h3>No syntax needed</h3><p>Open <strong>⌂ harbot Home</strong> in the sidebar (search, recent "
        "lookups, subscriptions), the <strong>⚡</strong> menu by the message box › <em>Find a "
        "registry</em>, or <strong>⋯</strong> on a message › <em>Look up in Harness</em>. "
        "Try it on this one:</p>"
        f'<p class="tries">{_chip(f"Rollback? Compare {links}", label="a message with two links")}</p>'
    )
    errors = "".join(
        f"<li>{_chip(f'{COMMAND} payments/{error.name}', label=error.name)} {_esc(error.shows)}</li>"
        for error in ERROR_NAMES
    )
    errors += (
        f"<li>{_chip(f'{COMMAND} payments/checkout/{NOT_FOUND_EXAMPLE}', label=NOT_FOUND_EXAMPLE)} "
        "or any other name that isn't listed: not found</li>"
    )
    return (
        '<section class="panel-section sandbox" id="sandbox">'
        "<h2>Sandbox data</h2>"
        "<p><strong>These registries are made up.</strong> The app is the real harbot, but the Harness it "
        "talks to is a sandbox inside the playground: nothing here comes from, or goes to, a Harness "
        "account. Set <code>HARNESS_API_KEY</code> and restart to look up your own.</p>"
        f'<p class="tries">{"".join(tries)}</p>'
        f'<h3>Find it anywhere</h3><p class="tries">{"".join(finds)}</p>{clicks}'
        f'<table class="registries"><thead><tr><th>Registry</th><th>Scope</th><th>Kind</th><th></th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
        f"{_push_section(info)}"
        f'<h3>Names that fail</h3><ul class="errors">{errors}</ul>'
        f'<p class="small">“Open in Harness” opens <code>{_esc(info.ui_base)}</code>, where these made-up '
        f"registries don't exist. <code>slow</code> takes about {_esc(_seconds(info.timeout))} before the "
        "bot gives up.</p></section>"
    )


def _seconds(timeout: float) -> str:
    # The client's deadline: up to three attempts of `timeout` seconds, within 12 seconds in all.
    total = min(3 * timeout + 1, 12.0)
    return f"{total:.0f} seconds"


def render_page(info: HarnessInfo, workspace: Workspace, activities: Iterable[Activity]) -> str:
    """The whole page, with the conversations as they are now (the long poll keeps them fresh)."""
    template = string.Template((STATIC / "index.html").read_text(encoding="utf-8"))
    updates = render_updates(workspace, activities)
    mode = "Sandbox Harness" if info.sandbox else f"Live Harness · {info.host}"
    return template.substitute(
        mode=_esc(mode),
        mode_class="sandbox" if info.sandbox else "live",
        channel=CHANNEL,
        dm=DM,
        channel_pane=updates["conversations"][CHANNEL],
        dm_pane=updates["conversations"][DM],
        home_pane=updates["home"],
        modal=updates["modal"],
        modal_hidden="" if updates["modal"] else "hidden",
        shortcuts=render_shortcuts(),
        panel=render_panel(info),
        log=updates["log"],
        version=str(updates["version"]),
    )
