"""Generate, store, list and check reports: every stored report's hash goes into the log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy, translation
from truce.errors import Conflict, Invalid, Message, NotFound
from truce.ledger import merkle
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports import build, bulletin, render, snapshot
from truce.reports.context import mission_zone
from truce.reports.models import REPORT_FORMATS, Report


@dataclass(frozen=True)
class BulletinCheck:
    """The outcome of rebuilding a bulletin from the log."""

    ok: bool
    message: str
    manifest: bulletin.Manifest


def check_day(mission: Mission, on: date) -> None:
    """Refuse a day before the mission began or after today in the mission's time zone."""
    if mission.starts_on is not None and on < mission.starts_on:
        began = mission.starts_on.isoformat()
        raise Invalid(
            Message(
                "%(day)s is before mission %(mission)s began on %(began)s",
                day=on.isoformat(),
                mission=mission.slug,
                began=began,
            ),
            "date",
        )
    today = datetime.now(mission_zone(mission.time_zone)).date()
    if on > today:
        raise Invalid(
            Message(
                "%(day)s is in the future (today is %(today)s in the mission)",
                day=on.isoformat(),
                today=today.isoformat(),
            ),
            "date",
        )


def daily_document(session: Session, mission: Mission, on: date, file_format: str, locale: str = "en") -> bytes:
    """The daily report's bytes in `locale`, without storing them (the same data gives the same HTML)."""
    if file_format not in REPORT_FORMATS:
        raise Invalid(f"unknown report format {file_format!r}; use html or pdf", "format")
    check_day(mission, on)
    if locale not in translation.LOCALES:
        raise Invalid(Message("unknown language %(locale)r; use en or ru", locale=locale), "language")
    context = build.daily(session, mission, on, locale)
    if file_format == "html":
        return render.daily_html(context, locale=locale).encode("utf-8")
    return render.pdf(render.daily_html(context, raster=True, locale=locale))


def create_daily(
    session: Session, mission: Mission, on: date, file_format: str, *, actor: Actor, locale: str = "en"
) -> Report:
    """Generate the daily situation report of `on` in `locale`, store it for mission staff and log its hash."""
    policy.require(actor, "report.create", mission.id)
    content = daily_document(session, mission, on, file_format, locale)
    return _store(session, mission, "daily", on, file_format, content, actor=actor)


def bulletin_languages(mission: Mission) -> list[str]:
    """The languages a mission's bulletins are published in: English always (its file is a contract), then the
    mission's other languages that Truce ships a catalogue for."""
    others = [lang for lang in mission.languages or [] if lang in translation.LOCALES and lang != translation.DEFAULT]
    return [translation.DEFAULT, *dict.fromkeys(others)]


def publish_bulletin(session: Session, mission: Mission, on: date, *, actor: Actor) -> Report:
    """Publish the public bulletin of `on` in each of the mission's languages; answers the English one."""
    return publish_bulletins(session, mission, on, actor=actor)[0]


def publish_bulletins(session: Session, mission: Mission, on: date, *, actor: Actor) -> list[Report]:
    """Build the public bulletin of `on` from the log as it stands, in each of the mission's languages (English
    first), publish each and log its hash: each is a document of its own, checkable alone."""
    policy.require(actor, "bulletin.publish", mission.id)
    if not mission.public:
        raise Invalid(
            Message("mission %(mission)s is not public, so it publishes no bulletins", mission=mission.slug), "mission"
        )
    check_day(mission, on)
    size, root = ledger.current_root(session)
    witnessed_by: tuple[str, ...] = ()
    rule = ledger.witness_policy(session, mission.id)
    if rule is not None:
        # Published only on a checkpoint the mission's witnesses vouched for, as the policy's quorum asks.
        witnessed = ledger.witnessed_checkpoint(session, rule)
        if witnessed is None:
            raise Conflict(
                Message(
                    "no checkpoint is witnessed as the mission's policy asks yet: the bulletin waits for the "
                    "witnesses' cosignatures (`truce log policy --mission` shows the policy)"
                )
            )
        size, root, witnessed_by = witnessed[0].size, witnessed[0].root_hash, tuple(witnessed[1])
    state = snapshot.at(session, mission.id, size)
    published: list[Report] = []
    for language in bulletin_languages(mission):
        context = bulletin.build(state, on, root.hex(), actor.delegation_code or "", witnessed_by, language)
        content = bulletin.html_text(context).encode("utf-8")
        published.append(
            _store(session, mission, "bulletin", on, "html", content, actor=actor, log_size=size, log_root=root.hex())
        )
    return published


def editions(reports: list[Report]) -> list[list[Report]]:
    """Bulletins grouped by publication (the same day, delegation, log size and root), each group in the order
    of the languages Truce ships (English first); groups keep the order of `reports`."""
    order = {language: n for n, language in enumerate(translation.LOCALES)}
    groups: dict[tuple[object, ...], list[Report]] = {}
    for report in reports:
        if report.kind == "bulletin":
            key = (report.on_date, report.delegation, report.log_size, report.log_root)
            groups.setdefault(key, []).append(report)
    return [sorted(group, key=lambda r: (order.get(r.language or "", len(order)), r.id)) for group in groups.values()]


def _store(
    session: Session,
    mission: Mission,
    kind: str,
    on: date,
    file_format: str,
    content: bytes,
    *,
    actor: Actor,
    log_size: int | None = None,
    log_root: str | None = None,
) -> Report:
    digest = hashlib.sha256(content).hexdigest()
    same = select(Report).where(
        Report.mission_id == mission.id,
        Report.kind == kind,
        Report.on_date == on,
        Report.format == file_format,
        Report.sha256 == digest,
    )
    existing = session.execute(same.limit(1)).scalar_one_or_none()
    if existing is not None:
        # The same document again: nothing new to store or log.
        return existing
    report = Report(
        mission_id=mission.id,
        kind=kind,
        on_date=on,
        format=file_format,
        classification="public" if kind == "bulletin" else "mission",
        restricted_to=[],
        sha256=digest,
        size=len(content),
        content=content,
        log_size=log_size,
        log_root=log_root,
        created_by=actor.username or "system",
        delegation=actor.delegation_code,
    )
    session.add(report)
    ledger.record(session, actor, f"report.{kind}", report)
    return report


def list_reports(session: Session, mission: Mission, *, actor: Actor) -> list[Report]:
    """The stored reports the actor may read, newest day first."""
    stmt = select(Report).where(Report.mission_id == mission.id, policy.readable(actor, Report))
    return list(session.execute(stmt.order_by(Report.on_date.desc(), Report.id.desc())).scalars())


def get(session: Session, mission: Mission, report_id: int, *, actor: Actor) -> Report:
    """One stored report, if the actor may read it."""
    return policy.get_readable(session, Report, mission, report_id, actor, "report")


def check_bulletin(session: Session, content: bytes) -> BulletinCheck:
    """Rebuild a bulletin from the log at the size its manifest names and compare the bytes."""
    manifest = bulletin.read_manifest(content)
    mission = missions_service.get_by_slug(session, manifest.mission)
    if mission is None:
        raise NotFound(f"the bulletin is of mission {manifest.mission!r}, which this installation does not hold")
    have = ledger.size(session)
    if manifest.log_size > have:
        return BulletinCheck(False, f"the bulletin names log size {manifest.log_size}; this log holds {have}", manifest)
    root = merkle.root(manifest.log_size, ledger.StoredNodes(session)).hex()
    if root != manifest.log_root:
        message = f"the log's root at size {manifest.log_size} is {root}, not {manifest.log_root} as the bulletin says"
        return BulletinCheck(False, message, manifest)
    try:
        state = snapshot.at(session, mission.id, manifest.log_size)
    except Conflict as exc:
        return BulletinCheck(False, exc.detail, manifest)
    context = bulletin.build(
        state, manifest.on, root, manifest.published_by, manifest.witnessed_by, manifest.language, manifest.edition
    )
    rebuilt = bulletin.html_text(context).encode("utf-8")
    offset = bulletin.first_difference(content, rebuilt)
    if offset is not None:
        message = f"the bulletin differs from its rebuild from the log at byte {offset:,} (of {len(rebuilt):,})"
        return BulletinCheck(False, message, manifest)
    # An English bulletin is named as before; another language says which.
    language = "" if manifest.language == translation.DEFAULT else f" in {manifest.language}"
    message = (
        f"bulletin of {manifest.mission} for {manifest.on.isoformat()}{language} matches, byte for byte, its rebuild "
        f"from the log at size {manifest.log_size} (root {root}); {len(manifest.records)} records"
    )
    return BulletinCheck(True, message, manifest)
