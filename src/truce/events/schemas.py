"""What the API accepts and answers for webhook subscriptions and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from truce.missions.schemas import StrictModel
from truce.numbers import Id, Position

Kind = Annotated[
    str, Field(pattern=r"^[a-z_]{1,32}\.(\*|[a-z_]{1,31})$", description="`incident.create`, `incident.*`")
]
Word = Annotated[str, Field(pattern=r"^[a-z_]{1,48}$")]


class SubscriptionIn(StrictModel):
    url: str = Field(max_length=2000, description="the receiver's http(s) address")
    description: str = Field(default="", max_length=500)
    kinds: list[Kind] = Field(default_factory=list, max_length=50, description="log actions; empty: every action")
    zone_ids: list[Id] = Field(default_factory=list, max_length=100, description="only records in these zones")
    types: list[Word] = Field(default_factory=list, max_length=50, description="only records of these types")
    statuses: list[Word] = Field(default_factory=list, max_length=20, description="only records in these statuses")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise ValueError("url must be an http(s) address with a host and no credentials")
        return value


class ReplayIn(StrictModel):
    from_index: Position = Field(description="send again every matching entry from this log index on")


class SubscriptionOut(BaseModel):
    id: int
    url: str
    description: str
    kinds: list[str]
    zone_ids: list[int]
    types: list[str]
    statuses: list[str]
    role: str
    delegation: str | None
    active: bool
    created_at: datetime
    previous_secret_until: datetime | None = Field(description="while a rotation lasts, the old secret signs too")


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="the signing secret (`whsec_...`), shown this once and never again")


class AttemptOut(BaseModel):
    number: int
    at: datetime
    duration_ms: int
    status_code: int | None
    outcome: Literal["delivered", "failed"]
    error: str


class DeliveryOut(BaseModel):
    id: int
    message_id: str
    log_index: int
    event_type: str
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


class ReplayOut(BaseModel):
    events: int = Field(description="events made due again or created")
    next_index: int | None = Field(description="where to continue when the replay stopped at its bound")


class AlertRuleIn(StrictModel):
    name: str = Field(min_length=1, max_length=200, description="what the rule watches, in a few words")
    types: list[Word] = Field(default_factory=list, max_length=20, description="incident types; empty: every type")
    area_id: Id | None = Field(default=None, description="the area (a corridor, a zone) the incident must be near")
    within_km: float = Field(default=0.0, ge=0, le=500, description="how near, in km (0: inside the area)")
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"] = "Severe"


class AlertRuleOut(BaseModel):
    id: int
    name: str
    types: list[str]
    area_id: int | None
    within_km: float
    severity: str
    active: bool
