"""What `/har subscribe` takes after the registry: `<artifact-glob>[:<tag-glob>]` and `pushes|deletes`.

Globs are fnmatch's `*` and `?` over the characters Harness allows in artifact names (letters, digits,
`.`, `_`, `-`, `/` between segments) and in tags (also `+`); anything else is refused with a sentence
saying what a glob may hold, so a subscription never stores something that could not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MAX_GLOB_CHARS: Final = 128
MAX_WILDCARDS: Final = 8
_ARTIFACT: Final = re.compile(r"[A-Za-z0-9_.*?-]+(?:/[A-Za-z0-9_.*?-]+)*")
_TAG: Final = re.compile(r"[A-Za-z0-9_.*?+-]+")
EVENTS: Final = {"pushes": (True, False), "deletes": (False, True), "both": (True, True), "all": (True, True)}


class InvalidGlob(ValueError):
    """A glob or event word `subscribe` cannot take; the message is a sentence for the user."""


@dataclass(frozen=True, slots=True)
class Filter:
    """Which events of a registry a subscription wants."""

    artifact_glob: str = "*"
    tag_glob: str = "*"
    pushes: bool = True
    deletes: bool = True

    @property
    def shown(self) -> str:
        """`payments-*:1.*`, or "" for everything."""
        if self.artifact_glob == "*" and self.tag_glob == "*":
            return ""
        return self.artifact_glob if self.tag_glob == "*" else f"{self.artifact_glob}:{self.tag_glob}"

    @property
    def events(self) -> str:
        """ "pushes and deletes", "pushes" or "deletes"."""
        if self.pushes and self.deletes:
            return "pushes and deletes"
        return "pushes" if self.pushes else "deletes"


def _check(glob: str, pattern: re.Pattern[str], what: str, allowed: str) -> str:
    if not glob:
        raise InvalidGlob(f"the {what} pattern is empty: leave it out to mean every {what}")
    if len(glob) > MAX_GLOB_CHARS:
        raise InvalidGlob(f"the {what} pattern is longer than {MAX_GLOB_CHARS} characters")
    if not pattern.fullmatch(glob) or ".." in glob:
        raise InvalidGlob(f"a {what} pattern may hold {allowed}, with `*` and `?` as wildcards")
    if sum(glob.count(c) for c in "*?") > MAX_WILDCARDS:
        raise InvalidGlob(f"a {what} pattern may hold at most {MAX_WILDCARDS} wildcards")
    return glob


def parse_filter(target: str | None, events: str | None = None) -> Filter:
    """`<artifact-glob>[:<tag-glob>]` (or None for everything) and `pushes|deletes` (or None for both)."""
    artifact_glob, tag_glob = "*", "*"
    if target is not None:
        artifact_text, colon, tag_text = target.partition(":")
        artifact_glob = _check(
            artifact_text, _ARTIFACT, "artifact", "letters, digits, `.`, `_`, `-` and `/` between names"
        )
        if colon:
            tag_glob = _check(tag_text, _TAG, "tag", "letters, digits, `.`, `_`, `-` and `+`")
    pushes, deletes = True, True
    if events is not None:
        wanted = EVENTS.get(events.lower())
        if wanted is None:
            raise InvalidGlob("I can subscribe to `pushes`, `deletes`, or both when you leave the word out")
        pushes, deletes = wanted
    return Filter(artifact_glob=artifact_glob, tag_glob=tag_glob, pushes=pushes, deletes=deletes)
