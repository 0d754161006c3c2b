"""Hostile instances: entity bombs, external entities, deep nesting, huge text, others' forms. Nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import Phone, fill, incident_values, odk_time
from truce.errors import BadRequest
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from truce.openrosa.instance import MAX_TEXT, parse
from truce.openrosa.models import Submission

FORM = "truce-SLUG-incident"  # the phone's mission's incident form (its slug put in by the test)
META = "<meta><instanceID>uuid:0b9d7b1c-61bb-4a5b-9a1e-2f4d5c6b7a80</instanceID></meta>"
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    f'<data id="{FORM}"><narrative>&d;</narrative>{META}</data>'
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    f'<data id="{FORM}"><narrative>&secret;</narrative>{META}</data>'
)
DEEP = f'<data id="{FORM}">' + "<g>" * 10_000 + "</g>" * 10_000 + META + "</data>"
HUGE = f'<data id="{FORM}"><narrative>{"x" * (MAX_TEXT + 1)}</narrative>{META}</data>'
OTHER_MISSION = f'<data id="truce-other-mission-incident" version="1">{META}</data>'

HOSTILE = {
    "entity expansion": (BOMB, 400, "DTDForbidden"),
    "external entity": (EXTERNAL, 400, "DTDForbidden"),
    "10,000-deep nesting": (DEEP, 400, "nested deeper"),
    "huge text node": (HUGE, 400, "characters of text"),
    "another mission's form": (OTHER_MISSION, 404, "has no form 'truce-other-mission-incident'"),
    "malformed": ('<data id="x"><a></data>', 400, "malformed"),
    "no instanceID": (f'<data id="{FORM}"/>', 400, "instanceID"),
    "not UTF-8": ('<?xml version="1.0" encoding="utf-8"?><data id="\udcff"/>', 400, "malformed"),
}


def stored(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        int(session.scalar(select(func.count()).select_from(m)) or 0) for m in (Incident, Submission, LogEntry)
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_instances_are_refused_clearly(phone: Phone, session: Session, name: str) -> None:
    text, status, phrase = HOSTILE[name]
    before = stored(session)
    answer = phone.submit(text.replace(FORM, phone.form_id("incident")).encode("utf-8", "surrogateescape"))
    assert answer.status_code == status, answer.text
    assert phrase in answer.text
    assert "root:" not in answer.text
    assert stored(session) == before


def test_a_form_the_device_is_not_assigned_is_refused(
    new_device: Callable[..., tuple[Phone, dict[str, object]]], session: Session, scene: Scene
) -> None:
    incidents_only, _ = new_device("incidents-only", forms=["incident"])
    assert sorted(incidents_only.form_list()) == [incidents_only.form_id("incident")]
    full, _ = new_device("full-phone")
    route = ";".join(f"{lat} {lon}" for lon, lat in (scene.at(46.6, 39.7), scene.at(46.7, 39.8)))
    departed = odk_time(scene, date(2020, 11, 22), 8)
    patrol = fill(full.form("patrol"), {"departed": departed, "route": route}, {"restriction": []})
    before = stored(session)
    answer = incidents_only.submit(patrol)
    assert answer.status_code == 403
    assert f"may not submit form {full.form_id('patrol')}" in answer.text
    assert stored(session) == before
    assert incidents_only.submit(fill(full.form("incident"), incident_values(scene))).status_code == 201


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_fail_with_a_bad_request(data: bytes) -> None:
    try:
        parse(data)
    except BadRequest as exc:
        refused = exc.detail
    else:
        refused = "parsed"
    assert refused


names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=50)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(names.filter(lambda n: n != "meta"), texts, max_size=8), st.uuids())
def test_well_formed_instances_read_back_every_field(fields: dict[str, str], instance: object) -> None:
    from xml.sax.saxutils import escape

    body = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    xml = f'<data id="form" version="3">{body}<meta><instanceID>uuid:{instance}</instanceID></meta></data>'
    parsed = parse(xml.encode("utf-8"))
    assert (parsed.form_id, parsed.version, parsed.instance_id) == ("form", "3", f"uuid:{instance}")
    for key, value in fields.items():
        assert parsed.root.value(key) == (value.strip() or None)
