"""The report as a PDF (A4 or US Letter) by WeasyPrint, from the same HTML as the HTML report.

WeasyPrint is imported here, when a PDF is made: importing it costs about a second, which the rest of the
command line and the web app should not pay. It needs Pango on the system (see docs/reports.md). The document may
load nothing but ``data:`` URLs (the logo): a report never reaches the network or the file system.
"""

from __future__ import annotations

import logging
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


def render_pdf(report: Report, paper: PaperName = "a4", drawn: DrawnCharts | None = None) -> bytes:
    """Return the report as PDF bytes on ``paper`` ("a4" or "letter"), with page numbers and a contents list."""
    weasyprint = _weasyprint()
    html = render_html(report, drawn, PAPERS[paper])
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    return pdf
