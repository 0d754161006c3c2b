"""Readable, translatable names for the codes the services use, and the shape that marks each status."""

from __future__ import annotations

from truce.reports import words
from truce.web.i18n import N_

STATUS = {
    "reported": N_("Reported"),
    "under_verification": N_("Under verification"),
    "confirmed": N_("Confirmed"),
    "not_confirmed": N_("Not confirmed"),
    "disputed": N_("Disputed"),
    "inconclusive": N_("Inconclusive"),
    "retracted": N_("Retracted"),
}
# Status is never shown by colour alone: each has a shape on the map, and the same shape in lists.
STATUS_SYMBOL = {
    "reported": "○",
    "under_verification": "▲",
    "confirmed": "●",
    "not_confirmed": "✕",
    "disputed": "★",
    "inconclusive": "■",
    "retracted": "–",
}
# Types, subtypes and sources read the same in the pages and the daily report: one table each, kept with the
# report's words (reports/words.py) and shared here.
TYPE, SUBTYPE, SOURCE = words.TYPE, words.SUBTYPE, words.SOURCE
MEANS = {
    "seen": N_("seen"),
    "heard": N_("heard"),
    "seen_and_heard": N_("seen and heard"),
    "camera": N_("camera"),
    "uav": N_("UAV"),
    "party_report": N_("party report"),
    "media": N_("media"),
    "civilian_report": N_("civilian report"),
}
CLASSIFICATION = {
    "restricted": N_("Restricted (named delegations)"),
    "mission": N_("Mission staff"),
    "parties": N_("Parties' liaison officers too"),
    "public": N_("Public"),
}
VERDICT = {"confirm": N_("Confirm"), "reject": N_("Reject"), "inconclusive": N_("Inconclusive")}
ROLE = {
    "admin": N_("administrator"),
    "monitor": N_("monitor"),
    "verifier": N_("verifier"),
    "liaison": N_("liaison officer"),
    "humanitarian": N_("humanitarian"),
    "analyst": N_("analyst"),
    "public": N_("public"),
}
PRECISION = {
    "minute": N_("to the minute"),
    "hour": N_("to the hour"),
    "day": N_("to the day"),
    "week": N_("to the week"),
    "month": N_("to the month"),
}

# --- the agreement, returns, exchanges and claims (issue 6) ---
LEVEL = {0: N_("not initiated"), 1: N_("minimal"), 2: N_("intermediate"), 3: N_("full")}
CATEGORY = {
    "Cease Fire": N_("Cease fire"),
    "Withdrawal of Troops": N_("Withdrawal of troops"),
    "Verification/Monitoring Mechanism": N_("Verification and monitoring mechanism"),
    "UN or other Peacekeeping Force": N_("UN or other peacekeeping force"),
    "Prisoner Release": N_("Prisoner release"),
    "Refugees": N_("Refugees"),
    "Internally Displaced Persons": N_("Internally displaced persons"),
    "Boundary Demarcation": N_("Boundary demarcation"),
    "Detailed Implementation Timeline": N_("Detailed implementation timeline"),
    "Economic and Social Development": N_("Economic and social development"),
}
LINK_KIND = {
    "incidents": N_("Incidents"),
    "movements": N_("Movements"),
    "exchanges": N_("Exchanges"),
    "claims": N_("Claims"),
    "provisions": N_("Provisions"),
}
DIRECTION = {"incoming": N_("incoming"), "outgoing": N_("outgoing")}
MOVEMENT_KIND = {
    "return": N_("return"),
    "departure": N_("departure"),
    "humanitarian": N_("humanitarian"),
    "commercial": N_("commercial"),
    "other": N_("other"),
}
TRANSPORT = {
    "foot": N_("on foot"),
    "car": N_("car"),
    "bus": N_("bus"),
    "truck": N_("truck"),
    "train": N_("train"),
    "air": N_("air"),
    "other": N_("other"),
}
GROUP = {
    "adults_male": N_("Men"),
    "adults_female": N_("Women"),
    "children_male": N_("Boys"),
    "children_female": N_("Girls"),
    "unaccompanied_children": N_("Unaccompanied children"),
}
EXCHANGE_KIND = {
    "detainees": N_("detainees"),
    "bodies": N_("bodies"),
    "detainees_and_bodies": N_("detainees and bodies"),
}
EXCHANGE_STATUS = {
    "lists_pending": N_("Waiting for lists"),
    "lists_differ": N_("Lists differ"),
    "lists_match": N_("Lists match"),
    "handed_over": N_("Handed over"),
    "confirmed": N_("Confirmed by both sides"),
}
CLAIM_STATUS = {
    "unverified": N_("Unverified"),
    "corroborated": N_("Corroborated"),
    "contradicted": N_("Contradicted"),
}
# As for incidents, a shape beside the word, so that no status is told by colour alone.
CLAIM_STATUS_SYMBOL = {"unverified": "○", "corroborated": "●", "contradicted": "✕"}
EXCHANGE_STATUS_SYMBOL = {
    "lists_pending": "○",
    "lists_differ": "◆",
    "lists_match": "◐",
    "handed_over": "◑",
    "confirmed": "●",
}
QUALIFIER = {
    "exactly": N_("exactly"),
    "about": N_("about"),
    "over": N_("over"),
    "at least": N_("at least"),
    "up to": N_("up to"),
}
# How a claimed figure stands against the count (claims.comparison.gap).
CLAIM_VERDICT = {
    "same": N_("as counted"),
    "more": N_("the claim says more than was counted"),
    "fewer": N_("the claim says fewer than were counted"),
    "within": N_("within the bound"),
}

PATROL_STATUS = {
    "planned": N_("planned"),
    "under_way": N_("under way"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
}
# Counts of an incident, as monitoring missions count them ("events": shots or rounds not told apart).
COUNT = {
    "events": N_("Shots or rounds"),
    "impacts": N_("Impacts"),
    "airbursts": N_("Airbursts"),
    "outgoing": N_("Outgoing"),
    "undetermined": N_("Undetermined"),
}
CASUALTY_KIND = {"killed": N_("Killed"), "injured": N_("Injured")}
CASUALTY_GROUP = {"civilian": N_("Civilian"), "combatant": N_("Combatant"), "unknown": N_("Unknown")}
# --- places, counts and the log, by name (issue 18) ---
SITE_KIND = {
    "post": N_("observation post"),
    "checkpoint": N_("checkpoint"),
    "command_post": N_("command post"),
    "observation_centre": N_("observation centre"),
    "settlement": N_("settlement"),
    "crossing_point": N_("crossing point"),
}
AREA_KIND = {
    "zone_of_control": N_("zone of control"),
    "separation_zone": N_("separation zone"),
    "buffer_zone": N_("buffer zone"),
    "corridor": N_("corridor"),
    "area_of_responsibility": N_("area of responsibility"),
}
LINE_KIND = {
    "line_of_contact": N_("line of contact"),
    "patrol_route": N_("patrol route"),
    "road": N_("road"),
    "border": N_("border"),
}
PLACE_KIND = {**SITE_KIND, **AREA_KIND, **LINE_KIND}
COUNT = {
    "events": N_("Events"),
    "impacts": N_("Impacts"),
    "airbursts": N_("Airbursts"),
    "outgoing": N_("Outgoing fire"),
    "undetermined": N_("Undetermined"),
}
SITE_STATUS = {"active": N_("active"), "inactive": N_("inactive"), "retired": N_("retired")}
# A log entry's action as a person says it: what happened to the record.
LOG_ACTION = {
    "incident.create": N_("filed"),
    "incident.update": N_("changed"),
    "incident.status": N_("status changed"),
    "incident.verdict": N_("verdict given"),
    "incident.verify": N_("verdict given"),
    "incident.retract": N_("retracted"),
    "incident.merge": N_("merged"),
    "incident.rederive": N_("place derived again"),
    "evidence.add": N_("evidence added"),
    "evidence.create": N_("evidence added"),
    "claim.create": N_("claim filed"),
    "claim.assess": N_("claim assessed"),
    "exchange.create": N_("exchange opened"),
    "exchange.list": N_("list submitted"),
    "exchange.status": N_("status changed"),
    "exchange.handover": N_("handover recorded"),
    "exchange.confirm": N_("handover confirmed"),
    "movement.create": N_("movement recorded"),
    "movement.update": N_("movement changed"),
    "provision.create": N_("provision recorded"),
    "provision.assess": N_("assessed"),
    "provision.status": N_("status changed"),
    "provision.deadline": N_("deadline changed"),
    "provision.extension": N_("deadline extended"),
    "provision.link": N_("linked"),
    "site.create": N_("site added"),
    "site.update": N_("site changed"),
    "site.retire": N_("site retired"),
    "site.delete": N_("site removed"),
    "user.create": N_("account created"),
    "user.deactivate": N_("account deactivated"),
    "user.password": N_("password changed"),
    "user.password_reset": N_("password reset by an administrator"),
    "membership.role": N_("role changed"),
    "user.reactivate": N_("account reactivated"),
}
