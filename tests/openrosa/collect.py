"""A phone as ODK Collect behaves: form list, form download, instances filled from the form, HEAD then POST."""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

XF = "http://www.w3.org/2002/xforms"
JR = "http://openrosa.org/javarosa"
ORX = "http://openrosa.org/xforms"
SLUG = "nk-2020"
BASE = f"/openrosa/{SLUG}"
PHOTO_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\0" * 200 + b"\xff\xd9"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def fill(form_xml: bytes, values: Mapping[str, str], repeats: Mapping[str, Sequence[Mapping[str, str]]] = {},
         *, instance_id: str | None = None, deprecated_id: str | None = None) -> bytes:  # fmt: skip
    """An instance of the form, as Collect saves it: the form's own instance, filled in."""
    form = etree.fromstring(form_xml)
    template = form.find(f".//{{{XF}}}model/{{{XF}}}instance")
    assert template is not None
    root = copy.deepcopy(template[0])
    for name, rows in repeats.items():
        blank = root.find(f"{{{XF}}}{name}[@{{{JR}}}template]")
        assert blank is not None, f"no repeat {name} in the form"
        position = list(root).index(blank)
        for old in root.findall(f"{{{XF}}}{name}"):
            root.remove(old)
        for offset, row in enumerate(rows):
            entry = copy.deepcopy(blank)
            del entry.attrib[f"{{{JR}}}template"]
            for key, value in row.items():
                _set(entry, key, value)
            root.insert(position + offset, entry)
    for path, value in values.items():
        _set(root, path, value)
    _set(root, "meta/instanceID", instance_id or f"uuid:{uuid.uuid4()}")
    if deprecated_id is not None:
        meta = root.find(f"{{{XF}}}meta")
        assert meta is not None
        etree.SubElement(meta, f"{{{XF}}}deprecatedID").text = deprecated_id
    return etree.tostring(root, xml_declaration=False, encoding="utf-8")


def _set(node: Any, path: str, value: str) -> None:
    found = node.find("/".join(f"{{{XF}}}{part}" for part in path.split("/")))
    assert found is not None, f"no field {path} in the form"
    found.text = value


@dataclass
class Phone:
    """One phone logged in to the demo mission."""

    client: TestClient
    headers: dict[str, str]

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers={"X-OpenRosa-Version": "1.0", **self.headers}, **kwargs)

    def form_list(self) -> dict[str, dict[str, str]]:
        answer = self.get(f"{BASE}/formList")
        assert answer.status_code == 200, answer.text
        tree = etree.fromstring(answer.content)
        forms = {}
        for xform in tree:
            fields = {etree.QName(child).localname: child.text or "" for child in xform}
            forms[fields["formID"]] = fields
        return forms

    def form(self, kind: str) -> bytes:
        answer = self.get(f"{BASE}/forms/truce-{SLUG}-{kind}.xml")
        assert answer.status_code == 200, answer.text
        return bytes(answer.content)

    def submit(self, xml: bytes, files: Mapping[str, bytes] = {}, *, head: bool = True) -> Any:
        """HEAD first, then the multipart POST: the instance part, then one part per file, named by file name."""
        headers = {"X-OpenRosa-Version": "1.0", **self.headers}
        if head:
            probe = self.client.head(f"{BASE}/submission", headers=headers)
            assert probe.status_code == 204, probe.text
            assert int(probe.headers["X-OpenRosa-Accept-Content-Length"]) > 0
        parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
        parts += [(name, (name, data, "application/octet-stream")) for name, data in files.items()]
        return self.client.post(f"{BASE}/submission", headers=headers, files=parts)


def incident_values(**overrides: str) -> dict[str, str]:
    """A mortar impact seen from a post, with a position, in the demo mission's area."""
    values = {
        "observed": "2020-11-20T10:15:00.000+04:00",
        "time_precision": "minute",
        "incident_type": "explosion",
        "subtype": "mortar",
        "source": "post",
        "means": "heard",
        "placed_by": "gps",
        "location": "39.85 46.75 1200 5",
        "counts/impacts": "3",
        "casualties/injured_civilian": "1",
        "narrative": "Three impacts north of the post.",
        "classification": "mission",
    }
    return {**values, **overrides}
