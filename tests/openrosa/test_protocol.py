"""The OpenRosa protocol as clients meet it: headers, form list, manifest, HEAD, status codes, chunked bodies."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from mission_examples import Scene
from openrosa.collect import PHOTO_JPEG, Phone, account_of, basic, fill, incident_values
from truce.config import Settings
from truce.evidence.store import MB

LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"


def test_the_form_list_names_each_form_with_its_hash_and_urls(phone: Phone) -> None:
    forms = phone.form_list()
    assert sorted(forms) == [phone.form_id("checkpoint"), phone.form_id("incident"), phone.form_id("patrol")]
    for form_id, entry in forms.items():
        body = phone.get(entry["downloadUrl"].removeprefix("http://testserver"))
        assert body.headers["X-OpenRosa-Version"] == "1.0"
        assert body.headers["content-type"].startswith("text/xml")
        assert entry["hash"] == "md5:" + hashlib.md5(body.content, usedforsecurity=False).hexdigest()
        root = etree.fromstring(body.content)
        instance = root.find(".//{http://www.w3.org/2002/xforms}instance/*")
        assert instance is not None
        assert (instance.get("id"), instance.get("version")) == (form_id, entry["version"])
    # The patrol report offers the planned patrols, the parties and the sites a restriction is met at.
    patrol = phone.form_id("patrol")
    assert forms[patrol]["manifestUrl"].endswith(f"{phone.base}/forms/{patrol}/manifest")
    assert phone.get(f"{phone.base}/formList", params={"formID": patrol}).text.count("<xform>") == 1


def test_the_manifest_lists_the_sites_a_form_offers(phone: Phone, scene: Scene) -> None:
    entry = phone.form_list()[phone.form_id("checkpoint")]
    manifest = etree.fromstring(phone.get(entry["manifestUrl"].removeprefix("http://testserver")).content)
    [media] = manifest.findall(f"{MANIFEST}mediaFile")
    assert media.findtext(f"{MANIFEST}filename") == "checkpoints.csv"
    csv = phone.get(str(media.findtext(f"{MANIFEST}downloadUrl")).removeprefix("http://testserver"))
    assert media.findtext(f"{MANIFEST}hash") == "md5:" + hashlib.md5(csv.content, usedforsecurity=False).hexdigest()
    lines = csv.text.splitlines()
    assert lines[0] == "name,label"
    assert any(f"({scene.checkpoint})" in line for line in lines[1:])
    missing = phone.get(f"{phone.base}/forms/{phone.form_id('checkpoint')}/media/other.csv")
    assert missing.status_code == 404


def test_head_advertises_the_upload_limit(phone: Phone, client: TestClient, settings: Settings) -> None:
    settings.max_upload_mb = 7
    probe = client.head(f"{phone.base}/submission", headers={"X-OpenRosa-Version": "1.0", **phone.headers})
    assert probe.status_code == 204
    assert probe.headers["X-OpenRosa-Accept-Content-Length"] == str(7 * MB)
    assert probe.headers["X-OpenRosa-Version"] == "1.0"


def test_no_or_wrong_credentials_get_a_basic_challenge(client: TestClient, scene: Scene) -> None:
    headers = {"X-OpenRosa-Version": "1.0"}
    base = f"/openrosa/{scene.slug}"
    monitor = account_of(scene, "monitor-ru")
    for auth in ({}, basic(monitor, "wrong-password"), basic("nobody", "x"), {"Authorization": "Basic %%%"}):
        answer = client.head(f"{base}/submission", headers={**headers, **auth})
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith(f'Basic realm="Truce {scene.slug}"')
        listing = client.get(f"{base}/formList", headers={**headers, **auth})
        assert listing.status_code == 401
        assert b"<OpenRosaResponse" in listing.content


def test_requests_without_the_openrosa_header_or_for_an_unknown_mission(phone: Phone, client: TestClient) -> None:
    bare = client.get(f"{phone.base}/formList", headers=phone.headers)
    assert bare.status_code == 400
    assert "X-OpenRosa-Version" in bare.text
    assert phone.get("/openrosa/no-such-mission/formList").status_code == 404
    # The slug goes into the 401 challenge's realm, so only a slug's own characters are let through.
    assert phone.get("/openrosa/nk%0D%0AX-Evil:%201/formList").status_code == 422
    assert phone.get(f"{phone.base}/forms/{phone.form_id('nothing')}.xml").status_code == 404


def test_a_body_that_is_not_a_submission(phone: Phone, client: TestClient) -> None:
    headers = {"X-OpenRosa-Version": "1.0", **phone.headers}
    other = [("other", ("a.xml", b"<a/>", "text/xml"))]
    no_part = client.post(f"{phone.base}/submission", headers=headers, files=other)
    assert no_part.status_code == 400
    assert "xml_submission_file" in no_part.text
    not_multipart = client.post(f"{phone.base}/submission", headers=headers, content=b"<data/>")
    assert not_multipart.status_code == 400


def test_a_chunked_submission(app: FastAPI, phone: Phone, scene: Scene) -> None:
    xml = fill(phone.form("incident"), incident_values(scene, photo="p.jpg"))
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="s.xml"\r\n'
            "Content-Type: text/xml\r\n\r\n").encode()  # fmt: skip
    photo = (f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="p.jpg"; filename="p.jpg"\r\n'
             "Content-Type: image/jpeg\r\n\r\n").encode()  # fmt: skip

    async def body() -> AsyncIterator[bytes]:
        for piece in (head, xml, photo, PHOTO_JPEG, f"\r\n--{boundary}--\r\n".encode()):
            yield piece

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://truce.test") as client:
            headers = {"X-OpenRosa-Version": "1.0", "Content-Type": f"multipart/form-data; boundary={boundary}"}
            return await client.post(f"{phone.base}/submission", content=body(), headers={**headers, **phone.headers})

    answer = asyncio.run(post())
    assert answer.status_code == 201, answer.text
    assert "transfer-encoding" not in answer.request.headers or answer.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in answer.request.headers


def test_a_submission_over_the_limit_is_413_and_stores_nothing(phone: Phone, settings: Settings, scene: Scene) -> None:
    settings.max_upload_mb = 1
    xml = fill(phone.form("incident"), incident_values(scene, photo="big.jpg"))
    answer = phone.submit(xml, {"big.jpg": PHOTO_JPEG + b"\0" * (2 * MB)})
    assert answer.status_code == 413
    evidence = settings.data_dir / "evidence" / "sha256"
    assert not evidence.exists() or not [p for p in evidence.rglob("*") if p.is_file()]
