"""CAP 1.2 alerts at stable addresses, and their Atom feed: public by construction (public incidents only)."""

from __future__ import annotations

from fastapi import Request, Response

from truce.deps import ReadSession, Slug
from truce.errors import Message, NotFound
from truce.events import cap
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.numbers import Id
from truce.policy import Actor
from truce.routers import DeclaredRouter
from truce.web.feeds import Entry, Lang, answer, render, tag

router = DeclaredRouter(tags=["feeds"])
CAP_MEDIA_TYPE = "application/cap+xml; charset=utf-8"


def _public_mission(session: ReadSession, slug: str) -> Mission:
    mission = missions_service.get_by_slug(session, slug)
    if mission is None or not missions_service.visible(Actor.anonymous(mission.id), mission):
        raise NotFound(Message("mission %(slug)r not found", slug=slug))
    return mission


@router.get("/cap/{slug}/alerts.atom", response_class=Response)
def alerts_feed(request: Request, session: ReadSession, slug: Slug, lang: Lang = "en") -> Response:
    """The mission's CAP alerts, newest first (at most 100), each linking to its CAP document."""
    mission = _public_mission(session, slug)
    entries = [
        Entry(
            id=tag(request, f"{slug}/cap/{alert.id}"),
            title=f"{alert.msg_type}: {alert.identifier}",
            updated=alert.sent,
            link=str(request.url_for("cap_alert", slug=slug, alert_id=alert.id)),
            summary=alert.identifier,
            categories=(alert.msg_type,),
        )
        for alert in cap.alerts(session, mission)
    ]
    document = render(tag(request, f"{slug}/cap"), f"{mission.name}: CAP", str(request.url), lang, entries)
    return answer(request, document, public=True)


@router.get("/cap/{slug}/{alert_id}.xml", name="cap_alert", response_class=Response)
def cap_alert(request: Request, session: ReadSession, slug: Slug, alert_id: Id) -> Response:
    """One CAP 1.2 message, exactly as it was made."""
    mission = _public_mission(session, slug)
    found = cap.alert(session, mission, alert_id)
    if found is None:
        raise NotFound(Message("alert not found"))
    return answer(request, found.xml.encode("utf-8"), public=True, media_type=CAP_MEDIA_TYPE)
