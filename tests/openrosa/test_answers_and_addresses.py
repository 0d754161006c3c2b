"""OpenRosa answers that give nothing away and follow the spec: slugs, 201 and 413 headers, Digest's domain,
and form URLs from the configured public address rather than the request's Host header."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from pydantic import ValidationError
from starlette.requests import Request

from mission_examples import PASSWORD, Scene
from openrosa.collect import PHOTO_JPEG, Phone, account_of, basic, fill, incident_values
from support import Login
from truce.config import Settings
from truce.errors import ConfigError
from truce.evidence.store import MB
from truce.openrosa import address

HEADERS = {"X-OpenRosa-Version": "1.0"}
RESPONSE = "{http://openrosa.org/http/response}"


def challenges_without_nonces(answer: object) -> list[str]:
    listed = answer.headers.get_list("WWW-Authenticate")  # type: ignore[attr-defined]
    return [", ".join(p for p in c.split(", ") if not p.startswith("nonce=")) for c in listed]


@pytest.mark.parametrize("auth", ["none", "wrong password", "no such account", "no such device"])
def test_a_missing_mission_answers_an_unproved_caller_as_a_real_one_would(
    client: TestClient, scene: Scene, auth: str
) -> None:
    credentials = {
        "none": {}, "wrong password": basic(account_of(scene, "monitor-ru"), "wrong-password"),
        "no such account": basic("nobody", "x"), "no such device": basic("device-zz", "not-a-token"),
    }[auth]  # fmt: skip
    asks = [("GET", "formList"), ("HEAD", "submission"), ("GET", "forms/truce-x-incident.xml")]
    # A made-up slug the same length and shape as the real one: the challenge's realm names the slug asked.
    made_up = "x" * (len(scene.slug) - 5) + "-9999"
    # A wrong password counts toward the login limits (5 free per account): one pair of them is enough.
    for method, path in asks if not credentials else asks[:1]:
        real = client.request(method, f"/openrosa/{scene.slug}/{path}", headers={**HEADERS, **credentials})
        missing = client.request(method, f"/openrosa/{made_up}/{path}", headers={**HEADERS, **credentials})
        assert real.status_code == missing.status_code == 401, (path, real.text, missing.text)
        assert challenges_without_nonces(real) == [
            c.replace(f"Truce {made_up}", f"Truce {scene.slug}") for c in challenges_without_nonces(missing)
        ]
        assert real.content == missing.content
    posted = client.post(f"/openrosa/{made_up}/submission", headers={**HEADERS, **credentials}, files={"x": b"y"})
    assert posted.status_code == 401


def test_a_proved_account_learns_that_a_mission_is_missing(client: TestClient, scene: Scene) -> None:
    proved = basic(account_of(scene, "monitor-ru"), PASSWORD)
    answer = client.get("/openrosa/xx-9999/formList", headers={**HEADERS, **proved})
    assert answer.status_code == 404


def test_the_digest_challenge_names_its_domain(client: TestClient, settings: Settings, scene: Scene) -> None:
    answer = client.get(f"/openrosa/{scene.slug}/formList", headers=HEADERS)
    digests = [c for c in answer.headers.get_list("WWW-Authenticate") if c.startswith("Digest ")]
    assert digests
    assert all('domain="/openrosa/"' in c for c in digests)
    settings.public_url = "https://truce.example.org/field"
    answer = client.get(f"/openrosa/{scene.slug}/formList", headers=HEADERS)
    digests = [c for c in answer.headers.get_list("WWW-Authenticate") if c.startswith("Digest ")]
    assert all('domain="/field/openrosa/"' in c for c in digests)


def test_a_stored_submission_tells_the_size_accepted(phone: Phone, settings: Settings, scene: Scene) -> None:
    settings.max_upload_mb = 9
    answer = phone.submit(fill(phone.form("incident"), incident_values(scene)))
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-OpenRosa-Accept-Content-Length"] == str(9 * MB)
    again = phone.submit(fill(phone.form("incident"), incident_values(scene)), head=False)
    assert again.headers["X-OpenRosa-Accept-Content-Length"] == str(9 * MB)


def test_too_large_is_an_openrosa_answer(phone: Phone, settings: Settings, scene: Scene) -> None:
    settings.max_upload_mb = 1
    xml = fill(phone.form("incident"), incident_values(scene, photo="big.jpg"))
    answer = phone.submit(xml, {"big.jpg": PHOTO_JPEG + b"\0" * (2 * MB)})
    assert answer.status_code == 413
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    assert answer.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(answer.content)
    assert root.tag == f"{RESPONSE}OpenRosaResponse"
    assert "1 MB" in (root.findtext(f"{RESPONSE}message") or "")


def test_the_api_keeps_its_json_413(client: TestClient, settings: Settings, login: Login, scene: Scene) -> None:
    settings.max_upload_mb = 1
    answer = client.post(
        f"{scene.api}/incidents/1/evidence",
        files={"file": ("a.bin", b"\0" * (2 * MB))},
        headers=login("monitor-ru"),
    )
    assert answer.status_code == 413
    assert "detail" in answer.json()


def urls_of(phone: Phone, host: str) -> list[str]:
    """Every URL the form list and a manifest hand out, asked with `host` as the Host header."""
    headers = {**HEADERS, **phone.headers, "Host": host}
    listing = phone.client.get(f"{phone.base}/formList", headers=headers)
    urls = [e.text or "" for e in etree.fromstring(listing.content).iter() if str(e.tag).endswith("Url")]
    manifest = next(u for u in urls if u.endswith("/manifest"))
    answer = phone.client.get("/openrosa/" + manifest.split("/openrosa/", 1)[1], headers=headers)
    return urls + [e.text or "" for e in etree.fromstring(answer.content).iter() if str(e.tag).endswith("downloadUrl")]


def test_form_urls_come_from_the_public_address_not_the_host_header(phone: Phone, settings: Settings) -> None:
    settings.public_url = "https://truce.example.org/field"
    urls = urls_of(phone, host="evil.example")
    assert len(urls) > 4
    assert all(u.startswith(f"https://truce.example.org/field{phone.base}/forms/") for u in urls), urls


def test_without_a_public_address_the_listening_address_is_used(phone: Phone) -> None:
    # The test client's server is "testserver" on port 80; the Host header sent is ignored.
    urls = urls_of(phone, host="evil.example")
    assert all(u.startswith(f"http://testserver{phone.base}/") for u in urls), urls


def request_to(app: FastAPI, server: tuple[str, int], scheme: str = "http") -> Request:
    headers = [(b"host", b"evil.example")]
    return Request({"type": "http", "app": app, "server": server, "scheme": scheme, "headers": headers})


def test_the_listening_address_when_no_public_address_is_set(app: FastAPI) -> None:
    assert address.public_base(request_to(app, ("10.0.0.5", 8000))) == "http://10.0.0.5:8000"
    assert address.public_base(request_to(app, ("truce.lan", 443), "https")) == "https://truce.lan"
    assert address.public_base(request_to(app, ("::1", 8000))) == "http://[::1]:8000"
    with pytest.raises(ConfigError, match="TRUCE_PUBLIC_URL"):
        address.public_base(request_to(app, ("0.0.0.0", 8000)))  # noqa: S104 - the case under test


@pytest.mark.parametrize("bad", ["ftp://truce.example.org", "truce.example.org", "https://", "https://a.org/?x=1"])
def test_a_public_address_must_be_an_http_url(bad: str) -> None:
    with pytest.raises(ValidationError):
        Settings(public_url=bad)
    assert Settings(public_url="https://a.org/x/").public_url == "https://a.org/x"
