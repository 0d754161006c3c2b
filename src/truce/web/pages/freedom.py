"""Freedom of movement: the restrictions a reader may see, their statistics for any period, and their verification.

The statistics are the table the OSCE SMM published twice a year (party x category x area x period, median
duration, median response of the escalation), here for any span of days and downloadable as CSV, HXL or GeoJSON.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from truce import policy
from truce.disposition import attachment
from truce.errors import Invalid, Message, NotFound
from truce.interop import restriction_stats
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.numbers import Id
from truce.places import presenters as place_presenters
from truce.restrictions import service
from truce.restrictions.models import CATEGORIES, Restriction
from truce.restrictions.views import minutes_between
from truce.web import flash, i18n
from truce.web.context import Page, ReadPage, WritePage
from truce.web.filters import day_field, midnight
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.pages.movementmap import CATEGORY_LABELS, KIND_LABELS
from truce.web.pages.verify import record_verdict
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
# The list shows the latest restrictions of the period; the statistics and the downloads count them all.
MAX_ROWS = 300
PERIOD_LABELS = {"day": N_("By day"), "week": N_("By week"), "month": N_("By month"), "all": N_("The whole period")}
DOWNLOADS = {"csv": "text/csv; charset=utf-8", "hxl": "text/csv; charset=utf-8", "geojson": "application/geo+json"}


@dataclass(frozen=True)
class Span:
    """The period asked for (days in the mission's time zone, both included), and the form that shows it."""

    form: Form
    first: date
    last: date
    period: str
    category: str | None
    party: str | None

    @property
    def query(self) -> str:
        chosen = {"since": self.first, "until": self.last, "period": self.period}
        chosen |= {"category": self.category or "", "party": self.party or ""}
        return "&".join(f"{k}={v}" for k, v in chosen.items() if v)


def _span(request: Request, mission: Mission, parties: Collection[str]) -> Span:
    """The period and filters from the query; a bad value is named on its field and replaced by the default."""
    params = request.query_params
    form = Form(values={k: params.get(k, "") for k in ("since", "until", "period", "category", "party")})
    today = datetime.now(UTC).astimezone(ZoneInfo(mission.time_zone or "UTC")).date()
    last = day_field(form, "until") or today
    first = day_field(form, "since") or mission.starts_on or last - timedelta(days=180)
    if last < first:
        form.add_error("until", N_("The end date is before the start date."))
        first, last = last, first
    period = form.get("period") or "month"
    if period not in restriction_stats.PERIODS:
        form.add_error("period", N_("Choose a period from the list."))
        period = "month"
    category = form.get("category") or None
    if category is not None and category not in CATEGORIES:
        form.add_error("category", N_("Choose a category from the list."))
        category = None
    party = form.get("party") or None
    if party is not None and party not in parties:
        form.add_error("party", N_("Choose a party from the list."))
        party = None
    form.values |= {"since": first.isoformat(), "until": last.isoformat(), "period": period}
    return Span(form, first, last, period, category, party)


def _bounds(mission: Mission, span: Span) -> tuple[datetime, datetime]:
    zone = ZoneInfo(mission.time_zone or "UTC")
    return midnight(span.first, zone), midnight(span.last + timedelta(days=1), zone)


@router.get("/m/{slug}/restrictions", name="restriction_list")
def restriction_list(request: Request, page: ReadPage) -> Response:
    """The restrictions of a period, newest first, and their statistics by party, category, area and period."""
    mission = page.mission_or_404()
    parties = _party_codes(page)
    span = _span(request, mission, parties)
    since, until = _bounds(mission, span)
    # One read: the list shows the latest of them, the statistics count them all.
    found = service.list_restrictions(
        page.session, mission, actor=page.actor, since=since, until=until, category=span.category, party=span.party
    )
    groups = restriction_stats.grouped(
        page.session, mission, found, actor=page.actor, since=since, until=until, period=span.period
    )
    locale = i18n.negotiate(request)
    context = {
        "span": span,
        "rows": [_row(r) for r in reversed(found[-MAX_ROWS:])],
        "total": len(found),
        "groups": groups,
        "parties": sorted(parties),
        "categories": CATEGORY_LABELS,
        "kinds": KIND_LABELS,
        "periods": PERIOD_LABELS,
        "site_names": place_presenters.site_names(page.session, mission, page.actor, locale),
        "area_names": place_presenters.area_names(page.session, mission, page.actor, locale),
        "zone": ZoneInfo(mission.time_zone or "UTC"),
        "can_file": policy.offers(page.actor, "restriction.create"),
    }
    return render(request, "freedom/list.html", context)


def _party_codes(page: Page) -> list[str]:
    return [p.code for p in missions_service.parties(page.session, page.mission_or_404())]


def _row(restriction: Restriction) -> dict[str, Any]:
    return {"r": restriction, "minutes": minutes_between(restriction.start, restriction.end)}


@router.get("/m/{slug}/restrictions/statistics.{kind}", name="restriction_statistics")
def restriction_statistics(request: Request, page: ReadPage, kind: str) -> Response:
    """The statistics of the list's period as CSV, HXL-tagged CSV or GeoJSON: the same records give the same bytes."""
    if kind not in DOWNLOADS:
        raise NotFound(Message("no statistics as %(kind)r: csv, hxl or geojson", kind=kind))
    mission = page.mission_or_404()
    span = _span(request, mission, _party_codes(page))
    if not span.form.ok:
        field, message = next(iter(span.form.errors.items()))
        raise Invalid(Message(message), field)
    since, until = _bounds(mission, span)
    groups = restriction_stats.table(
        page.session, mission, actor=page.actor, since=since, until=until, period=span.period,
        category=span.category, party=span.party,
    )  # fmt: skip
    if kind == "geojson":
        body = restriction_stats.as_geojson(groups)
    else:
        body = restriction_stats.as_csv(groups, hxl=kind == "hxl").encode()
    name = f"{mission.slug}-restrictions-{span.first}-{span.last}.{'hxl.csv' if kind == 'hxl' else kind}"
    return Response(body, media_type=DOWNLOADS[kind], headers=attachment(name))


def _detail(request: Request, page: Page, restriction_id: int, form: Form, code: int = 200) -> Response:
    mission = page.mission_or_404()
    restriction = service.get(page.session, mission, restriction_id, actor=page.actor)
    informed = restriction.centre_informed_at or restriction.liaison_informed_at
    context = {
        "r": restriction,
        "minutes": minutes_between(restriction.start, restriction.end),
        "response": minutes_between(informed, restriction.answered_at),
        "verdicts": service.verdicts(page.session, restriction),
        "can_verify": policy.allowed(page.actor, "restriction.verify", mission.id),
        "form": form,
        "categories": CATEGORY_LABELS,
        "kinds": KIND_LABELS,
        "site_names": place_presenters.site_names(page.session, mission, page.actor, i18n.negotiate(request)),
    }
    return render(request, "freedom/detail.html", context, status_code=code)


@router.get("/m/{slug}/restrictions/{restriction_id}", name="restriction_detail")
def restriction_detail(request: Request, page: ReadPage, restriction_id: Id) -> Response:
    """One restriction: what happened, the escalation, and each delegation's verdict."""
    return _detail(request, page, restriction_id, Form())


@router.post("/m/{slug}/restrictions/{restriction_id}/verify", name="restriction_verify")
def restriction_verify(request: Request, page: WritePage, restriction_id: Id, form: CheckedForm) -> Response:
    """A verifier's verdict; the restriction's status follows the mission's quorum, as for incidents."""
    mission = page.mission_or_404()
    record_verdict(page, form, lambda data: service.verify(page.session, mission, restriction_id, data,
                                                            actor=page.actor))  # fmt: skip
    if not form.ok:
        return _detail(request, page, restriction_id, form, 422)
    url = str(request.app.url_path_for("restriction_detail", slug=mission.slug, restriction_id=str(restriction_id)))
    return flash.redirect_with(request, url, N_("Your verdict on restriction %(id)s is recorded."), id=restriction_id)
