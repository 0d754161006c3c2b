"""The jobs table: what was asked, by whom, its state, and its result (or where the result is stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow

JOB_KINDS = ("report.daily", "export")
JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """One request for heavy work, run by `truce worker`. Not a logged record: the work it does logs itself (a
    daily report is a logged `Report`); an export changes nothing and its bytes are kept here for the requester.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_created", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The requester: the job runs as them, and only they download its result (their access checked again then).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(64), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
