"""The mission's field forms, built with pyxform: incident report, checkpoint count and patrol report.

pyxform (with openpyxl, xlrd and Pillow behind it) is imported when a form is first converted, not with this
module: submissions, the devices API and `truce --help` use the constants and ids here but never build a form.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from truce.incidents import taxonomy
from truce.incidents.taxonomy import COUNT_KEYS, MEANS, SOURCES, TAXONOMY, TIME_PRECISIONS
from truce.movements.models import CROSSING_SITE_KINDS, DIRECTIONS, MOVEMENT_KINDS, TRANSPORT_MODES
from truce.policy import CLASSIFICATIONS
from truce.restrictions.models import CATEGORIES
from truce.restrictions.models import KINDS as RESTRICTION_KINDS

# Posts and other places monitors observe from; an incident is placed by bearing and distance from one.
OBSERVER_SITE_KINDS = ("post", "checkpoint", "command_post", "observation_centre", "crossing_point")
KINDS = ("incident", "checkpoint", "patrol")
CASUALTY_FIELDS = tuple(f"{k}_{g}" for k in ("killed", "injured") for g in ("civilian", "combatant", "unknown"))
PLACEMENTS = ("gps", "bearing")
RESTRICTION_PLACEMENTS = ("gps", "site")
# Sites a restriction can be met at: checkpoints and crossings, and the posts and settlements on the way.
RESTRICTION_SITE_KINDS = ("checkpoint", "crossing_point", "post", "settlement")
# Collect's background location audit: a position for each event of the form, at most every 10 seconds.
AUDIT_PARAMETERS = "location-priority=high-accuracy location-min-interval=10 location-max-age=60 track-changes=true"
_CACHE_SIZE = 64


@dataclass(frozen=True)
class SiteChoice:
    """A site offered in a form: its id is the value sent back."""

    id: int
    label: str
    kind: str


@dataclass(frozen=True)
class Choice:
    """Another record offered in a form (a planned patrol, a party): `name` is the value sent back."""

    name: str
    label: str


@dataclass(frozen=True)
class Offered:
    """What a form lets a phone choose from besides the taxonomy: sites, planned patrols, parties."""

    sites: Sequence[SiteChoice]
    patrols: Sequence[Choice] = ()
    parties: Sequence[Choice] = ()


@dataclass(frozen=True)
class Form:
    """One XForm as a phone downloads it, with the media files its manifest lists."""

    kind: str
    form_id: str
    title: str
    version: str
    xml: str
    media: dict[str, bytes] = field(default_factory=dict)

    @property
    def md5(self) -> str:
        return md5(self.xml.encode("utf-8"))


def md5(content: bytes) -> str:
    """OpenRosa's hash of a form or media file: `md5:` and the hex digest."""
    return "md5:" + hashlib.md5(content, usedforsecurity=False).hexdigest()


def form_id(slug: str, kind: str) -> str:
    """The form id of one kind of form of a mission; the slug in it tells missions' forms apart."""
    return f"truce-{slug}-{kind}"


def kind_of(slug: str, form: str) -> str | None:
    """The kind of form a form id names in this mission, or None."""
    for kind in KINDS:
        if form == form_id(slug, kind):
            return kind
    return None


def build(
    slug: str,
    mission_name: str,
    kind: str,
    sites: Sequence[SiteChoice],
    local: taxonomy.Local = (),
    *,
    patrols: Sequence[Choice] = (),
    parties: Sequence[Choice] = (),
    classification: str | None = None,
) -> Form:
    """The XForm of one kind for a mission whose phones may choose among `sites` (`local`: its own subtypes).

    A patrol report also offers the planned `patrols` the phone may report on and the mission's `parties`;
    `classification` is the mission's default for records that name none.
    """
    workbook, media = _made(kind, Offered(sites, patrols, parties), local, classification)
    title = f"{mission_name}: {_TITLES[kind]}"
    version = _version(workbook, media, title)
    workbook["settings"] = [{"form_id": form_id(slug, kind), "version": version, "form_title": title}]
    return Form(kind, form_id(slug, kind), title, version, _converted(json.dumps(workbook, sort_keys=True)), media)


def workbook(
    kind: str,
    sites: Sequence[SiteChoice],
    local: taxonomy.Local = (),
    *,
    patrols: Sequence[Choice] = (),
    parties: Sequence[Choice] = (),
    classification: str | None = None,
) -> dict[str, Any]:
    """The XLSForm of one kind as pyxform reads it (without settings)."""
    return _made(kind, Offered(sites, patrols, parties), local, classification)[0]


def _made(
    kind: str, offered: Offered, local: taxonomy.Local, classification: str | None
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The kind's sheets with the mission's own subtypes and default classification, and its media files."""
    sheets, media = _WORKBOOKS[kind](offered)
    _add_local_subtypes(sheets, local)
    _set_classification(sheets, kind, classification)
    return sheets, media


# Forms whose records take the mission's default classification; a checkpoint's counts keep theirs (`parties`).
MISSION_DEFAULT_KINDS = ("incident", "patrol")


def _set_classification(workbook: dict[str, Any], kind: str, classification: str | None) -> None:
    """The mission's default classification (its file's `classification.default`) preselected on the phone."""
    if classification is None or kind not in MISSION_DEFAULT_KINDS:
        return
    for row in workbook["survey"]:
        if row.get("name") == "classification":
            row["default"] = classification


def _add_local_subtypes(workbook: dict[str, Any], local: taxonomy.Local) -> None:
    """The mission's own subtypes, after Truce's in each type's list (a form that lists subtypes at all)."""
    choices: list[dict[str, str]] = workbook.get("choices", [])
    subtypes = [i for i, c in enumerate(choices) if c["list_name"] == "subtype"]
    if not local or not subtypes:
        return
    added = [
        {"list_name": "subtype", "name": e["subtype"], "type_group": e["type"],
         "label": taxonomy.label(local, e["type"], e["subtype"], "en") or _label(e["subtype"])}
        for e in local
    ]  # fmt: skip
    choices[subtypes[-1] + 1 : subtypes[-1] + 1] = added


def _version(workbook: dict[str, Any], media: dict[str, bytes], title: str) -> str:
    # The taxonomy and the sites are in the workbook and its media, so a change to either is a new version.
    digest = hashlib.sha256(json.dumps([workbook, title], sort_keys=True).encode("utf-8"))
    for name in sorted(media):
        digest.update(name.encode("utf-8") + b"\0" + media[name])
    return digest.hexdigest()[:16]


_lock = threading.Lock()
_converted_cache: dict[str, str] = {}


def _converted(workbook_json: str) -> str:
    """pyxform's XForm for a workbook; conversion takes a tenth of a second, so each result is kept."""
    with _lock:
        cached = _converted_cache.get(workbook_json)
    if cached is not None:
        return cached
    from pyxform.xls2xform import convert

    xform = str(convert(json.loads(workbook_json), validate=False).xform)
    with _lock:
        if len(_converted_cache) >= _CACHE_SIZE:
            _converted_cache.pop(next(iter(_converted_cache)))
        _converted_cache[workbook_json] = xform
    return xform


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _choices(list_name: str, names: Sequence[str], **extra: str) -> list[dict[str, str]]:
    return [{"list_name": list_name, "name": n, "label": _label(n), **extra} for n in names]


def _sites_csv(sites: Sequence[SiteChoice], kinds: Sequence[str]) -> bytes:
    return _csv([Choice(str(site.id), site.label) for site in sites if site.kind in kinds])


def _csv(choices: Sequence[Choice]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "label"])
    for choice in choices:
        writer.writerow([choice.name, choice.label])
    return buffer.getvalue().encode("utf-8")


def _meta() -> list[dict[str, str]]:
    return [{"type": "start", "name": "start"}, {"type": "end", "name": "end"}]


def _common_choices() -> list[dict[str, str]]:
    return _choices("classification", CLASSIFICATIONS)


def _integer(name: str, label: str, *, required: bool = False) -> dict[str, str]:
    row = {"type": "integer", "name": name, "label": label, "constraint": ". >= 0 and . <= 1000000"}
    row["constraint_message"] = "a count between 0 and 1,000,000"
    if required:
        row["required"] = "yes"
    return row


def _incident(offered: Offered) -> tuple[dict[str, Any], dict[str, bytes]]:
    by_bearing = "${placed_by} = 'bearing'"
    survey: list[dict[str, str]] = [
        *_meta(),
        {"type": "dateTime", "name": "observed", "label": "When did it happen?", "required": "yes"},
        {"type": "select_one precision", "name": "time_precision", "label": "How exact is that time?",
         "default": "minute"},
        {"type": "select_one type", "name": "incident_type", "label": "Type", "required": "yes"},
        {"type": "select_one subtype", "name": "subtype", "label": "Subtype", "required": "yes",
         "choice_filter": "type_group = ${incident_type}"},
        {"type": "select_one source", "name": "source", "label": "Source", "required": "yes", "default": "post"},
        {"type": "select_one means", "name": "means", "label": "How was it observed?"},
        {"type": "select_one placement", "name": "placed_by", "label": "Where: position or bearing from a post?",
         "required": "yes", "default": "gps"},
        {"type": "geopoint", "name": "location", "label": "Position", "required": "yes",
         "relevant": "${placed_by} = 'gps'"},
        {"type": "select_one_from_file posts.csv", "name": "observer_site", "label": "Observed from",
         "required": "yes", "relevant": by_bearing},
        {"type": "decimal", "name": "bearing_deg", "label": "Bearing (degrees)", "required": "yes",
         "relevant": by_bearing, "constraint": ". >= 0 and . < 360"},
        {"type": "decimal", "name": "distance_km", "label": "Distance (km)", "required": "yes",
         "relevant": by_bearing, "constraint": ". >= 0 and . <= 100"},
        {"type": "begin_group", "name": "counts", "label": "Counts"},
        *[_integer(key, _label(key)) for key in COUNT_KEYS],
        {"type": "end_group"},
        {"type": "begin_group", "name": "casualties", "label": "Casualties"},
        *[_integer(name, _label(name)) for name in CASUALTY_FIELDS],
        {"type": "end_group"},
        {"type": "text", "name": "narrative", "label": "What happened"},
        {"type": "select_one classification", "name": "classification", "label": "Classification",
         "default": "mission"},
        {"type": "image", "name": "photo", "label": "Photo"},
        {"type": "audio", "name": "audio", "label": "Audio"},
        {"type": "video", "name": "video", "label": "Video"},
    ]  # fmt: skip
    choices = [
        *_choices("type", list(TAXONOMY)),
        *[c for t, subtypes in TAXONOMY.items() for c in _choices("subtype", list(subtypes), type_group=t)],
        *_choices("source", SOURCES),
        *_choices("means", MEANS),
        *_choices("precision", TIME_PRECISIONS),
        *_choices("placement", PLACEMENTS),
        *_common_choices(),
    ]
    return {"survey": survey, "choices": choices}, {"posts.csv": _sites_csv(offered.sites, OBSERVER_SITE_KINDS)}


def _checkpoint(offered: Offered) -> tuple[dict[str, Any], dict[str, bytes]]:
    survey: list[dict[str, str]] = [
        *_meta(),
        {"type": "select_one_from_file checkpoints.csv", "name": "checkpoint", "label": "Checkpoint",
         "required": "yes"},
        {"type": "date", "name": "on_date", "label": "Day counted", "required": "yes"},
        {"type": "select_one classification", "name": "classification", "label": "Classification",
         "default": "parties"},
        {"type": "begin_repeat", "name": "crossing", "label": "Crossings by direction and kind"},
        {"type": "select_one direction", "name": "direction", "label": "Direction", "required": "yes"},
        {"type": "select_one movement_kind", "name": "kind", "label": "Kind", "required": "yes"},
        _integer("individuals", "Individuals", required=True),
        *[_integer(name, _label(name)) for name in ("families", "adults_male", "adults_female",
                                                    "children_male", "children_female",
                                                    "unaccompanied_children", "vehicles")],
        {"type": "select_one transport", "name": "transport_mode", "label": "Transport"},
        {"type": "text", "name": "origin", "label": "Coming from"},
        {"type": "text", "name": "destination", "label": "Going to"},
        {"type": "text", "name": "note", "label": "Note"},
        {"type": "end_repeat"},
    ]  # fmt: skip
    choices = [
        *_choices("direction", DIRECTIONS),
        *_choices("movement_kind", MOVEMENT_KINDS),
        *_choices("transport", TRANSPORT_MODES),
        *_common_choices(),
    ]
    return {"survey": survey, "choices": choices}, {"checkpoints.csv": _sites_csv(offered.sites, CROSSING_SITE_KINDS)}


def _patrol(offered: Offered) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The patrol as conducted: which planned patrol, its route (geotrace, with the audit's timed positions when
    Collect records them) and each restriction met, with the fields of a restriction record."""
    at_site = "${placed_by} = 'site'"
    survey: list[dict[str, str]] = [
        *_meta(),
        {"type": "audit", "name": "audit", "parameters": AUDIT_PARAMETERS},
        {"type": "select_one_from_file patrols.csv", "name": "patrol",
         "label": "Which planned patrol? (blank: one not planned in Truce)"},
        {"type": "dateTime", "name": "departed", "label": "Departed", "required": "yes"},
        {"type": "dateTime", "name": "returned", "label": "Returned"},
        {"type": "geotrace", "name": "route", "label": "Route driven", "required": "yes"},
        {"type": "select_one classification", "name": "classification", "label": "Classification",
         "default": "mission"},
        {"type": "begin_repeat", "name": "restriction", "label": "Restrictions met"},
        {"type": "select_one category", "name": "category", "label": "Category", "required": "yes"},
        {"type": "select_one restriction_kind", "name": "kind", "label": "Kind", "required": "yes"},
        {"type": "dateTime", "name": "met_at", "label": "When did it begin?", "required": "yes"},
        {"type": "dateTime", "name": "ended_at", "label": "When did it end (passage granted, turned back)?",
         "constraint": ". >= ${met_at}", "constraint_message": "not before it began"},
        {"type": "select_one restriction_placement", "name": "placed_by", "label": "Where: position or a site?",
         "required": "yes", "default": "gps"},
        {"type": "geopoint", "name": "location", "label": "Position", "required": "yes",
         "relevant": "${placed_by} = 'gps'"},
        {"type": "select_one_from_file restriction_sites.csv", "name": "site", "label": "Checkpoint or site",
         "required": "yes", "relevant": at_site},
        {"type": "select_one_from_file parties.csv", "name": "controlled_by",
         "label": "Controlling party (blank: as the map's zones say)"},
        {"type": "text", "name": "reason_given", "label": "Reason given"},
        {"type": "dateTime", "name": "liaison_informed_at", "label": "Liaison officers told at"},
        {"type": "dateTime", "name": "centre_informed_at", "label": "Joint centre told at"},
        {"type": "text", "name": "answer", "label": "Their answer"},
        {"type": "dateTime", "name": "answered_at", "label": "Answered at"},
        {"type": "dateTime", "name": "resolved_at", "label": "Resolved at"},
        {"type": "text", "name": "narrative", "label": "What happened"},
        {"type": "end_repeat"},
        {"type": "text", "name": "notes", "label": "Notes"},
    ]  # fmt: skip
    choices = [
        *_choices("category", CATEGORIES),
        *_choices("restriction_kind", RESTRICTION_KINDS),
        *_choices("restriction_placement", RESTRICTION_PLACEMENTS),
        *_common_choices(),
    ]
    media = {
        "patrols.csv": _csv(offered.patrols),
        "parties.csv": _csv(offered.parties),
        "restriction_sites.csv": _sites_csv(offered.sites, RESTRICTION_SITE_KINDS),
    }
    return {"survey": survey, "choices": choices}, media


_WORKBOOKS = {"incident": _incident, "checkpoint": _checkpoint, "patrol": _patrol}
_TITLES = {"incident": "incident report", "checkpoint": "checkpoint count", "patrol": "patrol report"}
