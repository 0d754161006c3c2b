"""Move a mission's evidence files from one store to the other, checking every hash where it arrives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from truce.evidence import stores
from truce.evidence.models import Evidence
from truce.evidence.stores import EvidenceStore
from truce.missions.models import Mission
from truce.patrols.models import Track

Progress = Callable[[str, int], None]


@dataclass
class Moved:
    """What a move did: files copied (and their bytes), files the target held already, source copies removed."""

    copied: int = 0
    copied_bytes: int = 0
    present: int = 0
    deleted: int = 0
    problems: list[str] = field(default_factory=list)


def mission_hashes(session: Session, mission: Mission) -> list[str]:
    """Every file the mission's records name: evidence, and the GPX files tracks were read from."""
    evidence = select(Evidence.sha256).where(Evidence.mission_id == mission.id)
    tracks = select(Track.file_sha256).where(Track.mission_id == mission.id, Track.file_sha256.is_not(None))
    named = {*session.scalars(evidence), *(sha256 for sha256 in session.scalars(tracks) if sha256)}
    return sorted(named)


def move(
    session: Session,
    mission: Mission,
    source: EvidenceStore,
    target: EvidenceStore,
    *,
    delete_source: bool = False,
    progress: Progress | None = None,
) -> Moved:
    """Copy each of the mission's files into `target`, read back and hashed there before it counts as moved.

    A file already in `target` is checked there and left alone. With `delete_source`, the source copy of a file
    that arrived intact is removed, unless a record of another mission names the same file. Nothing in the
    record changes (files are named by hash), so this writes no log entry.
    """
    moved = Moved()
    for sha256 in mission_hashes(session, mission):
        if target.has(sha256) and stores.verify(target, sha256):
            moved.present += 1
        elif not source.has(sha256):
            moved.problems.append(f"evidence file {sha256}: in neither store")
            continue
        else:
            size = stores.copy(source, target, sha256)
            if size is None:
                moved.problems.append(
                    f"evidence file {sha256}: its bytes in the {source.kind} store no longer match its hash; not moved"
                )
                continue
            moved.copied += 1
            moved.copied_bytes += size
        if delete_source and source.has(sha256) and not _named_elsewhere(session, mission, sha256):
            source.delete(sha256)
            moved.deleted += 1
        if progress is not None:
            progress("files moved", moved.copied + moved.present)
    return moved


def _named_elsewhere(session: Session, mission: Mission, sha256: str) -> bool:
    evidence = exists().where(Evidence.sha256 == sha256, Evidence.mission_id != mission.id)
    tracks = exists().where(Track.file_sha256 == sha256, Track.mission_id != mission.id)
    return bool(session.scalar(select(evidence)) or session.scalar(select(tracks)))
