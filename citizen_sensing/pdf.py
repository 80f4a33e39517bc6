"""HTML to PDF, behind one small interface: :func:`available` and :func:`html_to_pdf`.

The converter is headless Chromium (Debian's ``chromium``, found on the PATH) run as a subprocess with
``--print-to-pdf``: the page is written to a temporary folder with its style sheet inline and its charts as inline
SVG, so Chromium needs no network (the flags below also keep it from trying); the page has no script. (Turning
scripts off with ``--blink-settings=scriptEnabled=false`` stops ``--print-to-pdf`` from writing anything.)
When no Chromium is installed there is no PDF route: the printable page is the PDF route, through the browser's
"Print" and "Save as PDF" (docs/citizen-sensing.md).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_SECONDS = 60
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-extensions", "--no-pdf-header-footer",
         "--host-resolver-rules=MAP * ~NOTFOUND")


class ConversionFailed(RuntimeError):
    pass


def converter() -> str | None:
    """The converter's path, or None."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def available() -> bool:
    return converter() is not None


def html_to_pdf(html: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF of a self-contained HTML page (inline style, no external resources)."""
    program = converter()
    if program is None:
        raise ConversionFailed("no PDF converter is installed")
    with tempfile.TemporaryDirectory(prefix="civic-pdf-") as folder:
        page = Path(folder) / "page.html"
        out = Path(folder) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        try:
            subprocess.run([program, *FLAGS, f"--user-data-dir={folder}/profile", f"--print-to-pdf={out}",
                            page.as_uri()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ConversionFailed(str(error)) from error
        data = out.read_bytes() if out.exists() else b""
    if not data.startswith(b"%PDF"):
        raise ConversionFailed("the converter made no PDF")
    return data
