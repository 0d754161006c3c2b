"""The words the daily report uses for codes, as msgids of the shared catalogue (`truce.translation`).

The types, subtypes and sources are the pages' tables too (web/labels.py takes them from here), so a type or a
source reads the same in the report as on the screen, in either language.
"""

from __future__ import annotations

from collections.abc import Callable

from truce import translation


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    return message


TYPE = {
    "fire": N_("Fire"),
    "explosion": N_("Explosion"),
    "air": N_("Air"),
    "mine_uxo": N_("Mine or UXO"),
    "movement": N_("Movement of forces"),
    "civilian_harm": N_("Harm to civilians"),
    "infrastructure": N_("Infrastructure"),
    "access": N_("Access"),
    "detention": N_("Detention"),
    "other": N_("Other"),
}
SUBTYPE = {
    "small_arms": N_("small arms"),
    "heavy_machine_gun": N_("heavy machine gun"),
    "sniper": N_("sniper"),
    "automatic_grenade_launcher": N_("automatic grenade launcher"),
    "mortar": N_("mortar"),
    "artillery": N_("artillery"),
    "rocket": N_("rocket"),
    "tank": N_("tank"),
    "undetermined": N_("undetermined"),
    "drone_strike": N_("drone strike"),
    "drone_overflight": N_("drone overflight"),
    "aircraft": N_("aircraft"),
    "mine_explosion": N_("mine explosion"),
    "uxo_found": N_("UXO found"),
    "ied": N_("IED"),
    "incursion": N_("incursion"),
    "forces_in_restricted_area": N_("forces in a restricted area"),
    "weapons_in_restricted_area": N_("weapons in a restricted area"),
    "fortification_works": N_("fortification works"),
    "killed": N_("killed"),
    "injured": N_("injured"),
    "abduction": N_("abduction"),
    "property_damage": N_("property damage"),
    "damage": N_("damage"),
    "repair_facilitated": N_("repair facilitated"),
    "monitors_restricted": N_("monitors restricted"),
    "convoy_blocked": N_("convoy blocked"),
    "uav_jamming": N_("UAV jamming"),
    "detention": N_("detention"),
    "release": N_("release"),
    "exchange": N_("exchange"),
    "statement": N_("statement"),
    "demonstration": N_("demonstration"),
    "other": N_("other"),
}
SOURCE = {
    "post": N_("Observation post"),
    "patrol": N_("Patrol"),
    "uav": N_("UAV"),
    "camera": N_("Camera"),
    "party": N_("A party (allegation)"),
    "civilian": N_("Civilian"),
    "media": N_("Media"),
}
# In the report's sentences ("3 confirmed, 2 reported"), so in lower case.
STATUS = {
    "reported": N_("reported"),
    "under_verification": N_("under verification"),
    "confirmed": N_("confirmed"),
    "not_confirmed": N_("not confirmed"),
    "disputed": N_("disputed"),
    "inconclusive": N_("inconclusive"),
    "retracted": N_("retracted"),
}
RESTRICTION_CATEGORY = {
    "denial": N_("denial of access"),
    "delay": N_("delay"),
    "conditional_access": N_("conditional access"),
    "other_impediment": N_("other impediment"),
}
PATROL_STATUS = {
    "planned": N_("planned"),
    "under_way": N_("under way"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
}
# The kinds of record a bulletin's manifest lists ("incident 12").
RECORD = {
    "missions": N_("mission"),
    "areas": N_("area"),
    "lines": N_("line"),
    "sites": N_("site"),
    "incidents": N_("incident"),
    "provisions": N_("provision"),
    "delegations": N_("delegation"),
}
LEVEL = {0: N_("not initiated"), 1: N_("minimal"), 2: N_("intermediate"), 3: N_("full")}


def word(table: dict[str, str] | dict[int, str], locale: str) -> Callable[[object], str]:
    """A filter: the code's word in `locale`; an unknown code as words rather than snake_case."""
    gettext = translation.gettext_for(locale)

    def name(code: object) -> str:
        known = table.get(code)  # type: ignore[call-overload]
        if known is None and isinstance(code, str):
            # Some sections keep the code already spelled with spaces ("under way").
            known = table.get(code.replace(" ", "_"))  # type: ignore[call-overload]
        return gettext(known) if known is not None else str(code).replace("_", " ")

    return name


# Where an incident was, from the nearest settlement: one sentence per compass point, so each reads naturally.
PLACE = {
    "north": N_("%(km)s km north of %(place)s"),
    "north-east": N_("%(km)s km north-east of %(place)s"),
    "east": N_("%(km)s km east of %(place)s"),
    "south-east": N_("%(km)s km south-east of %(place)s"),
    "south": N_("%(km)s km south of %(place)s"),
    "south-west": N_("%(km)s km south-west of %(place)s"),
    "west": N_("%(km)s km west of %(place)s"),
    "north-west": N_("%(km)s km north-west of %(place)s"),
}
OUTSIDE = N_("outside the mapped zones")
# A zone the bulletin's reader may not see: an incident in it is counted, the zone is not named.
UNPUBLISHED = N_("outside the published zones")
