"""What a party runs on its own machine: check every entry the log adds against the checkpoints, and cosign.

Only the server's pinned public key and the party's own saved checkpoint and state are trusted; everything else
is proved. From the last size the party verified (its state file), each entry served must hash to its leaf hash
and the leaf hashes must build the signed root; the state then keeps the new size, root and compact range, so the
next audit fetches only what is new. A root that does not match is narrowed to the first entry the signed tree
disagrees with, by consistency proofs that the party checks itself.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from truce.ledger import merkle, note

ENTRIES_PAGE = 1000
STATE_VERSION = 1


class AuditError(Exception):
    """The log does not prove what it must; `problems` says what failed, entry by entry."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class ServerRefused(AuditError):
    """The server would not hand out a checkpoint (it refuses to sign a log that does not hold together)."""


class HttpClient(Protocol):
    def get(self, url: str, *, params: Any = None) -> Any: ...

    def post(self, url: str, *, json: Any = None) -> Any: ...


@dataclass(frozen=True)
class Signed:
    """A checkpoint whose server signature has been checked."""

    text: str
    checkpoint: note.Checkpoint


def open_checkpoint(text: str, server: note.Verifier, what: str = "the checkpoint") -> Signed:
    """Check the pinned server key's signature on a checkpoint note and parse it; a replaced key is named."""
    try:
        body, _ = note.open_note(text, [server])
        return Signed(text=text, checkpoint=note.Checkpoint.parse(body))
    except note.NoteError as exc:
        raise AuditError(
            f"{what} is not validly signed by the pinned key {_key_name(server)}: {_who(text, exc)}"
        ) from None
    except ValueError as exc:
        raise AuditError(f"{what} is not a signed note: {exc}") from None


def _key_name(verifier: note.Verifier) -> str:
    return f"{verifier.name} (id {verifier.key_id.hex()})"


def _who(text: str, error: Exception) -> str:
    """Who did sign a note the pinned key did not: a key swap shows as the same name with another id."""
    try:
        signers = note.signers_of(text)
    except ValueError:
        return str(error)
    if not signers:
        return str(error)
    named = ", ".join(f"{name} (id {key_id})" for name, key_id in signers)
    return f"{error}; it carries signatures by {named} (was the server key replaced?)"


def fetch_checkpoint(client: HttpClient, server: note.Verifier) -> Signed:
    """The server's latest checkpoint, signature checked."""
    answer = client.get("/api/v1/log/checkpoint")
    if answer.status_code != 200:
        raise ServerRefused(f"the server answered {answer.status_code} for its checkpoint: {_detail(answer)}")
    return open_checkpoint(answer.text, server, "the server's current checkpoint")


def _detail(answer: Any) -> str:
    try:
        return str(answer.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return str(answer.text[:300])


@dataclass
class State:
    """What a party has verified: a size, its root, the compact range there, and the checkpoint signing it."""

    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    border: list[bytes] = field(default_factory=list)
    checkpoint: str = ""

    def range(self) -> merkle.CompactRange:
        return merkle.CompactRange.from_border(self.size, self.border)

    def to_json(self, server: note.Verifier) -> str:
        return json.dumps(
            {
                "version": STATE_VERSION,
                "server_key": server.to_text(),
                "size": self.size,
                "root": self.root.hex(),
                "border": [h.hex() for h in self.border],
                "checkpoint": self.checkpoint,
            },
            indent=1,
        )


def load_state(path: Path | None, server: note.Verifier) -> State:
    """The verified state kept in `path`; an empty one when there is none yet."""
    if path is None or not path.exists():
        return State()
    try:
        saved = json.loads(path.read_text())
        if "size" not in saved:  # the cosigner's older state: the last cosigned checkpoint alone
            return State()
        if saved["server_key"] != server.to_text():
            raise AuditError(f"{path} was written for another server key ({saved['server_key']}); use another file")
        state = State(saved["size"], bytes.fromhex(saved["root"]), [bytes.fromhex(h) for h in saved["border"]])
        state.checkpoint = saved["checkpoint"]
        if state.range().root() != state.root:
            raise AuditError(f"{path} does not hold together (its range does not build its root); it was edited")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditError(f"{path} is not an audit state file ({exc}); move it away to start afresh") from None
    return state


def save_state(path: Path, state: State, server: note.Verifier) -> None:
    """Write the state atomically: a crash leaves the old file or the new one, never half of one."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(state.to_json(server))
    os.replace(temporary, path)


@dataclass
class Result:
    """What one audit verified."""

    saved: Signed
    current: Signed
    state: State
    read: int = 0
    hashes_only: int = 0


def audit(
    client: HttpClient,
    server: note.Verifier,
    saved_text: str,
    state: State | None = None,
    current: Signed | None = None,
) -> Result:
    """Prove that the server's log extends the saved checkpoint and the state, checking every new entry.

    `current` is the checkpoint to reach; the server's latest when not given.
    """
    state = state or State()
    saved = open_checkpoint(saved_text, server, "your saved checkpoint")
    try:
        current = current or fetch_checkpoint(client, server)
    except ServerRefused as refused:
        # Still check what the saved checkpoint covers: the entries that make the server refuse may be there.
        problems = list(refused.problems)
        try:
            audit(client, server, saved_text, state, current=saved)
        except AuditError as found:
            problems += found.problems
        raise AuditError(*problems) from None
    new, old = current.checkpoint, saved.checkpoint
    if new.origin != old.origin:
        raise AuditError(f"the checkpoints are of different logs ({old.origin!r}, {new.origin!r})")
    for size, root, what in ((old.size, old.root_hash, "your saved checkpoint"), (state.size, state.root, "the state")):
        if new.size < size:
            raise AuditError(
                f"rollback: the server's log holds {new.size} entries, fewer than the {size} of {what}: "
                "entries were removed or an older copy restored"
            )
        if new.size == size and new.root_hash != root:
            raise AuditError(
                f"fork: two roots signed for the same size {size} ({what} and the server's current checkpoint): "
                "the log was rewritten"
            )
    result = Result(saved, current, state)
    targets = sorted({c.size: c for c in (old, new) if c.size > state.size}.values(), key=lambda c: c.size)
    tree = state.range()
    leaves = bytearray()
    for target in targets:
        _walk(client, result, tree, leaves, target.size)
        if tree.root() != target.root_hash:
            raise AuditError(_first_difference(client, state, leaves, target))
    if 0 < old.size < state.size:
        _prove_consistent(client, old.size, old.root_hash, state.size, state.root, "your saved checkpoint")
    if new.size > state.size:
        result.state = State(tree.size, tree.root(), tree.border_hashes(), current.text)
    return result


def _prove_consistent(client: HttpClient, first: int, first_root: bytes, second: int, root: bytes, what: str) -> None:
    proof = _consistency(client, first, second)
    if not merkle.verify_consistency(first, second, first_root, root, proof):
        raise AuditError(f"fork: the log you verified up to {second} entries does not extend {what} of {first}")


def _consistency(client: HttpClient, first: int, second: int) -> list[bytes]:
    answer = client.get("/api/v1/log/proof/consistency", params={"first": first, "second": second})
    if answer.status_code != 200:
        raise AuditError(f"the server gave no consistency proof {first}-{second} ({answer.status_code})")
    return [bytes.fromhex(h) for h in answer.json()["hashes"]]


def _walk(client: HttpClient, result: Result, tree: merkle.CompactRange, leaves: bytearray, end: int) -> None:
    """Fetch entries [tree.size, end), check each against its leaf hash and index, and add them to the tree."""
    problems: list[str] = []
    while tree.size < end:
        start = tree.size
        stop = min(end, start + ENTRIES_PAGE)
        answer = client.get("/api/v1/log/entries", params={"start": start, "end": stop})
        if answer.status_code != 200:
            raise AuditError(f"the server answered {answer.status_code} for entries {start}-{stop - 1}")
        served = {entry["index"]: entry for entry in answer.json() if isinstance(entry, dict)}
        for index in range(start, stop):
            leaf = _checked_leaf(index, served.get(index), result, problems)
            leaves += leaf
            tree.append(leaf)
    if problems:
        raise AuditError(*problems)


def _checked_leaf(index: int, entry: dict[str, Any] | None, result: Result, problems: list[str]) -> bytes:
    """The leaf hash of one served entry, once its data (when shown) hashes to it and names its own index."""
    if entry is None:
        problems.append(f"entry {index}: the server did not serve it (deleted from the log)")
        return b"\0" * 32
    try:
        leaf = bytes.fromhex(entry["leaf_hash"])
    except (KeyError, TypeError, ValueError):
        problems.append(f"entry {index}: served without a readable leaf hash")
        return b"\0" * 32
    if len(leaf) != merkle.HASH_SIZE:
        problems.append(f"entry {index}: its leaf hash is not 32 bytes")
        return b"\0" * 32
    data = entry.get("data")
    if data is None:
        result.hashes_only += 1
        return leaf
    result.read += 1
    if merkle.leaf_hash(str(data).encode("utf-8")) != leaf:
        problems.append(f"entry {index} ({_record(data)}): its data does not hash to its leaf hash (edited)")
    claimed = _claimed_index(str(data))
    if claimed != index:
        problems.append(f"entry {index} ({_record(data)}): its data says index {claimed} (entries moved or swapped)")
    return leaf


def _record(data: str | None) -> str:
    """`incidents 12, incident.create by monitor-ru`: which record an entry is about, for a person to look up."""
    if data is None:
        return "a record you may not read"
    try:
        parsed = json.loads(data)
        return f"{parsed['entity_type']} {parsed['entity_id']}, {parsed['action']} by {parsed['actor']}"
    except (ValueError, KeyError, TypeError):
        return "unreadable data"


def _claimed_index(data: str) -> int | None:
    try:
        claimed = json.loads(data).get("index")
    except (ValueError, AttributeError):
        return None
    return claimed if isinstance(claimed, int) else None


def _first_difference(client: HttpClient, state: State, leaves: bytearray, target: note.Checkpoint) -> str:
    """Name the entry the signed tree of `target` disagrees with, by bisection over consistency proofs.

    A proof that verifies shows the leaves before a size are what `target` signed. Only even sizes are tried: their
    proofs are made of stored subtrees of two leaves or more, never of a leaf hash the server reads from an entry
    (which is what a forger rewrites). So the answer is a pair of sibling entries, one of which was rewritten:
    their stored parent is all the signature covers, and nothing tells which of the two changed.
    """
    # Start from an even size: a verified odd state ends with a leaf, which joins the leaves to bisect.
    base = state.size - state.size % 2
    border = state.border[:-1] if state.size % 2 else state.border
    if state.size % 2:
        leaves = bytearray(state.border[-1]) + leaves

    def signed_prefix(size: int) -> bool:
        tree = merkle.CompactRange.from_border(base, border)
        tree.extend(_split(leaves[: (size - base) * 32]))
        proof = _consistency(client, size, target.size)
        return merkle.verify_consistency(size, target.size, tree.root(), target.root_hash, proof)

    if base and not signed_prefix(base):
        return (
            f"fork: the checkpoint of {target.size} entries does not extend the {state.size} entries you verified "
            "earlier: entries you had verified were rewritten (compare the state file's checkpoint with this one)"
        )
    if target.size % 2 and not _last_leaf_signed(client, base, border, leaves, target):
        return _rewritten([target.size - 1], client, target)
    low, high = base // 2, target.size // 2  # in pairs: signed_prefix(2 * low) holds, signed_prefix(2 * high) not
    if signed_prefix(2 * high):
        return _rewritten([target.size - 1], client, target)
    while high - low > 1:
        middle = (low + high) // 2
        if signed_prefix(2 * middle):
            low = middle
        else:
            high = middle
    return _rewritten([2 * high - 2, 2 * high - 1], client, target)


def _last_leaf_signed(
    client: HttpClient, base: int, border: list[bytes], leaves: bytearray, target: note.Checkpoint
) -> bool:
    """Whether the last leaf of an odd-sized tree is the one signed: its inclusion proof holds no leaf hash."""
    index = target.size - 1
    answer = client.get("/api/v1/log/proof/inclusion", params={"index": index, "size": target.size})
    if answer.status_code != 200:
        raise AuditError(f"the server gave no inclusion proof of entry {index} ({answer.status_code})")
    proof = [bytes.fromhex(h) for h in answer.json()["hashes"]]
    leaf = bytes(leaves[(index - base) * 32 : (index - base + 1) * 32])
    return merkle.verify_inclusion(index, target.size, leaf, proof, target.root_hash)


def _rewritten(indexes: list[int], client: HttpClient, target: note.Checkpoint) -> str:
    page = client.get("/api/v1/log/entries", params={"start": indexes[0], "end": indexes[-1] + 1})
    shown = {e["index"]: e.get("data") for e in page.json()} if page.status_code == 200 else {}
    named = " or ".join(f"entry {i} ({_record(shown.get(i))})" for i in indexes)
    which = "" if len(indexes) == 1 else "; one of these two sibling entries was changed, and which cannot be told"
    return (
        f"{named}: the entry served is not the one the checkpoint of {target.size} entries signed "
        f"(rewritten, its leaf hash recomputed{which})"
    )


def _split(joined: bytes | bytearray) -> Sequence[bytes]:
    return [bytes(joined[at : at + 32]) for at in range(0, len(joined), 32)]


def cosign(client: HttpClient, signer: note.Signer, server: note.Verifier, state_path: Path) -> Signed:
    """Cosign the server's latest checkpoint once every new entry checks out against the state kept in the file."""
    state = load_state(state_path, server)
    saved = state.checkpoint or fetch_checkpoint(client, server).text
    if not state.checkpoint and state_path.exists():
        saved = json.loads(state_path.read_text()).get("checkpoint") or saved
    result = audit(client, server, saved, state)
    body = result.current.checkpoint.to_body()
    line = note.cosign(body, signer, int(time.time()))
    answer = client.post("/api/v1/log/cosignatures", json={"size": result.current.checkpoint.size, "signature": line})
    if answer.status_code != 201:
        raise AuditError(f"the server refused the cosignature ({answer.status_code}): {answer.text[:200]}")
    save_state(state_path, result.state, server)
    return result.current
