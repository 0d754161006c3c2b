"""Atom feeds (RFC 4287): confirmed incidents, bulletins and provision status changes, for the public and
for logged-in readers.

Entry ids are `tag:` URIs (RFC 4151) that never change with the language, the address asked or the time; an
`ETag` over the bytes answers `If-None-Match` with 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Query, Request, Response
from lxml import etree

from truce.db import utcnow
from truce.deps import CurrentUser, ReadSession, Slug
from truce.errors import Message, NotFound
from truce.events import feeds
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.numbers import Id
from truce.policy import Actor
from truce.reports import service as reports_service
from truce.routers import DeclaredRouter
from truce.users import service as users_service
from truce.web import labels, sessions
from truce.web.i18n import N_, gettext_for

router = DeclaredRouter(tags=["feeds"])
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
# The year in every tag: URI; with the authority, it names Truce's ids for good (RFC 4151).
TAG_YEAR = 2026
Lang = Annotated[Literal["en", "ru"], Query(description="language of titles and labels")]

TITLES = {
    "incidents": N_("%(mission)s: confirmed incidents"),
    "bulletins": N_("%(mission)s: bulletins"),
    "provisions": N_("%(mission)s: provision status changes"),
}
PROVISION_TITLE = N_("Provision %(number)s: %(level)s")
PROVISION_SUMMARY = N_("Assessed %(level)s as of %(day)s by %(delegation)s (level %(value)s of 3).")
BULLETIN_TITLE = N_("Bulletin of %(day)s")


@dataclass
class Reader:
    """Who reads a feed, in which mission."""

    mission: Mission
    actor: Actor


def reader(request: Request, session: ReadSession, user: CurrentUser, slug: Slug) -> Reader:
    """The feed's mission and reader: a bearer token, the pages' session cookie, or the public."""
    if user is None:
        user = sessions.user_for(session, request.cookies.get(sessions.COOKIE))
    mission = missions_service.get_by_slug(session, slug)
    actor = users_service.actor_for(session, user, mission)
    if mission is None or not missions_service.visible(actor, mission):
        raise NotFound(Message("mission %(slug)r not found", slug=slug))
    return Reader(mission=mission, actor=actor)


def authority(request: Request) -> str:
    """The tag: authority: TRUCE_PUBLIC_URL's host, never the Host header the client chose."""
    public_url = request.app.state.settings.public_url
    host = urlsplit(public_url).hostname if public_url else None
    return host or "truce.invalid"


def tag(request: Request, path: str) -> str:
    return f"tag:{authority(request)},{TAG_YEAR}:{path}"


def _text(parent: etree._Element, name: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
    element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Entry:
    id: str
    title: str
    updated: datetime
    link: str
    summary: str
    categories: Iterable[str] = ()
    # The same entry in each language, (href, language), when it has several: one alternate link each.
    languages: Iterable[tuple[str, str]] = ()


def render(feed_id: str, title: str, self_link: str, lang: str, entries: list[Entry]) -> bytes:
    """The Atom document."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]  # the default namespace
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    _text(root, "id", feed_id)
    _text(root, "title", title)
    _text(root, "updated", _stamp(max((e.updated for e in entries), default=utcnow())))
    etree.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "href": self_link})
    author = etree.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "Truce")
    _text(root, "generator", "Truce")
    for entry in entries:
        element = etree.SubElement(root, f"{{{ATOM}}}entry")
        _text(element, "id", entry.id)
        _text(element, "title", entry.title)
        _text(element, "updated", _stamp(entry.updated))
        links = list(entry.languages) or [(entry.link, "")]
        for href, hreflang in links:
            attributes = {"rel": "alternate", "href": href, **({"hreflang": hreflang} if hreflang else {})}
            etree.SubElement(element, f"{{{ATOM}}}link", attributes)
        for term in entry.categories:
            etree.SubElement(element, f"{{{ATOM}}}category", {"term": term})
        _text(element, "summary", entry.summary)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def answer(request: Request, document: bytes, public: bool, media_type: str = MEDIA_TYPE) -> Response:
    """The feed, or 304 when the reader holds these very bytes (`If-None-Match`)."""
    etag = '"' + hashlib.sha256(document).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=60" if public else "private, max-age=60",
        "Vary": "Authorization, Cookie",
    }
    held = [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]
    if etag in held or "*" in held:
        return Response(status_code=304, headers=headers)
    return Response(document, media_type=media_type, headers=headers)


def _incident_title(gettext: Callable[[str], str], kind: str, subtype: str, zone: str | None) -> str:
    what = gettext(labels.TYPE.get(kind, kind))
    detail = gettext(labels.SUBTYPE.get(subtype, subtype))
    where = f" — {zone}" if zone else ""
    return f"{what} ({detail}){where}"


@router.get("/feeds/{slug}/incidents.atom", response_class=Response)
def incidents_feed(
    request: Request,
    session: ReadSession,
    user: CurrentUser,
    slug: Slug,
    lang: Lang = "en",
    zone: Annotated[Id | None, Query(description="only incidents in this zone (an area's id)")] = None,
) -> Response:
    """Confirmed incidents the reader may read, newest first (at most 100); the public sees `public` ones only."""
    scope = reader(request, session, user, slug)
    gettext = gettext_for(lang)
    zones = feeds.zone_names(session, scope.mission, actor=scope.actor)
    entries = [
        Entry(
            id=tag(request, f"{slug}/incident/{incident.id}"),
            title=_incident_title(gettext, incident.type, incident.subtype, zones.get(incident.zone_id or 0)),
            updated=updated,
            link=str(request.url_for("incident_detail", slug=slug, incident_id=incident.id)),
            summary=f"{gettext(labels.STATUS['confirmed'])} · {_stamp(incident.start)}\n{incident.narrative}",
            categories=(incident.type, incident.subtype),
        )
        for incident, updated in feeds.confirmed_incidents(session, scope.mission, actor=scope.actor, zone_id=zone)
    ]
    title = gettext(TITLES["incidents"]) % {"mission": scope.mission.name}
    document = render(tag(request, f"{slug}/incidents"), title, str(request.url), lang, entries)
    return answer(request, document, scope.actor.is_public)


@router.get("/feeds/{slug}/bulletins.atom", response_class=Response)
def bulletins_feed(
    request: Request, session: ReadSession, user: CurrentUser, slug: Slug, lang: Lang = "en"
) -> Response:
    """Published bulletins the reader may read, newest first (at most 100): one entry per publication, named by
    its first document (English), with a link to its document in each language, the feed's first."""
    scope = reader(request, session, user, slug)
    gettext = gettext_for(lang)
    entries = []
    for files in reports_service.editions(feeds.bulletins(session, scope.mission, actor=scope.actor)):
        first = files[0]
        # The feed's language first; the others after it, as the bulletins page lists them.
        ordered = sorted(files, key=lambda f: (f.language or "en") != lang)
        entries.append(
            Entry(
                id=tag(request, f"{slug}/bulletin/{first.id}"),
                title=gettext(BULLETIN_TITLE) % {"day": first.on_date.isoformat()},
                updated=max(f.created_at for f in files),
                link=str(request.url_for("download_report", slug=slug, report_id=ordered[0].id)),
                summary="\n".join(
                    f"SHA-256 {f.sha256}" + (f" ({f.language})" if len(files) > 1 else "") for f in ordered
                ),
                languages=[
                    (str(request.url_for("download_report", slug=slug, report_id=f.id)), f.language or "en")
                    for f in ordered
                ]
                if len(files) > 1
                else (),
            )
        )
    title = gettext(TITLES["bulletins"]) % {"mission": scope.mission.name}
    document = render(tag(request, f"{slug}/bulletins"), title, str(request.url), lang, entries)
    return answer(request, document, scope.actor.is_public)


@router.get("/feeds/{slug}/provisions.atom", response_class=Response)
def provisions_feed(
    request: Request, session: ReadSession, user: CurrentUser, slug: Slug, lang: Lang = "en"
) -> Response:
    """Changes of the agreement's provisions' status (each assessment), newest first (at most 100); the public
    sees `public` ones only. Provisions have no zone, so this feed takes no `zone`."""
    scope = reader(request, session, user, slug)
    gettext = gettext_for(lang)
    entries = []
    for status, provision in feeds.provision_statuses(session, scope.mission, actor=scope.actor):
        level = gettext(labels.LEVEL.get(status.level, str(status.level)))
        values = {"number": provision.number, "level": level, "value": str(status.level)}
        summary = gettext(PROVISION_SUMMARY) % {
            **values, "day": status.as_of.isoformat(), "delegation": status.delegation or "—",
        }  # fmt: skip
        entries.append(
            Entry(
                id=tag(request, f"{slug}/provision-status/{status.id}"),
                title=gettext(PROVISION_TITLE) % values,
                updated=status.created_at,
                link=str(request.url_for("provision_detail", slug=slug, provision_id=provision.id)),
                summary=f"{summary}\n{provision.summary}" + (f"\n{status.note}" if status.note else ""),
                categories=(provision.category,),
            )
        )
    title = gettext(TITLES["provisions"]) % {"mission": scope.mission.name}
    document = render(tag(request, f"{slug}/provisions"), title, str(request.url), lang, entries)
    return answer(request, document, scope.actor.is_public)
