"""What the jobs API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class JobIn(BaseModel):
    """A request for a daily report (`date`, `format` html or pdf) or an export (`format` geojson, csv, acled, hxl)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["report.daily", "export"]
    date: str | None = Field(default=None, max_length=10, description="the report's day, YYYY-MM-DD")
    format: str = Field(max_length=16)
    language: str = Field(default="en", max_length=8)


class JobOut(BaseModel):
    """A job's state; its result is at `download` once `state` is `done`."""

    id: int
    kind: str
    state: str
    params: dict[str, Any]
    error: str
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    status_url: str
    download: str | None
