"""The forms: valid for ODK Validate (JavaRosa), built from the taxonomy (Truce's and the mission's own subtypes)
and the sites, versioned by content."""

from __future__ import annotations

import pytest
from lxml import etree
from pyxform.xls2xform import convert

from truce.incidents import taxonomy
from truce.missions.models import Mission
from truce.openrosa import xforms

SITES = [xforms.SiteChoice(1, "Post 1 (P-1)", "post"), xforms.SiteChoice(2, "Checkpoint (CHK-1)", "checkpoint")]
XF = "{http://www.w3.org/2002/xforms}"


@pytest.mark.parametrize("kind", xforms.KINDS)
def test_each_form_passes_odk_validate(kind: str, mission: Mission) -> None:
    form = xforms.build(mission.slug, mission.name, kind, SITES, mission.taxonomy)
    workbook = xforms.workbook(kind, SITES, mission.taxonomy)
    workbook["settings"] = [{"form_id": form.form_id, "version": form.version, "form_title": form.title}]
    # validate=True runs the JavaRosa-based ODK Validate bundled with pyxform; it raises on an invalid form.
    validated = convert(workbook, validate=True)
    assert canonical(validated.xform) == canonical(form.xml)


def canonical(xml: str) -> bytes:
    return bytes(etree.tostring(etree.fromstring(xml.encode()), method="c14n"))


def test_type_and_subtype_cascade_from_the_taxonomy(mission: Mission) -> None:
    form = etree.fromstring(xforms.build(mission.slug, "NK", "incident", SITES, mission.taxonomy).xml.encode())
    subtypes = form.findall(f".//{XF}instance[@id='subtype']/{XF}root/{XF}item")
    pairs = {(item.findtext(f"{XF}type_group"), item.findtext(f"{XF}name")) for item in subtypes}
    # Truce's subtypes, and the mission's own (none in the demo; the example adds three) under their types.
    local = {(entry["type"], entry["subtype"]) for entry in mission.taxonomy}
    assert pairs == {(t, s) for t, subs in taxonomy.TAXONOMY.items() for s in subs} | local
    labels = {item.findtext(f"{XF}name"): item.findtext(f"{XF}label") for item in subtypes}
    for entry in mission.taxonomy:
        assert labels[entry["subtype"]] == entry["labels"]["en"]
    itemset = form.find(f".//{XF}select1[@ref='/data/subtype']/{XF}itemset")
    assert itemset is not None
    assert "type_group" in str(itemset.get("nodeset"))


def test_the_version_follows_the_sites_and_the_taxonomy(monkeypatch: pytest.MonkeyPatch, mission: Mission) -> None:
    local = mission.taxonomy
    first = xforms.build(mission.slug, "NK", "incident", SITES, local)
    assert xforms.build(mission.slug, "NK", "incident", SITES, local).version == first.version
    moved = [*SITES, xforms.SiteChoice(3, "New post (P-9)", "post")]
    second = xforms.build(mission.slug, "NK", "incident", moved, local)
    assert second.version != first.version
    assert b"New post" in second.media["posts.csv"]
    monkeypatch.setitem(taxonomy.TAXONOMY, "access", {**taxonomy.TAXONOMY["access"], "road_closed": taxonomy.OTHER})
    third = xforms.build(mission.slug, "NK", "incident", SITES, local)
    assert third.version not in (first.version, second.version)
    assert "road_closed" in third.xml
    assert first.version in first.xml
    # The mission's own subtypes are its taxonomy too: one more is a new version.
    added = [*local, {"type": "access", "subtype": "gate_locked", "acled": {"event_type": "Strategic developments",
                                                                         "sub_event_type": "Other"}}]  # fmt: skip
    fourth = xforms.build(mission.slug, "NK", "incident", SITES, added)
    assert fourth.version not in (first.version, second.version, third.version)
    assert "gate_locked" in fourth.xml
