"""The Digest nonce counts already accepted, kept where every process serving the database sees them.

On PostgreSQL several `truce serve` processes (or `--workers N`) answer the same phones: a count accepted by one
must be refused by the others, or an answer overheard on the way to one server could be replayed to another. The
table's primary key (nonce, nc) makes the first insert win, atomically, whichever process makes it. On SQLite one
process serves (`--workers` above 1 is refused), so its memory is the whole truth, and costs no write per login.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import Engine, delete
from sqlalchemy.dialects.postgresql import insert

from truce.db import Database, utcnow
from truce.openrosa import digest
from truce.openrosa.models import DigestNonceUse

# Expired counts are deleted every this many accepted answers (by whichever process reaches the mark).
PRUNE_EVERY = 1000


class SharedCounts:
    """Nonce counts in PostgreSQL: `first_use` is true for exactly one request, whichever process receives it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._uses = itertools.count(1)

    def first_use(self, nonce: str, nc: str, expires: float, now: float) -> bool:
        statement = (
            insert(DigestNonceUse)
            .values(nonce=nonce[:64], nc=nc.lower(), expires_at=datetime.fromtimestamp(expires, UTC))
            .on_conflict_do_nothing(index_elements=["nonce", "nc"])
            .returning(DigestNonceUse.nc)
        )
        # A transaction of its own, committed at once: the count stays used even if the request then fails.
        with self.engine.begin() as connection:
            inserted = connection.execute(statement).first() is not None
            if next(self._uses) % PRUNE_EVERY == 0:
                connection.execute(delete(DigestNonceUse).where(DigestNonceUse.expires_at < utcnow()))
        return inserted


def for_database(db: Database) -> digest.NonceCounts:
    """The nonce counts every process serving `db` shares: the database's on PostgreSQL, memory on SQLite."""
    return digest.Counts() if db.is_sqlite else SharedCounts(db.engine)
