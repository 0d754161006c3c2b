"""The table of Idempotency-Keys seen, shared by every server process through the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow


class IdempotencyKey(Base):
    """One POST made with an `Idempotency-Key`: who sent it, what it was, and the answer it got.

    The row is inserted in the same transaction as the record the request writes, so it exists exactly when the
    record does; the answer is added just before it is sent. Delivery state, not a mission record: kept out of the
    tamper-evident log (the record it made is logged), and pruned after the retention period.
    """

    __tablename__ = "idempotency_keys"

    # `user:<id>`: a key is only ever looked up among its own sender's keys.
    principal: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # SHA-256 of the method, path, query and body (multipart boundaries left out): the same key with another
    # request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The sender's clock when it made the record (header X-Device-Time), to show a clock that is off.
    device_time: Mapped[datetime | None]
    status: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(100))
    # At most store.MAX_ANSWER_BYTES; a longer answer is kept as its status alone.
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Written in the record's own transaction, just before it commits: the first record the request logged and
    # when. A key whose answer never came (the process died between the commit and `store.finish`) is recognised
    # by these, and its retry is answered with that record instead of "still being carried out" for good.
    committed_at: Mapped[datetime | None]
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(200))
