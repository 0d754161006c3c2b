"""The forms: valid for ODK Validate (JavaRosa), built from the taxonomy and the sites, versioned by content."""

from __future__ import annotations

import pytest
from lxml import etree
from pyxform.xls2xform import convert

from truce.incidents import taxonomy
from truce.openrosa import xforms

SITES = [xforms.SiteChoice(1, "Post 1 (P-1)", "post"), xforms.SiteChoice(2, "Checkpoint (CHK-1)", "checkpoint")]
XF = "{http://www.w3.org/2002/xforms}"


@pytest.mark.parametrize("kind", xforms.KINDS)
def test_each_form_passes_odk_validate(kind: str) -> None:
    form = xforms.build("nk-2020", "Nagorno-Karabakh", kind, SITES)
    workbook = xforms.workbook(kind, SITES)
    workbook["settings"] = [{"form_id": form.form_id, "version": form.version, "form_title": form.title}]
    # validate=True runs the JavaRosa-based ODK Validate bundled with pyxform; it raises on an invalid form.
    validated = convert(workbook, validate=True)
    assert canonical(validated.xform) == canonical(form.xml)


def canonical(xml: str) -> bytes:
    return bytes(etree.tostring(etree.fromstring(xml.encode()), method="c14n"))


def test_type_and_subtype_cascade_from_the_taxonomy() -> None:
    form = etree.fromstring(xforms.build("nk-2020", "NK", "incident", SITES).xml.encode())
    subtypes = form.findall(f".//{XF}instance[@id='subtype']/{XF}root/{XF}item")
    pairs = {(item.findtext(f"{XF}type_group"), item.findtext(f"{XF}name")) for item in subtypes}
    assert pairs == {(t, s) for t, subs in taxonomy.TAXONOMY.items() for s in subs}
    itemset = form.find(f".//{XF}select1[@ref='/data/subtype']/{XF}itemset")
    assert itemset is not None
    assert "type_group" in str(itemset.get("nodeset"))


def test_the_version_follows_the_sites_and_the_taxonomy(monkeypatch: pytest.MonkeyPatch) -> None:
    first = xforms.build("nk-2020", "NK", "incident", SITES)
    assert xforms.build("nk-2020", "NK", "incident", SITES).version == first.version
    moved = [*SITES, xforms.SiteChoice(3, "New post (P-9)", "post")]
    second = xforms.build("nk-2020", "NK", "incident", moved)
    assert second.version != first.version
    assert b"New post" in second.media["posts.csv"]
    monkeypatch.setitem(taxonomy.TAXONOMY, "access", {**taxonomy.TAXONOMY["access"], "road_closed": taxonomy.OTHER})
    third = xforms.build("nk-2020", "NK", "incident", SITES)
    assert third.version not in (first.version, second.version)
    assert "road_closed" in third.xml
    assert first.version in first.xml
