"""User text and Harness links -> RegistryRef (InvalidScope on junk)."""

from bot.parsing.context import ScopeContext
from bot.parsing.links import find_registry_links, ref_from_url
from bot.parsing.text import SCOPE_FORMS, ScopeForm, parse_scope
from bot.refs import InvalidScope

__all__ = [
    "SCOPE_FORMS",
    "InvalidScope",
    "ScopeContext",
    "ScopeForm",
    "find_registry_links",
    "parse_scope",
    "ref_from_url",
]
