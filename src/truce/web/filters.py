"""The incident filters shared by the list and the map: dates, type, subtype (Truce's and the mission's own) and
status from the query string."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from truce import limits
from truce.errors import Invalid
from truce.incidents.taxonomy import STATUSES, TAXONOMY, of_mission
from truce.missions.models import Mission
from truce.web.forms import Form
from truce.web.i18n import N_

FIELDS = ("since", "until", "status", "type", "subtype")


@dataclass
class IncidentFilters:
    """Validated filters (keyword arguments of `incidents.service.query`) and the form to show them."""

    form: Form
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    incident_type: str | None = None
    subtype: str | None = None

    def as_query(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "status": self.status, "incident_type": self.incident_type,
                "subtype": self.subtype}  # fmt: skip

    def query_string(self) -> str:
        return urlencode({k: v for k, v in self.form.values.items() if k in FIELDS and v})


def _day(form: Form, name: str, zone: ZoneInfo) -> date | None:
    text = form.get(name)
    if not text:
        return None
    try:
        # A day beyond the bounds would overflow when "until" becomes the next midnight.
        return limits.check_day(date.fromisoformat(text), name)
    except (ValueError, Invalid):
        form.add_error(name, N_("Enter a date as YYYY-MM-DD."))
        return None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def parse(params: QueryParams, mission: Mission) -> IncidentFilters:
    """Read the filters; a bad value is reported on its field and ignored."""
    form = Form(values={k: params.get(k, "") for k in FIELDS})
    zone = ZoneInfo(mission.time_zone or "UTC")
    result = IncidentFilters(form=form)
    first, last = _day(form, "since", zone), _day(form, "until", zone)
    if first and last and last < first:
        form.add_error("until", N_("The end date is before the start date."))
        last = None
    result.since = _midnight(first, zone) if first else None
    # "until" names the last day included.
    result.until = _midnight(last + timedelta(days=1), zone) if last else None
    status = form.get("status")
    if status and status not in STATUSES:
        form.add_error("status", N_("Choose a status from the list."))
    elif status:
        result.status = status
    kind = form.get("type")
    if kind and kind not in TAXONOMY:
        form.add_error("type", N_("Choose a type from the list."))
    elif kind:
        result.incident_type = kind
    subtype = form.get("subtype")
    if subtype:
        taxonomy = of_mission(mission.taxonomy)
        allowed = taxonomy.get(result.incident_type or "", {}) if result.incident_type else _every(taxonomy)
        if subtype not in allowed:
            form.add_error("subtype", N_("Choose a subtype from the list."))
        else:
            result.subtype = subtype
    return result


def _every(taxonomy: dict[str, dict[str, Any]]) -> set[str]:
    return {subtype for subtypes in taxonomy.values() for subtype in subtypes}
