"""`truce backup` while 16 phones submit to a real `truce serve`; the copy restores and verifies (issue 23)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import select

from backup.test_backup_restore import empty_site
from conftest import fresh_database
from deploy.processes import OPENROSA, SUBMISSION, deploy, phone_report, photo, serving
from support import truce
from truce.db import connect
from truce.openrosa.models import Submission

PHONES = 16
PHOTO_BYTES = 100_000


def test_a_backup_taken_while_16_phones_submit_restores_and_verifies(backend: str, tmp_path: Path) -> None:
    env: dict[str, str] = {}
    if backend == "postgis":
        scratch = fresh_database(backend, tmp_path, "backup_busy")
        env["TRUCE_DATABASE_URL"] = scratch.engine.url.render_as_string(hide_password=False)
        # Evidence in the database on PostgreSQL: the dump carries it, and the restore checks it there.
        env["TRUCE_EVIDENCE_STORE"] = "postgres"
        scratch.dispose()
    deployment = deploy(tmp_path / "data", env)
    stored: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def phone(url: str) -> None:
        with httpx.Client(base_url=url, auth=deployment.phone_auth, headers=OPENROSA, timeout=120) as client:
            while not stop.is_set():
                instance, name = f"uuid:{uuid.uuid4()}", f"{uuid.uuid4().hex}.jpg"
                files = [("xml_submission_file", ("submission.xml", phone_report(name, instance), "text/xml")),
                         (name, (name, photo(PHOTO_BYTES), "image/jpeg"))]  # fmt: skip
                try:
                    answer = client.post(SUBMISSION, files=files)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                with lock:
                    (stored if answer.status_code == 201 else failures).append(instance or answer.text)

    with serving(deployment, tmp_path / "server.log") as server:
        phones = [threading.Thread(target=phone, args=(server.url,)) for _ in range(PHONES)]
        for thread in phones:
            thread.start()
        while len(stored) < PHONES and not failures:  # every phone under way
            time.sleep(0.1)
        with lock:
            answered_before = set(stored)
        backed_up = truce("backup", "--out", str(tmp_path / "backup"), "--data-dir", str(deployment.data_dir), env=env)
        during = len(stored)
        time.sleep(1)
        stop.set()
        for thread in phones:
            thread.join()
    assert backed_up.returncode == 0, backed_up.stdout + backed_up.stderr
    assert failures == [], failures[:3]
    assert len(stored) > during, "the phones kept submitting while the backup ran"

    target = empty_site(backend, tmp_path, "restored_busy")
    target_env = {**target.env, **({"TRUCE_EVIDENCE_STORE": "postgres"} if backend == "postgis" else {})}
    restored = truce("restore", str(tmp_path / "backup"), "--data-dir", str(target.data_dir), env=target_env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "verified intact" in restored.stdout
    checked = re.search(r"([\d,]+) evidence files checked", restored.stdout)
    assert checked is not None, restored.stdout
    assert int(checked.group(1).replace(",", "")) >= len(answered_before)
    db = connect(target.database_url)
    try:
        with db.session(write=False) as session:
            kept = set(session.scalars(select(Submission.instance_id)))
    finally:
        db.dispose()
    # A consistent copy: submissions answered before the backup began are in it; none that never was stored.
    assert answered_before <= kept <= set(stored)
