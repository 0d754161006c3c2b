"""What an evidence file is, from its first bytes; and the metadata a photo carries, read or removed."""

from __future__ import annotations

import codecs
import io
import math
import numbers
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypedDict

if TYPE_CHECKING:
    from PIL import Image

from truce.errors import Invalid, Message, TruceError

Kind = Literal["photo", "video", "audio", "document", "data"]

OCTET_STREAM = "application/octet-stream"
# 100 megapixels (~300 MB as RGB) is the largest image decoded at full size. Pillow itself refuses to
# parse past twice this and warns between; the limit is process-wide because Pillow only has a global.
MAX_PIXELS = 100_000_000
_PILLOW_MAX_PIXELS = MAX_PIXELS  # what Pillow is told, once it is imported

# Only the formats phones produce: fewer parsers facing hostile files, and never EPS (Ghostscript).
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
_STRIP_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"PK\x07\x08", "application/zip"),
    (b"#!AMR-WB\n", "audio/amr-wb"),
    (b"#!AMR\n", "audio/amr"),
    (b"fLaC", "audio/flac"),
    (b"ID3", "audio/mpeg"),
)
_RIFF_FORMS = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}


def _brands(media_type: str, *brands: str) -> dict[bytes, str]:
    return {brand.encode("ascii"): media_type for brand in brands}


_FTYP_BRANDS = {
    **_brands("image/heic", "heic", "heix", "heim", "heis"),
    **_brands("image/heic-sequence", "hevc", "hevx"),
    **_brands("image/heif", "mif1"),
    **_brands("image/heif-sequence", "msf1"),
    **_brands("image/avif", "avif", "avis"),
    **_brands("video/quicktime", "qt  "),
    **_brands("audio/mp4", "M4A ", "M4B ", "F4A "),
    **_brands("video/3gpp", "3gp4", "3gp5", "3gp6", "3gp7", "3gs7", "3ge6", "3ge7", "3gg6"),
    **_brands("video/3gpp2", "3g2a", "3g2b", "3g2c"),
    **_brands("video/mp4", "isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "M4V ", "MSNV"),
}
_KINDS: dict[str, Kind] = {"image": "photo", "video": "video", "audio": "audio"}
_DOCUMENTS = frozenset({"application/pdf", "text/plain"})
_TEXT_CONTROLS = frozenset(chr(code) for code in [*range(0x20), 0x7F]) - {"\t", "\n", "\r", "\f"}


class PhotoMetadata(TypedDict, total=False):
    """What a photo's EXIF says: local time taken (ISO 8601), WGS 84 position, camera."""

    taken_at: str
    latitude: float
    longitude: float
    make: str
    model: str


def sniff(head: bytes) -> str:
    """The media type that a file's first bytes show, whatever its name or declared type says."""
    for prefix, media_type in _PREFIXES:
        if head.startswith(prefix):
            return media_type
    for test in (_riff, _iso_media, _matroska, _ogg, _mpeg_audio):
        if found := test(head):
            return found
    return "text/plain" if _is_text(head) else OCTET_STREAM


def kind_of(media_type: str) -> Kind:
    """The kind of evidence a media type is."""
    major = media_type.partition("/")[0]
    if major in _KINDS:
        return _KINDS[major]
    return "document" if media_type in _DOCUMENTS else "data"


def _riff(head: bytes) -> str | None:
    return _RIFF_FORMS.get(head[8:12]) if head.startswith(b"RIFF") else None


def _iso_media(head: bytes) -> str | None:
    """MP4, MOV, 3GP, M4A, HEIC and AVIF: an `ftyp` box naming a major brand and compatible ones."""
    if head[4:8] != b"ftyp":
        return None
    end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = [head[8:12]] + [head[offset : offset + 4] for offset in range(16, end - 3, 4)]
    return next((_FTYP_BRANDS[brand] for brand in brands if brand in _FTYP_BRANDS), None)


def _matroska(head: bytes) -> str | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    return "video/webm" if b"webm" in head[:64] else "video/x-matroska"


def _ogg(head: bytes) -> str | None:
    if not head.startswith(b"OggS"):
        return None
    return "video/ogg" if b"\x80theora" in head else "audio/ogg"


def _mpeg_audio(head: bytes) -> str | None:
    """An MPEG audio frame header (MP3 without ID3 tag) or an ADTS header (raw AAC)."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 3
    if layer == 0:
        return "audio/aac" if head[1] & 0xF6 == 0xF0 else None
    # Free-format (bitrate 0) frames are rare in practice and common in binary noise.
    return "audio/mpeg" if version != 1 and bitrate not in (0, 0xF) and sample_rate != 3 else None


def _is_text(head: bytes) -> bool:
    """UTF-8 without binary control characters; a character cut off at the end of `head` is allowed."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return bool(text) and _TEXT_CONTROLS.isdisjoint(text)


def photo_metadata(path: Path | BinaryIO) -> PhotoMetadata:
    """Time taken, position and camera from a photo's EXIF; empty when absent or unreadable."""
    try:
        with _open_image(path) as image:
            exif = image.getexif()
            metadata = PhotoMetadata()
            for part in (_camera, _taken_at, _position):
                metadata.update(_or_nothing(part, exif))
            return metadata
    except Invalid:
        return {}


def strip_metadata(path: Path | BinaryIO) -> bytes:
    """A re-encoded copy of a JPEG, PNG or WebP image, upright and without EXIF, GPS or XMP."""
    with _open_image(path) as image:
        target = _STRIP_AS.get(image.format or "")
        if target is None:
            raise Invalid(Message("only JPEG, PNG and WebP images can be stripped of metadata"), field="file")
        _require_decodable(image)
        clean = _upright(image)
        if target == "JPEG" and clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
        return _encode(clean, target, icc_profile=image.info.get("icc_profile"))


def thumbnail(path: Path | BinaryIO, size: int = 320) -> bytes:
    """A JPEG preview at most `size` pixels on a side, upright and without metadata."""
    if not 16 <= size <= 2048:
        raise Invalid(Message("thumbnail size must be between 16 and 2048 pixels"), field="size")
    with _open_image(path) as image:
        # A JPEG decodes at 1/2 to 1/8 scale for free, so big phone photos stay cheap.
        image.draft("RGB", (size, size))
        _require_decodable(image)
        preview = _upright(image)
        preview.thumbnail((size, size))
        return _encode(_flatten(preview), "JPEG", icc_profile=None)


@contextmanager
def _open_image(path: Path | BinaryIO) -> Iterator[Image.Image]:
    """Pillow's view of a photo; any failure to parse or decode it becomes Invalid."""
    # Pillow is imported when a photo is read, not by every process that starts the app (0.1 s each).
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = _PILLOW_MAX_PIXELS
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as image:
            yield image
    except TruceError:
        raise
    # Pillow signals hostile input with many unrelated types (OSError, SyntaxError, struct.error,
    # IndexError, DecompressionBombError, and its warnings under -W error): all mean "unusable".
    except Exception as exc:
        raise Invalid(Message("not a readable JPEG, PNG, WebP or GIF image"), field="file") from exc


def _require_decodable(image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise Invalid(Message("image is larger than %(count)s megapixels", count=MAX_PIXELS // 1_000_000), field="file")


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as EXIF Orientation says, with no metadata attached."""
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("P", "PA") or "transparency" in upright.info:
        upright = upright.convert("RGBA")
    upright.info = {}
    return upright


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white."""
    if image.mode not in ("RGBA", "LA"):
        return image.convert("RGB")
    from PIL import Image

    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _encode(image: Image.Image, image_format: str, *, icc_profile: bytes | None) -> bytes:
    options: dict[str, Any] = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _or_nothing(part: Callable[[Image.Exif], PhotoMetadata], exif: Image.Exif) -> PhotoMetadata:
    """One part of the metadata; a broken GPS block must not cost the time taken."""
    try:
        return part(exif)
    except Exception:  # same hostile-input reasoning as in _open_image
        return {}


def _camera(exif: Image.Exif) -> PhotoMetadata:
    from PIL import ExifTags

    found = PhotoMetadata()
    if make := _text(exif.get(ExifTags.Base.Make)):
        found["make"] = make
    if model := _text(exif.get(ExifTags.Base.Model)):
        found["model"] = model
    return found


def _taken_at(exif: Image.Exif) -> PhotoMetadata:
    """DateTimeOriginal, with OffsetTimeOriginal when the camera wrote one (else camera-local time)."""
    from PIL import ExifTags

    tags = exif.get_ifd(ExifTags.IFD.Exif)
    stamp = _text(tags.get(ExifTags.Base.DateTimeOriginal))
    if not stamp or not re.fullmatch(r"\d{4}:\d\d:\d\d \d\d:\d\d:\d\d", stamp):
        return {}  # cameras without a clock write blanks or "0000:00:00 00:00:00"
    taken = datetime.strptime(stamp, "%Y:%m:%d %H:%M:%S")
    offset = _text(tags.get(ExifTags.Base.OffsetTimeOriginal))
    if offset and re.fullmatch(r"[+-]\d\d:\d\d", offset):
        taken = taken.replace(tzinfo=datetime.strptime(offset, "%z").tzinfo)
    return {"taken_at": taken.isoformat()}


def _position(exif: Image.Exif) -> PhotoMetadata:
    from PIL import ExifTags

    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90)
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180)
    # Receivers without a fix often write 0/0; a position in the Gulf of Guinea is no position.
    if latitude is None or longitude is None or latitude == longitude == 0:
        return {}
    return {"latitude": latitude, "longitude": longitude}


def _degrees(value: object, ref: object, hemispheres: str, bound: float) -> float | None:
    """Decimal degrees from EXIF (degrees, minutes, seconds) and a hemisphere letter; None if unsound."""
    hemisphere = (_text(ref) or "").upper()
    if len(hemisphere) != 1 or hemisphere not in hemispheres or not isinstance(value, tuple):
        return None  # a missing or unknown hemisphere would put the photo on the wrong side of the world
    parts = [_number(part) for part in value]
    if not 1 <= len(parts) <= 3 or any(part is None or part < 0 for part in parts):
        return None
    degrees = sum(part / unit for part, unit in zip(parts, (1, 60, 3600), strict=False) if part is not None)
    if not math.isfinite(degrees) or degrees > bound:
        return None
    return round(-degrees if hemisphere == hemispheres[1] else degrees, 7)


def _number(value: object) -> float | None:
    """A float from an EXIF rational (Pillow's IFDRational, or a numerator/denominator pair) or number."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(part, int) for part in value):
        numerator, denominator = (int(part) for part in value)
        return numerator / denominator if denominator else None
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _text(value: object) -> str | None:
    """An EXIF ASCII value as clean text: no NUL padding, no control characters, at most 100 characters."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(character for character in value if character.isprintable()).strip()
    return cleaned[:100] or None
