"""The commands that watch registries: `subscribe`, `unsubscribe`, `subscriptions` and `changes`.

Handlers read the words after the command word and return a Task (or a Reply for a usage problem); the
Tasks run after Slack has its acknowledgement, against `deps.posting` (bot.posting.service), and take
`Deps` like every Task (bot.tasks).

`<registry>[/<artifact-glob>[:<tag-glob>]]` is read every way it can be, the longest registry reference
first (`org/project/registry`, then `org/registry`, then `registry`), the rest being the artifact glob;
`subscribe` takes the first reading whose registry Harness knows. So `payments/docker-prod` is the org's
registry when there is one, and otherwise artifact `docker-prod` of registry `payments`. An artifact
may also follow as a second word: `subscribe docker-prod payments-*:1.*`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from bot.access import NotAllowed
from bot.answers import Answer, fetch
from bot.cards.artifact import read_value
from bot.cards.blocks import Reply, message
from bot.cards.errors import error_reply, invalid_scope_reply, refusal_reply
from bot.cards.subscriptions import (
    Listed,
    cannot_subscribe,
    not_subscribed,
    subscribed,
    subscription_list,
    unsubscribed,
)
from bot.cards.text import code
from bot.harness.errors import HarnessError, NotFound
from bot.harness.webhooks import CannotManageWebhooks
from bot.names import SLASH_COMMAND as COMMAND
from bot.parsing import InvalidScope, ScopeContext, parse_scope
from bot.parsing.globs import Filter, InvalidGlob, parse_filter
from bot.posting.fanout import registry_of
from bot.posting.health import is_private
from bot.posting.subscribing import channel_problem
from bot.posting.timeline import BadSince, changes_reply, parse_since
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from bot.tasks.artifacts import VersionLookup

if TYPE_CHECKING:
    from bot.access import Asker
    from bot.deps import Deps
    from bot.posting.service import PostingService
    from bot.store import SubscriptionRecord

EVENT_WORDS: Final = frozenset({"pushes", "deletes", "both", "all"})
MAX_PAGES: Final = 50
"""The deepest page of the timeline an Older button may ask for."""
NO_PUBLIC_URL: Final = (
    "I can't subscribe channels yet: I don't know the address Harness should send changes to.",
    "The bot's operator sets PUBLIC_URL (this bot's public https address) and restarts it.",
)
NO_STORE: Final = (
    "Subscriptions aren't available on this bot.",
    "The bot's operator can check them with `python -m bot doctor`.",
)


@dataclass(frozen=True)
class Target:
    """One reading of `<registry>[/<artifact-glob>[:<tag-glob>]]`."""

    ref: RegistryRef
    wanted: Filter


def _readings(text: str, events: str | None, ctx: ScopeContext) -> list[Target]:
    """Every way to read the target, the longest registry reference first; InvalidScope or InvalidGlob
    when none reads (the error of the most likely one)."""
    first, _, rest = text.partition(" ")
    segments = first.split("/")
    found: list[Target] = []
    problem: Exception | None = None
    for take in range(min(3, len(segments)), 0, -1):
        registry_text = "/".join(segments[:take])
        glob = "/".join(segments[take:]) or rest.strip() or None
        if take < len(segments) and rest.strip():
            continue  # an artifact both after the slash and as a second word: not this reading
        try:
            found.append(Target(parse_scope(registry_text, ctx), parse_filter(glob, events)))
        except (InvalidScope, InvalidGlob) as exc:
            problem = problem or exc
    if not found and problem is not None:
        raise problem
    return found


def _split_events(text: str) -> tuple[str, str | None]:
    words = text.split()
    if len(words) > 1 and words[-1].lower() in EVENT_WORDS:
        return " ".join(words[:-1]), words[-1]
    return text.strip(), None


def subscribe_handler(text: str, ctx: ScopeContext, _surface: object) -> Task | Reply:
    target, events = _split_events(text)
    if not target:
        return message(
            "Tell me which registry to watch.",
            f"Try {code(f'{COMMAND} subscribe docker-prod')} or "
            f"{code(f'{COMMAND} subscribe payments/docker-prod/payments-*:1.* pushes')}.",
        )
    try:
        readings = _readings(target, events, ctx)
    except InvalidGlob as exc:
        return message(
            f"I can't subscribe to that: {exc}.",
            f"Try {code(f'{COMMAND} subscribe docker-prod/payments-*')}.",
        )
    except InvalidScope as exc:
        return invalid_scope_reply(exc, ctx)
    return Subscribe(tuple(readings))


@dataclass(frozen=True)
class Subscribe:
    readings: tuple[Target, ...]
    public: bool = True

    @property
    def subject(self) -> str:
        return self.readings[0].ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        posting = deps.posting
        if posting is None:
            return Answer(reply=message(*NO_STORE), ok=False)
        if not posting.public_url:
            return Answer(reply=cannot_subscribe(*NO_PUBLIC_URL), ok=False)
        if asker.channel is None or asker.user is None:
            return Answer(
                reply=message("I can only subscribe a channel.", "Run this in the channel."), ok=False
            )
        chosen, registry = None, None
        for reading in self.readings:
            try:
                registry = await fetch(reading.ref, deps, asker=asker, surface=surface)
            except NotAllowed as exc:
                return Answer(reply=refusal_reply(reading.ref, about_scope=exc.refusal == "scope"), ok=False)
            except NotFound as exc:
                if reading is self.readings[-1]:
                    return Answer(reply=error_reply(exc), ok=False)
                continue
            except HarnessError as exc:
                return Answer(reply=error_reply(exc), ok=False)
            chosen = reading
            break
        if chosen is None or registry is None:
            return Answer(
                reply=message("I couldn't find that registry.", "Check the name and scope."), ok=False
            )
        kind = registry.config.type if registry.config is not None else ""
        if kind and kind != "VIRTUAL":
            return Answer(
                reply=cannot_subscribe(
                    f"Harness sends changes only for virtual registries, and {code(chosen.ref.short)} is an "
                    f"{kind.lower()} one.",
                    "Subscribe to the virtual registry that uses it.",
                ),
                ok=False,
            )
        problem = await channel_problem(posting.web, asker.channel)
        if problem is not None:
            return Answer(reply=cannot_subscribe(problem, "Invite me, then run the command again."), ok=False)
        try:
            done = await posting.subscriber.subscribe(
                channel=asker.channel, ref=chosen.ref, wanted=chosen.wanted, user=asker.user, team=asker.team
            )
        except CannotManageWebhooks as exc:
            sentence = exc.sentence[0].upper() + exc.sentence[1:] + "."
            return Answer(
                reply=cannot_subscribe(sentence, "Ask a Harness admin to grant it, then try again."), ok=False
            )
        except HarnessError as exc:
            return Answer(reply=error_reply(exc), ok=False)
        warning = (
            "PUBLIC_URL is a private address: Harness SaaS can't deliver there."
            if is_private(posting.public_url)
            else None
        )
        item = _listed(done.subscription)
        return Answer(reply=subscribed(item, new=done.new, warning=warning), ok=True, public=True)


def _listed(subscription: SubscriptionRecord) -> Listed:
    ref = registry_of(subscription.registry)
    assert ref is not None  # noqa: S101 (stored from a RegistryRef's path)
    wanted = Filter(
        artifact_glob=subscription.artifact_glob,
        tag_glob=subscription.tag_glob,
        pushes=subscription.pushes,
        deletes=subscription.deletes,
    )
    return Listed(id=subscription.id, registry=ref, filter=wanted.shown, events=wanted.events)


def unsubscribe_handler(text: str, ctx: ScopeContext, _surface: object) -> Task | Reply:
    target, events = _split_events(text)
    if not target:
        return message(
            "Tell me which registry to stop watching.", f"{code(f'{COMMAND} subscriptions')} lists them."
        )
    try:
        readings = _readings(target, events, ctx)
    except InvalidGlob as exc:
        return message(f"I can't read that: {exc}.", f"{code(f'{COMMAND} subscriptions')} lists them.")
    except InvalidScope as exc:
        return invalid_scope_reply(exc, ctx)
    return Unsubscribe(tuple(readings))


@dataclass(frozen=True)
class Unsubscribe:
    readings: tuple[Target, ...] = ()
    subscription_id: int | None = None
    """From an Unsubscribe button."""
    public: bool = True

    @property
    def subject(self) -> str:
        return self.readings[0].ref.short if self.readings else "a subscription"

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        posting, mine = await _channel_subscriptions(deps, asker)
        if posting is None or asker.channel is None:
            return Answer(reply=message(*NO_STORE), ok=False)
        chosen = [
            s
            for s in mine
            if s.id == self.subscription_id
            or any(
                s.registry == r.ref.path
                and s.artifact_glob == r.wanted.artifact_glob
                and s.tag_glob == r.wanted.tag_glob
                for r in self.readings
            )
        ]
        if not chosen:
            if self.readings:
                return Answer(reply=not_subscribed(self.readings[0].ref), ok=False)
            return Answer(
                reply=message(
                    "That subscription has ended already.", f"{code(f'{COMMAND} subscriptions')} lists them."
                ),
                ok=False,
            )
        ended = await posting.subscriber.unsubscribe(chosen[0].id, channel=asker.channel)
        if ended is None:
            return Answer(
                reply=message("That subscription has ended already.", "Nothing more to do."), ok=False
            )
        return Answer(reply=unsubscribed(_listed(ended)), ok=True, public=True)


def subscriptions_handler(text: str, ctx: ScopeContext, _surface: object) -> Task | Reply:
    return Subscriptions()


@dataclass(frozen=True)
class Subscriptions:
    public: bool = False
    subject: str = "subscriptions"

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        posting, mine = await _channel_subscriptions(deps, asker)
        if posting is None:
            return Answer(reply=message(*NO_STORE), ok=False)
        return Answer(reply=subscription_list([_listed(s) for s in mine]), ok=True)


async def _channel_subscriptions(
    deps: Deps, asker: Asker
) -> tuple[PostingService | None, list[SubscriptionRecord]]:
    """The posting service and the asker's channel's active subscriptions (None: no subscriptions here)."""
    posting = deps.posting
    if posting is None or asker.channel is None:
        return None, []
    async with posting.store.transaction() as tx:
        return posting, await tx.subscriptions.for_channel(asker.channel)


def changes_handler(text: str, ctx: ScopeContext, _surface: object) -> Task | Reply:
    words = text.split()
    since_text: str | None = None
    if "since" in [w.lower() for w in words]:
        at = [w.lower() for w in words].index("since")
        since_text, words = " ".join(words[at + 1 :]), words[:at]
    if not words:
        return message("Tell me which registry.", f"Try {code(f'{COMMAND} changes docker-prod since 2h')}.")
    try:
        readings = _readings(" ".join(words), None, ctx)
        parse_since(since_text, now=datetime.now(UTC))  # refused now, with a usage line, if it does not read
    except (InvalidGlob, BadSince) as exc:
        return message(f"{exc}.", f"Try {code(f'{COMMAND} changes docker-prod since 2h')}.")
    except InvalidScope as exc:
        return invalid_scope_reply(exc, ctx)
    reading = readings[0]
    artifact = reading.wanted.artifact_glob if reading.wanted.artifact_glob != "*" else None
    if artifact is not None and ("*" in artifact or "?" in artifact or reading.wanted.tag_glob != "*"):
        return message(
            "`changes` takes an artifact's name, not a pattern.",
            f"Try {code(f'{COMMAND} changes docker-prod/payments-api since 2h')}.",
        )
    return Changes(reading.ref, artifact, since_text)


@dataclass(frozen=True)
class Changes:
    ref: RegistryRef
    artifact: str | None
    since: str | None
    page: int = 0
    public: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        posting = deps.posting
        if posting is None:
            return Answer(reply=message(*NO_STORE), ok=False)
        try:
            await fetch(self.ref, deps, asker=asker, surface=surface)
        except NotAllowed as exc:
            return Answer(reply=refusal_reply(self.ref, about_scope=exc.refusal == "scope"), ok=False)
        except HarnessError as exc:
            return Answer(reply=error_reply(exc), ok=False)
        try:
            since = parse_since(self.since, now=datetime.now(UTC))
        except BadSince as exc:  # an Older button from long ago
            return Answer(
                reply=message(f"{exc}.", f"Try {code(f'{COMMAND} changes {self.ref.short}')}."), ok=False
            )
        try:
            reply = await changes_reply(
                posting.store,
                self.ref,
                artifact=self.artifact,
                since=since,
                versions=posting.versions,
                page=self.page,
            )
        except HarnessError as exc:  # the versions listing, for a registry without a webhook
            return Answer(reply=error_reply(exc), ok=False)
        return Answer(reply=reply, ok=True)


Task = Subscribe | Unsubscribe | Subscriptions | Changes


def unsubscribe_click(value: object) -> Unsubscribe | None:
    """The Task an Unsubscribe button asks for (its value is the subscription id); None when unreadable."""
    if not isinstance(value, str) or not value.isdigit() or len(value) > 12:
        return None
    return Unsubscribe(subscription_id=int(value))


def older_click(value: object) -> Changes | None:
    """The Task the timeline's Older button asks for; None when its value does not read."""
    if not isinstance(value, str):
        return None
    parts = value.split(" ")
    if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    ref = registry_of(parts[0])
    if ref is None or int(parts[3]) > MAX_PAGES:
        return None
    artifact = None if parts[1] == "-" else parts[1]
    since = datetime.fromtimestamp(int(parts[2]), tz=UTC).isoformat()
    return Changes(ref, artifact, since, page=int(parts[3]))


def version_click(value: object) -> VersionLookup | None:
    """The Task a posted change's Version card button asks for (its value: the version's API path,
    bot.cards.changes.version_value; or `<registry_ref path> <artifact> <version>`, as buttons posted
    before 2026-12-07 carry it); None when it does not read."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    read = read_value(value)
    if read is not None:
        return VersionLookup(read[0]) if isinstance(read[0], VersionRef) else None
    parts = value.split(" ")
    registry = registry_of(parts[0]) if len(parts) == 3 else None
    if registry is None:
        return None
    try:
        return VersionLookup(VersionRef(ArtifactRef(registry, parts[1]), version=parts[2]))
    except InvalidScope:
        return None
