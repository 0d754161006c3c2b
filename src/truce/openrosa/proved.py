"""The devices' log-ins a server process has proved, so that a phone's next submission skips its own log-in read.

On PostgreSQL a submission's log-in read cost a worker thread, a pooled connection and a transaction of its own
for one SELECT, before the batch that stores the submission took a thread, a connection and a transaction again:
most of what the PostgreSQL path spent beyond SQLite's (issue 24, benchmarks/phone_profile.py). A device that has
logged in once is kept here, by its mission and a hash of its `Authorization` header (the token itself is not
kept as a key), and its next submissions are parsed and their files stored on that proof. The proof is never
trusted for the write: the batch that stores each submission reads the device's log-in again, in its own
transaction, with the very query of a fresh log-in (`callers.confirm`), and any change refuses the submission as a
fresh log-in would. So a device revoked, or an account disabled, by any process (a command, another server) is
refused by every process from the revocation's commit on; what the proof saves is the round trip, thread and
transaction before the batch, not the check.
"""

from __future__ import annotations

import hashlib
import threading

from truce.openrosa.callers import Proved

# Enough for a mission's fleet; past it, the oldest proof is dropped (that phone's next submission logs in again).
MAX_KEPT = 4096


class ProvedLogins:
    """Proved device log-ins by mission slug and `Authorization` header, oldest dropped first past `size`."""

    def __init__(self, size: int = MAX_KEPT) -> None:
        self.size = size
        self._kept: dict[bytes, Proved] = {}
        # The loop keeps and reads; the batch's worker thread forgets.
        self._lock = threading.Lock()

    def get(self, slug: str, authorization: str) -> Proved | None:
        key = _key(slug, authorization)
        with self._lock:
            return self._kept.get(key)

    def keep(self, slug: str, authorization: str, proved: Proved) -> None:
        key = _key(slug, authorization)
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = proved

    def forget(self, slug: str, authorization: str) -> None:
        key = _key(slug, authorization)
        with self._lock:
            self._kept.pop(key, None)


def _key(slug: str, authorization: str) -> bytes:
    return hashlib.sha256(f"{slug}\n{authorization}".encode()).digest()
