"""What the reports API takes and answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from truce import limits


class BulletinIn(BaseModel):
    """A verifier's request to publish the bulletin of a day."""

    model_config = ConfigDict(extra="forbid")

    date: limits.Day


class ReportOut(BaseModel):
    """A stored report's description; its bytes are at `download`."""

    id: int
    kind: str
    on_date: date
    format: str
    media_type: str
    classification: str
    sha256: str
    size: int
    log_size: int | None
    log_root: str | None
    delegation: str | None
    created_at: datetime
    download: str
    # A bulletin's language (each publication has one document per language of the mission); null for others.
    language: str | None = None
