"""Free text as Truce takes it in: no control characters, no bidirectional formatting characters.

Names, narratives and notes reach other people's screens, exports and the phones' CSV files. A NUL or another
control character there breaks files and parsers; a bidirectional override or isolate (U+202A-202E,
U+2066-2069) or mark (U+200E/200F, U+061C) makes text display in another order than it reads, so that a site
name or a narrative can show something else than it says. Control characters are refused (they are never
text); bidirectional formatting characters are removed (they carry no letters, and right-to-left text
displays correctly without them).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from truce.errors import Message

BIDI_FORMATTING = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_REMOVE_BIDI = dict.fromkeys(map(ord, BIDI_FORMATTING))
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators; multi-line text keeps tab, LF and CR.
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_PARAGRAPH = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# One search decides whether a value needs any work: most text has none of these.
_SUSPECT = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_FORMATTING}]")
CONTROL = Message("text may not hold the control character U+%(code)s (at character %(at)s)").msgid
CONTROL_BREAK = Message(
    "text may not hold a line break or the control character U+%(code)s (at character %(at)s)"
).msgid


class MultiLine:
    """Marks a text field whose value may hold tabs and line breaks (a narrative, a note)."""


# A field of several lines; every other text field of an input schema is a single line.
Paragraph = Annotated[str, MultiLine()]


def clean(value: str, *, multiline: bool = False) -> str:
    """`value` without bidirectional formatting characters; ValueError when it holds a control character."""
    if _SUSPECT.search(value) is None:
        return value
    control = (_CONTROL_IN_PARAGRAPH if multiline else _CONTROL_IN_LINE).search(value)
    if control is not None:
        said = CONTROL_BREAK if control.group() in "\n\r" else CONTROL
        raise ValueError(Message(said, code=f"{ord(control.group()):04X}", at=control.start() + 1))
    return value.translate(_REMOVE_BIDI)


def clean_all(value: Any, *, multiline: bool = False) -> Any:
    """`clean` applied to every string in `value`, and in the lists, tuples and dictionaries it holds."""
    if isinstance(value, str):
        return value if _SUSPECT.search(value) is None else clean(value, multiline=multiline)
    if isinstance(value, list | tuple):
        return type(value)(clean_all(item, multiline=multiline) for item in value)
    if isinstance(value, dict):
        return {clean_all(k): clean_all(v, multiline=multiline) for k, v in value.items()}
    return value
