"""Which incidents: one typed query object that the service, the API, the pages and the exports all pass.

Each filter is bounded here, once: a bad value is refused with its field named, before any SQL runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement

from truce import geo
from truce.db import JSONListHasKey
from truce.errors import Invalid, Message
from truce.incidents.models import Incident
from truce.incidents.taxonomy import SOURCES, STATUSES, TAXONOMY

# "monitor": any report of the mission's own (every source but a party's allegation).
MONITOR = "monitor"
ALLEGATION = "party"
SOURCE_CHOICES = (MONITOR, *SOURCES)
# Party codes and subtypes are short words; a code longer than its column could never match.
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_SUBTYPE = re.compile(r"^[a-z0-9_]{1,48}$")
_LARGEST_ID = 2**63 - 1


@dataclass(frozen=True)
class IncidentQuery:
    """The filters of an incident list, map or export; None means "any".

    `since` and `until` compare the incident's start (`since` included, `until` excluded); `source` is a
    source code or "monitor"; `party` is an alleged party's code; `zone` is the id of the zone the incident
    lies in (derived from the map); `subtype` may be one of the mission's own.
    """

    bbox: geo.BBox | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    incident_type: str | None = None
    source: str | None = None
    party: str | None = None
    zone: int | None = None
    subtype: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise Invalid(Message("give a time with its UTC offset"), name)
        if self.since is not None and self.until is not None and self.until < self.since:
            raise Invalid(Message("is before since"), "until")
        _choice(self.status, STATUSES, "status")
        _choice(self.incident_type, tuple(TAXONOMY), "type")
        _choice(self.source, SOURCE_CHOICES, "source")
        if self.party is not None and not _CODE.match(self.party):
            raise Invalid(Message("is not a party code"), "party")
        if self.subtype is not None and not _SUBTYPE.match(self.subtype):
            raise Invalid(Message("is not a subtype (lower-case letters, digits and _)"), "subtype")
        if self.zone is not None and not 0 < self.zone <= _LARGEST_ID:
            raise Invalid(Message("is not a zone's id"), "zone")

    def with_(self, **changes: Any) -> IncidentQuery:
        """A copy with some filters changed (checked again)."""
        return replace(self, **changes)

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def terms(self) -> list[ColumnElement[bool]]:
        """The conditions on incidents, the box aside (the service decides how the box is tested)."""
        terms: list[ColumnElement[bool]] = []
        if self.since is not None:
            terms.append(Incident.start >= self.since)
        if self.until is not None:
            terms.append(Incident.start < self.until)
        if self.status is not None:
            terms.append(Incident.status == self.status)
        if self.incident_type is not None:
            terms.append(Incident.type == self.incident_type)
        if self.subtype is not None:
            terms.append(Incident.subtype == self.subtype)
        if self.source == MONITOR:
            terms.append(Incident.source != ALLEGATION)
        elif self.source is not None:
            terms.append(Incident.source == self.source)
        if self.zone is not None:
            terms.append(Incident.zone_id == self.zone)
        if self.party is not None:
            terms.append(JSONListHasKey(Incident.__table__.c.alleged_actors, "party", self.party))
        return terms


def _choice(value: str | None, choices: tuple[str, ...], field: str) -> None:
    if value is not None and value not in choices:
        raise Invalid(Message("must be one of %(choices)s", choices=", ".join(choices)), field)


EVERYTHING = IncidentQuery()
