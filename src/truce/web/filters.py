"""The incident filters shared by the list and the map: read from the query string into an `IncidentQuery`.

Days are written as the pages print them (YYYY-MM-DD) and read in the mission's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from truce import geo, limits
from truce.errors import Invalid
from truce.incidents import taxonomy
from truce.incidents.query import SOURCE_CHOICES, IncidentQuery
from truce.incidents.taxonomy import STATUSES, TAXONOMY
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places import service as places_service
from truce.places.models import Area
from truce.policy import Actor
from truce.web.forms import Form
from truce.web.i18n import N_

FIELDS = ("since", "until", "status", "type", "source", "party", "zone", "subtype")
# The date presets: days back from the last day, that day included.
PRESETS = {"day": 1, "week": 7, "month": 30}


@dataclass(frozen=True)
class Choices:
    """What the filters offer: the zones the reader may read, the mission's parties and subtypes."""

    zones: dict[int, str] = field(default_factory=dict)
    parties: tuple[str, ...] = ()
    subtypes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def all_subtypes(self) -> list[str]:
        seen: dict[str, None] = {}
        for names in self.subtypes.values():
            seen.update(dict.fromkeys(names))
        return list(seen)


def choices(session: Session, mission: Mission, actor: Actor) -> Choices:
    """The zones of control the actor may read, the parties and every subtype (the mission's own included)."""
    areas = places_service.list_places(session, Area, mission, actor=actor, kind="zone_of_control")
    parties = tuple(p.code for p in missions_service.parties(session, mission))
    subtypes = {kind: tuple(names) for kind, names in taxonomy.of_mission(mission.taxonomy).items()}
    return Choices(zones={a.id: a.name for a in areas}, parties=parties, subtypes=subtypes)


@dataclass
class IncidentFilters:
    """The validated filters as the query object, and the form to show them."""

    form: Form
    query: IncidentQuery = field(default_factory=IncidentQuery)
    first: date | None = None
    last: date | None = None

    def query_string(self) -> str:
        return urlencode({k: v for k, v in self.form.values.items() if k in FIELDS and v})


def day_field(form: Form, name: str) -> date | None:
    """The day typed in `name` (YYYY-MM-DD); a bad one is reported on the field and read as none."""
    text = form.get(name)
    if not text:
        return None
    try:
        # A day beyond the bounds would overflow when "until" becomes the next midnight.
        return limits.check_day(date.fromisoformat(text), name)
    except (ValueError, Invalid):
        form.add_error(name, N_("Enter a date as YYYY-MM-DD."))
        return None


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def parse(params: QueryParams, mission: Mission, offered: Choices) -> IncidentFilters:
    """Read the filters; a bad value is reported on its field and ignored."""
    form = Form(values={k: params.get(k, "") for k in FIELDS})
    zone = ZoneInfo(mission.time_zone or "UTC")
    first, last = day_field(form, "since"), day_field(form, "until")
    if first and last and last < first:
        form.add_error("until", N_("The end date is before the start date."))
        last = None
    values: dict[str, object] = {
        "since": midnight(first, zone) if first else None,
        # "until" names the last day included.
        "until": midnight(last + timedelta(days=1), zone) if last else None,
        "status": _chosen(form, "status", STATUSES, N_("Choose a status from the list.")),
        "incident_type": _chosen(form, "type", tuple(TAXONOMY), N_("Choose a type from the list.")),
        "source": _chosen(form, "source", SOURCE_CHOICES, N_("Choose a source from the list.")),
        "party": _chosen(form, "party", offered.parties, N_("Choose a party from the list.")),
        "subtype": _subtype(form, offered),
        "zone": _zone(form, offered),
        "bbox": _bbox(params),
    }
    query = IncidentQuery(**values)  # type: ignore[arg-type]
    return IncidentFilters(form=form, query=query, first=first, last=last)


def _chosen(form: Form, name: str, allowed: tuple[str, ...], message: str) -> str | None:
    value = form.get(name)
    if value and value not in allowed:
        form.add_error(name, message)
        return None
    return value or None


def _subtype(form: Form, offered: Choices) -> str | None:
    kind = form.get("type")
    allowed = offered.subtypes.get(kind, ()) if kind in offered.subtypes else tuple(offered.all_subtypes())
    return _chosen(form, "subtype", allowed, N_("Choose a subtype from the list."))


def _zone(form: Form, offered: Choices) -> int | None:
    text = form.get("zone")
    if not text:
        return None
    if not text.isdigit() or int(text) not in offered.zones:
        form.add_error("zone", N_("Choose a zone from the list."))
        return None
    return int(text)


def _bbox(params: QueryParams) -> geo.BBox | None:
    text = params.get("bbox")
    return geo.parse_bbox(text) if text else None


def presets(last_day: date) -> list[tuple[str, date, date]]:
    """The date presets ending on `last_day`: (name, first day, last day)."""
    return [(name, last_day - timedelta(days=days - 1), last_day) for name, days in PRESETS.items()]
