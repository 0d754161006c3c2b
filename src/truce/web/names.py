"""Names a person reads in place of the codes records keep: parties, delegations, kinds, log actions.

One `Names` per rendered page: the mission's parties and delegations are read once, when a template first
asks, and shown in the reader's language where the mission gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from truce.missions import service as missions_service
from truce.missions.models import Mission


def localized(record: Any, locale: str, field: str = "name") -> str:
    """`record`'s `field` in `locale` when its `translations` give one, else as stored."""
    per_language = getattr(record, "translations", None) or {}
    entry = per_language.get(locale) if isinstance(per_language, dict) else None
    if isinstance(entry, dict) and entry.get(field):
        return str(entry[field])
    return str(getattr(record, field, "") or "")


class Names:
    """The names of a mission's parties and delegations in one language (codes of no known record stay as given)."""

    def __init__(self, session: Session | None, mission: Mission | None, locale: str) -> None:
        self._session, self._mission, self.locale = session, mission, locale

    @cached_property
    def parties(self) -> dict[str, str]:
        if self._session is None or self._mission is None:
            return {}
        found = missions_service.parties(self._session, self._mission)
        return {p.code: localized(p, self.locale) for p in found}

    @cached_property
    def delegations(self) -> dict[str, str]:
        if self._session is None or self._mission is None:
            return {}
        found = missions_service.delegations(self._session, self._mission)
        return {d.code: localized(d, self.locale) for d in found}

    def party(self, code: str | None) -> str:
        """A party's name, from its code."""
        return self.parties.get(code, code) if code else ""

    def delegation(self, code: str | None) -> str:
        """A delegation's name, from its code."""
        return self.delegations.get(code, code) if code else ""

    def party_list(self, codes: Iterable[str] | None) -> str:
        """Parties' names, comma-separated."""
        return ", ".join(self.party(code) for code in codes or ())

    def delegation_list(self, codes: Iterable[str] | None) -> str:
        """Delegations' names, comma-separated."""
        return ", ".join(self.delegation(code) for code in codes or ())

    def of(self, record: Any, field: str = "name") -> str:
        """A record's name (a site, an area, a mission), or another `field`, in the reader's language."""
        return localized(record, self.locale, field) if record is not None else ""

    def mission(self) -> str:
        """The mission's name in the reader's language."""
        return localized(self._mission, self.locale) if self._mission is not None else ""


def word(table: dict[str, str], translate: Callable[[str], str]) -> Callable[[str | None], str]:
    """A filter turning a code of `table` into its translated word (an unknown code, spaced, as a last resort)."""

    def name(code: str | None) -> str:
        if not code:
            return ""
        known = table.get(code)
        return translate(known) if known else code.replace("_", " ")

    return name
