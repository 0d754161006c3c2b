"""Rendering a PDF leaves the rest of the process as it found it."""

from __future__ import annotations

import subprocess
import sys


def test_a_pdf_leaves_pillow_refusing_truncated_photos() -> None:
    # A fresh interpreter: the flag is process-wide, and other tests may already have imported WeasyPrint.
    code = (
        "from PIL import ImageFile\n"
        "from truce.reports import render\n"
        "render.pdf('<p>x</p>')\n"
        "print(ImageFile.LOAD_TRUNCATED_IMAGES)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
