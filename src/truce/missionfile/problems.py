"""What is wrong with a mission file: one problem per place in the file, each with its path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from truce import limits
from truce.errors import Invalid, Message

# Problems listed in one report; a file with more is counted, not listed further.
MAX_PROBLEMS = 200
# A reference to something the file does not declare, by what it is: (when none is declared, when some are).
UNDECLARED = {
    "party": (
        Message("%(code)r is not a declared party (declared: none)").msgid,
        Message("%(code)r is not a declared party (declared: %(known)s)").msgid,
    ),
    "delegation": (
        Message("%(code)r is not a declared delegation (declared: none)").msgid,
        Message("%(code)r is not a declared delegation (declared: %(known)s)").msgid,
    ),
}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: where in the file (`parties[2].kind`) and what is wrong there."""

    path: str
    message: str

    def __str__(self) -> str:
        # A Message (a str), so that a page says the problem in its reader's language; the path stays as written.
        return Message("%(field)s: %(problem)s", field=self.path, problem=self.message) if self.path else self.message


class MissionFileInvalid(Invalid):
    """A mission file with problems; nothing was created or changed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {limits.shortened(str(p), 500)}" for p in self.problems[:MAX_PROBLEMS])
        more = len(self.problems) - MAX_PROBLEMS
        counted = f"\n  ... and {more} more" if more > 0 else ""
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"the mission file has {len(self.problems)} {noun}; nothing was changed:\n{shown}{counted}")


def path_of(parts: Iterable[str | int]) -> str:
    """`["parties", 2, "kind"]` -> `parties[2].kind`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def joined(path: str, *more: str | int) -> str:
    """`joined("places.areas", "features", 3)` -> `places.areas.features[3]`."""
    tail = path_of(more)
    if not path:
        return tail
    return path + tail if tail.startswith("[") or not tail else f"{path}.{tail}"


def undeclared(problems: list[Problem], path: str, codes: list[str], declared: set[str], what: str) -> None:
    """Each of a list of `codes` not among `declared` is a problem at `path[i]`."""
    for i, code in enumerate(codes):
        undeclared_one(problems, f"{path}[{i}]", code, declared, what)


def undeclared_one(problems: list[Problem], path: str, code: str, declared: set[str], what: str) -> None:
    """A reference to a `what` (party, delegation) that the file does not declare is a problem at `path`."""
    if code not in declared:
        known = ", ".join(sorted(declared))
        said = UNDECLARED.get(what, UNDECLARED["delegation"])[bool(known)]
        problems.append(Problem(path, Message(said, code=code, known=known)))
