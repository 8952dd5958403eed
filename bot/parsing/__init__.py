"""User text and Harness links -> RegistryRef, ArtifactRef or VersionRef (InvalidScope on junk)."""

from bot.parsing.context import ScopeContext
from bot.parsing.links import find_links, find_registry_links, ref_from_url, target_from_url
from bot.parsing.targets import SEPARATOR, Ambiguous, parse_target, registry_of, spelled
from bot.parsing.text import SCOPE_FORMS, ScopeForm, parse_scope
from bot.refs import InvalidScope

__all__ = [
    "SCOPE_FORMS",
    "SEPARATOR",
    "Ambiguous",
    "InvalidScope",
    "ScopeContext",
    "ScopeForm",
    "find_links",
    "find_registry_links",
    "parse_scope",
    "parse_target",
    "ref_from_url",
    "registry_of",
    "spelled",
    "target_from_url",
]
