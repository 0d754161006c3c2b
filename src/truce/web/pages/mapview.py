"""The map: places and incidents the visitor may read, drawn by Leaflet from compact JSON."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from truce import policy, translation
from truce.errors import Invalid, Message
from truce.incidents import service as incidents_service
from truce.incidents import taxonomy
from truce.incidents.models import Incident
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places import presenters as place_presenters
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.policy import Actor
from truce.web import filters, i18n, labels, overview
from truce.web.context import ReadPage
from truce.web.i18n import N_
from truce.web.pages import movementmap
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
MAX_MARKERS = 50_000


@router.get("/m/{slug}/map", name="map")
def map_page(request: Request, page: ReadPage) -> Response:
    mission, session = page.mission_or_404(), page.session
    offered = filters.choices(session, mission, page.actor)
    chosen = filters.parse(request.query_params, mission, offered)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(mission.time_zone or "UTC")).date()
    # The presets end on the latest day with incidents (today in a running mission; the demo's own days).
    last_day = min(overview.latest_day(session, mission, page.actor) or today, today)
    context = {
        "form": chosen.form,
        "chosen": chosen,
        "offered": offered,
        "presets": filters.presets(last_day),
        "last_day": last_day,
        "today": today,
        "tile_url": request.app.state.settings.tile_url,
        "map_text": map_text(request, mission),
        # The restrictions' filter box links to their form for those who may file one.
        "files_restrictions": policy.offers(page.actor, "restriction.create"),
    }
    return render(request, "map.html", context)


def map_text(request: Request, mission: Mission | None = None) -> dict[str, Any]:
    """The words the map's script shows, in the user's language (with `mission`, its own subtypes' labels)."""
    language = i18n.negotiate(request)
    _ = i18n.gettext_for(language)
    local = mission.taxonomy if mission is not None else []
    own = {e["subtype"]: taxonomy.label(local, e["type"], e["subtype"], language) for e in local}
    return {
        "statuses": {code: _(label) for code, label in labels.STATUS.items()},
        "status_order": list(labels.STATUS),
        "types": {code: _(label) for code, label in labels.TYPE.items()},
        "subtypes": {**{code: _(label) for code, label in labels.SUBTYPE.items()}, **own},
        "sources": {code: _(label) for code, label in labels.SOURCE.items()},
        "near": _(N_("near %s")),
        "legend": _(N_("Legend")),
        "controlled_by": _(N_("Controlled by %s")),
        "line_of_contact": _(N_("Line of contact")),
        "corridor": _(N_("Corridor")),
        "site_kinds": {
            "post": _(N_("Observation post")),
            "command_post": _(N_("Command post")),
            "observation_centre": _(N_("Observation centre")),
            "checkpoint": _(N_("Checkpoint")),
            "crossing_point": _(N_("Crossing point")),
        },
        "settlement": _(N_("Settlement")),
        "allegation": _(N_("allegation")),
        "details": _(N_("Details")),
        "loading": _(N_("Loading incidents…")),
        "shown": _(N_("%s incidents shown.")),
        "up_to": _(N_("Up to %s")),
        "truncated": _(N_("Only the first ones are drawn; narrow the filters.")),
        "failed": _(N_("The incidents could not be loaded; reload the page.")),
        "click_to_place": _(N_("Click the map to place the incident.")),
        "movement": movementmap.movement_text(_),
    }


def places(session: Session, mission: Mission, actor: Actor, locale: str = i18n.DEFAULT) -> dict[str, Any]:
    """Areas, lines and sites as GeoJSON named in `locale`, with the controlling party's code on zones."""
    result: dict[str, Any] = {}
    for key, model in (("areas", Area), ("lines", Line), ("sites", Site)):
        records = places_service.list_places(session, model, mission, actor=actor)
        result[key] = place_presenters.feature_collection(session, mission, records, locale)
    result["parties"] = {
        p.code: {"name": translation.localized(p, locale), "kind": p.kind}
        for p in missions_service.parties(session, mission)
    }
    return result


def layer_language(request: Request) -> str:
    """The language of the map's layers: `?lang=` (the pages ask with it, so each language is a URL of its own
    for the browser's and the offline app's caches), else the reader's, as for the pages."""
    asked = request.query_params.get("lang")
    if asked is None:
        return i18n.negotiate(request)
    if asked not in i18n.LOCALES:
        raise Invalid(Message("must be one of %(values)s", values=", ".join(i18n.LOCALES)), "lang")
    return asked


def tagged(request: Request, answer: Response) -> Response:
    """`answer` with an ETag over its bytes, or 304 when the reader holds them (`If-None-Match`).

    The bytes differ with the language and with what the reader may see, so the tag does too.
    """
    etag = '"' + hashlib.sha256(bytes(answer.body)).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie, Accept-Language"}
    held = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
    if etag in held:
        return Response(status_code=304, headers=headers)
    answer.headers.update(headers)
    return answer


@router.get("/m/{slug}/map/places.json", name="map_places")
def map_places(request: Request, page: ReadPage) -> Response:
    """The mission's areas, lines and sites the reader may see, named in `?lang=` (else the reader's language)."""
    language = layer_language(request)
    return tagged(request, JSONResponse(places(page.session, page.mission_or_404(), page.actor, language)))


@router.get("/m/{slug}/map/incidents.json", name="map_incidents")
def map_incidents(request: Request, page: ReadPage) -> Response:
    """Incidents as rows [id, lon, lat, status code, type code, start (ISO date), allegation, subtype code,
    local start (YYYY-MM-DD HH:MM), source code, nearest site's name], filtered."""
    mission, session = page.mission_or_404(), page.session
    chosen = filters.parse(request.query_params, mission, filters.choices(session, mission, page.actor))
    if chosen.form.errors:
        name, message = next(iter(chosen.form.errors.items()))
        raise Invalid(message, name)
    stmt = incidents_service.query(mission, page.actor, chosen.query, dialect=session.get_bind().dialect.name)
    columns = (
        Incident.id, Incident.lon, Incident.lat, Incident.status, Incident.type, Incident.start, Incident.source,
        Incident.subtype, Incident.nearest_site_id,
    )  # fmt: skip
    rows = session.execute(stmt.with_only_columns(*columns).limit(MAX_MARKERS + 1)).all()
    zone = ZoneInfo(mission.time_zone or "UTC")
    names = place_presenters.site_names(session, mission, page.actor, layer_language(request))
    body = {
        "rows": [
            [
                r[0],
                round(r[1], 5),
                round(r[2], 5),
                r[3],
                r[4],
                r[5].date().isoformat(),
                r[6] == "party",
                r[7],
                r[5].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                r[6],
                names.get(r[8] or 0, ""),
            ]
            for r in rows[:MAX_MARKERS]
        ],
        "truncated": len(rows) > MAX_MARKERS,
    }
    return JSONResponse(body)
