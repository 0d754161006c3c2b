"""C2SP tlog-policy: which log keys and witness keys a verifier trusts, and the quorum of witnesses it needs.

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> <k|any|all> <name>...
    quorum <name|none>

Names are defined before they are used; a policy has exactly one quorum line. A checkpoint counts as witnessed
when the quorum's witness or group is satisfied by valid cosignatures (a group: at least k of its members).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from truce.ledger import note

NONE = "none"
MAX_ITEMS = 256
_WHITESPACE = re.compile(r"[ \t]+")


class PolicyError(ValueError):
    """A policy file that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class Group:
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    """A parsed policy: trusted log keys, named witnesses, groups and the quorum."""

    logs: list[note.Verifier] = field(default_factory=list)
    witnesses: dict[str, note.Verifier] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = ""

    def witnessed_by(self, cosigners: set[str]) -> bool:
        """Whether the witnesses named (policy names) satisfy the quorum."""
        return self._satisfied(self.quorum, cosigners)

    def _satisfied(self, name: str, cosigners: set[str]) -> bool:
        if name == NONE:
            return True
        if name in self.witnesses:
            return name in cosigners
        group = self.groups[name]
        return sum(self._satisfied(member, cosigners) for member in group.members) >= group.threshold

    def cosigners(self, checkpoint_note: str) -> list[str]:
        """The policy names of the witnesses whose cosignatures on the note verify; others are ignored."""
        body, lines = note.split_note(checkpoint_note)
        found: list[str] = []
        for line in lines:
            key_name = line.removeprefix("— ").split(" ", 1)[0]
            for name, verifier in self.witnesses.items():
                if verifier.name != key_name or name in found:
                    continue
                try:
                    note.verify_cosignature(body, line, verifier)
                except note.NoteError:
                    continue
                found.append(name)
        return found

    def to_text(self) -> str:
        lines = [f"log {v.to_text()}" for v in self.logs]
        lines += [f"witness {name} {v.to_text()}" for name, v in self.witnesses.items()]
        for name, group in self.groups.items():
            lines.append(f"group {name} {group.threshold} {' '.join(group.members)}")
        lines.append(f"quorum {self.quorum}")
        return "\n".join(lines) + "\n"


def parse(text: str) -> Policy:
    """Parse a policy file; PolicyError names the first line that is wrong."""
    policy = Policy()
    keys: set[bytes] = set()
    for number, raw in enumerate(text.split("\n"), start=1):
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in raw):
            raise PolicyError(f"line {number}: control characters are not allowed")
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        words = _WHITESPACE.split(line)
        try:
            _line(policy, words, keys)
        except (PolicyError, note.NoteError) as exc:
            raise PolicyError(f"line {number}: {exc}") from None
        if len(policy.logs) + len(policy.witnesses) + len(policy.groups) > MAX_ITEMS:
            raise PolicyError(f"line {number}: more than {MAX_ITEMS} logs, witnesses and groups")
    if not policy.quorum:
        raise PolicyError("the policy has no quorum line")
    return policy


def _line(policy: Policy, words: list[str], keys: set[bytes]) -> None:
    kind, args = words[0], words[1:]
    defined = set(policy.witnesses) | set(policy.groups)
    if kind == "log":
        if not 1 <= len(args) <= 2:
            raise PolicyError("expected: log <vkey> [<url>]")
        verifier = _key(args[0], note.ALG_ED25519, keys)
        policy.logs.append(verifier)
    elif kind == "witness":
        if not 2 <= len(args) <= 3:
            raise PolicyError("expected: witness <name> <vkey> [<url>]")
        _new_name(args[0], defined)
        policy.witnesses[args[0]] = _key(args[1], note.ALG_COSIGNATURE_V1, keys)
    elif kind == "group":
        if len(args) < 3:
            raise PolicyError("expected: group <name> <k|any|all> <name>...")
        name, threshold_text, members = args[0], args[1], tuple(args[2:])
        _new_name(name, defined)
        unknown = [m for m in members if m not in defined]
        if unknown:
            raise PolicyError(f"group {name} names {unknown[0]!r}, not defined on an earlier line")
        if len(set(members)) != len(members):
            raise PolicyError(f"group {name} lists a member twice")
        threshold = {"any": 1, "all": len(members)}.get(threshold_text)
        if threshold is None:
            if not threshold_text.isdigit() or not 1 <= int(threshold_text) <= len(members):
                raise PolicyError(f"group {name}: the threshold is any, all or a number 1-{len(members)}")
            threshold = int(threshold_text)
        policy.groups[name] = Group(threshold, members)
    elif kind == "quorum":
        if len(args) != 1:
            raise PolicyError("expected: quorum <name>")
        if policy.quorum:
            raise PolicyError("a policy has exactly one quorum line")
        if args[0] != NONE and args[0] not in defined:
            raise PolicyError(f"the quorum names {args[0]!r}, not defined on an earlier line")
        policy.quorum = args[0]
    else:
        raise PolicyError(f"unknown line {kind!r}: expected log, witness, group or quorum")


def _new_name(name: str, defined: set[str]) -> None:
    if name == NONE or name in defined:
        raise PolicyError(f"the name {name!r} is taken")


def _key(text: str, algorithm: int, keys: set[bytes]) -> note.Verifier:
    verifier = note.Verifier.from_text(text)
    if verifier.algorithm != algorithm:
        raise PolicyError(
            f"{verifier.name}: a {'log' if algorithm == note.ALG_ED25519 else 'witness'} key of the wrong type"
        )
    if verifier.public_key in keys:
        raise PolicyError(f"{verifier.name}: the same public key is listed twice")
    keys.add(verifier.public_key)
    return verifier
