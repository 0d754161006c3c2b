"""Evidence and report names in `Content-Disposition`: any name downloads, and none can add a parameter.

Names go through a real upload and a real download (API and page); the header is parsed back twice, by the
standard library's MIME parser and by a strict reading of RFC 6266's grammar, so that exactly one ASCII
`filename` and at most one `filename*` come back, and the decoded name is the uploaded one.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from mission_examples import Scene
from support import Login, point_feature
from truce.db import Database
from truce.disposition import MAX_NAME, ascii_fallback, content_disposition
from web.conftest import WebClient

# RFC 6266 / RFC 8187 as Truce writes it: a disposition type, one quoted ASCII filename with nothing that could
# end or escape it, and optionally one ext-value of attr-chars and percent-escapes.
STRICT = re.compile(
    r"""^attachment; filename="(?P<ascii>[\x20\x21\x23-\x24\x26-\x3a\x3c-\x5b\x5d-\x7e]+)\""""
    r"""(?:; filename\*=UTF-8''(?P<ext>(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+))?$"""
)
LONG = "отчёт о нарушении " * 20 + ".pdf"
# (uploaded name, the name a client should save it as)
NAMES = [
    ("фото.jpg", "фото.jpg"),
    ("crater 🔥 north.jpg", "crater 🔥 north.jpg"),
    ('evil"; filename="x.exe', 'evil"; filename="x.exe'),
    ("a;b;c=d.txt", "a;b;c=d.txt"),
    ("100% sure.txt", "100% sure.txt"),
    ("plain-name_1.txt", "plain-name_1.txt"),
    (LONG, None),  # shortened: checked separately
]


def parse(header: str) -> tuple[str, str]:
    """The ASCII fallback and the name a modern client saves as (`filename*` wins, RFC 6266 section 4.3)."""
    match = STRICT.match(header)
    assert match, f"not a well-formed Content-Disposition: {header!r}"
    # No quoted value may hold a semicolon (the grammar above), so splitting on it yields every parameter.
    names = [part.split("=", 1)[0].strip() for part in header.split(";")[1:]]
    assert names == ["filename"] + (["filename*"] if match.group("ext") else []), names
    ext = match.group("ext")
    if ext is None:
        return match.group("ascii"), match.group("ascii")
    # The standard library's RFC 2231 decoder reads the ext-value on its own (given both, it keeps the first).
    message = EmailMessage()
    message["Content-Disposition"] = f"attachment; filename*=UTF-8''{ext}"
    assert not message["Content-Disposition"].defects
    decoded = message.get_filename()
    assert decoded is not None
    assert decoded == unquote(ext, encoding="utf-8", errors="strict")
    return match.group("ascii"), decoded


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    # Written by hand: as a browser does, the name is raw UTF-8 with quotes and backslashes escaped.
    boundary = "b0undaryWEBSEC"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{escaped}"\r\n'
    body = head.encode() + b"Content-Type: text/plain\r\n\r\n" + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _incident(client: TestClient, login: Login, scene: Scene) -> int:
    properties = {"type": "explosion", "subtype": "mortar", "start": scene.moment(14, 30), "source": "post",
                  "classification": "parties"}  # fmt: skip
    feature = point_feature(*scene.point, **properties)
    answer = client.post(f"{scene.api}/incidents", json=feature, headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _upload(client: TestClient, login: Login, scene: Scene, incident_id: int, name: str) -> dict[str, Any]:
    body, content_type = _multipart(name, f"notes about {name}".encode())
    headers = {**login("monitor-ru"), "Content-Type": content_type}
    answer = client.post(f"{scene.api}/incidents/{incident_id}/evidence", content=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _check(answer: httpx.Response, name: str, expected: str | None) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.content == f"notes about {name}".encode()
    fallback, decoded = parse(answer.headers["content-disposition"])
    if expected is not None:
        assert decoded == expected
    else:
        assert len(decoded) <= MAX_NAME
        assert decoded.endswith(".pdf")
        assert decoded.startswith("отчёт о нарушении")
    assert fallback.isascii()
    assert not set(fallback) & set('"\\;\r\n%')


def test_every_name_downloads_as_itself_from_the_api(client: TestClient, login: Login, scene: Scene) -> None:
    incident_id = _incident(client, login, scene)
    for name, expected in NAMES:
        stored = _upload(client, login, scene, incident_id, name)
        url = f"{scene.api}/incidents/{incident_id}/evidence/{stored['sha256']}"
        _check(client.get(url, headers=login("verifier-ru")), name, expected)
        by_hash = client.get(f"{scene.api}/evidence/{stored['sha256']}", headers=login("analyst-ru"))
        _check(by_hash, name, expected)


def test_every_name_downloads_as_itself_from_the_pages(
    client: TestClient, login: Login, db: Database, scene: Scene
) -> None:
    incident_id = _incident(client, login, scene)
    web = WebClient(client, db).login(scene.account("verifier-tr"))
    for name, expected in NAMES:
        stored = _upload(client, login, scene, incident_id, name)
        url = f"/m/{scene.slug}/incidents/{incident_id}/evidence/{stored['sha256']}"
        _check(web.get(url, headers={"Sec-Fetch-Site": "same-origin"}), name, expected)


@pytest.mark.parametrize(
    "name",
    [
        "a\r\nSet-Cookie: x=1.txt",
        "tab\there.txt",
        "nul\x00.txt",
        "rlo\u202egpj.exe",
        "..\\..\\boot.ini",
        "",
        "...",
        '"";\\',
        "🔥🔥🔥",
    ],
)
def test_hostile_names_give_one_well_formed_header(name: str) -> None:
    header = content_disposition(name)
    fallback, decoded = parse(header)
    assert "\r" not in header
    assert "\n" not in header
    assert header.isascii()
    assert fallback
    assert decoded
    assert not any(ord(ch) < 0x20 or ch == "\u202e" for ch in decoded)
    assert "/" not in decoded
    assert "\\" not in decoded


def test_the_fallback_keeps_what_ascii_can_say() -> None:
    assert ascii_fallback("Café crème.txt") == "Cafe creme.txt"
    assert ascii_fallback("фото.jpg") == "download.jpg"
    assert ascii_fallback('a"b;c\\d.txt') == "a_b_c_d.txt"
    assert content_disposition("report.pdf") == 'attachment; filename="report.pdf"'
