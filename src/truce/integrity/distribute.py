"""The primary's side of witnessing: sign a checkpoint when the log grew and send it to every registered witness.

One daemon thread signs; each witness with a URL has its own sender, so a witness that is down or slow delays only
its own cosignature. A witness answers a cosignature line (stored with the checkpoint), or 409 with the size it
last cosigned (the sender then proves consistency from that size and tries again).
"""

from __future__ import annotations

import base64
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import httpx2 as httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from truce.db import Database
from truce.errors import TruceError
from truce.integrity.witness import PATH, SIZE_TYPE
from truce.ledger import note
from truce.ledger import service as ledger
from truce.ledger.models import Witness

LOG = logging.getLogger(__name__)
TIMEOUT = 10.0


class Sender:
    """Every `interval` seconds: a checkpoint if the log grew, handed to each witness not busy with an older one."""

    def __init__(self, db: Database, signer: note.Signer, interval: float = 3.0) -> None:
        self.db, self.signer, self.interval = db, signer, interval
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="truce-witness")
        self.busy: dict[str, Future[None]] = {}
        # The size each witness last cosigned, as far as this process knows (learned from its 409 otherwise).
        self.known: dict[str, int] = {}
        # One client for every send: each of httpx's module calls builds a client and reads the CA bundle again.
        self.http = httpx.Client(timeout=TIMEOUT)
        self.thread = threading.Thread(target=self._run, name="truce-checkpoints", daemon=True)

    def start(self) -> Sender:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=self.interval + 1)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.round()
            except Exception:
                LOG.exception("sending checkpoints to the witnesses failed this round")
            self.stopping.wait(self.interval)

    def round(self) -> None:
        """Sign a checkpoint if the log grew, and start a send to each idle witness that has not cosigned it."""
        with self.db.session() as session:
            listening = session.execute(select(Witness.id).where(Witness.url.is_not(None)).limit(1)).first()
            if listening is None:
                return  # no witness to send to: checkpoints are signed when someone asks for one
            try:
                stored = ledger.checkpoint(session, self.signer)
            except TruceError as exc:
                LOG.error("no checkpoint signed: %s", exc.detail)
                return
            cosigned = set(ledger.cosigners(session, stored.id))
            witnesses = [
                (w.key_name, w.url)
                for w in session.execute(select(Witness).where(Witness.url.is_not(None))).scalars()
                if w.key_name not in cosigned
            ]
            size, text = stored.size, stored.note
        for name, url in witnesses:
            running = self.busy.get(name)
            if running is None or running.done():
                self.busy[name] = self.pool.submit(self._send, name, str(url), size, text)

    def _send(self, name: str, url: str, size: int, checkpoint_note: str) -> None:
        try:
            for _ in range(2):
                old = min(self.known.get(name, 0), size)
                with self.db.session(write=False) as session:
                    proof = ledger.consistency(session, old, size)["hashes"] if 0 < old < size else []
                lines = [f"old {old}", *(base64.b64encode(bytes.fromhex(h)).decode() for h in proof)]
                body = "\n".join(lines) + "\n\n" + checkpoint_note
                answer = self.http.post(url.rstrip("/") + PATH, content=body.encode())
                if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(SIZE_TYPE):
                    self.known[name] = int(answer.text.strip())
                    continue
                if answer.status_code != 200:
                    LOG.warning(
                        "witness %s refused the checkpoint of %d: %d %s",
                        name,
                        size,
                        answer.status_code,
                        answer.text[:200],
                    )
                    return
                self._store(name, size, answer.text)
                self.known[name] = size
                return
        except (httpx.HTTPError, ValueError) as exc:
            LOG.warning("witness %s at %s did not answer: %s", name, url, exc)

    def _store(self, name: str, size: int, lines: str) -> None:
        for line in lines.splitlines(keepends=True):
            if not line.startswith(f"— {name} "):
                continue
            try:
                with self.db.session() as session:
                    ledger.add_cosignature(session, size, line)
            except IntegrityError:
                pass  # another process stored it first
            except TruceError as exc:
                LOG.warning("cosignature of %s over %d not stored: %s", name, size, exc.detail)
