"""Truce's incident types and subtypes, and how each maps to ACLED's event types for export."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from truce.errors import Invalid, Message


@dataclass(frozen=True)
class AcledType:
    """ACLED's `event_type` and `sub_event_type` for one Truce subtype."""

    event_type: str
    sub_event_type: str


# ACLED's 6 event types and their 25 sub-event types (the ACLED codebook): what a mission's own subtypes map to.
ACLED_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Government regains territory", "Non-state actor overtakes territory", "Armed clash"),
    "Protests": ("Excessive force against protesters", "Protest with intervention", "Peaceful protest"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Explosions/Remote violence": (
        "Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED", "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Strategic developments": (
        "Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use", "Headquarters or base established",
        "Looting/property destruction", "Non-violent transfer of territory", "Other",
    ),
}  # fmt: skip

BATTLE = AcledType("Battles", "Armed clash")
SHELLING = AcledType("Explosions/Remote violence", "Shelling/artillery/missile attack")
AIR = AcledType("Explosions/Remote violence", "Air/drone strike")
MINE = AcledType("Explosions/Remote violence", "Remote explosive/landmine/IED")
OTHER = AcledType("Strategic developments", "Other")
BASE = AcledType("Strategic developments", "Headquarters or base established")
ATTACK = AcledType("Violence against civilians", "Attack")
ABDUCTION = AcledType("Violence against civilians", "Abduction/forced disappearance")
LOOTING = AcledType("Strategic developments", "Looting/property destruction")
ARRESTS = AcledType("Strategic developments", "Arrests")
AGREEMENT = AcledType("Strategic developments", "Agreement")
PROTEST = AcledType("Protests", "Peaceful protest")

TAXONOMY: dict[str, dict[str, AcledType]] = {
    "fire": {s: BATTLE for s in ("small_arms", "heavy_machine_gun", "sniper", "automatic_grenade_launcher")},
    "explosion": {s: SHELLING for s in ("mortar", "artillery", "rocket", "tank", "undetermined")},
    "air": {"drone_strike": AIR, "drone_overflight": OTHER, "aircraft": AIR},
    "mine_uxo": {s: MINE for s in ("mine_explosion", "uxo_found", "ied")},
    "movement": {
        "incursion": OTHER,
        "forces_in_restricted_area": OTHER,
        "weapons_in_restricted_area": OTHER,
        "fortification_works": BASE,
    },
    "civilian_harm": {"killed": ATTACK, "injured": ATTACK, "abduction": ABDUCTION, "property_damage": LOOTING},
    "infrastructure": {"damage": LOOTING, "repair_facilitated": OTHER},
    "access": {s: OTHER for s in ("monitors_restricted", "convoy_blocked", "uav_jamming")},
    "detention": {"detention": ARRESTS, "release": AGREEMENT, "exchange": AGREEMENT},
    "other": {"statement": OTHER, "demonstration": PROTEST, "other": OTHER},
}

SOURCES = ("post", "patrol", "uav", "camera", "party", "civilian", "media")
MEANS = ("seen", "heard", "seen_and_heard", "camera", "uav", "party_report", "media", "civilian_report")
TIME_PRECISIONS = ("minute", "hour", "day", "week", "month")
STATUSES = ("reported", "under_verification", "confirmed", "not_confirmed", "disputed", "inconclusive", "retracted")
VERDICTS = ("confirm", "reject", "inconclusive")
# Counts a report may give; explosions are split the way monitoring missions count them.
COUNT_KEYS = ("events", "impacts", "airbursts", "outgoing", "undetermined")
CASUALTY_KINDS = ("killed", "injured")
CASUALTY_GROUPS = ("civilian", "combatant", "unknown")


# A mission's own subtypes (Mission.taxonomy, from its file): [{"type", "subtype", "acled": {"event_type",
# "sub_event_type"}, "labels": {lang: text}}]. Each is added under one of Truce's types, never replacing a subtype.
Local = Sequence[Mapping[str, Any]]
LOCAL_SUBTYPE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def of_mission(local: Local) -> dict[str, dict[str, AcledType]]:
    """Truce's taxonomy with a mission's own subtypes added, each after its type's own."""
    if not local:
        return TAXONOMY
    merged = {kind: dict(subtypes) for kind, subtypes in TAXONOMY.items()}
    for entry in local:
        mapping = entry["acled"]
        merged[entry["type"]][entry["subtype"]] = AcledType(mapping["event_type"], mapping["sub_event_type"])
    return merged


def acled(incident_type: str, subtype: str, local: Local = ()) -> AcledType:
    """The ACLED type of a Truce type and subtype (one of Truce's, or one of the mission's own in `local`)."""
    found = TAXONOMY[incident_type].get(subtype)
    return found if found is not None else of_mission(local)[incident_type][subtype]


def check_subtype(local: Local, incident_type: str, subtype: str) -> None:
    """Refuse a subtype that is neither Truce's nor one of the mission's own for that type."""
    subtypes = of_mission(local)[incident_type]
    if subtype not in subtypes:
        raise Invalid(
            Message("subtype of %(type)s must be one of %(choices)s", type=incident_type, choices=", ".join(subtypes)),
            "properties.subtype",
            code="subtype_unknown",
        )


def label(local: Local, incident_type: str, subtype: str, language: str) -> str | None:
    """A mission's own subtype's label in `language` (else its first label); None for Truce's own subtypes."""
    for entry in local:
        if (entry["type"], entry["subtype"]) == (incident_type, subtype):
            labels: Mapping[str, str] = entry.get("labels", {})
            return labels.get(language) or next(iter(labels.values()), None) or subtype.replace("_", " ")
    return None
