"""A delegation's witness (C2SP tlog-witness): cosigns a checkpoint only when it extends the last one it cosigned.

It runs on the delegation's own machine with its own key and its own state: a SQLite file in its data directory
holding the logs it trusts (origin and key) and, per log, the latest checkpoint it cosigned. Checking the old size
and storing the new checkpoint happen in one write transaction (`BEGIN IMMEDIATE`), so two concurrent requests
can never leave the older size stored.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from truce.ledger import merkle, note

PATH = "/api/v1/log/witness/add-checkpoint"
STATE_FILE = "witness.sqlite"
MAX_BODY = 64 * 1024
MAX_PROOF = 63
SIZE_TYPE = "text/x.tlog.size"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (origin TEXT PRIMARY KEY, vkey TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS latest (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL,
                                   note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cosigned (origin TEXT NOT NULL, size INTEGER NOT NULL, note TEXT NOT NULL,
                                     PRIMARY KEY (origin, size));
CREATE TABLE IF NOT EXISTS refused (id INTEGER PRIMARY KEY, at REAL NOT NULL, status INTEGER NOT NULL,
                                    reason TEXT NOT NULL, body TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Answer:
    """What the witness answers: an HTTP status, a content type and a body."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    """The witness's key and state; `add_checkpoint` is the whole protocol."""

    def __init__(self, data_dir: Path, signer: note.Signer) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / STATE_FILE
        self.signer = signer
        with self._connect() as connection:
            connection.executescript(_SCHEMA)
        connection.close()

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are begun explicitly, IMMEDIATE, so the check and the update are one step.
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def trust(self, vkey: str) -> note.Verifier:
        """Trust a log's key for its origin (the key's name)."""
        verifier = note.Verifier.from_text(vkey.strip())
        if verifier.algorithm != note.ALG_ED25519:
            raise note.NoteError("a log key signs checkpoints: type 0x01")
        connection = self._connect()
        try:
            connection.execute(
                "INSERT OR REPLACE INTO logs (origin, vkey) VALUES (?, ?)", (verifier.name, vkey.strip())
            )
        finally:
            connection.close()
        return verifier

    def logs(self) -> dict[str, note.Verifier]:
        connection = self._connect()
        try:
            rows = connection.execute("SELECT origin, vkey FROM logs").fetchall()
        finally:
            connection.close()
        return {origin: note.Verifier.from_text(vkey) for origin, vkey in rows}

    def latest(self, origin: str) -> tuple[int, bytes, str] | None:
        """The size, root and note of the latest checkpoint cosigned for `origin`."""
        connection = self._connect()
        try:
            row = connection.execute("SELECT size, root, note FROM latest WHERE origin = ?", (origin,)).fetchone()
        finally:
            connection.close()
        return None if row is None else (int(row[0]), bytes(row[1]), str(row[2]))

    def cosigned(self) -> list[str]:
        """Every checkpoint this witness cosigned, with its cosignature, oldest first."""
        connection = self._connect()
        try:
            rows = connection.execute("SELECT note FROM cosigned ORDER BY origin, size").fetchall()
        finally:
            connection.close()
        return [str(row[0]) for row in rows]

    def add_checkpoint(self, body: bytes) -> Answer:
        """Answer one add-checkpoint request, per C2SP tlog-witness."""
        try:
            request = _parse(body)
        except ValueError as exc:
            return Answer(400, f"{exc}\n")
        old, proof, checkpoint_note = request
        try:
            origin = note.Checkpoint.parse(note.split_note(checkpoint_note)[0]).origin
        except note.NoteError as exc:
            return Answer(400, f"not a checkpoint: {exc}\n")
        log = self.logs().get(origin)
        if log is None:
            return Answer(404, f"unknown log {origin!r}\n")
        try:
            body_text, _ = note.open_note(checkpoint_note, [log])
        except note.NoteError as exc:
            return Answer(403, f"no valid signature from the trusted key of {origin}: {exc}\n")
        checkpoint = note.Checkpoint.parse(body_text)
        if old > checkpoint.size:
            return Answer(400, f"old size {old} is above the checkpoint's size {checkpoint.size}\n")
        if checkpoint.size == 0 and checkpoint.root_hash != merkle.EMPTY_ROOT:
            return self._refuse(422, "a checkpoint of size 0 must have the empty tree's root", checkpoint_note)
        if old == 0 and proof:
            return self._refuse(422, "from old size 0 the consistency proof must be empty", checkpoint_note)
        return self._check_and_store(old, proof, checkpoint, checkpoint_note)

    def _check_and_store(
        self, old: int, proof: list[bytes], checkpoint: note.Checkpoint, checkpoint_note: str
    ) -> Answer:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute("SELECT size, root FROM latest WHERE origin = ?", (checkpoint.origin,)).fetchone()
            size, root = (0, merkle.EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
            if old != size:
                connection.execute("ROLLBACK")
                return Answer(409, f"{size}\n", SIZE_TYPE)
            if checkpoint.size == size and checkpoint.root_hash != root:
                connection.execute("ROLLBACK")
                # The spec's revision of 2025 (C2SP #280) answers 422 here; Truce keeps the 409 its contract names.
                return self._refuse(409, f"another root for the size {size} already cosigned", checkpoint_note)
            if 0 < size < checkpoint.size and not merkle.verify_consistency(
                size, checkpoint.size, root, checkpoint.root_hash, proof
            ):
                connection.execute("ROLLBACK")
                return self._refuse(422, f"the consistency proof from {size} does not verify", checkpoint_note)
            body = checkpoint.to_body()
            connection.execute(
                "INSERT OR REPLACE INTO latest (origin, size, root, note) VALUES (?, ?, ?, ?)",
                (checkpoint.origin, checkpoint.size, checkpoint.root_hash, checkpoint_note),
            )
            # Persisted before the answer: a cosignature is never handed out for a size the witness could forget.
            line = note.cosign(body, self.signer, int(time.time()))
            # Kept with its cosignature: what this witness vouched for, served by a replica as it cosigned it.
            connection.execute(
                "INSERT OR REPLACE INTO cosigned (origin, size, note) VALUES (?, ?, ?)",
                (checkpoint.origin, checkpoint.size, checkpoint_note + line),
            )
            connection.execute("COMMIT")
            return Answer(200, line)
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def _refuse(self, status: int, reason: str, checkpoint_note: str) -> Answer:
        """Refuse a validly signed checkpoint, keeping it: it may be evidence that the log misbehaved."""
        connection = self._connect()
        try:
            connection.execute(
                "INSERT INTO refused (at, status, reason, body) VALUES (?, ?, ?, ?)",
                (time.time(), status, reason, checkpoint_note),
            )
        finally:
            connection.close()
        return Answer(status, reason + "\n")


def _parse(body: bytes) -> tuple[int, list[bytes], str]:
    """The old size, the consistency proof and the checkpoint note of a request body."""
    if len(body) > MAX_BODY:
        raise ValueError(f"the request is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request is not UTF-8") from None
    head, blank, checkpoint_note = text.partition("\n\n")
    if not blank:
        raise ValueError("no empty line before the checkpoint")
    lines = head.split("\n")
    size_text = lines[0].removeprefix("old ")
    if not lines[0].startswith("old ") or not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
        raise ValueError("the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF:
        raise ValueError(f"at most {MAX_PROOF} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            hash_ = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a consistency proof line is not base64") from None
        if len(hash_) != merkle.HASH_SIZE:
            raise ValueError("a consistency proof line is not a 32-byte hash")
        proof.append(hash_)
    return int(size_text), proof, checkpoint_note


def request_body(old: int, proof: list[bytes], checkpoint_note: str) -> bytes:
    """An add-checkpoint request body, as a log (or a test) sends it."""
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + checkpoint_note).encode("utf-8")


def app(witness: Witness) -> FastAPI:
    """The witness's HTTP app: the add-checkpoint route and a health check."""
    served = FastAPI(title="Truce witness", docs_url=None, redoc_url=None, openapi_url=None)

    @served.post(PATH)
    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response(f"the request is larger than {MAX_BODY} bytes\n", status_code=413)
        # The check runs in a thread: it waits on SQLite's write lock, never on the event loop.
        answer = await run_in_threadpool(witness.add_checkpoint, body)
        # Set as is: the spec names `text/x.tlog.size` exactly, with no charset parameter added.
        return Response(answer.body, status_code=answer.status, headers={"Content-Type": answer.content_type})

    @served.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return served
