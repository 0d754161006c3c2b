"""A PostgreSQL batch's reads, made once for all its submissions instead of once for each (issue 24).

Inside the phones' batch each submission reads two things: its device's log-in again (`callers.confirm`, for a
proof its process kept) and its instance's earlier versions (`intake.receive`). With four phones a batch those
were 8 of the batch's 20-odd round trips to PostgreSQL. A batch of several submissions now reads both for all of
them as it begins, in two statements (`intake.read_ahead`), and each submission takes its own rows from here.

The rows are those each submission's own read would find: the batch is one transaction, and what one submission
writes changes no other's log-in. It can change another's earlier versions only when two submissions of the batch
name the same instance (as their own, or as the one they edit): such a batch reads nothing ahead, and each
submission reads for itself. So does a batch stored again a savepoint per job after a failure: its session is new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

Rows = tuple[tuple[Any, ...], ...]
_KEY = "truce.openrosa.ahead"


@dataclass(frozen=True)
class Wanted:
    """What one submission of a batch reads: its kept log-in (`slug`, `username`), and its instance's versions."""

    login: tuple[str, str] | None
    mission_id: int
    form_id: str
    instance_id: str
    deprecated_id: str | None


@dataclass(frozen=True)
class Read:
    """What a batch read ahead: log-in rows by (mission slug, account name); versions by (mission, form, instance).

    A log-in missing here was not found (an account since deleted, say): its submission reads it for itself, and
    hears what a fresh log-in would say.
    """

    logins: Mapping[tuple[str, str], Rows]
    versions: Mapping[tuple[int, str, str], Rows]


def independent(wanted: list[Wanted]) -> bool:
    """Whether no submission of the batch names an instance another one is or edits: then none of them can
    change what another one reads."""
    named = [w.instance_id for w in wanted]
    edited = [w.deprecated_id for w in wanted if w.deprecated_id is not None]
    return len(set(named)) == len(named) and not set(named) & set(edited)


def keep(session: Session, read: Read) -> None:
    session.info[_KEY] = read


def login(session: Session, slug: str, username: str) -> Rows | None:
    """The rows of this log-in read ahead by the session's batch; None when its submission must read them itself."""
    read: Read | None = session.info.get(_KEY)
    return None if read is None else read.logins.get((slug, username))


def versions(session: Session, mission_id: int, form_id: str, instance_id: str) -> Rows | None:
    """This instance's earlier versions read ahead by the session's batch (rows as `intake`'s own look-up gives);
    None when its submission must read them itself."""
    read: Read | None = session.info.get(_KEY)
    return None if read is None else read.versions.get((mission_id, form_id, instance_id))
