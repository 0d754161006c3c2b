"""HTTP Digest (RFC 7616) on the OpenRosa endpoints, with the client side computed here, as okhttp-digest does it.

Covers: the 401 offers Basic, then Digest MD5 and SHA-256; a round trip with each algorithm; HEAD then POST with
one nonce and rising counts (ODK Collect caches the challenge); wrong password; tampered, expired and replayed
nonces; wrong realm, opaque and uri; malformed headers of every kind answered 401 with a message, never 500;
accounts without Digest, devices and disabled accounts; the secret kept out of the log.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import PASSWORD, Scene
from openrosa.collect import Phone, account_of, fill, incident_values
from support import TEST_SECRET
from truce.errors import Invalid, Unauthorized
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import MissionIn
from truce.openrosa import digest
from truce.openrosa.models import Submission
from truce.policy import Actor
from truce.users import service as users_service

OPENROSA = {"X-OpenRosa-Version": "1.0"}
HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]+))')


def h(algorithm: str, text: str) -> str:
    return HASHES[algorithm](text.encode()).hexdigest()


def challenges(answer: Any) -> list[tuple[str, dict[str, str]]]:
    """Each WWW-Authenticate challenge of an answer: its scheme and its parameters, in order."""
    found = []
    for value in answer.headers.get_list("www-authenticate"):
        scheme, _, rest = value.partition(" ")
        found.append((scheme, {m[0]: m[1] or m[2] for m in _PARAM.findall(rest)}))
    return found


def digest_challenge(answer: Any, algorithm: str = "MD5") -> dict[str, str]:
    return next(p for scheme, p in challenges(answer) if scheme == "Digest" and p["algorithm"] == algorithm)


def authorization(challenge: dict[str, str], username: str, password: str, method: str, uri: str, count: int = 1,
                  **overrides: str) -> str:  # fmt: skip
    """The Authorization header a client computes from a challenge (RFC 7616 3.4, qop=auth)."""
    algorithm = challenge.get("algorithm", "MD5")
    params = {"username": username, "realm": challenge["realm"], "nonce": challenge["nonce"], "uri": uri,
              "algorithm": algorithm, "qop": "auth", "nc": f"{count:08x}", "cnonce": secrets.token_hex(8),
              "opaque": challenge["opaque"]}  # fmt: skip
    params.update(overrides)
    ha1 = h(algorithm, f"{username}:{params['realm']}:{password}")
    ha2 = h(algorithm, f"{method}:{params['uri']}")
    params["response"] = h(algorithm, ":".join([ha1, params["nonce"], params["nc"], params["cnonce"], "auth", ha2]))
    quoted = {"algorithm", "qop", "nc"}
    return "Digest " + ", ".join(f"{k}={v}" if k in quoted else f'{k}="{v}"' for k, v in params.items())


@dataclass
class DigestPhone:
    """A phone that logs in as okhttp-digest does: answer a challenge once, then reuse its nonce, counting up."""

    client: TestClient
    username: str
    password: str
    algorithm: str = "MD5"
    challenge: dict[str, str] | None = None
    nc: int = 0
    statuses: list[int] = field(default_factory=list)

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        answer = self._send(method, url, **kwargs)
        if answer.status_code == 401 and (self.challenge is None or digest_challenge(answer).get("stale") == "true"):
            self.challenge, self.nc = digest_challenge(answer, self.algorithm), 0
            answer = self._send(method, url, **kwargs)
        return answer

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = dict(OPENROSA)
        if self.challenge is not None:
            self.nc += 1
            headers["Authorization"] = authorization(self.challenge, self.username, self.password, method, url, self.nc)
        answer = self.client.request(method, url, headers=headers, **kwargs)
        self.statuses.append(answer.status_code)
        return answer


@pytest.fixture
def base(scene: Scene) -> str:
    """The OpenRosa root of the mission the test runs against."""
    return f"/openrosa/{scene.slug}"


@pytest.fixture
def form_list(base: str) -> str:
    return f"{base}/formList"


@pytest.fixture
def monitor(scene: Scene) -> str:
    """The demo's monitor-ru, or its counterpart: a person who logs in with Digest."""
    return account_of(scene, "monitor-ru")


@pytest.fixture
def digest_phone(client: TestClient, monitor: str) -> Callable[..., DigestPhone]:
    """A Digest phone of a person (the monitor by default; any other name as given)."""
    return lambda username=monitor, password=PASSWORD, **kw: DigestPhone(client, username, password, **kw)


def refused(client: TestClient, header: str, url: str) -> Any:
    answer = client.get(url, headers={**OPENROSA, "Authorization": header})
    assert answer.status_code == 401, answer.text
    assert '<message nature="error">' in answer.text
    return answer


def test_a_401_offers_basic_then_digest_md5_and_sha256(client: TestClient, form_list: str) -> None:
    answer = client.get(form_list, headers=OPENROSA)
    assert answer.status_code == 401
    offered = challenges(answer)
    assert [(scheme, p.get("algorithm")) for scheme, p in offered] == [
        ("Basic", None), ("Digest", "MD5"), ("Digest", "SHA-256")
    ]  # fmt: skip
    md5, sha256 = offered[1][1], offered[2][1]
    assert md5["realm"] == sha256["realm"] == "Truce"
    assert md5["qop"] == "auth"
    assert (md5["nonce"], md5["opaque"]) == (sha256["nonce"], sha256["opaque"])
    assert "stale" not in md5
    assert (
        client.get(form_list, headers=OPENROSA).headers.get_list("www-authenticate")[1]
        != answer.headers.get_list("www-authenticate")[1]
    )


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_a_person_logs_in_with_digest(
    digest_phone: Callable[..., DigestPhone], algorithm: str, form_list: str, base: str, scene: Scene
) -> None:
    phone = digest_phone(algorithm=algorithm)
    answer = phone.send("GET", form_list)
    assert answer.status_code == 200, answer.text
    assert phone.statuses == [401, 200]
    form_ids = {x.text for x in etree.fromstring(answer.content).iter("{*}formID")}
    assert form_ids == {f"truce-{scene.slug}-{kind}" for kind in ("incident", "checkpoint", "patrol")}
    # The next request reuses the nonce with the next count, with no new challenge.
    assert phone.send("GET", f"{base}/forms/truce-{scene.slug}-incident.xml").status_code == 200
    assert phone.statuses == [401, 200, 200]


def test_head_then_post_with_digest_as_odk_collect_sends_them(
    digest_phone: Callable[..., DigestPhone], session: Session, mission: Mission, base: str, scene: Scene
) -> None:
    liaison = account_of(scene, "liaison-am")
    phone = digest_phone(liaison)
    form = phone.send("GET", f"{base}/forms/truce-{scene.slug}-incident.xml")
    assert form.status_code == 200
    xml = fill(form.content, incident_values(scene, source="party"))
    probe = phone.send("HEAD", f"{base}/submission")
    assert probe.status_code == 204
    posted = phone.send("POST", f"{base}/submission", files=[("xml_submission_file", ("s.xml", xml, "text/xml"))])
    assert posted.status_code == 201, posted.text
    assert phone.statuses == [401, 200, 204, 201]
    assert phone.nc == 3
    row = session.execute(select(Submission).where(Submission.mission_id == mission.id)).scalars().all()[-1]
    assert row.author_id == users_service.get_by_name(session, liaison).id  # type: ignore[union-attr]


def test_a_wrong_password_is_refused(digest_phone: Callable[..., DigestPhone], form_list: str) -> None:
    phone = digest_phone(password="not-the-password")
    answer = phone.send("GET", form_list)
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.text
    assert "stale" not in digest_challenge(answer)
    assert phone.statuses == [401, 401]


def _first_challenge(client: TestClient, form_list: str) -> dict[str, str]:
    return digest_challenge(client.get(form_list, headers=OPENROSA))


def test_a_tampered_nonce_is_refused(client: TestClient, form_list: str, monitor: str) -> None:
    challenge = _first_challenge(client, form_list)
    nonce = challenge["nonce"]
    flipped = nonce[:5] + ("A" if nonce[5] != "A" else "B") + nonce[6:]
    header = authorization({**challenge, "nonce": flipped}, monitor, PASSWORD, "GET", form_list)
    assert "not issued by this server" in refused(client, header, form_list).text
    forged = digest.new_nonce("another-server-secret-that-is-long-enough-000", time.time())
    header = authorization({**challenge, "nonce": forged}, monitor, PASSWORD, "GET", form_list)
    assert "not issued by this server" in refused(client, header, form_list).text


def test_an_expired_nonce_is_stale(client: TestClient, form_list: str, monitor: str) -> None:
    challenge = _first_challenge(client, form_list)
    old = digest.new_nonce(TEST_SECRET, time.time() - digest.NONCE_SECONDS - 5)
    header = authorization({**challenge, "nonce": old}, monitor, PASSWORD, "GET", form_list)
    answer = refused(client, header, form_list)
    assert "expired" in answer.text
    fresh = digest_challenge(answer)
    assert fresh["stale"] == "true"
    assert fresh["nonce"] != old
    retry = authorization(fresh, monitor, PASSWORD, "GET", form_list)
    assert client.get(form_list, headers={**OPENROSA, "Authorization": retry}).status_code == 200


def test_an_old_nonce_with_a_wrong_password_is_not_stale(client: TestClient, form_list: str, monitor: str) -> None:
    challenge = _first_challenge(client, form_list)
    old = digest.new_nonce(TEST_SECRET, time.time() - digest.NONCE_SECONDS - 5)
    header = authorization({**challenge, "nonce": old}, monitor, "wrong-password", "GET", form_list)
    assert "stale" not in digest_challenge(refused(client, header, form_list))


def test_a_replayed_count_is_refused(client: TestClient, form_list: str, monitor: str) -> None:
    challenge = _first_challenge(client, form_list)
    header = authorization(challenge, monitor, PASSWORD, "GET", form_list, count=1)
    assert client.get(form_list, headers={**OPENROSA, "Authorization": header}).status_code == 200
    answer = refused(client, header, form_list)
    assert "used before" in answer.text
    assert digest_challenge(answer)["stale"] == "true"
    # Counts may arrive out of order (okhttp sends concurrent requests); each is accepted once.
    for nc in (3, 2):
        later = authorization(challenge, monitor, PASSWORD, "GET", form_list, count=nc)
        assert client.get(form_list, headers={**OPENROSA, "Authorization": later}).status_code == 200


def test_realm_opaque_and_uri_must_match_the_challenge_and_request(
    client: TestClient, form_list: str, base: str, monitor: str, scene: Scene
) -> None:
    challenge = _first_challenge(client, form_list)
    login = (monitor, PASSWORD)
    wrong_realm = authorization({**challenge, "realm": f"Truce {scene.slug}"}, *login, "GET", form_list)
    assert "realm" in refused(client, wrong_realm, form_list).text
    wrong_opaque = authorization({**challenge, "opaque": "0" * 32}, *login, "GET", form_list)
    assert "opaque" in refused(client, wrong_opaque, form_list).text
    other_uri = authorization(challenge, *login, "GET", form_list)
    assert "uri" in refused(client, other_uri, f"{base}/forms/truce-{scene.slug}-incident.xml").text
    # A header computed for GET does not pass for another method on the same address.
    head = client.head(f"{base}/submission", headers={**OPENROSA, "Authorization": authorization(
        challenge, *login, "GET", f"{base}/submission")})  # fmt: skip
    assert head.status_code == 401
    assert "uri" in refused(client, authorization(challenge, *login, "GET", "http://[broken"), form_list).text
    absolute = authorization(challenge, *login, "GET", f"http://testserver{form_list}?formID=x")
    assert (
        client.get(form_list, params={"formID": "x"}, headers={**OPENROSA, "Authorization": absolute}).status_code
        == 200
    )


MALFORMED = {
    "garbage": "Digest !!!!",
    "empty": "Digest ",
    "no pairs": "Digest username",
    "unclosed quote": 'Digest username="monitor-ru',
    "missing fields": 'Digest username="monitor-ru", realm="Truce"',
    "twice": 'Digest username="a", username="b"',
    "huge": 'Digest username="' + "a" * 10_000 + '"',
    "no separator": 'Digest username="a" realm="Truce"',
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_headers_are_401_with_a_message(client: TestClient, name: str, form_list: str) -> None:
    answer = refused(client, MALFORMED[name], form_list)
    assert "Digest" in answer.text
    assert len(challenges(answer)) == 3


def test_bytes_beyond_ascii_in_the_header_are_401(client: TestClient, form_list: str) -> None:
    header = authorization(
        _first_challenge(client, form_list), "monitor-ü", "pässword", "GET", form_list, nonce="nönce"
    )
    answer = client.get(form_list, headers={**OPENROSA, "Authorization": header.encode("utf-8")})
    assert answer.status_code == 401
    assert "not issued by this server" in answer.text


@pytest.mark.parametrize(
    ("override", "phrase"),
    [({"algorithm": "MD5-sess"}, "algorithm"), ({"qop": "auth-int"}, "qop"), ({"nc": "xyz"}, "nc"),
     ({"userhash": "true"}, "userhash"), ({"nonce": "%%%"}, "not issued")],
)  # fmt: skip
def test_what_the_challenge_did_not_offer_is_refused(
    client: TestClient, override: dict[str, str], phrase: str, form_list: str, monitor: str
) -> None:
    header = authorization(_first_challenge(client, form_list), monitor, PASSWORD, "GET", form_list, **override)
    assert phrase in refused(client, header, form_list).text


@given(st.text(max_size=300))
def test_parse_refuses_or_reads_any_text(text: str) -> None:
    # Anything but Unauthorized (a ValueError, an IndexError) would reach the client as a 500.
    with contextlib.suppress(Unauthorized):
        digest.parse("Digest " + text)


def test_an_account_without_digest_is_refused_until_it_turns_digest_on(
    client: TestClient,
    session: Session,
    mission: Mission,
    digest_phone: Callable[..., DigestPhone],
    form_list: str,
    scene: Scene,
) -> None:
    user = users_service.create(session, "basic-only", "long-password", mission=mission, role="monitor",
                                delegation_code=scene.delegation("ru"), actor=Actor.system())  # fmt: skip
    session.commit()
    phone = digest_phone("basic-only", "long-password")
    answer = phone.send("GET", form_list)
    assert answer.status_code == 401
    assert "no Digest login" in answer.text
    unknown = digest_phone("nobody-at-all", "long-password").send("GET", form_list)
    assert unknown.text == answer.text.replace("basic-only", "nobody-at-all")
    with pytest.raises(Invalid):
        users_service.enable_digest(session, user, "wrong-password", actor=Actor.system())
    users_service.enable_digest(session, user, "long-password", actor=Actor.system())
    session.commit()
    assert digest_phone("basic-only", "long-password").send("GET", form_list).status_code == 200
    users_service.disable_digest(session, user, actor=Actor.system())
    session.commit()
    assert digest_phone("basic-only", "long-password").send("GET", form_list).status_code == 401
    actions = [e.action for e in ledger.history(session, "users", str(user.id))]
    assert actions == ["user.create", "user.digest_on", "user.digest_off"]


def test_the_log_holds_neither_the_secret_nor_a_digest_of_it(session: Session, monitor: str) -> None:
    user = users_service.get_by_name(session, monitor)
    assert user is not None
    secret = users_service.digest_secret(session, user, "MD5")
    assert secret == h("MD5", f"{monitor}:Truce:{PASSWORD}")
    sha = users_service.digest_secret(session, user, "SHA-256")
    entries = session.execute(select(LogEntry.data).where(LogEntry.entity_type == "users")).scalars()
    text = "".join(str(data) for data in entries)
    for value in (secret, sha):
        assert value is not None
        assert value not in text
        assert hashlib.sha256(value.encode()).hexdigest() not in text


def test_a_new_password_hash_voids_the_digest_secret(session: Session, scene: Scene) -> None:
    user = users_service.get_by_name(session, account_of(scene, "verifier-tr"))
    assert user is not None
    assert users_service.digest_secret(session, user, "MD5") is not None
    user.password_hash = users_service.hash_password("another-password")
    assert users_service.digest_secret(session, user, "MD5") is None


def test_devices_keep_to_basic(phone: Phone, digest_phone: Callable[..., DigestPhone], form_list: str) -> None:
    token = phone.headers["Authorization"]
    assert phone.get(form_list).status_code == 200
    answer = digest_phone(phone.username, token).send("GET", form_list)
    assert answer.status_code == 401
    assert "over HTTP Basic" in answer.text


def test_a_disabled_account_is_refused(
    client: TestClient, session: Session, digest_phone: Callable[..., DigestPhone], form_list: str, scene: Scene
) -> None:
    verifier = account_of(scene, "verifier-ru")
    user = users_service.get_by_name(session, verifier)
    assert user is not None
    user.active = False
    ledger.record(session, Actor.system(), "user.deactivate", user)
    session.commit()
    answer = digest_phone(verifier).send("GET", form_list)
    assert answer.status_code == 401
    assert "disabled" in answer.text


def test_a_person_without_a_role_in_the_mission_is_forbidden(
    session: Session, digest_phone: Callable[..., DigestPhone], monitor: str
) -> None:
    missions_service.create(session, MissionIn(slug="other-mission", name="Other"), actor=Actor.system())
    session.commit()
    phone = digest_phone(monitor)
    answer = phone.send("GET", "/openrosa/other-mission/formList")
    assert answer.status_code == 403
    assert "holds no role in mission other-mission" in answer.text


def test_counts_forget_what_has_expired_and_keep_the_rest() -> None:
    counts = digest.Counts(limit=2)
    assert counts.first_use("old", "00000001", expires=100, now=50)
    assert counts.first_use("old", "00000002", expires=100, now=50)
    assert counts.first_use("new", "00000001", expires=900, now=50)
    # The set is over its limit: the next call drops the expired nonce's counts and keeps the live ones.
    assert counts.first_use("new", "00000002", expires=900, now=200)
    assert set(counts.seen) == {("new", "00000001"), ("new", "00000002")}
    assert not counts.first_use("new", "00000001", expires=900, now=200)
    assert counts.first_use("new", "0000000a", expires=900, now=200)
    assert not counts.first_use("new", "0000000A", expires=900, now=200)
