"""What an evidence file is, and the metadata a photo carries.

Covers: sniffing every supported type from magic bytes, never raising; kinds; EXIF time, GPS and
camera read from photos made here; metadata stripped (EXIF, GPS, XMP) with orientation applied;
thumbnails; hostile images (truncated, corrupt, decompression bombs, fuzzed) never raising.
"""

from __future__ import annotations

import contextlib
import io
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image, TiffImagePlugin

from truce.errors import Invalid
from truce.evidence import media
from truce.evidence.media import kind_of, photo_metadata, sniff, strip_metadata, thumbnail

GPS = ExifTags.GPS
Degrees = tuple[str, tuple[float | TiffImagePlugin.IFDRational, ...]]
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>operator: J. Doe</rdf:Description></x:xmpmeta>'


def field_exif(
    *,
    latitude: Degrees | None = ("N", (40.0, 6.0, 0.0)),
    longitude: Degrees | None = ("E", (46.0, 42.0, 0.0)),
    taken: str = "2020:11:10 08:15:00",
    offset: str | None = None,
    orientation: int = 1,
) -> Image.Exif:
    """EXIF as a phone in the field writes it."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "EOS R6\x00\x00"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Software] = "firmware 1.2"
    details: dict[int, Any] = {ExifTags.Base.DateTimeOriginal: taken}
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    exif[ExifTags.IFD.Exif] = details
    gps: dict[int, Any] = {}
    if latitude:
        gps[GPS.GPSLatitudeRef], gps[GPS.GPSLatitude] = latitude
    if longitude:
        gps[GPS.GPSLongitudeRef], gps[GPS.GPSLongitude] = longitude
    if gps:
        exif[ExifTags.IFD.GPSInfo] = gps
    return exif


def image_bytes(
    image_format: str = "JPEG", *, exif: Image.Exif | None = None, size: tuple[int, int] = (40, 20), mode: str = "RGB"
) -> bytes:
    options: dict[str, Any] = {}
    if exif is not None:
        options["exif"] = exif
        if image_format in ("JPEG", "WEBP"):
            options["xmp"] = XMP
    buffer = io.BytesIO()
    # Left half red, right half blue, so that a rotation shows.
    image = Image.new(mode, size, "red" if mode != "P" else 1)
    image.paste(Image.new(mode, (size[0] // 2, size[1]), "blue" if mode != "P" else 2), (size[0] // 2, 0))
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def write(tmp_path: Path, data: bytes, name: str = "evidence") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb's first move."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", len(body) + 4) + body + b"\x00\x00\x00\x08free"


def colour_at(image: Image.Image, x: int, y: int) -> str:
    red, _, blue = image.convert("RGB").crop((x, y, x + 1, y + 1)).tobytes()
    return "red" if red > blue else "blue"


def reread(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("GIF", mode="P"), "image/gif"),
        (image_bytes("WEBP"), "image/webp"),
        (image_bytes("TIFF"), "image/tiff"),
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"heix", b"mif1"), "image/heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "image/heif"),
        (ftyp(b"avif", b"mif1"), "image/avif"),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (ftyp(b"mp42", b"isom"), "video/mp4"),
        (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (ftyp(b"3gp4", b"isom", b"3gp4"), "video/3gpp"),
        (ftyp(b"3g2a"), "video/3gpp2"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
        (ftyp(b"XXXX", b"YYYY", b"mp42"), "video/mp4"),
        (ftyp(b"XXXX"), "application/octet-stream"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01\x1e\x01vorbis", "audio/ogg"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead", "audio/ogg"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01\x2a\x80theora", "video/ogg"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00", "audio/wav"),
        (b"RIFF\x24\x08\x00\x00AVI LIST", "video/x-msvideo"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64" + bytes(20), "audio/mpeg"),
        (b"\xff\xf3\x84\xc4" + bytes(20), "audio/mpeg"),
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", "audio/aac"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"#!AMR\n\x3c\x91", "audio/amr"),
        (b"#!AMR-WB\n\x04\x10", "audio/amr-wb"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "application/zip"),
        (b"PK\x05\x06" + bytes(18), "application/zip"),
        (b"time,lat,lon\n2020-11-10T02:10:00+04:00,39.8,46.75\n", "text/plain"),
        ("Ստեփանակերտ / Xankəndi\n".encode(), "text/plain"),
        ("\ufeffBOM first".encode(), "text/plain"),
        ("Ստ".encode()[:-1], "text/plain"),  # a character cut off at the end of the head
        (b"<!doctype html><script>alert(1)</script>", "text/plain"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/octet-stream"),
        (b"\x7fELF\x02\x01\x01", "application/octet-stream"),
        (b"\xff\xfe\x00\x00", "application/octet-stream"),
        (b"text with a NUL\x00 inside", "application/octet-stream"),
        (b"\xc3\x28 invalid UTF-8", "application/octet-stream"),
        (b"\x1b[31mcoloured\x1b[0m", "application/octet-stream"),
        (b"\xff\xd8", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_sniff(head: bytes, media_type: str) -> None:
    assert sniff(head[:4096]) == media_type


@given(st.binary(max_size=600))
def test_sniff_never_raises(head: bytes) -> None:
    media_type = sniff(head)

    assert media_type.count("/") == 1


@given(st.sampled_from([b"RIFF", b"OggS", b"\x1a\x45\xdf\xa3", b"\xff\xfb", b"\x00\x00\x00\x20ftyp"]), st.binary())
def test_sniff_never_raises_on_truncated_containers(magic: bytes, rest: bytes) -> None:
    assert media.sniff(magic + rest)


@pytest.mark.parametrize(
    ("media_type", "kind"),
    [
        ("image/jpeg", "photo"),
        ("image/heic", "photo"),
        ("video/mp4", "video"),
        ("video/3gpp", "video"),
        ("audio/amr", "audio"),
        ("audio/mpeg", "audio"),
        ("application/pdf", "document"),
        ("text/plain", "document"),
        ("application/zip", "data"),
        ("application/octet-stream", "data"),
        ("", "data"),
    ],
)
def test_kind_of(media_type: str, kind: str) -> None:
    assert kind_of(media_type) == kind


def test_photo_metadata_reads_time_position_and_camera(tmp_path: Path) -> None:
    path = write(tmp_path, image_bytes("JPEG", exif=field_exif()))

    assert photo_metadata(path) == {
        "taken_at": "2020-11-10T08:15:00",
        "latitude": pytest.approx(40.1),
        "longitude": pytest.approx(46.7),
        "make": "Canon",
        "model": "EOS R6",
    }


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_photo_metadata_from_png_and_webp(tmp_path: Path, image_format: str) -> None:
    path = write(tmp_path, image_bytes(image_format, exif=field_exif()))

    metadata = photo_metadata(path)

    assert (metadata["latitude"], metadata["longitude"]) == pytest.approx((40.1, 46.7))
    assert metadata["taken_at"] == "2020-11-10T08:15:00"


def test_photo_metadata_keeps_the_time_offset(tmp_path: Path) -> None:
    path = write(tmp_path, image_bytes(exif=field_exif(offset="+04:00")))

    assert photo_metadata(path)["taken_at"] == "2020-11-10T08:15:00+04:00"


def test_southern_and_western_positions_are_negative(tmp_path: Path) -> None:
    exif = field_exif(latitude=("S", (33.0, 51.0, 35.9)), longitude=("W", (151.0, 12.0, 40.0)))

    metadata = photo_metadata(write(tmp_path, image_bytes(exif=exif)))

    assert (metadata["latitude"], metadata["longitude"]) == pytest.approx((-33.859972, -151.211111))


@pytest.mark.parametrize(
    "exif",
    [
        field_exif(latitude=None),
        field_exif(latitude=("", (40.0, 6.0, 0.0))),
        field_exif(latitude=("X", (40.0, 6.0, 0.0))),
        field_exif(latitude=("N", (95.0, 0.0, 0.0))),
        field_exif(longitude=("E", (TiffImagePlugin.IFDRational(46, 0), 0.0, 0.0))),
        field_exif(latitude=("N", (0.0, 0.0, 0.0)), longitude=("E", (0.0, 0.0, 0.0))),
    ],
    ids=["no latitude", "blank hemisphere", "unknown hemisphere", "beyond the pole", "zero denominator", "null island"],
)
def test_an_unsound_position_is_left_out_but_the_rest_is_kept(tmp_path: Path, exif: Image.Exif) -> None:
    metadata = photo_metadata(write(tmp_path, image_bytes(exif=exif)))

    assert "latitude" not in metadata
    assert "longitude" not in metadata
    assert metadata["taken_at"] == "2020-11-10T08:15:00"


@pytest.mark.parametrize("taken", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday", "2020:13:45 25:61:00"])
def test_an_unsound_time_is_left_out(tmp_path: Path, taken: str) -> None:
    metadata = photo_metadata(write(tmp_path, image_bytes(exif=field_exif(taken=taken))))

    assert "taken_at" not in metadata
    assert metadata["latitude"] == pytest.approx(40.1)


def test_a_photo_without_exif_has_no_metadata(tmp_path: Path) -> None:
    assert photo_metadata(write(tmp_path, image_bytes("JPEG"))) == {}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8\xff",
        b"\xff\xd8\xff\xe1\x10\x00Exif\x00\x00MM\x00*",
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4,
        b"%PDF-1.7\n",
        b"plain text",
        png_claiming(50_000, 50_000),
        png_claiming(12_000, 12_000),
    ],
    ids=["empty", "jpeg magic only", "truncated exif", "corrupt jpeg", "pdf", "text", "bomb", "large bomb"],
)
def test_a_broken_or_hostile_file_has_no_metadata(tmp_path: Path, data: bytes) -> None:
    assert photo_metadata(write(tmp_path, data)) == {}


def test_a_photo_truncated_in_its_exif_has_no_metadata(tmp_path: Path) -> None:
    data = image_bytes(exif=field_exif())
    app1 = data.index(b"\xff\xe1")
    exif_end = app1 + 2 + int.from_bytes(data[app1 + 2 : app1 + 4], "big")

    for cut in range(exif_end):
        assert photo_metadata(write(tmp_path, data[:cut])) == {}


def test_a_photo_cut_off_in_its_pixels_keeps_its_metadata(tmp_path: Path) -> None:
    """The camera's record survives a transfer that broke off; the pixels are another matter."""
    data = image_bytes(exif=field_exif())
    scan = data.index(b"\xff\xda")
    path = write(tmp_path, data[: (scan + len(data)) // 2])

    assert photo_metadata(path)["taken_at"] == "2020-11-10T08:15:00"
    with pytest.raises(Invalid):
        thumbnail(path)


def test_any_cut_never_raises(tmp_path: Path) -> None:
    data = image_bytes(exif=field_exif())

    for cut in range(len(data)):
        assert isinstance(photo_metadata(write(tmp_path, data[:cut])), dict)


def test_a_missing_file_has_no_metadata(tmp_path: Path) -> None:
    assert photo_metadata(tmp_path / "absent.jpg") == {}


def test_strip_removes_exif_gps_and_xmp_and_applies_orientation(tmp_path: Path) -> None:
    original = image_bytes("JPEG", exif=field_exif(orientation=6))
    assert b"operator" in original

    stripped = strip_metadata(write(tmp_path, original))

    image = reread(stripped)
    assert image.format == "JPEG"
    assert image.size == (20, 40)  # turned upright: the 40x20 sensor image was taken in portrait
    assert (colour_at(image, 10, 5), colour_at(image, 10, 35)) == ("red", "blue")  # turned 90° clockwise
    assert not image.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp"} & set(image.info)
    assert b"Exif" not in stripped
    assert b"operator" not in stripped
    assert b"Canon" not in stripped
    assert photo_metadata(write(tmp_path, stripped)) == {}


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_strip_keeps_the_format(tmp_path: Path, image_format: str) -> None:
    path = write(tmp_path, image_bytes(image_format, exif=field_exif()))

    image = reread(strip_metadata(path))

    assert image.format == image_format
    assert not image.getexif()
    assert photo_metadata(write(tmp_path, strip_metadata(path))) == {}


def test_strip_keeps_transparency(tmp_path: Path) -> None:
    path = write(tmp_path, image_bytes("PNG", mode="RGBA"))

    assert reread(strip_metadata(path)).mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [
        image_bytes("GIF", mode="P"),
        image_bytes("TIFF"),
        b"%PDF-1.7\n",
        b"MZ\x90\x00",
        b"",
        png_claiming(50_000, 50_000),
    ],
    ids=["gif", "tiff", "pdf", "exe", "empty", "bomb"],
)
def test_strip_refuses_what_it_cannot_clean(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(Invalid):
        strip_metadata(write(tmp_path, data))


def test_images_past_the_pixel_limit_are_not_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "MAX_PIXELS", 799)
    path = write(tmp_path, image_bytes("PNG", size=(40, 20)))

    with pytest.raises(Invalid, match="megapixels"):
        strip_metadata(path)
    with pytest.raises(Invalid, match="megapixels"):
        thumbnail(path)


def test_thumbnail_is_a_small_upright_jpeg_without_metadata(tmp_path: Path) -> None:
    path = write(tmp_path, image_bytes("JPEG", exif=field_exif(orientation=6), size=(2000, 1000)))

    preview = thumbnail(path)

    image = reread(preview)
    assert image.format == "JPEG"
    assert image.size == (160, 320)
    assert (colour_at(image, 80, 40), colour_at(image, 80, 280)) == ("red", "blue")
    assert not image.getexif()
    assert b"operator" not in preview


@pytest.mark.parametrize(
    ("image_format", "mode"), [("PNG", "RGBA"), ("PNG", "P"), ("GIF", "P"), ("WEBP", "RGB"), ("PNG", "L")]
)
def test_thumbnail_of_other_images(tmp_path: Path, image_format: str, mode: str) -> None:
    path = write(tmp_path, image_bytes(image_format, mode=mode, size=(64, 32)))

    image = reread(thumbnail(path, size=32))

    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (32, 16))


@pytest.mark.parametrize("size", [0, 15, 2049])
def test_thumbnail_size_is_bounded(tmp_path: Path, size: int) -> None:
    with pytest.raises(Invalid, match="size"):
        thumbnail(write(tmp_path, image_bytes()), size=size)


@pytest.mark.parametrize("data", [b"%PDF-1.7\n", b"\xff\xd8\xff\xe0junk", png_claiming(50_000, 50_000)])
def test_thumbnail_refuses_non_images(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(Invalid):
        thumbnail(write(tmp_path, data))


PHOTO = image_bytes("JPEG", exif=field_exif(offset="+04:00"), size=(64, 48))


@given(st.lists(st.tuples(st.integers(0, len(PHOTO) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzzed_photos_never_raise(changes: list[tuple[int, int]]) -> None:
    data = bytearray(PHOTO)
    for index, value in changes:
        data[index] = value
    with tempfile.TemporaryDirectory() as directory:
        path = write(Path(directory), bytes(data))

        assert isinstance(photo_metadata(path), dict)
        with contextlib.suppress(Invalid):
            assert reread(thumbnail(path, size=32)).format == "JPEG"
