"""The incident list (sort, filter, page) and one incident in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from sqlalchemy import ColumnElement, Select, and_, or_

from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.places import presenters as place_presenters
from truce.web import filters, i18n
from truce.web.context import ReadPage
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
PAGE_SIZE = 50
MAX_PAGE_NUMBER = 10_000
MAX_ID = 2**63
# Only orders an index can serve: at a million incidents any other sort reads the whole table
# (see BENCHMARKS.md); type and status are filters instead. Ids follow the order of filing.
SORTS: dict[str, Any] = {"start": Incident.start, "id": Incident.id}


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort value and the id of a row. Next/previous pages start from it (keyset
    paging), so page 500 costs what page 1 costs, where an OFFSET would read and skip every earlier row."""

    value: datetime | int
    incident_id: int

    @classmethod
    def parse(cls, text: str | None, sort: str) -> Cursor | None:
        if not text:
            return None
        value, _, ident = text.rpartition("_")
        try:
            parsed: datetime | int = datetime.fromisoformat(value) if sort == "start" else int(value)
            number = int(ident)
        except ValueError:
            return None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            return None
        if not all(0 <= n < MAX_ID for n in (number, parsed if isinstance(parsed, int) else 0)):
            return None
        return cls(parsed, number)

    @classmethod
    def of(cls, incident: Incident, sort: str) -> str:
        value = incident.start.isoformat() if sort == "start" else str(incident.id)
        return f"{value}_{incident.id}"

    def beyond(self, sort: str, descending: bool) -> ColumnElement[bool]:
        """Rows after this one in the order (descending or not)."""
        column = SORTS[sort]
        if descending:
            return or_(column < self.value, and_(column == self.value, Incident.id < self.incident_id))
        return or_(column > self.value, and_(column == self.value, Incident.id > self.incident_id))


def _sorted(stmt: Select[tuple[Incident]], sort: str, descending: bool) -> Select[tuple[Incident]]:
    column = SORTS[sort]
    order = column.desc() if descending else column.asc()
    tie = Incident.id.desc() if descending else Incident.id.asc()
    return stmt.order_by(None).order_by(order, tie)


def _int(text: str | None, default: int, high: int) -> int:
    try:
        return max(1, min(int(text or default), high))
    except ValueError:
        return default


def _page(
    stmt: Select[tuple[Incident]], sort: str, descending: bool, request: Request, number: int
) -> Select[tuple[Incident]]:
    """One more row than a page: after a cursor, before one (read backwards), or at an offset."""
    after = Cursor.parse(request.query_params.get("after"), sort)
    before = Cursor.parse(request.query_params.get("before"), sort)
    if after is not None:
        return _sorted(stmt.where(after.beyond(sort, descending)), sort, descending).limit(PAGE_SIZE + 1)
    if before is not None:
        backwards = _sorted(stmt.where(before.beyond(sort, not descending)), sort, not descending)
        return backwards.limit(PAGE_SIZE + 1)
    return _sorted(stmt, sort, descending).limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)


@router.get("/m/{slug}/incidents", name="incident_list")
def incident_list(request: Request, page: ReadPage) -> Response:
    mission, session = page.mission_or_404(), page.session
    offered = filters.choices(session, mission, page.actor)
    chosen = filters.parse(request.query_params, mission, offered)
    sort = request.query_params.get("sort", "start")
    sort = sort if sort in SORTS else "start"
    descending = request.query_params.get("dir", "desc") != "asc"
    number = _int(request.query_params.get("page"), 1, MAX_PAGE_NUMBER)
    stmt = incidents_service.query(mission, page.actor, chosen.query, dialect=session.get_bind().dialect.name)
    rows = list(session.execute(_page(stmt, sort, descending, request, number)).scalars())
    backwards = "before" in request.query_params and "after" not in request.query_params
    shown = list(reversed(rows[:PAGE_SIZE])) if backwards else rows[:PAGE_SIZE]
    more = len(rows) > PAGE_SIZE
    return render(
        request,
        "incidents/list.html",
        {
            "incidents": shown,
            "form": chosen.form,
            "offered": offered,
            "chosen": chosen,
            "filter_query": chosen.query_string(),
            "sort": sort,
            "descending": descending,
            "number": number,
            # Read backwards (a "previous" link), the extra row tells whether an earlier page exists.
            "has_next": bool(shown) and (backwards or more),
            "has_previous": bool(shown) and (more if backwards else number > 1),
            "next_cursor": Cursor.of(shown[-1], sort) if shown else "",
            "previous_cursor": Cursor.of(shown[0], sort) if shown else "",
            "site_names": place_presenters.site_names(session, mission, page.actor, i18n.negotiate(request)),
        },
    )
