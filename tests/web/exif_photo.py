"""A real JPEG as a phone writes it: EXIF time taken and a GPS position, made with Pillow."""

from __future__ import annotations

import io

from PIL import ExifTags, Image


def dms(value: float) -> tuple[float, float, float]:
    """Degrees, minutes and seconds of a positive decimal angle, as EXIF writes them."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return float(degrees), float(minutes), seconds


def jpeg_with_gps(lat: float, lon: float, taken: str = "2020:11:25 06:42:00", offset: str = "+04:00") -> bytes:
    """A 64x48 JPEG whose EXIF says it was taken at `taken` (local, with `offset`) at `lat`, `lon` (N, E)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Model] = "Field 1"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: taken, ExifTags.Base.OffsetTimeOriginal: offset}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: dms(lat),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: dms(lon),
    }
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (110, 140, 80)).save(out, "JPEG", exif=exif)
    return out.getvalue()
