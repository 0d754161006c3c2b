"""Claims: who said what, with which numbers and what status; and a party's claimed returns beside the count."""

from __future__ import annotations

from fastapi import Request, Response
from markupsafe import Markup

from truce.claims import comparison, service, views
from truce.claims.models import CLAIM_STATUSES
from truce.errors import NotFound
from truce.missions import service as missions_service
from truce.movements import charts
from truce.numbers import Id
from truce.web import i18n
from truce.web.context import Page, ReadPage
from truce.web.names import Names
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
DEFAULT_PARTY = "ru"


def _parties(page: Page) -> dict[str, str]:
    return {p.code: p.name for p in missions_service.parties(page.session, page.mission_or_404())}


@router.get("/m/{slug}/claims", name="claim_list")
def claim_list(request: Request, page: ReadPage, status: str | None = None) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    if status not in (None, "", *CLAIM_STATUSES):
        raise NotFound(f"no claim status {status!r}")
    rows = service.list_claims(session, mission, actor=actor, status=status or None)
    claims = [views.claim_view(session, mission, c, actor=actor) for c in rows]
    return render(request, "claims/list.html", {"claims": claims, "parties": _parties(page), "status": status or ""})


@router.get("/m/{slug}/claims/compare", name="claims_compare")
def claims_compare(request: Request, page: ReadPage, party: str = DEFAULT_PARTY) -> Response:
    """A party's claimed return figures beside the returns counted at the checkpoints, day by day."""
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    compared = comparison.compare_returns(session, mission, party, actor=actor)
    locale = i18n.negotiate(request)
    _ = i18n.gettext_for(locale)
    parties = _parties(page)
    labels = charts.Labels(
        title=_("Returns claimed by %(party)s and counted") % {"party": Names(session, mission, locale).party(party)},
        cumulative=_("Counted in all"),
        daily=_("Counted that day"),
        claimed_total=_("Claimed in all"),
        claimed_day=_("Claimed for that day"),
    )
    days = compared["days"]
    chart = Markup(charts.claimed_and_counted(days, labels)) if days else None  # noqa: S704 - our SVG, escaped labels
    context = {"party": party, "parties": parties, "days": days, "chart": chart}
    return render(request, "claims/compare.html", context)


@router.get("/m/{slug}/claims/{claim_id}", name="claim_detail")
def claim_detail(request: Request, page: ReadPage, claim_id: Id) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    claim = views.claim_view(session, mission, service.get(session, mission, claim_id, actor=actor), actor=actor)
    return render(request, "claims/detail.html", {"claim": claim, "parties": _parties(page)})
