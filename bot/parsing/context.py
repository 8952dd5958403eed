"""What parsing needs besides the text (ScopeContext), and the internal rejection it raises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.refs import Part, RegistryRef, problem, ref_problem

DEFAULT_UI_HOST: Final = "app.harness.io"


class Rejected(Exception):
    """Why parsing failed, which part failed, and a corrected input worth suggesting."""

    def __init__(self, reason: str, *, part: Part | None = None, fix: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.part = part
        self.fix = fix


def make_ref(account: str, registry: str, org: str | None, project: str | None) -> RegistryRef:
    """A RegistryRef from parts, or Rejected naming the part that is wrong."""
    found = ref_problem(account, registry, org, project)
    if found is not None:
        raise Rejected(found[0], part=found[1])
    return RegistryRef(account=account, registry=registry, org=org, project=project)


HOSTNAME_RE: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def normal_host(host: str) -> str:
    # Hostnames are case-insensitive and "app.harness.io." is the same host as "app.harness.io".
    return host.lower().removesuffix(".")


@dataclass(frozen=True, slots=True)
class ScopeContext:
    """What parse_scope needs besides the text: the account, optional defaults and trusted UI hosts.

    A bare registry name means ``default_org``/``default_project`` when set, else the account.
    ``ui_hosts`` are hostnames (no scheme, no port) whose links are read; they are lowercased here.
    Invalid values raise ValueError naming the field.
    """

    account_id: str
    default_org: str | None = None
    default_project: str | None = None
    ui_hosts: frozenset[str] = frozenset({DEFAULT_UI_HOST})

    def __post_init__(self) -> None:
        fields: tuple[tuple[str, Part, str | None], ...] = (
            ("account_id", "account", self.account_id),
            ("default_org", "org", self.default_org),
            ("default_project", "project", self.default_project),
        )
        for name, part, value in fields:
            if value is None and part != "account":
                continue
            reason = problem(part, value)
            if reason is not None:
                raise ValueError(f"{name} {value!r} is not valid: {reason}")
        if self.default_project is not None and self.default_org is None:
            raise ValueError("default_project needs default_org: a project lives in an org.")
        # A str is iterable too, and frozenset("app.harness.io") would quietly trust single letters.
        if isinstance(self.ui_hosts, str):
            raise TypeError("ui_hosts must be a set of hostnames, not a string.")
        hosts = frozenset(normal_host(h) for h in self.ui_hosts)
        for host in sorted(hosts):
            if not HOSTNAME_RE.fullmatch(host):
                raise ValueError(f"ui_hosts entry {host!r} is not a hostname (no scheme, port or path).")
        object.__setattr__(self, "ui_hosts", hosts)
