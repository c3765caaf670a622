"""The report as a PDF (A4 or US Letter) by WeasyPrint, from the same HTML as the HTML report.

WeasyPrint is imported here, when a PDF is made: importing it costs about a second, which the rest of the
command line and the web app should not pay. It needs Pango on the system (see docs/reports.md). The document may
load nothing but ``data:`` URLs (the logo): a report never reaches the network or the file system.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import ModuleType

from cxmaturity.reporting.render_html import PAPERS, DrawnCharts, PaperName, render_html
from cxmaturity.reporting.report import Report


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are missing."""


def _weasyprint() -> ModuleType:
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: the Python package is there, Pango is not
        raise PdfUnavailable(
            f"PDF reports need WeasyPrint and the Pango library ({exc}); see docs/reports.md, or make an HTML report"
        ) from exc
    # WeasyPrint logs every CSS feature it skips at warning level; a report's stylesheet is ours and known.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    module: ModuleType = weasyprint
    return module


def check_available() -> None:
    """Raise PdfUnavailable unless WeasyPrint and its libraries can be loaded."""
    _weasyprint()


class _PagesLaidOut(logging.Handler):
    """Hears WeasyPrint's progress log (the ``weasyprint.progress`` logger, which WeasyPrint documents for giving
    feedback to users) and calls ``laid_out`` with the number of each page as the layout reaches it."""

    def __init__(self, laid_out: Callable[[int], None]) -> None:
        super().__init__(logging.INFO)
        self.laid_out = laid_out
        self.thread = threading.get_ident()
        self.most = 0

    def emit(self, record: logging.LogRecord) -> None:
        # "Step 5 - Creating layout - Page %d"; pages laid out again (counters such as "of N" pages) count once.
        if record.thread != self.thread or not str(record.msg).startswith("Step 5 - Creating layout - Page"):
            return
        page = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if isinstance(page, int) and page > self.most:
            self.most = page
            self.laid_out(page)


def render_pdf(
    report: Report,
    paper: PaperName = "a4",
    drawn: DrawnCharts | None = None,
    laid_out: Callable[[int], None] | None = None,
    writing: Callable[[], None] | None = None,
) -> bytes:
    """Return the report as PDF bytes on ``paper`` ("a4" or "letter"), with page numbers and a contents list;
    ``laid_out(n)`` as page n is laid out, ``writing()`` when the pages are written into the file."""
    weasyprint = _weasyprint()
    html = render_html(report, drawn, PAPERS[paper])
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    progress = logging.getLogger("weasyprint.progress")
    listener = _PagesLaidOut(laid_out) if laid_out is not None else None
    if listener is not None:
        progress.addHandler(listener)
        progress.setLevel(logging.INFO)
        progress.propagate = False  # heard here, not written into the server's log
    try:
        # render() then write_pdf(): what HTML.write_pdf() does, with the moment between the two steps to tell.
        pages = document.render()
    finally:
        if listener is not None:
            progress.removeHandler(listener)
            if not progress.handlers:
                progress.setLevel(logging.NOTSET)
                progress.propagate = True
    if writing is not None:
        writing()
    pdf: bytes = pages.write_pdf()
    return pdf
