"""Reading PDFs back with poppler (pdfinfo, pdftotext, pdftoppm) and checking pages for ink, for the report tests.

Without poppler the tests that need it skip, except in CI (``CXM_REQUIRE_BROWSER=1``: .ci/run installs poppler-utils
with Chromium), where a missing tool is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

#: Points per millimetre.
PT_PER_MM = 72 / 25.4
#: The report's page margins in millimetres (reporting/templates/report-print.css): top, right, bottom, left.
MARGINS_MM = (20.0, 16.0, 18.0, 16.0)
RESOLUTION = 40


def require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("CXM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{tool} is required but missing (Debian package poppler-utils)")
        pytest.skip(f"{tool} is not installed (Debian package poppler-utils)")
    return found


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    #: Page size in points (width, height).
    size: tuple[float, float]


def info(pdf: Path) -> PdfInfo:
    out = subprocess.run([require("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    assert size, out
    return PdfInfo(pages, (float(size.group(1)), float(size.group(2))))


def text(pdf: Path, page: int | None = None) -> str:
    """The text layer (of one page, counted from 1), with every run of whitespace made one space."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = pdf.with_suffix(f".{page or 'all'}.txt")
    subprocess.run([require("pdftotext"), *pages, str(pdf), str(out)], check=True, capture_output=True)
    return " ".join(out.read_text(encoding="utf-8").split())


def page_images(pdf: Path) -> list[Path]:
    """Every page as a PNG at RESOLUTION dpi (``pdftoppm -png -r 40``), in page order."""
    prefix = pdf.with_suffix("")
    subprocess.run([require("pdftoppm"), "-png", "-r", str(RESOLUTION), str(pdf), str(prefix)], check=True)
    return sorted(pdf.parent.glob(f"{prefix.name}-*.png"))


def ink(png: Path) -> float:
    """The share of the page's body (inside the margins, so the running header and footer do not count) that is
    not white."""
    with Image.open(png) as image:
        gray = image.convert("L")
        px_per_mm = RESOLUTION / 25.4
        top, right, bottom, left = (round(m * px_per_mm) for m in MARGINS_MM)
        body = gray.crop((left, top, gray.width - right, gray.height - bottom))
        histogram = body.histogram()
        dark = sum(histogram[:240])
        return dark / (body.width * body.height)
