"""The incident list (sort, filter, page) and one incident in full."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy import Select

from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.web import filters
from truce.web.context import ReadPage
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
PAGE_SIZE = 50
MAX_PAGE_NUMBER = 10_000
# Only orders an index can serve: at a million incidents any other sort reads the whole table
# (see BENCHMARKS.md); type and status are filters instead. Ids follow the order of filing.
SORTS: dict[str, Any] = {"start": Incident.start, "id": Incident.id}


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


@router.get("/m/{slug}/incidents", name="incident_list")
def incident_list(request: Request, page: ReadPage) -> Response:
    mission, session = page.mission_or_404(), page.session
    chosen = filters.parse(request.query_params, mission)
    sort = request.query_params.get("sort", "start")
    sort = sort if sort in SORTS else "start"
    descending = request.query_params.get("dir", "desc") != "asc"
    number = _int(request.query_params.get("page"), 1, MAX_PAGE_NUMBER)
    stmt = incidents_service.query(mission, page.actor, dialect=session.get_bind().dialect.name, **chosen.as_query())
    stmt = _sorted(stmt, sort, descending).limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)
    rows = list(session.execute(stmt).scalars())
    return render(
        request,
        "incidents/list.html",
        {
            "incidents": rows[:PAGE_SIZE],
            "form": chosen.form,
            "filter_query": chosen.query_string(),
            "sort": sort,
            "descending": descending,
            "number": number,
            "has_next": len(rows) > PAGE_SIZE,
            "site_names": incidents_service.site_names(session, mission, page.actor),
        },
    )
