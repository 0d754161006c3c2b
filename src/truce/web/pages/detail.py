"""One incident in full: facts, derived place, evidence, every verdict, and its history from the log."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from truce import policy
from truce.disposition import attachment
from truce.errors import Invalid, Message, NotFound, TooLarge
from truce.evidence import media
from truce.evidence import service as evidence_service
from truce.evidence.stores import EvidenceStore
from truce.incidents import presenters as incident_presenters
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.numbers import Id
from truce.places import presenters as place_presenters
from truce.places import service as places_service
from truce.places.models import Area
from truce.verification import service as verification
from truce.web import history, i18n, security
from truce.web.context import Page, ReadPage, WritePage
from truce.web.evidence_view import views
from truce.web.forms import CheckedForm, Form, absorb_invalid
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router
from truce.web.uploads import ACCEPT, attach_all, chosen, limit_bytes

router = page_router()
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


@router.get("/m/{slug}/incidents/{incident_id}", name="incident_detail")
def incident_detail(request: Request, page: ReadPage, incident_id: Id) -> Response:
    return render(request, "incidents/detail.html", _detail(request, page, incident_id, Form()))


def _detail(request: Request, page: Page, incident_id: int, form: Form) -> dict[str, Any]:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    incident = incidents_service.get(session, mission, incident_id, actor=actor)
    names = place_presenters.site_names(session, mission, actor, i18n.negotiate(request))
    props = incident_presenters.feature(incident, site_names=names, local=mission.taxonomy)["properties"]
    zone = None
    if incident.zone_id is not None:
        try:
            zone = places_service.get_place(session, Area, mission, incident.zone_id, actor=actor)
        except NotFound:
            zone = None
    parties = {p.code: p.name for p in missions_service.parties(session, mission)}
    evidence = list(evidence_service.list_for(session, mission, incident.id, actor=actor))
    return {
        "incident": incident,
        "props": props,
        "zone": zone,
        "parties": parties,
        "evidence": views(session, incident, evidence, actor, ZoneInfo(mission.time_zone or "UTC")),
        "staff": policy.reads_photo_metadata(actor),
        "verdicts": verification.verdicts(session, incident),
        "history": _history(request, page, incident),
        "can_verify": verification_allowed(page, incident.status),
        "can_add_evidence": policy.allowed(actor, "evidence.create", mission.id)
        and policy.adds_evidence_to(actor, incident.author_delegation),
        "filed": request.query_params.get("filed") == "1",
        "changed": next((k for k in ("amended", "retracted", "merged") if request.query_params.get(k) == "1"), ""),
        "amendable": incidents_service.amendable_by(incident, actor),
        "duplicates": _duplicates(page, incident),
        "added": request.query_params.get("added", ""),
        "form": form,
        "accept": ACCEPT,
        "max_upload_bytes": limit_bytes(request),
    }


@router.post("/m/{slug}/incidents/{incident_id}/evidence", name="evidence_add")
def evidence_add(request: Request, page: WritePage, incident_id: Id, form: CheckedForm) -> Response:
    """Files added to an incident from its page, through the evidence service (custody and log included)."""
    mission = page.mission_or_404()
    incident = incidents_service.get(page.session, mission, incident_id, actor=page.actor)
    files = chosen(form)
    if not files:
        form.add_error("evidence", N_("Choose at least one file."))
    else:
        try:
            with page.writing():
                added = attach_all(request, page.session, mission, incident, files, actor=page.actor)
                url = request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident.id))
                return redirect(f"{url}?added={len(added)}#evidence-h")
        except TooLarge:
            form.add_error("evidence", N_("A file is larger than the upload limit."))
        except Invalid as exc:
            # Every refusal of a file concerns the one file field, whichever part of it the service names.
            absorb_invalid(form, exc, {exc.field or "": "evidence"})
    return render(request, "incidents/detail.html", _detail(request, page, incident_id, form), status_code=422)


def _history(request: Request, page: Page, incident: Incident) -> list[history.Said]:
    delegations = {d.code: d.name for d in missions_service.delegations(page.session, page.mission_or_404())}
    entries = history.entries_of(page.session, incident, page.actor)
    return history.say(history.sentences(entries, delegations), i18n.gettext_for(i18n.negotiate(request)))


@router.get("/m/{slug}/incidents/{incident_id}/log/{index}", name="incident_log_entry")
def incident_log_entry(request: Request, page: ReadPage, incident_id: Id, index: Id) -> Response:
    """One entry of the incident's history as the log holds it, with its inclusion proof in the current tree."""
    mission, session = page.mission_or_404(), page.session
    incident = incidents_service.get(session, mission, incident_id, actor=page.actor)
    entry = next((e for e in history.entries_of(session, incident, page.actor) if e.idx == index), None)
    if entry is None:
        raise NotFound(Message("no such entry in this incident's history"))
    size = ledger.size(session)
    proof = ledger.inclusion(session, entry.idx, size)
    return render(request, "incidents/log_entry.html", {"incident": incident, "entry": entry, "proof": proof})


def _duplicates(page: Page, incident: Incident) -> list[Incident]:
    """Likely duplicates (same type, near in place and time), for those who may merge them."""
    mission = page.mission_or_404()
    if incident.merged_into_id is not None or not policy.allowed(page.actor, "incident.merge", mission.id):
        return []
    return incidents_service.duplicates(page.session, mission, incident.id, actor=page.actor)[:20]


def verification_allowed(page: Page, status: str) -> bool:
    mission = page.mission_or_404()
    return policy.allowed(page.actor, "incident.verify", mission.id) and status not in {"retracted"}


def _evidence_kept(request: Request, page: Page, incident_id: Id, sha256: str) -> EvidenceStore:
    mission = page.mission_or_404()
    held = evidence_service.list_for(page.session, mission, incident_id, actor=page.actor)
    if not any(e.sha256 == sha256 for e in held):
        raise NotFound(Message("evidence not found"))
    kept: EvidenceStore = request.app.state.evidence_store
    return kept


@router.get("/m/{slug}/incidents/{incident_id}/evidence/{sha256}/thumbnail", name="evidence_thumbnail")
def evidence_thumbnail(request: Request, page: ReadPage, incident_id: Id, sha256: str) -> Response:
    """A small preview without metadata; a preview is not the evidence file, so it is not a custody event."""
    kept = _evidence_kept(request, page, incident_id, sha256)
    if not kept.has(sha256):
        raise NotFound(Message("the evidence file is missing from the store"))
    with kept.open(sha256) as handle:
        preview = media.thumbnail(handle)
    return Response(preview, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/m/{slug}/incidents/{incident_id}/evidence/{sha256}", name="evidence_download")
def evidence_download(request: Request, page: WritePage, incident_id: Id, sha256: str) -> Response:
    """The file itself, through the same service as the API: the download joins the chain of custody."""
    # Before anything is written: another site's link must not record a download in this user's name.
    security.require_same_origin(request)
    mission = page.mission_or_404()
    address = request.client.host if request.client else None
    kept = request.app.state.evidence_store
    sent = evidence_service.fetch(page.session, mission, incident_id, sha256, kept, actor=page.actor, address=address)
    headers = {**attachment(sent.evidence.filename), **SAFE_HEADERS}
    if sent.stripped is not None:
        return Response(sent.stripped, media_type=sent.evidence.media_type, headers=headers)
    if sent.path is None:
        # From the database, chunk by chunk (evidence/database.py).
        length = {"Content-Length": str(sent.evidence.size)}
        chunks = sent.chunks or iter(())
        return StreamingResponse(chunks, media_type=sent.evidence.media_type, headers={**headers, **length})
    return FileResponse(str(sent.path), media_type=sent.evidence.media_type, headers=headers)
