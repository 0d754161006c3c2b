"""`Content-Disposition` for every download: RFC 6266 with an RFC 8187 UTF-8 name and a plain ASCII fallback.

A header is Latin-1 on the wire, so a name such as `фото.jpg` cannot go into `filename="..."` as it stands (it
raised UnicodeEncodeError, a 500), and a quote or semicolon in a name would end the parameter and start another.
The real name travels percent-encoded in `filename*=UTF-8''...`, which browsers and curl prefer; `filename="..."`
carries an ASCII stand-in with nothing that could end the value, for clients that know only the old form.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

FALLBACK = "download"
# Longest name sent (in characters, before encoding): file systems stop at 255 bytes, and a header that long is
# still far below any server's or proxy's header limit.
MAX_NAME = 150
# Characters RFC 8187's attr-char allows unencoded besides letters and digits (`quote` keeps letters and digits).
_ATTR_CHARS = "!#$&+-.^_`|~"
# Control, format (bidi overrides), surrogate, private-use, unassigned and separator characters: none belongs in a
# name a person reads, and a bidi override can make `gpj.exe` look like `exe.jpg`.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# What the ASCII fallback may hold: printable ASCII without the quote, backslash and semicolon that could end
# or escape the quoted value, and without `%`, which some clients decode in `filename`.
_FALLBACK_SAFE = frozenset(chr(c) for c in range(0x20, 0x7F)) - set('"\\;%')


def _clean(name: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch) not in _DROPPED)
    # Only the last path segment: a name is never a path on the receiving side either.
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    if len(text) > MAX_NAME:
        stem, dot, extension = text.rpartition(".")
        keep = f"{dot}{extension}" if dot and stem and len(extension) <= 16 else ""
        text = text[: MAX_NAME - len(keep)].rstrip(" .") + keep
    return text


def ascii_fallback(name: str) -> str:
    """An ASCII stand-in for `name`: accents dropped, other letters and unsafe characters as `_`."""
    decomposed = unicodedata.normalize("NFKD", name)
    chars = [ch for ch in decomposed if not unicodedata.combining(ch)]
    text = "".join(ch if ch in _FALLBACK_SAFE else "_" for ch in chars).strip(" .")
    stem, dot, extension = text.rpartition(".")
    # A name of only replaced letters ("____.jpg") says nothing: keep the extension, call the rest "download".
    if dot and stem and not stem.strip("_ "):
        return f"{FALLBACK}.{extension}"
    return text if text.strip("_ ") else FALLBACK


def content_disposition(name: str | None, *, inline: bool = False) -> str:
    """The header's value for a file called `name`: its exact name for modern clients, an ASCII one for others."""
    cleaned = _clean(name or "") or FALLBACK
    kind = "inline" if inline else "attachment"
    fallback = ascii_fallback(cleaned)
    if fallback == cleaned:
        return f'{kind}; filename="{fallback}"'
    encoded = quote(cleaned, safe=_ATTR_CHARS, encoding="utf-8")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def attachment(name: str | None) -> dict[str, str]:
    """The `Content-Disposition` header of a download, as a dict to merge into a response's headers."""
    return {"Content-Disposition": content_disposition(name)}
