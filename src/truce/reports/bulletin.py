"""The public bulletin: built only from public records as the log held them at a checkpoint, and checkable.

A bulletin embeds a manifest (the mission, the day, the log's size and root it was built at, the
publishing delegation, its language, and the hash of every record it drew on). `rebuild` reads that manifest,
replays the log to the same size and renders again in the same language; the result must be the same bytes.

A bulletin is published in each of the mission's languages, each a document of its own with its own manifest.
The English one keeps, byte for byte, the text of the bulletins published before there were others (its
manifest names no language), so that every bulletin ever published still passes `truce report check`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from truce import translation
from truce.errors import Invalid
from truce.reports import render, words
from truce.reports.context import (
    NOT_COUNTED,
    Day,
    DaySummary,
    IncidentRow,
    MapLayers,
    ProvisionDue,
    Settlement,
    Shape,
    TrendDay,
    ZoneCount,
    as_json,
    incident_row,
    local_kinds,
    long_date,
    mission_zone,
)
from truce.reports.models import MANIFEST
from truce.reports.snapshot import Snapshot, Version

TREND_DAYS = 7
# The manifest's format this code publishes; it reads every earlier one.
EDITION = 2
EDITIONS = {"truce-bulletin/1": 1, "truce-bulletin/2": 2}
LEVELS = ("not initiated", "minimal", "intermediate", "full")
OUTSIDE = words.OUTSIDE


@dataclass(frozen=True)
class Manifest:
    """What a bulletin was built from: enough to build it again."""

    mission: str
    on: date
    log_size: int
    log_root: str
    published_by: str
    records: list[dict[str, Any]]
    # The witnesses whose cosignatures on the checkpoint of `log_size` met the mission's policy (none: no policy).
    witnessed_by: tuple[str, ...] = ()
    language: str = translation.DEFAULT
    # 2: the publishing delegation is named in every language (1: by its code in English). A bulletin is rebuilt
    # in the format it was published in, so bulletins published before keep checking byte for byte.
    edition: int = EDITION

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "format": f"truce-bulletin/{self.edition}",
            "mission": self.mission,
            "date": self.on.isoformat(),
            "log_size": self.log_size,
            "log_root": self.log_root,
            "published_by": self.published_by,
            "records": self.records,
        }
        if self.witnessed_by:  # absent from bulletins of missions without a witness policy, as before
            body["witnessed_by"] = list(self.witnessed_by)
        if self.language != translation.DEFAULT:  # absent from English ones, as before there were others
            body["language"] = self.language
        # ASCII only, and no "</" that could close the script element early.
        return json.dumps(body, sort_keys=True, ensure_ascii=True, indent=1).replace("</", "<\\/")


@dataclass(frozen=True)
class BulletinContext(DaySummary):
    mission_name: str
    slug: str
    day: Day
    zones: list[ZoneCount]
    by_status: dict[str, int]
    trend: list[TrendDay]
    incidents: list[IncidentRow]
    provisions: list[ProvisionDue]
    layers: MapLayers
    parties: dict[str, str]
    manifest: Manifest
    # The publishing delegation's name in the bulletin's language (its code in an English one of edition 1).
    publisher: str = ""

    @property
    def total_today(self) -> int:
        return len(self.incidents)

    @property
    def language(self) -> str:
        return self.manifest.language


def read_manifest(content: bytes) -> Manifest:
    """The manifest embedded in a bulletin, or a clear refusal."""
    found = MANIFEST.search(content)
    if found is None:
        raise Invalid("this file is not a Truce bulletin: it carries no manifest", "bulletin")
    try:
        body = json.loads(found.group(1).decode("ascii").replace("<\\/", "</"))
        return Manifest(
            mission=str(body["mission"]),
            on=date.fromisoformat(body["date"]),
            log_size=int(body["log_size"]),
            log_root=str(body["log_root"]),
            published_by=str(body["published_by"]),
            records=list(body["records"]),
            witnessed_by=tuple(str(name) for name in body.get("witnessed_by", ())),
            language=_language(body.get("language", translation.DEFAULT)),
            edition=_edition(body.get("format")),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise Invalid(f"the bulletin's manifest is unreadable ({exc})", "bulletin") from None


def _edition(value: object) -> int:
    if not isinstance(value, str) or value not in EDITIONS:
        raise ValueError(f"unknown format {value!r}")
    return EDITIONS[value]


def _language(value: object) -> str:
    if value not in translation.LOCALES:
        raise ValueError(f"unknown language {value!r}")
    return str(value)


def build(
    snapshot: Snapshot,
    on: date,
    log_root: str,
    published_by: str,
    witnessed_by: tuple[str, ...] = (),
    language: str = translation.DEFAULT,
    edition: int = EDITION,
) -> BulletinContext:
    """The bulletin's context from the public records in the snapshot, with their names in `language`."""
    mission = snapshot.mission()
    day = Day.of(on, mission_zone(str(mission["time_zone"])))
    used: list[Version] = [snapshot.records["missions"][str(snapshot.mission_id)]]
    areas = [v for v in snapshot.public("areas") if _valid(v.entity, on)]
    lines = [v for v in snapshot.public("lines") if _valid(v.entity, on)]
    sites = [v for v in snapshot.public("sites") if _valid(v.entity, on)]
    used += areas + lines + sites

    def name(version: Version) -> str:
        return named(version.entity, language)

    zone_names = {int(v.id): name(v) for v in areas}
    settlements = [
        Settlement(name(s), float(s.entity["min_lon"]), float(s.entity["min_lat"]))
        for s in sites
        if s.entity["kind"] == "settlement"
    ]
    days = [day.shifted(offset) for offset in range(1 - TREND_DAYS, 1)]
    window = [v for v in snapshot.public("incidents") if _counts(v.entity) and days[0].start <= _start(v) < day.end]
    used += window
    kinds = local_kinds(list(mission.get("taxonomy") or []), (list(mission.get("languages") or []) or ["en"])[0])
    rows = [incident_row(v.entity, day.zone, zone_names, settlements, kinds) for v in window if _start(v) >= day.start]
    rows.sort(key=lambda r: (r.local_time, r.id))
    provisions = _provisions(snapshot.public("provisions"), on)
    used += [v for v in snapshot.public("provisions") if v.entity.get("deadline")]
    controllers = {str(v.entity.get("controlled_by_id")): name(v) for v in areas}
    layers = MapLayers(
        areas=[
            Shape(
                v.entity["kind"],
                name(v),
                as_json(v.entity["geometry"]),
                str(v.entity.get("controlled_by_id") or ""),
            )
            for v in areas
            if v.entity["kind"] in ("zone_of_control", "corridor", "separation_zone", "buffer_zone")
        ],
        lines=[
            Shape(v.entity["kind"], name(v), as_json(v.entity["geometry"]))
            for v in lines
            if v.entity["kind"] in ("line_of_contact", "road")
        ],
        posts=[
            (str(s.entity.get("code") or name(s)), float(s.entity["min_lon"]), float(s.entity["min_lat"]))
            for s in sites
            if s.entity["kind"] == "post"
        ],
        settlements=settlements,
    )
    publisher = published_by
    if language != translation.DEFAULT or edition >= 2:
        # Named, not coded (in English too since edition 2); the delegation's record joins those the bulletin drew on.
        delegation = _delegation(snapshot, published_by)
        if delegation is not None:
            used.append(delegation)
            publisher = name(delegation)
    records = [
        {"kind": v.kind, "id": v.id, "entry": v.index, "sha256": v.sha256}
        for v in sorted(used, key=lambda v: (v.kind, int(v.id)))
    ]
    if witnessed_by:
        # Each record's offline proof (C2SP tlog-proof), checked with the mission's witness policy.
        for record in records:
            record["proof"] = f"/api/v1/missions/{mission['slug']}/log-proof/{record['entry']}"
    return BulletinContext(
        mission_name=named(mission, language),
        slug=str(mission["slug"]),
        day=day,
        zones=_zones(window, days, zone_names),
        by_status=dict(sorted(Counter(r.status for r in rows).items())),
        trend=[_trend_day(window, d) for d in days],
        incidents=rows,
        provisions=provisions,
        layers=layers,
        parties=controllers,
        manifest=Manifest(
            str(mission["slug"]), on, snapshot.size, log_root, published_by, records, witnessed_by, language, edition
        ),
        publisher=publisher,
    )


def named(entity: dict[str, Any], language: str) -> str:
    """A logged record's name in `language` when its `translations` give one, else its stored name.

    English takes the stored name whatever the translations say, as every English bulletin did before.
    """
    if language == translation.DEFAULT:
        return str(entity["name"])
    per_language = entity.get("translations") or {}
    entry = per_language.get(language) if isinstance(per_language, dict) else None
    if isinstance(entry, dict) and entry.get("name"):
        return str(entry["name"])
    return str(entity["name"])


def _delegation(snapshot: Snapshot, code: str) -> Version | None:
    """The logged record of the mission's delegation with this code."""
    found = [v for v in snapshot.records.get("delegations", {}).values() if v.entity.get("code") == code]
    return min(found, key=lambda v: int(v.id)) if found else None


def html_text(context: BulletinContext) -> str:
    """The bulletin as one self-contained HTML document, in the language its manifest names."""
    from truce.reports import charts

    language = context.language
    if language == translation.DEFAULT:
        title = f"{context.slug}: public incidents of {long_date(context.day.on)} ({context.day.offset_label})"
        map_figure = charts.day_map(context.layers, context.incidents, context.parties, title)
        trend_figure = charts.trend_chart(context.trend)
    else:
        env = render.environment(language)
        say = translation.gettext_for(language)
        title = say(words.N_("%(mission)s: public incidents of %(day)s (%(offset)s)")) % {
            "mission": context.slug,
            "day": env.filters["long_date"](context.day.on),
            "offset": context.day.offset_label,
        }
        map_figure = charts.day_map(
            context.layers, context.incidents, context.parties, title, say=say, status_word=env.filters["status_word"]
        )
        trend_figure = charts.trend_chart(
            context.trend, say=say, type_word=env.filters["type_word"], day_month=env.filters["day_month"]
        )
    return render.render(
        "bulletin.html.j2",
        language,
        c=context,
        manifest_json=context.manifest.to_json(),
        map_figure=map_figure,
        trend_figure=trend_figure,
    )


def first_difference(a: bytes, b: bytes) -> int | None:
    """The offset of the first byte where two documents differ, or None when they are the same."""
    for offset, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return offset
    return None if len(a) == len(b) else min(len(a), len(b))


def _trend_day(window: list[Version], day: Day) -> TrendDay:
    kinds = Counter(str(v.entity["type"]) for v in window if day.start <= _start(v) < day.end)
    return TrendDay(day.on, dict(sorted(kinds.items())))


def _start(version: Version) -> datetime:
    start = datetime.fromisoformat(str(version.entity["start"]))
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def _counts(entity: dict[str, Any]) -> bool:
    return entity.get("status") not in NOT_COUNTED and entity.get("merged_into_id") is None


def _valid(entity: dict[str, Any], on: date) -> bool:
    since, until = entity.get("valid_from"), entity.get("valid_until")
    return (since is None or date.fromisoformat(since) <= on) and (until is None or date.fromisoformat(until) >= on)


def _zones(window: list[Version], days: list[Day], names: dict[int, str]) -> list[ZoneCount]:
    today: Counter[str] = Counter()
    previous: Counter[str] = Counter()
    for v in window:
        zone_id = v.entity.get("zone_id")
        name = OUTSIDE if zone_id is None else names.get(int(zone_id), words.UNPUBLISHED)
        start = _start(v)
        if days[-1].start <= start < days[-1].end:
            today[name] += 1
        elif days[-2].start <= start < days[-2].end:
            previous[name] += 1
    shown = sorted(set(today) | set(previous))
    return [ZoneCount(zone=z, controlled_by="", today=today[z], previous=previous[z]) for z in shown]


def _provisions(provisions: list[Version], on: date) -> list[ProvisionDue]:
    due: list[ProvisionDue] = []
    for v in provisions:
        deadline = v.entity.get("deadline")
        if not deadline:
            continue
        deadline_on = date.fromisoformat(deadline)
        level = int(v.entity.get("level") or 0)
        overdue = deadline_on < on and level < 3
        soon = on <= deadline_on <= date.fromordinal(on.toordinal() + 7) and level < 3
        if overdue or soon:
            due.append(
                ProvisionDue(
                    str(v.entity["number"]), str(v.entity["summary"]), deadline_on, level, LEVELS[level], overdue
                )
            )
    return sorted(due, key=lambda p: (p.deadline, p.number))
