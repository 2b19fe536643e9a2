"""HTML reports to PDF through WeasyPrint, without the report's text reaching the log.

WeasyPrint logs what it cannot draw or load by quoting the document: each character no
installed font has (a case id in Chinese characters was logged character by character),
an anchor's name, an image's address, with tracebacks. A filter on its two loggers keeps
each message's kind and drops what it quotes; the characters without a glyph are counted
instead, and one line says how many. Reports load nothing from elsewhere (their CSS is
inline, their charts inline SVG), so the fetcher allows `data:` addresses only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("rrall.report")
_GLYPH = ".notdef glyph"  # how WeasyPrint's message on a character without a glyph starts
_counting = threading.local()  # per rendering thread: characters without a glyph so far


class QuietWeasyPrint(logging.Filter):
    """Keeps the kind of each WeasyPrint message (its template), drops its arguments and
    traceback; counts and drops the per-character glyph warnings while a report renders."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(_GLYPH) and getattr(_counting, "glyphs", None) is not None:
            _counting.glyphs += 1
            return False
        if record.args:
            record.args = ()  # the template stays, "%s" and all: nothing from the document
        elif record.levelno >= logging.WARNING:  # a message formatted before it was logged
            record.msg = "WeasyPrint: a problem with the document (not shown: it may quote the report)"
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def _install() -> None:
    for name in ("weasyprint", "weasyprint.progress"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietWeasyPrint) for f in logger.filters):
            logger.addFilter(QuietWeasyPrint())


def to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The report as PDF bytes."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    _install()
    _counting.glyphs = 0
    try:
        fetcher: Any = URLFetcher(allowed_protocols={"data"})
        pdf: bytes = HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
        missing = _counting.glyphs
    finally:
        _counting.glyphs = None
    if missing:
        log.warning("PDF report: %d character(s) have no glyph in the installed fonts and are drawn "
                    "as boxes; install fonts that cover them (e.g. Debian's fonts-noto-cjk)", missing)
    return pdf
