"""Area, Line and Site tables; geometry is stored as GeoJSON text plus its bounding box."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base
from truce.errors import Message, worded
from truce.ledger.models import Logged
from truce.policy import CLASSIFICATIONS

AREA_KINDS = ("zone_of_control", "separation_zone", "buffer_zone", "corridor", "area_of_responsibility")
LINE_KINDS = ("line_of_contact", "patrol_route", "road", "border")
SITE_KINDS = ("post", "checkpoint", "command_post", "observation_centre", "settlement", "crossing_point")
# The kinds of site in words, for the sentences people read (the API's text keeps the codes: `errors.worded`).
SITE_KIND_WORDS = {
    "post": Message("observation post"),
    "checkpoint": Message("checkpoint"),
    "command_post": Message("command post"),
    "observation_centre": Message("observation centre"),
    "settlement": Message("settlement"),
    "crossing_point": Message("crossing point"),
}


def site_kind_word(kind: str) -> Message:
    """A site kind: its code in the API's text, its word on a page."""
    return worded(kind, SITE_KIND_WORDS[kind].msgid) if kind in SITE_KIND_WORDS else Message(kind)


def site_kinds_either(kinds: tuple[str, ...]) -> Message:
    """ "a or b" of site kinds, the same way (a longer list keeps its codes)."""
    if len(kinds) == 1:
        return site_kind_word(kinds[0])
    if len(kinds) == 2:
        first, second = (site_kind_word(kind) for kind in kinds)
        return worded(" or ".join(kinds), "%(first)s or %(second)s", first=first, second=second)
    codes = " or ".join(kinds)
    return Message(codes)


SITE_STATUSES = ("planned", "active", "closed")


def in_values(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's SQL that keeps `column` to `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Placed:
    """Columns every mapped, classified record shares."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name in other languages (migration 0018): {"ru": {"name": ...}}.
    translations: Mapped[dict[str, Any] | None]
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    # Delegation codes that may read a `restricted` record.
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class Area(Placed, Logged, Base):
    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint(in_values("kind", AREA_KINDS), name="kind"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    controlled_by_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))


class Line(Placed, Logged, Base):
    __tablename__ = "lines"
    __table_args__ = (
        CheckConstraint(in_values("kind", LINE_KINDS), name="kind"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
    )

    kind: Mapped[str] = mapped_column(String(32))


class Site(Placed, Logged, Base):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint(in_values("kind", SITE_KINDS), name="kind"),
        CheckConstraint(in_values("status", SITE_STATUSES), name="status"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
    )

    kind: Mapped[str] = mapped_column(String(32), index=True)
    code: Mapped[str | None] = mapped_column(String(32))
    # Every name the place goes by, each with its language and who uses it: [{"name", "lang", "used_by"}].
    alt_names: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    operated_by_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"))


class PlaceVersion(Base):
    """A value that changes with every write to a mission's areas, lines, sites or parties, and never repeats.

    Triggers (migration 0010) set it in the transaction of the change; the map index is rebuilt when it differs.
    """

    __tablename__ = "place_versions"

    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
