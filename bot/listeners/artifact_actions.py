"""Buttons inside a registry: the registry card's "Artifacts", the artifact card's Versions (paged in
place), a row's Open, Refresh, Share, How to pull, Full digest and back to the artifact.

Every value was written by `bot.cards.artifact` and is read back through the validated refs
(`read_value`); anything else is a stale button, and the clicker is told to ask again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final

from bot.access import Asker
from bot.answers import Answer
from bot.cards.artifact import (
    ACTION_ARTIFACT_OPEN,
    ACTION_ARTIFACT_PULL,
    ACTION_ARTIFACT_REFRESH,
    ACTION_ARTIFACT_SHARE,
    ACTION_ARTIFACTS,
    ACTION_BACK,
    ACTION_OPEN_ARTIFACT,
    ACTION_OPEN_VERSION,
    ACTION_VERSIONS,
    read_registry_value,
    read_value,
)
from bot.cards.version import ACTION_FULL_DIGEST, ACTION_VERSION_OPEN, full_digest
from bot.finding import pull_answer
from bot.listeners.actions import _answer, _stale, clicked
from bot.listeners.needs import Needs
from bot.refs import ArtifactRef, VersionRef
from bot.tasks.artifacts import ArtifactLookup, ArtifactsPage, VersionLookup, VersionsPage

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck

    from bot.services import Services
    from bot.slack.connection import Respond

NEEDS: Final = Needs()
"""Buttons answer through the action's response_url: interactivity only."""

VERSIONS: Final = re.compile(rf"^{ACTION_VERSIONS}(?:_previous|_next)?$")
ARTIFACTS: Final = re.compile(rf"^{ACTION_ARTIFACTS}(?:_previous|_next)?$")
OPEN_VERSION: Final = re.compile(rf"^{ACTION_OPEN_VERSION}_[0-9]{{1,2}}$")
OPEN_ARTIFACT: Final = re.compile(rf"^{ACTION_OPEN_ARTIFACT}_[0-9]{{1,2}}$")

Handler = Callable[[dict[str, Any], dict[str, Any], "Respond", "Services", Asker], Coroutine[Any, Any, None]]


def _value(action: dict[str, Any]) -> tuple[ArtifactRef | VersionRef, int] | None:
    value = action.get("value")
    return read_value(value) if isinstance(value, str) else None


async def _read(action: dict[str, Any], respond: Respond) -> tuple[ArtifactRef | VersionRef, int] | None:
    """The button's ref and page; when its value cannot be read, the clicker is told so and None returned."""
    found = _value(action)
    if found is None:
        await _stale(action, respond)
    return found


def _lookup(
    ref: ArtifactRef | VersionRef, *, public: bool = False, fresh: bool = False
) -> ArtifactLookup | VersionLookup:
    if isinstance(ref, VersionRef):
        return VersionLookup(ref, public=public, fresh=fresh)
    return ArtifactLookup(ref, public=public, fresh=fresh)


def _ephemeral(body: dict[str, Any]) -> bool:
    container = body.get("container")
    return isinstance(container, dict) and container.get("is_ephemeral") is True


async def handle_versions(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Versions, Previous, Next: that page of versions, in place of the message clicked."""
    found = _value(action)
    if found is None or not isinstance(found[0], ArtifactRef):
        await _stale(action, respond)
        return
    answer = await VersionsPage(found[0], found[1]).run(services.deps, asker, surface="versions")
    await _answer(answer, respond, replace=True)


async def handle_artifacts(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """The registry card's Artifacts (beside the card), and its pages' Previous/Next (in place)."""
    value = action.get("value")
    found = read_registry_value(value) if isinstance(value, str) else None
    if found is None:
        await _stale(action, respond)
        return
    answer = await ArtifactsPage(found[0], found[1]).run(services.deps, asker, surface="artifacts")
    await _answer(answer, respond, replace=str(action.get("action_id")) != ACTION_ARTIFACTS)


async def handle_open(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """A row's Open, a did-you-mean choice, or back to the artifact: that card, for the clicker."""
    found = await _read(action, respond)
    if found is None:
        return
    answer = await _lookup(found[0]).run(services.deps, asker, surface="open")
    await _answer(answer, respond, replace=str(action.get("action_id")) == ACTION_BACK)


async def handle_refresh(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Look the artifact or version up again, past the cache, in place."""
    found = await _read(action, respond)
    if found is None:
        return
    answer = await _lookup(found[0], fresh=True).run(services.deps, asker, surface="refresh")
    await _answer(answer, respond, replace=True)


async def handle_share(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """Post the card visibly in the channel, attributed to who shared it."""
    found = await _read(action, respond)
    if found is None:
        return
    answer = await _lookup(found[0], public=True).run(services.deps, asker, surface="share")
    if not answer.ok:
        await _answer(answer, respond, replace=False)
        return
    await respond(**answer.reply.as_kwargs(), response_type="in_channel", replace_original=False)
    if _ephemeral(body):
        await respond(delete_original=True)


async def handle_pull(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """How to pull: the registry's client set-up steps, to the clicker only."""
    found = await _read(action, respond)
    if found is None:
        return
    answer = await pull_answer(found[0].registry, services.deps, asker, surface="pull-button")
    await _answer(answer, respond, replace=False)


async def handle_digest(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, services: Services, asker: Asker
) -> None:
    """The whole digest, to the clicker only: nothing to ask Harness."""
    found = _value(action)
    if found is None or not isinstance(found[0], VersionRef):
        await _stale(action, respond)
        return
    await _answer(Answer(reply=full_digest(found[0]), ok=True), respond, replace=False)


HANDLERS: Final[dict[str | re.Pattern[str], Handler]] = {
    VERSIONS: handle_versions,
    ARTIFACTS: handle_artifacts,
    OPEN_VERSION: handle_open,
    OPEN_ARTIFACT: handle_open,
    ACTION_BACK: handle_open,
    ACTION_ARTIFACT_REFRESH: handle_refresh,
    ACTION_ARTIFACT_SHARE: handle_share,
    ACTION_ARTIFACT_PULL: handle_pull,
    ACTION_FULL_DIGEST: handle_digest,
}
LINKS: Final = (ACTION_ARTIFACT_OPEN, ACTION_VERSION_OPEN)


def register(app: AsyncApp, services: Services) -> None:
    """Acknowledge each click, then do its work in the background."""

    async def on_link(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL

    for link in LINKS:
        app.action(link)(on_link)
    for action_id, handler in HANDLERS.items():
        app.action(action_id)(clicked(handler, handler.__name__, services))
