"""An incident's history as a person would say it: one sentence per log entry about the incident, its verdicts,
its evidence and (for mission staff) each download, each linked to its entry and inclusion proof."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from truce import policy
from truce.evidence import media
from truce.evidence.models import Custody, Evidence
from truce.incidents.models import Incident, Verification
from truce.ledger.models import LogEntry
from truce.policy import Actor
from truce.web import labels
from truce.web.i18n import N_

KIND_WORD = {"photo": N_("Photo"), "video": N_("Video"), "audio": N_("Recording")}


@dataclass(frozen=True)
class Said:
    """A history line in the reader's language, linked to its log entry."""

    idx: int
    time: datetime
    text: str
    note: str


def say(lines: list[Line], gettext: Callable[[str], str]) -> list[Said]:
    """The lines in the reader's language: codes (verdicts, statuses, kinds of file) named in it as well."""
    said = []
    for line in lines:
        values = dict(line.values)
        if "verdict" in values:
            values["verdict"] = gettext(labels.VERDICT.get(values["verdict"], values["verdict"]))
        if "kind" in values:
            values["kind"] = gettext(values["kind"])
        text = gettext(line.message) % values
        if line.status is not None:
            status = gettext(labels.STATUS.get(line.status, line.status))
            text = status_text(text, status, gettext, first=line.message != N_("Status now %(status)s"))
        said.append(Said(line.idx, line.time, text, line.note))
    return said


def status_text(text: str, status: str, gettext: Callable[[str], str], *, first: bool) -> str:
    if not first:
        return gettext(N_("Status now %(status)s")) % {"status": status}
    return gettext(N_("%(what)s: status now %(status)s")) % {"what": text, "status": status}


@dataclass
class Line:
    """One sentence of the history: a message to translate, its values, and the log entry it tells."""

    idx: int
    time: datetime
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    status: str | None = None  # the status a verdict brought, said in the same line


def entries_of(session: Session, incident: Incident, actor: Actor) -> list[LogEntry]:
    """Every log entry about the incident and its verdicts and evidence; downloads only for mission staff."""
    verdicts = select(Verification.id).where(Verification.incident_id == incident.id)
    evidence = select(Evidence.id).where(Evidence.incident_id == incident.id)
    ids = [str(n) for n in session.execute(verdicts).scalars()]
    files = [str(n) for n in session.execute(evidence).scalars()]
    about = [
        and_(LogEntry.entity_type == "incidents", LogEntry.entity_id == str(incident.id)),
        and_(LogEntry.entity_type == "verifications", LogEntry.entity_id.in_(ids)),
        and_(LogEntry.entity_type == "evidence", LogEntry.entity_id.in_(files)),
    ]
    if policy.reads_photo_metadata(actor):
        links = select(Custody.id).where(Custody.evidence_id.in_([int(n) for n in files]), Custody.action == "download")
        about.append(
            and_(
                LogEntry.entity_type == "custody",
                LogEntry.entity_id.in_([str(n) for n in session.execute(links).scalars()]),
            )
        )
    return list(session.execute(select(LogEntry).where(or_(*about)).order_by(LogEntry.idx)).scalars())


# The record's own time of each kind of entry: when it was filed, decided or uploaded, which a loader of past
# records (the demo) may date earlier than the log's entry that recorded it.
OWN_TIME = {"incident.create": "reported_at", "incident.verdict": "created_at", "evidence.add": "uploaded_at",
            "custody.download": "at"}  # fmt: skip


def _when(entry: LogEntry, entity: dict[str, Any]) -> datetime:
    own = entity.get(OWN_TIME.get(entry.action, ""))
    try:
        return datetime.fromisoformat(own) if isinstance(own, str) else entry.time
    except ValueError:
        return entry.time


def _entity(entry: LogEntry) -> dict[str, Any]:
    entity = json.loads(entry.data).get("entity") or {}
    return entity if isinstance(entity, dict) else {}


def sentences(entries: list[LogEntry], delegations: dict[str, str]) -> list[Line]:
    """The entries as sentences, oldest first; a status change is told with the verdict that brought it."""
    lines: list[Line] = []
    previous: dict[str, Any] | None = None
    files: dict[str, str] = {}
    for entry in entries:
        entity = _entity(entry)
        when = _when(entry, entity)
        who = {"actor": entry.actor, "delegation": delegations.get(entry.delegation or "", entry.delegation or "")}
        if entry.entity_type == "incidents":
            line = _incident_line(entry, entity, previous, who, when)
            previous = entity
            if line is None:
                if lines and lines[-1].message == VERDICT:
                    lines[-1].status = str(entity.get("status"))
                else:
                    lines.append(Line(entry.idx, when, N_("Status now %(status)s"), status=str(entity.get("status"))))
                continue
            lines.append(line)
        elif entry.entity_type == "verifications":
            verdict = {**who, "verdict": str(entity.get("verdict", ""))}
            lines.append(Line(entry.idx, when, VERDICT, verdict, note=str(entity.get("note", ""))))
        elif entry.entity_type == "evidence":
            name = str(entity.get("filename") or str(entity.get("sha256", ""))[:12])
            files[str(entity.get("id"))] = name
            kind = media.kind_of(str(entity.get("media_type", "")))
            word = KIND_WORD.get(kind, N_("File"))
            lines.append(
                Line(
                    entry.idx,
                    when,
                    N_("%(kind)s %(name)s added by %(actor)s"),
                    {**who, "kind": word, "name": name},
                )
            )
        elif entry.entity_type == "custody":
            name = files.get(str(entity.get("evidence_id")), "")
            lines.append(Line(entry.idx, when, N_("%(name)s downloaded by %(actor)s"), {**who, "name": name}))
    return lines


VERDICT = N_("Verdict “%(verdict)s” by %(delegation)s")


def _incident_line(
    entry: LogEntry, entity: dict[str, Any], previous: dict[str, Any] | None, who: dict[str, str], when: datetime
) -> Line | None:
    """The sentence of an entry about the incident itself; None for a status change (told with its verdict)."""
    action = entry.action
    if action == "incident.status":
        return None
    if action == "incident.create":
        message = N_("Allegation filed by %(actor)s") if entity.get("source") == "party" else N_("Filed by %(actor)s")
    elif action == "incident.update":
        message = _what_changed(entity, previous or {})
    elif action == "incident.retract":
        message = N_("Retracted by its author, %(actor)s")
    elif action == "incident.merge":
        return Line(entry.idx, when, N_("Marked by %(actor)s as a duplicate of incident %(into)s"),
                    {**who, "into": entity.get("merged_into_id")})  # fmt: skip
    elif action == "incident.rederive":
        message = N_("Place derived again after the map changed")
    else:
        return Line(entry.idx, when, N_("%(action)s by %(actor)s"), {**who, "action": action})
    return Line(entry.idx, when, message, who)


def _what_changed(entity: dict[str, Any], previous: dict[str, Any]) -> str:
    if (entity.get("lon"), entity.get("lat")) != (previous.get("lon"), previous.get("lat")):
        return N_("Position corrected by %(actor)s")
    if entity.get("start") != previous.get("start") or entity.get("time_precision") != previous.get("time_precision"):
        return N_("Time corrected by %(actor)s")
    return N_("Amended by %(actor)s")
