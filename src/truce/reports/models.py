"""The Report table: every generated daily report and published bulletin, with its bytes and hash."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS

REPORT_KINDS = ("daily", "bulletin")
REPORT_FORMATS = ("html", "pdf")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
# The manifest a bulletin embeds (reports/bulletin.py writes and reads it).
MANIFEST = re.compile(rb'<script type="application/json" id="truce-bulletin">(.*?)</script>', re.S)
# A bulletin whose manifest names no language is in English (every bulletin before there were others).
BULLETIN_DEFAULT_LANGUAGE = "en"


class Report(Logged, Base):
    """A generated document: stored once by content, its SHA-256 in the log."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(in_values("kind", REPORT_KINDS), name="kind"),
        CheckConstraint(in_values("format", REPORT_FORMATS), name="format"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        Index("ix_reports_mission_on_date", "mission_id", "on_date"),
    )
    # The log holds the hash of the bytes (column sha256), not the bytes themselves.
    __log_redact__ = frozenset({"content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date)
    format: Mapped[str] = mapped_column(String(8))
    classification: Mapped[str] = mapped_column(String(16))
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # A bulletin is built from the log as it stood at this size and root (hex).
    log_size: Mapped[int | None]
    log_root: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def language(self) -> str | None:
        """A bulletin's language, as its manifest names it (None for other reports: their bytes do not say)."""
        if self.kind != "bulletin":
            return None
        found = MANIFEST.search(self.content)
        if found is None:
            return BULLETIN_DEFAULT_LANGUAGE
        try:
            named = json.loads(found.group(1).decode("ascii")).get("language", BULLETIN_DEFAULT_LANGUAGE)
        except (UnicodeDecodeError, ValueError, AttributeError):
            return BULLETIN_DEFAULT_LANGUAGE
        return str(named)

    @property
    def filename(self) -> str:
        suffix = "bulletin" if self.kind == "bulletin" else "report"
        language = self.language
        # The English bulletin keeps its name (a contract); another language adds its code: bulletin-DAY.ru.html.
        tagged = f".{language}" if language not in (None, BULLETIN_DEFAULT_LANGUAGE) else ""
        return f"{suffix}-{self.on_date.isoformat()}{tagged}.{self.format}"
