"""A phone as ODK Collect behaves: form list, form download, instances filled from the form, HEAD then POST."""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from mission_examples import DEMO_SLUG, SCENES, Scene

XF = "http://www.w3.org/2002/xforms"
JR = "http://openrosa.org/javarosa"
ORX = "http://openrosa.org/xforms"
SLUG = DEMO_SLUG
BASE = f"/openrosa/{SLUG}"  # the demo's endpoints: a phone of another mission has its own (`Phone.base`)
PHOTO_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\0" * 200 + b"\xff\xd9"


def account_of(scene: Scene, username: str) -> str:
    """A demo account's name in the scene's mission: itself in the demo, its counterpart elsewhere."""
    return username if scene.slug == DEMO_SLUG else scene.account(username)


def odk_time(scene: Scene, demo_day: date, hour: int, minute: int = 0) -> str:
    """A time as Collect writes it (milliseconds, the phone's offset): a demo day's hour in the scene's mission."""
    moment = scene.moment(hour, minute, day=scene.shifted(demo_day))
    return f"{moment[:-6]}.000{moment[-6:]}"


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
    """One phone logged in to a mission (the demo, unless `slug` names another)."""

    client: TestClient
    headers: dict[str, str]
    slug: str = SLUG

    @property
    def username(self) -> str:
        """The account name the phone logs in with (HTTP Basic)."""
        return base64.b64decode(self.headers["Authorization"].split()[1]).decode().partition(":")[0]

    @property
    def base(self) -> str:
        """The mission's OpenRosa root."""
        return f"/openrosa/{self.slug}"

    def form_id(self, kind: str) -> str:
        """The id of the mission's form of one kind."""
        return f"truce-{self.slug}-{kind}"

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers={"X-OpenRosa-Version": "1.0", **self.headers}, **kwargs)

    def form_list(self) -> dict[str, dict[str, str]]:
        answer = self.get(f"{self.base}/formList")
        assert answer.status_code == 200, answer.text
        tree = etree.fromstring(answer.content)
        forms = {}
        for xform in tree:
            fields = {etree.QName(child).localname: child.text or "" for child in xform}
            forms[fields["formID"]] = fields
        return forms

    def form(self, kind: str) -> bytes:
        answer = self.get(f"{self.base}/forms/{self.form_id(kind)}.xml")
        assert answer.status_code == 200, answer.text
        return bytes(answer.content)

    def submit(self, xml: bytes, files: Mapping[str, bytes] = {}, *, head: bool = True) -> Any:
        """HEAD first, then the multipart POST: the instance part, then one part per file, named by file name."""
        headers = {"X-OpenRosa-Version": "1.0", **self.headers}
        if head:
            probe = self.client.head(f"{self.base}/submission", headers=headers)
            assert probe.status_code == 204, probe.text
            assert int(probe.headers["X-OpenRosa-Accept-Content-Length"]) > 0
        parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
        parts += [(name, (name, data, "application/octet-stream")) for name, data in files.items()]
        return self.client.post(f"{self.base}/submission", headers=headers, files=parts)


def incident_values(scene: Scene | None = None, **overrides: str) -> dict[str, str]:
    """A mortar impact seen from a post, with a position, in the scene's mission (the demo's by default)."""
    scene = scene or SCENES[DEMO_SLUG]
    lon, lat = scene.at(46.75, 39.85)
    values = {
        "observed": odk_time(scene, date(2020, 11, 20), 10, 15),
        "time_precision": "minute",
        "incident_type": "explosion",
        "subtype": "mortar",
        "source": "post",
        "means": "heard",
        "placed_by": "gps",
        "location": f"{lat} {lon} 1200 5",
        "counts/impacts": "3",
        "casualties/injured_civilian": "1",
        "narrative": "Three impacts north of the post.",
        "classification": "mission",
    }
    return {**values, **overrides}
