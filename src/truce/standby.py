"""A PostgreSQL streaming replica (hot standby) that reports, exports, statistics and the log's proofs read from.

Writes never go there, and neither do the reads of a request that writes: those use the primary's sessions
(`Database.session`). Readers that may be served a moment late ask `Database.report_session`, which opens a session
on the standby while it is at most `max_lag_s` behind the primary, and on the primary otherwise, saying so in the
log. The lag is measured at most once a second per process: the primary's current WAL position against what the
standby has replayed, and when it is behind, the age of the last transaction it replayed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from truce.config import Settings
from truce.db import Database, engine_for
from truce.errors import ConfigError

log = logging.getLogger("truce.standby")
CHECK_EVERY_S = 1.0
_REPLAYED = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= CAST(:primary AS pg_lsn), "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
)


@dataclass
class Standby:
    """The replica's engine and sessions, and how far behind the primary it may be and still be read."""

    primary: Engine
    engine: Engine
    sessions: sessionmaker[Session]
    max_lag_s: float
    _checked: float = -math.inf
    _lag: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lag_s(self) -> float | None:
        """Seconds the replica is behind the primary (0 when it has replayed all); None when it is unreachable."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked < CHECK_EVERY_S:
                return self._lag
            self._checked = now
        lag = self._measure()
        with self._lock:
            self._lag = lag
        return lag

    def usable(self) -> bool:
        """Whether readers may use the replica now; when not, the log says why (at most once a second)."""
        checked = self._checked
        lag = self.lag_s()
        if lag is not None and lag <= self.max_lag_s:
            return True
        if self._checked != checked:  # a new measurement: worth a line
            why = "does not answer" if lag is None else f"is {lag:.1f} s behind (limit {self.max_lag_s:g} s)"
            log.warning("the read replica %s: reports, exports and proofs read from the primary", why)
        return False

    def health(self) -> dict[str, Any]:
        """What /healthz shows about the replica."""
        lag = self.lag_s()
        usable = lag is not None and lag <= self.max_lag_s
        return {
            "lag_s": None if lag is None or math.isinf(lag) else round(lag, 3),
            "max_lag_s": self.max_lag_s,
            "reachable": lag is not None,
            "readers_on": "replica" if usable else "primary",
        }

    def _measure(self) -> float | None:
        try:
            with self.primary.connect() as connection:
                position = connection.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)")).scalar_one()
            with self.engine.connect() as connection:
                recovering, caught_up, behind = connection.execute(_REPLAYED, {"primary": position}).one()
        except DBAPIError as exc:
            log.debug("read replica check failed: %s", exc)
            return None
        if not recovering or caught_up:
            return 0.0
        return float(behind) if behind is not None else math.inf


def from_settings(db: Database, settings: Settings) -> None:
    """Attach the replica TRUCE_REPLICA_URL names, if any and not attached yet."""
    if not settings.replica_url or db.standby is not None:
        return
    if db.is_sqlite:
        raise ConfigError(
            "TRUCE_REPLICA_URL is a PostgreSQL streaming replica of TRUCE_DATABASE_URL, which must then be PostgreSQL"
        )
    attach(db, settings.replica_url, settings.replica_max_lag_s)


def attach(db: Database, url: str, max_lag_s: float) -> Standby:
    """Give `db` a read replica at `url`; it may be down now: readers use the primary until it answers."""
    engine = engine_for(url)
    standby = Standby(db.engine, engine, sessionmaker(engine, expire_on_commit=False), max_lag_s)
    db.standby = standby
    return standby
