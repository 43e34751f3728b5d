"""The whole book as one PDF for printing: ``python -m lessons.book --out DIR --pdf``.

The pages already built are set one after another in ``DIR/print.html`` (each lesson starts a
new sheet, every answer unfolded), and headless Chromium prints that page with its own
``--print-to-pdf``: the same engine that draws the book's MathML, so the PDF shows what the
pages show. No other tool is needed. The PDF is written atomically as ``DIR/book.pdf``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from cae_scratch import atomic

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(RuntimeError):
    """Chromium is missing or did not print the book."""


PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def find_chromium():
    """The path of a Chromium-family browser, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_page(sections, frame):
    """The HTML of one page holding every section (body HTML strings) in order, answers unfolded."""
    body = "\n".join(f'<article class="sheet">{re.sub(r"<details(?![^>]*open)", "<details open", s)}</article>'
                     for s in sections)
    return frame("Contractive autoencoders from scratch: the book", body)


def count_pages(pdf_bytes):
    """The number of page objects in a PDF (each ``/Type /Page``, not ``/Pages``)."""
    return len(PAGE_OBJECT.findall(pdf_bytes))


def write_pdf(out, sections, frame, timeout=300):
    """Write ``out/print.html`` and print it to ``out/book.pdf``; returns (path, number of pages)."""
    browser = find_chromium()
    if browser is None:
        raise PdfError("--pdf needs Chromium: apt-get install chromium (or chromium-browser)")
    page = os.path.join(out, "print.html")
    atomic.write_text(page, print_page(sections, frame))
    target = os.path.join(out, "book.pdf")
    with tempfile.TemporaryDirectory(prefix="cae-book-pdf-") as tmp:
        printed = os.path.join(tmp, "book.pdf")
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", f"--user-data-dir={os.path.join(tmp, 'profile')}",
             "--no-pdf-header-footer", f"--print-to-pdf={printed}", Path(os.path.abspath(page)).as_uri()],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        if not os.path.isfile(printed) or os.path.getsize(printed) == 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise PdfError(f"Chromium did not print the book (exit {done.returncode}: {tail[0]})")
        with open(printed, "rb") as f:
            data = f.read()
    atomic.write_bytes(target, data)
    return target, count_pages(data)
