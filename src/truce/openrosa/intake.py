"""Intake of a submission: check an instance against its caller, then store it as records through the services."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, any_, bindparam, insert, select, union_all
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from truce import driver, policy
from truce.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from truce.evidence import service as evidence_service
from truce.evidence.store import StoredFile
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.movements import service as movements_service
from truce.movements.models import Movement
from truce.openrosa import ahead, callers, submissions, tracks, xforms
from truce.openrosa.callers import FORM_ACTIONS, Caller, may_use
from truce.openrosa.instance import Instance, parse
from truce.openrosa.models import Submission
from truce.patrols import service as patrols_service
from truce.patrols.models import Track
from truce.patrols.points import Points
from truce.policy import Actor
from truce.restrictions import service as restrictions_service
from truce.restrictions.models import Restriction

RECORD_KIND = {"incident": "incident", "checkpoint": "movement", "patrol": "patrol"}


@dataclass(frozen=True)
class Prepared:
    """A parsed instance checked against the caller, with the records it asks for."""

    instance: Instance
    kind: str
    xml: str
    xml_sha256: str
    planned: submissions.Planned


def prepare(mission: Mission, caller: Caller, xml: bytes) -> Prepared:
    """Parse and check an instance before anything is stored: its form, the caller's right to it, its fields."""
    instance = parse(xml)
    kind = xforms.kind_of(mission.slug, instance.form_id)
    if kind is None:
        raise NotFound(f"mission {mission.slug} has no form {instance.form_id[:80]!r}")
    if not may_use(mission, caller, kind):
        raise Forbidden(f"{caller.actor.username} may not submit form {instance.form_id}")
    planned = submissions.plan(kind, instance.root)
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        # Collect and Enketo send UTF-8; the stored copy must be the exact text that was hashed.
        raise BadRequest("the submission XML must be encoded as UTF-8") from None
    return Prepared(instance, kind, text, hashlib.sha256(xml).hexdigest(), planned)


def read_audit(prepared: Prepared, content: bytes) -> None:
    """Read the patrol report's audit log (Collect's `audit.csv`), before anything is stored: its timed points."""
    prepared.planned.audit = tracks.from_audit(content, "meta/audit")


@dataclass(frozen=True)
class Intake:
    """One submission on its way in: the mission, who sends it, the checked instance, its files, from where."""

    mission: Mission
    caller: Caller
    prepared: Prepared
    files: dict[str, StoredFile] = field(default_factory=dict)
    address: str | None = None

    @property
    def actor(self) -> Actor:
        """Who the records are filed by."""
        return self.caller.actor


@dataclass
class Receipt:
    """What a submission came to: its row, and whether this request created it."""

    submission: Submission
    created: bool
    attached: list[str] = field(default_factory=list)


def receive(session: Session, intake: Intake) -> Receipt:
    """Store one submission as the records it asks for; a retry adds only new files, an edit a new version."""
    mission, prepared, caller = intake.mission, intake.prepared, intake.caller
    policy.require(caller.actor, FORM_ACTIONS[prepared.kind], mission.id)
    if not may_use(mission, caller, prepared.kind):
        raise Forbidden(f"{caller.actor.username} may not submit form {prepared.instance.form_id}")
    instance = prepared.instance
    related = _related(session, mission, instance.form_id, instance.instance_id)
    existing = next((r for r in related if r.instance_id == instance.instance_id), None)
    if existing is not None:
        return _retry(session, intake, existing)
    # An edit that came first stands for this original only if the same account sent both: anyone may name any
    # instanceID as the one they edit, and another account's early "edit" must not swallow this report.
    later = next(
        (r for r in related if r.deprecated_id == instance.instance_id and r.author_id == caller.actor.user_id), None
    )
    values = {
        "mission_id": mission.id,
        "form_id": instance.form_id,
        "form_version": instance.version[:64],
        "instance_id": instance.instance_id,
        "deprecated_id": instance.deprecated_id,
        "xml_sha256": prepared.xml_sha256,
        "xml": prepared.xml,
        "record_kind": RECORD_KIND[prepared.kind],
        "route": prepared.planned.route,
        "observed_at": prepared.planned.observed_at,
        "device_id": caller.device.id if caller.device else None,
        "author_id": caller.actor.user_id,
        "author_delegation": caller.actor.delegation_code,
    }
    if not session.autoflush:
        # Stored with others (the phones' group writer runs a batch with autoflush off), whose rows all go in with
        # one flush at the commit. The row goes in once the records it names have ids, whole, with one INSERT. A
        # duplicate within one batch fails that flush on the unique key, and the writer stores the batch again a
        # savepoint per job, where the look-up finds the first (openrosa/writer.py).
        row = Submission(**values, record_ids=[], superseded=False, attachments=[])
        ledger.after_ids(session, lambda: session.add(row))
    else:
        try:
            row = _insert_first(session, values)
        except IntegrityError:
            winner = _submission(session, mission, instance.form_id, instance.instance_id)
            if winner is None:
                raise
            return _retry(session, intake, winner)
    # The records' entries and the submission's own go into the log together, with the transaction.
    attached = _apply(session, intake, row, later)
    ledger.record(session, caller.actor, "submission.receive", row)
    return Receipt(row, True, attached)


def _insert_first(session: Session, values: dict[str, Any]) -> Submission:
    # The first write of the transaction: on PostgreSQL a concurrent retry waits here for the winner and
    # then fails on the unique key, in a savepoint so that the transaction survives it. SQLite writers take
    # the database's lock before their first read, so the look-up above has seen any winner: no savepoint.
    # A Core insert, logged with the transaction once it knows its records.
    with nullcontext() if session.get_bind().dialect.name == "sqlite" else session.begin_nested():
        # RETURNING the entity puts the row in the identity map: no second SELECT to load it.
        return session.scalars(insert(Submission).returning(Submission), [values]).one()


def _related(session: Session, mission: Mission, form: str, instance_id: str) -> Sequence[Submission]:
    """This instance received before, and an edit of it that arrived first: most often none at all.

    Asked for every submission, so the ids come first from the DB-API cursor, and rows are loaded only if any.
    """
    found = ahead.versions(session, mission.id, form, instance_id)  # read with the rest of its batch's, if it was
    if found is None:
        values = {"mission": mission.id, "form": form, "instance": instance_id}
        found = tuple(_STATEMENTS.fetchall(session.connection(), "related", values))
    ids = [row_id for row_id, mission_id, form_id in found if mission_id == mission.id and form_id == form]
    if not ids:
        return []
    return session.scalars(select(Submission).where(Submission.id.in_(ids))).all()


# Two look-ups, each on its own index: with an OR, SQLite walked every submission of the form, and the time
# per submission grew with their number. The edits are found by their deprecatedID alone (its own index; with
# the mission and form too SQLite would take the unique key's first two columns and walk the form again), and
# the mission and form are checked on the few rows found.
RELATED_IDS = union_all(
    select(Submission.id, Submission.mission_id, Submission.form_id).where(
        Submission.mission_id == bindparam("mission"),
        Submission.form_id == bindparam("form"),
        Submission.instance_id == bindparam("instance"),
    ),
    select(Submission.id, Submission.mission_id, Submission.form_id).where(
        Submission.deprecated_id == bindparam("instance")
    ),
)
# The same look-ups for a PostgreSQL batch's submissions at once (`read_ahead`), each column against an array: the
# unique key's index takes all three. The rows name their instance and the one they edit, for `_versions`.
_COLUMNS = (Submission.id, Submission.mission_id, Submission.form_id, Submission.instance_id, Submission.deprecated_id)
_INSTANCES = bindparam("instances", type_=ARRAY(Submission.instance_id.type))
RELATED_AHEAD = union_all(
    select(*_COLUMNS).where(
        Submission.mission_id == any_(bindparam("missions", type_=ARRAY(Submission.mission_id.type))),
        Submission.form_id == any_(bindparam("forms", type_=ARRAY(Submission.form_id.type))),
        Submission.instance_id == any_(_INSTANCES),
    ),
    select(*_COLUMNS).where(Submission.deprecated_id == any_(_INSTANCES)),
)


def _statements(dialect: Dialect) -> dict[str, driver.Prepared]:
    statements = {"related": driver.Prepared(RELATED_IDS, dialect, raw_results=True)}
    if dialect.name == "postgresql":
        statements["related_ahead"] = driver.Prepared(RELATED_AHEAD, dialect, raw_results=True)
    return statements


_STATEMENTS = driver.Statements(_statements)


def read_ahead(session: Session, wanted: list[ahead.Wanted]) -> None:
    """Read what a PostgreSQL batch's submissions read inside it, for all of them at once (`ahead` says why).

    A batch of one reads nothing ahead (the same two statements either way), nor one whose submissions name the
    same instance.
    """
    if len(wanted) < 2 or not ahead.independent(wanted):
        return
    proofs = [w.login for w in wanted if w.login is not None]
    values = {
        "missions": sorted({w.mission_id for w in wanted}),
        "forms": sorted({w.form_id for w in wanted}),
        "instances": sorted({w.instance_id for w in wanted}),
    }
    rows = _STATEMENTS.fetchall(session.connection(), "related_ahead", values)
    versions = {(w.mission_id, w.form_id, w.instance_id): _versions(rows, w) for w in wanted}
    ahead.keep(session, ahead.Read(callers.logins(session, proofs) if proofs else {}, versions))


def _versions(rows: Sequence[tuple[Any, ...]], wanted: ahead.Wanted) -> ahead.Rows:
    """The rows of `rows` that `RELATED_IDS` would give for this submission: its instance, and edits of it."""
    key = (wanted.mission_id, wanted.form_id, wanted.instance_id)
    return tuple(
        (row_id, mission_id, form_id)
        for row_id, mission_id, form_id, instance_id, deprecated_id in rows
        if (mission_id, form_id, instance_id) == key or deprecated_id == wanted.instance_id
    )


def _submission(session: Session, mission: Mission, form: str, instance_id: str) -> Submission | None:
    stmt = select(Submission).where(
        Submission.mission_id == mission.id, Submission.form_id == form, Submission.instance_id == instance_id
    )
    return session.execute(stmt).scalar_one_or_none()


def _retry(session: Session, intake: Intake, existing: Submission) -> Receipt:
    if existing.author_id != intake.actor.user_id:
        raise Conflict(f"instance {existing.instance_id} was submitted by another account")
    if existing.xml_sha256 != intake.prepared.xml_sha256:
        raise Conflict(f"instance {existing.instance_id} was received before with different content")
    attached = _attach_all(session, intake, existing) + _late_audit(session, intake, existing)
    if attached:
        ledger.record(session, intake.actor, "submission.attach", existing)
    return Receipt(existing, False, attached)


def _apply(session: Session, intake: Intake, row: Submission, later: Submission | None) -> list[str]:
    """Create or amend the records; an original that arrives after its own edit (`later`) is kept, not applied.

    An edit that arrives before its original stands meanwhile as its author's own report; when the original
    comes, it is superseded only by an edit from the same account (`receive` picks `later` so).
    """
    if later is not None:
        row.superseded, row.record_ids = True, list(later.record_ids)
        return []
    mission = intake.mission
    previous = _submission(session, mission, row.form_id, row.deprecated_id) if row.deprecated_id is not None else None
    if previous is not None:
        _amend(session, intake, row, previous)
    elif intake.prepared.kind == "patrol":
        return _create_patrol_report(session, intake, row)
    else:
        incidents = _create(session, intake, row)
        return _attach_all(session, intake, row, incidents)
    return _attach_all(session, intake, row)


def _create_patrol_report(session: Session, intake: Intake, row: Submission) -> list[str]:
    """A patrol report: its restrictions, and on a planned patrol its tracks, through the same services as the API.

    The geotrace becomes an untimed track (`odk_geotrace`); the audit log's positions, when Collect recorded them,
    a timed one (`odk_audit`) whose file is kept in the evidence store. The submission's `record_ids` are the
    restrictions'; the tracks are the patrol's.
    """
    mission, actor, planned = intake.mission, intake.actor, intake.prepared.planned
    if planned.patrol_id is not None and planned.trace is not None:
        _track(session, intake, planned.trace, "odk_geotrace")
    attached = _audit_track(session, intake, row)
    restrictions: list[Restriction] = [
        restrictions_service.create(session, mission, data, actor=actor) for data in planned.restrictions
    ]

    def link() -> None:
        row.record_ids = [restriction.id for restriction in restrictions]

    ledger.after_ids(session, link)
    return attached


def _audit_track(session: Session, intake: Intake, row: Submission) -> list[str]:
    """The audit log's timed track, if the report has one and its file came; the file's name when added."""
    planned = intake.prepared.planned
    name = planned.audit_name
    stored = intake.files.get(name) if name else None
    if planned.audit is None or stored is None or name is None:
        return []
    _track(session, intake, planned.audit, "odk_audit", stored.sha256, name)
    row.attachments = [*row.attachments, {"name": name, "sha256": stored.sha256}]
    return [name]


def _late_audit(session: Session, intake: Intake, row: Submission) -> list[str]:
    """An audit log that comes with a retry (Collect sends large files in further requests) is added once."""
    name = intake.prepared.planned.audit_name
    if intake.prepared.kind != "patrol" or row.superseded or any(a["name"] == name for a in row.attachments):
        return []
    return _audit_track(session, intake, row)


def _track(
    session: Session, intake: Intake, points: Points, source: str, sha256: str | None = None, name: str = ""
) -> Track:
    """Add a track to the report's patrol; a patrol the phone may not see or write is the field's error."""
    patrol_id = intake.prepared.planned.patrol_id or 0
    try:
        return patrols_service.add_track(
            session, intake.mission, patrol_id, points, source=source, actor=intake.actor, file_sha256=sha256,
            filename=name,
        )  # fmt: skip
    except NotFound as exc:
        raise Invalid(exc.detail, "patrol") from None


def _create(session: Session, intake: Intake, row: Submission) -> list[Incident]:
    """File the records; the incidents are handed back so that attaching files need not read them again."""
    mission, actor, planned = intake.mission, intake.actor, intake.prepared.planned
    # The phones' form does not ask whom an allegation accuses (yet): the service must not require it here.
    incidents = [
        incidents_service.create(session, mission, data, actor=actor, accused_asked=False)
        for data, _ in planned.incidents
    ]
    movements = [movements_service.create(session, mission, data, actor=actor) for data in planned.movements]

    def link() -> None:
        row.record_ids = [incident.id for incident in incidents] + [movement.id for movement in movements]

    ledger.after_ids(session, link)
    return incidents


def _amend(session: Session, intake: Intake, row: Submission, previous: Submission) -> None:
    """An edit (deprecatedID) becomes a new version of the same records, through the services' updates."""
    mission, prepared, actor = intake.mission, intake.prepared, intake.actor
    if previous.author_id != actor.user_id:
        raise Forbidden("only the account that sent a submission may edit it")
    if prepared.kind == "checkpoint":
        row.record_ids = _amend_count(session, mission, previous, prepared, actor)
        return
    if prepared.kind == "patrol":
        # A restriction is amended by its verification, never replaced: an edited report would leave two versions.
        raise Conflict("a patrol report cannot be edited once received; report what changed in a new one")
    planned = prepared.planned.incidents
    ids = list(previous.record_ids)
    kept = [
        incidents_service.update(session, mission, incident_id, data, actor=actor, accused_asked=False).id
        for incident_id, (data, _) in zip(ids, planned, strict=False)
    ]
    for incident_id in ids[len(planned) :]:
        incidents_service.retract(session, mission, incident_id, actor=actor)
    added = [
        incidents_service.create(session, mission, data, actor=actor, accused_asked=False)
        for data, _ in planned[len(ids) :]
    ]
    row.record_ids = kept + _ids(session, added)


def _amend_count(
    session: Session, mission: Mission, previous: Submission, prepared: Prepared, actor: Actor
) -> list[int]:
    """Crossing by crossing, in order: each one counted before is corrected, any further one is added."""
    planned, ids = prepared.planned.movements, list(previous.record_ids)
    if len(planned) < len(ids):
        # A movement has no retraction: a crossing dropped from the form would silently stay counted.
        raise Conflict(
            f"the edit has {len(planned)} crossings where the count it replaces had {len(ids)}; "
            "keep every crossing (set a wrong one's numbers to 0) and add any new ones"
        )
    kept = [
        movements_service.update(session, mission, movement_id, data, actor=actor).id
        for movement_id, data in zip(ids, planned, strict=False)
    ]
    added = [movements_service.create(session, mission, data, actor=actor) for data in planned[len(ids) :]]
    return kept + _ids(session, added)


def _ids(session: Session, added: Sequence[Incident | Movement]) -> list[int]:
    """The ids of records just added: an edit's files are attached by id right after, so they are flushed now."""
    if added:
        session.flush()
    return [record.id for record in added]


def _attach_all(
    session: Session,
    intake: Intake,
    row: Submission,
    incidents: list[Incident] | None = None,
) -> list[str]:
    """Attach every received file the instance names to the incident that names it; report the new ones."""
    if row.superseded:
        return []
    mission, files, actor, address = intake.mission, intake.files, intake.actor, intake.address
    known = {entry["name"]: entry["sha256"] for entry in row.attachments}
    attached = []
    targets: list[int | Incident] = list(incidents) if incidents is not None else list(row.record_ids)
    for target, (_, names) in zip(targets, intake.prepared.planned.incidents, strict=False):
        for name in names:
            stored = files.get(name)
            if stored is None or known.get(name) == stored.sha256:
                continue
            evidence_service.attach(session, mission, target, stored, name, actor=actor, address=address)
            known[name] = stored.sha256
            attached.append(name)
    if attached:
        row.attachments = [{"name": name, "sha256": sha} for name, sha in sorted(known.items())]
    return attached
