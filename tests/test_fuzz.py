"""Hostile text on every surface, through the real app: signed requests to one bot on loopback.

tests/test_scope.py holds the parser's own properties; these show what the whole app does with the same
kind of input, wherever it comes in (slash command, DM, mention, link unfurl, button):

- every request gets 200, nothing is logged at ERROR, no listener fails;
- whatever reaches Harness is `GET /gateway/har/api/v1/registry/<account>[/<org>[/<project>]]/<registry>/+`
  (or its `/client-setup-details`), or `GET /gateway/har/api/v1/spaces/<account>[/<org>[/<project>]]/+/
  registries` with only the documented query parameters, every segment inside the Harness identifier
  rules, and only for what the bot understood (`list`, `find` and `pull` arguments included);
- everything else gets the friendly help or usage answer (or, for a link it cannot read, nothing).

One bot serves every example of a module (hypothesis and function-scoped fixtures do not mix). Harness
answers 404 to every registry and an empty list to every list: a 404 is not cached, so each lookup is
exactly one Harness call (a bare name then also searches the account, and finds nothing).
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from bot.cards import Reply, escape
from bot.commands import COMMANDS, DIRECT, MENTION, SLASH, Surface, understand
from bot.listeners.events import MAX_LOOKUPS_PER_MESSAGE, MENTION_MARKUP
from bot.parsing import InvalidScope, find_registry_links, parse_scope, ref_from_url
from bot.refs import RegistryRef
from bot.tasks import Lookup
from devtools.harness import HARNESS_PREFIX
from devtools.server import Recorded
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot, running_bot
from tests.support import LogWatch, block_actions, dm, event_body, link_shared, mention, message_of, settle

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The Harness identifier rules (docs/harness/NOTES.md), written out again rather than imported.
ACCOUNT = r"[A-Za-z0-9_-]{1,64}"
IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
REGISTRY = r"[a-z][a-z0-9_-]{0,62}"
SAFE_PATH = re.compile(
    rf"{re.escape(HARNESS_PREFIX)}{ACCOUNT}/(?:{IDENTIFIER}/(?:{IDENTIFIER}/)?)?{REGISTRY}/\+"
)
SAFE_SETUP_PATH = re.compile(rf"{SAFE_PATH.pattern}/client-setup-details")
SAFE_LIST_PATH = re.compile(
    rf"/gateway/har/api/v1/spaces/{ACCOUNT}(?:/{IDENTIFIER}(?:/{IDENTIFIER})?)?/\+/registries\?(?P<query>.*)"
)
LIST_PARAMS = {"scope", "recursive", "page", "size", "search_term", "package_type", "type"}


def assert_safe(path: str) -> None:
    """A request path the bot may send: a registry, its client set-up, or a list with sane parameters."""
    if SAFE_PATH.fullmatch(path) or SAFE_SETUP_PATH.fullmatch(path):
        return
    listed = SAFE_LIST_PATH.fullmatch(path)
    assert listed is not None, path
    params = urllib.parse.parse_qs(listed["query"], keep_blank_values=True)
    assert set(params) <= LIST_PARAMS, path
    assert params["scope"] == ["descendants"], path
    assert "size" in params, path
    assert all(re.fullmatch(r"[a-z0-9_-]{1,63}", term) for term in params.get("search_term", [])), path
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]{0,31}", t) for t in params.get("package_type", [])), path
    assert params.get("type", ["VIRTUAL"])[0] in ("VIRTUAL", "UPSTREAM"), path


HELP = "I look up Harness artifact registries"
USAGE = "shows examples"
OWN_USAGES = tuple(f"{escape(command.usage)}`" for command in COMMANDS)
"""Each command's own usage line: a right answer to its word alone (`FIND`) or with bad arguments."""


def right_reply(shown: str) -> bool:
    """The general help or usage, or one command's own usage (derived from bot.commands.COMMANDS)."""
    return (
        HELP in shown
        or USAGE in shown
        or ("Usage: `" in shown and any(usage in shown for usage in OWN_USAGES))
    )


# --- Hostile text ------------------------------------------------------------------------------------

PIECES = [
    *["..", ".", "/", "/+", "+", "?", "#", "@", "\\", "%", "%2e%2e", "%2F", "%00", "%252e", "&", "=", ";"],
    *["<", ">", "|", "`", "```", "'", '"', "“", "*", "~", "_"],
    *["\n", "\t", "\r", "\x00", "\x1b", "\x7f", "\u200b", "\u202e", "\ufeff", "\u2028", " ", "\u00a0"],
    *["é", "🐳", "ｐａｙ", "İ", "ß", "ǅ", "Ⅻ", "٣"],
    *["<@U123>", "<@UBOT>", "<!here>", "<!channel>", "<#C1|general>", "<mailto:a@b.c|a>", "payload="],
    *[
        "share",
        "SHARE",
        "help",
        "-h",
        "public",
        "list ",
        "find ",
        "pull ",
        "ls",
        "search",
        "docker",
        "virtual",
    ],
    *["acc_test", "payments", "checkout", "docker-prod", "Docker-Prod", "DOCKER", "_x", "-x", "x" * 70],
    *["registries", "ng", "account", "all", "orgs", "projects", "module", "har", "spaces", "packages"],
    *["https://", "http://", "HTTPS://", "ftp://", "javascript:", "app.harness.io", "APP.HARNESS.IO"],
    *["evil.example", "app.harness.io@evil.example", ":443", ":99999"],
]
HOSTILE = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=24).map("".join)
# Valid parts, so that many examples get through to Harness; the noise below then breaks some of them.
ACCOUNTS = st.sampled_from(["acc_test", "px7xd_BFRCi-pfWPYXVjvw"]) | st.from_regex(ACCOUNT, fullmatch=True)
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
REGISTRIES = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
REFERENCES = st.one_of(
    REGISTRIES,
    st.tuples(IDENTIFIERS, REGISTRIES).map("/".join),
    st.tuples(IDENTIFIERS, IDENTIFIERS, REGISTRIES).map("/".join),
    st.tuples(ACCOUNTS, REGISTRIES).map(lambda parts: "/".join(parts) + "/+"),
    st.tuples(ACCOUNTS, IDENTIFIERS, REGISTRIES).map(lambda parts: "/".join(parts) + "/+"),
    st.tuples(ACCOUNTS, IDENTIFIERS, IDENTIFIERS, REGISTRIES).map(lambda parts: "/".join(parts) + "/+"),
)


@st.composite
def noisy(draw: st.DrawFn, text: str) -> str:
    """`text` with a hostile piece put in somewhere, or its case changed, or wrapped, or left as it is."""
    how = draw(st.sampled_from(["as is", "insert", "upper", "wrap"]))
    if how == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
    if how == "upper":
        return text.upper()
    if how == "wrap":
        return draw(st.sampled_from(["share {}", "{} share", " {} ", "`{}`", "'{}'", "<{}>", "*{}*"])).format(
            text
        )
    return text


SEGMENTS = st.one_of(
    ACCOUNTS,
    IDENTIFIERS,
    REGISTRIES,
    st.sampled_from(["Docker-Prod", "..", ".", "%2e%2e", "a%2Fb", "", "+", "a b", "a\nb"]),
    HOSTILE,
)
# Registry pages and one other page; each {} is a part: a(ccount), i(dentifier) or r(egistry).
ROUTES = [
    ("/ng/account/{}/all/orgs/{}/projects/{}/registries/{}", "aiir"),
    ("/ng/account/{}/module/har/orgs/{}/registries/{}", "air"),
    ("/ng/account/{}/all/registries/{}", "ar"),
    ("/ng/#/account/{}/all/orgs/{}/registries/{}", "air"),
    ("/spaces/{}/registries/{}", "ar"),
    ("/ng/account/{}/settings/{}", "ai"),
]
PARTS = {"a": ACCOUNTS, "i": IDENTIFIERS, "r": REGISTRIES}
LINK_HOSTS = ["app.harness.io", "APP.Harness.IO", "app.harness.io.", "app.harness.io:443"]
OTHER_HOSTS = [
    "evil.example",
    "app.harness.io.evil.example",
    "user@app.harness.io",
    "app.harness.io@evil.example",
    "app.harness.io\\@evil.example",
]


@st.composite
def links(draw: st.DrawFn) -> str:
    """A Harness-looking link: valid parts two times in three, else hostile parts, hosts and tails."""
    clean = draw(st.integers(0, 2)) < 2
    scheme = draw(
        st.sampled_from(["https", "HTTPS", "Https"] if clean else ["http", "ftp", "javascript", "https"])
    )
    host = draw(st.sampled_from(LINK_HOSTS if clean else LINK_HOSTS + OTHER_HOSTS))
    route, kinds = draw(st.sampled_from(ROUTES))
    parts = [draw(PARTS[kind] if clean else SEGMENTS) for kind in kinds]
    tails = ["", "/", "/packages", "?tab=x", "#x", "/artifacts/a/versions/1"]
    tail = draw(st.sampled_from(tails if clean else [*tails, "/../../x", "%2F..%2F", "/%2e%2e/x"]))
    url = f"{scheme}://{host}{route.format(*parts)}{tail}"
    if draw(st.integers(0, 3)) == 3:
        url = draw(st.sampled_from(["<{}>", "<{}|label>", "`{}`", '"{}"'])).format(url)
    return url


TEXT = st.one_of(
    REFERENCES,
    REFERENCES.flatmap(noisy),
    links(),
    links().flatmap(noisy),
    HOSTILE,
    st.text(max_size=200),
    st.tuples(HOSTILE, links(), HOSTILE).map(" ".join),
    st.integers(3_000, 20_000).map(lambda n: ("docker-prod/" * n)[:n]),
)
_numbers = itertools.count(1)


# --- The bot and what each example left behind ------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fuzz_bot() -> AsyncIterator[Bot]:
    async with running_bot() as bot:
        yield bot


class Example:
    """What one example made the bot do: its Harness calls and Slack calls, and whether anything failed."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._harness_from = len(bot.harness.requests)
        self._slack_from = len(bot.slack.requests)
        self.logs = LogWatch()

    def __enter__(self) -> Example:
        self.logs.__enter__()
        return self

    def __exit__(self, *_: object) -> None:
        self.logs.__exit__()

    @property
    def harness_paths(self) -> list[str]:
        return [r.path for r in self.bot.harness.requests[self._harness_from :]]

    @property
    def slack_calls(self) -> list[Recorded]:
        """What reached Slack: Web API calls and response_url posts (Bolt's own auth.test left out)."""
        return [
            r for r in self.bot.slack.requests[self._slack_from :] if not r.path.startswith("/api/auth.test")
        ]

    async def finished(self, status: int) -> None:
        """Wait for the listener, then check what holds for every example on every surface."""
        await settle(self.bot.services.background)
        assert status == 200
        assert self.logs.errors() == []
        assert self.logs.messages("Unhandled request") == []
        for path in self.harness_paths:
            assert_safe(path)

    @property
    def registry_paths(self) -> list[str]:
        """The registry lookups among the Harness calls (no lists, no client set-ups)."""
        return [path for path in self.harness_paths if SAFE_PATH.fullmatch(path)]

    def looked_up(self, refs: list[RegistryRef]) -> None:
        """Harness was asked for exactly these registries, once each."""
        event(f"registries looked up: {min(len(refs), 2)}{'+' if len(refs) > 1 else ''}")
        assert sorted(self.registry_paths) == sorted(HARNESS_PREFIX + ref.path for ref in refs)


def _shown(call: Recorded) -> str:
    message = message_of(call)
    if "blocks" in message:
        assert_valid_blocks(message["blocks"])
    return json.dumps(message, ensure_ascii=False)


# --- Surfaces ----------------------------------------------------------------------------------------


@EXAMPLES
@given(text=TEXT)
@example(text="FIND")  # a verb alone: its own usage is the right answer (once drawn by chance)
@example(text="share")
@example(text="help")
async def test_slash_command_with_any_text(fuzz_bot: Bot, text: str) -> None:
    name = f"cmd{next(_numbers)}"
    with Example(fuzz_bot) as example:
        status, ack = await fuzz_bot.command(text, name=name)
        await example.finished(status)
    understood = understand(text, fuzz_bot.services.scope, SLASH)
    if isinstance(understood, Lookup):
        assert ack == ""
        example.looked_up([understood.ref])
        (answer,) = [c for c in example.slack_calls if c.path == f"/response/{name}"]
        assert answer.json()["response_type"] == "ephemeral"
    elif not isinstance(understood, Reply):
        event(f"answered a {type(understood).__name__}")
        assert ack == ""
        (answer,) = [c for c in example.slack_calls if c.path == f"/response/{name}"]
        assert answer.json()["response_type"] == "ephemeral"
        _shown(answer)
    else:
        message = json.loads(ack)
        assert message["response_type"] == "ephemeral"
        assert message["text"].strip()
        assert_valid_blocks(message["blocks"])
        assert right_reply(message["text"] + json.dumps(message["blocks"], ensure_ascii=False)), ack
        event("answered with help or usage")
        assert example.harness_paths == []
        assert example.slack_calls == []


def _wanted(text: str, bot: Bot, surface: Surface) -> list[RegistryRef] | str | None:
    """The registries a message names (links first), None when it names none (help is due), or the
    name of the other task it asks for (list, find, pull)."""
    found = find_registry_links(text, bot.services.scope.ui_hosts)
    if found:
        return [ref for _, ref in found[:MAX_LOOKUPS_PER_MESSAGE]]
    understood = understand(text, bot.services.scope, surface)
    if isinstance(understood, Lookup):
        return [understood.ref]
    return None if isinstance(understood, Reply) else type(understood).__name__


@EXAMPLES
@given(text=TEXT)
async def test_direct_message_with_any_text(fuzz_bot: Bot, text: str) -> None:
    channel = f"D{next(_numbers)}"
    with Example(fuzz_bot) as example:
        status = await fuzz_bot.send_event(event_body(dm(text, channel=channel)))
        await example.finished(status)
    posted = [c for c in example.slack_calls if message_of(c).get("channel") == channel]
    wanted = _wanted(text, fuzz_bot, DIRECT)
    if wanted is None:
        (answer,) = posted
        shown = _shown(answer)
        assert right_reply(shown), shown  # help, or a command's own usage
        event("answered with help")
        assert example.harness_paths == []
    elif isinstance(wanted, str):
        (answer,) = posted
        _shown(answer)
    else:
        example.looked_up(wanted)
        assert len(posted) == len(wanted)
        assert all("couldn't find" in _shown(c) for c in posted)


@EXAMPLES
@given(text=TEXT)
async def test_mention_with_any_text(fuzz_bot: Bot, text: str) -> None:
    ts = f"1700000000.{next(_numbers):06d}"
    sent = mention(text, ts=ts)
    with Example(fuzz_bot) as example:
        status = await fuzz_bot.send_event(event_body(sent))
        await example.finished(status)
    in_thread = [c for c in example.slack_calls if message_of(c).get("thread_ts") == ts]
    wanted = _wanted(MENTION_MARKUP.sub(" ", sent["text"]).strip(), fuzz_bot, MENTION)
    if wanted is None:
        (answer,) = in_thread
        assert answer.path == "/api/chat.postEphemeral"
        shown = _shown(answer)
        assert right_reply(shown), shown  # help, or a command's own usage
        event("answered with help")
        assert example.harness_paths == []
    elif isinstance(wanted, str):
        (answer,) = in_thread
        assert answer.path == "/api/chat.postEphemeral"  # lists and pull steps: the asker's alone
        _shown(answer)
    else:
        example.looked_up(wanted)
        # Harness says 404: each answer goes to the asker alone.
        assert [c.path for c in in_thread] == ["/api/chat.postEphemeral"] * len(wanted)


@EXAMPLES
@given(urls=st.lists(st.one_of(links(), links(), TEXT), min_size=1, max_size=3))
async def test_link_shared_with_any_links(fuzz_bot: Bot, urls: list[str]) -> None:
    channel = f"C{next(_numbers)}"
    sent: dict[str, Any] = link_shared(channel=channel)
    sent["links"] = [{"domain": "app.harness.io", "url": url} for url in urls]
    with Example(fuzz_bot) as example:
        status = await fuzz_bot.send_event(event_body(sent))
        await example.finished(status)
    hosts = fuzz_bot.services.scope.ui_hosts
    wanted = {url: ref for url in urls if (ref := ref_from_url(url, hosts)) is not None}
    # Two links to one registry (http and https, say) share one Harness call.
    example.looked_up(list(set(wanted.values())))
    assert example.slack_calls == []  # a failed lookup unfurls nothing
    (summary,) = example.logs.messages(f"unfurl channel={channel} ")
    assert f"registries={len(wanted)} unfurled=0" in summary


@EXAMPLES
@given(action=st.sampled_from(["refresh", "share"]), value=TEXT)
async def test_button_with_any_value(fuzz_bot: Bot, action: str, value: str) -> None:
    name = f"btn{next(_numbers)}"
    body = block_actions(action, value, response_url=fuzz_bot.slack.response_url(name))
    with Example(fuzz_bot) as example:
        status, _ = await fuzz_bot.post(body)
        await example.finished(status)
    try:
        ref: RegistryRef | None = parse_scope(value, fuzz_bot.services.scope)
    except InvalidScope:
        ref = None
    example.looked_up([ref] if ref is not None else [])
    (answer,) = example.slack_calls
    assert answer.path == f"/response/{name}"
    assert answer.json()["response_type"] == "ephemeral"
    assert ("couldn't find" if ref is not None else "can't read anymore") in _shown(answer)


# --- list, find and pull arguments ---------------------------------------------------------------------

ARGUMENTS = st.one_of(
    TEXT,
    st.tuples(IDENTIFIERS, IDENTIFIERS).map("/".join),
    st.tuples(IDENTIFIERS, st.sampled_from(["docker", "NPM", "virtual", "upstream", "helm"])).map(" ".join),
    REFERENCES.flatmap(noisy),
)


@EXAMPLES
@given(command=st.sampled_from(["list", "ls", "find", "search", "pull"]), argument=ARGUMENTS)
async def test_list_find_and_pull_with_any_argument(fuzz_bot: Bot, command: str, argument: str) -> None:
    name = f"arg{next(_numbers)}"
    text = f"{command} {argument}"
    with Example(fuzz_bot) as example:
        status, ack = await fuzz_bot.command(text, name=name)
        await example.finished(status)  # every Harness call is a registry, a client set-up or a list
    understood = understand(text, fuzz_bot.services.scope, SLASH)
    if isinstance(understood, Reply):
        event("answered with usage")
        assert example.harness_paths == []
        assert_valid_blocks(json.loads(ack)["blocks"])
    else:
        event(f"ran {type(understood).__name__}")  # its Harness call may be cached from an earlier example
        (answer,) = [c for c in example.slack_calls if c.path == f"/response/{name}"]
        assert answer.json()["response_type"] == "ephemeral"
        _shown(answer)


@EXAMPLES
@given(
    action=st.sampled_from(["list_next", "list_previous", "list_open_0", "choose_registry_1", "how_to_pull"]),
    value=st.one_of(TEXT, st.builds(lambda s, p: json.dumps({"s": s, "p": p}), TEXT, st.integers())),
)
async def test_new_buttons_with_any_value(fuzz_bot: Bot, action: str, value: str) -> None:
    name = f"nbtn{next(_numbers)}"
    body = block_actions(action, value, response_url=fuzz_bot.slack.response_url(name))
    with Example(fuzz_bot) as example:
        status, _ = await fuzz_bot.post(body)
        await example.finished(status)
    (answer,) = example.slack_calls
    assert answer.path == f"/response/{name}"
    _shown(answer)
