"""`truce log verify` on a copy of a data directory an attacker changed: precise, and never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support import copy_data_dir, truce
from truce.ledger import keys, note


def attacked(demo_data_dir: Path, tmp_path: Path, *statements: str) -> Path:
    data = copy_data_dir(demo_data_dir, tmp_path / "data")
    with sqlite3.connect(data / "truce.db") as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return data


def saved_checkpoint(data: Path, tmp_path: Path) -> Path:
    saved = tmp_path / "saved.txt"
    made = truce("log", "checkpoint", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    saved.write_text(made.stdout)
    return saved


def test_the_last_entry_deleted_with_a_saved_checkpoint(demo_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(demo_data_dir, tmp_path / "data")
    saved = saved_checkpoint(data, tmp_path)
    size = int(saved.read_text().splitlines()[1])
    with sqlite3.connect(data / "truce.db") as connection:
        connection.execute(f"DELETE FROM log_entries WHERE idx = {size - 1}")  # noqa: S608 - an int
    connection.close()
    result = truce("log", "verify", "--data-dir", str(data), "--checkpoint", str(saved))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("NOT INTACT: ")
    assert f"({size - 1:,} entries, 1 checkpoints" in result.stdout.splitlines()[0]
    assert f"saved checkpoint {saved}: it covers {size} entries but the log holds {size - 1} (rolled back)" in (
        result.stdout
    )


def test_the_pinned_key_catches_a_replaced_key(demo_data_dir: Path, tmp_path: Path) -> None:
    data = copy_data_dir(demo_data_dir, tmp_path / "data")
    saved_checkpoint(data, tmp_path)
    trusted = keys.load(data)
    impostor = note.generate_signer(trusted.name)
    keys.key_path(data).unlink()
    keys.key_path(data).write_text(impostor.to_text() + "\n")
    with sqlite3.connect(data / "truce.db") as connection:
        for checkpoint_id, old in connection.execute("SELECT id, note FROM log_checkpoints").fetchall():
            resigned = note.sign_note(note.split_note(old)[0], [impostor])
            connection.execute("UPDATE log_checkpoints SET note = ? WHERE id = ?", (resigned, checkpoint_id))
    connection.close()
    assert truce("log", "verify", "--data-dir", str(data)).returncode == 0
    result = truce("log", "verify", "--data-dir", str(data), "--server-key", trusted.verifier_text())
    assert result.returncode == 1, result.stdout + result.stderr
    replaced, pinned = impostor.verifier().key_id.hex(), trusted.verifier().key_id.hex()
    assert f"the key in the data directory, {trusted.name} id {replaced}, is not the pinned key" in result.stdout
    assert f"the key {trusted.name} id {pinned} did not sign checkpoint" in result.stdout
    bad = truce("log", "verify", "--data-dir", str(data), "--server-key", "not-a-key")
    assert bad.returncode == 2
    assert "--server-key" in bad.stderr
