"""The report as one self-contained HTML file: inline CSS, charts as inline SVG, the logo as a data URI, no script.

It opens offline, in any browser, years from now: nothing is fetched. The PDF renders the same template with the
print stylesheet (``render_pdf``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import jinja2

from cxmaturity.i18n import jinja as i18n_jinja
from cxmaturity.i18n import use_locale
from cxmaturity.reporting import svg
from cxmaturity.reporting.report import Report
from cxmaturity.scoring.display import score_text

PaperName = Literal["a4", "letter"]


@dataclass(frozen=True)
class Paper:
    name: str
    #: The CSS ``@page size`` value.
    css: str
    width_mm: float
    height_mm: float


PAPERS: dict[str, Paper] = {
    "a4": Paper("a4", "A4", 210.0, 297.0),
    "letter": Paper("letter", "letter", 215.9, 279.4),
}


@dataclass(frozen=True)
class DrawnCharts:
    """A report's charts drawn once, shared by its HTML and PDF."""

    results: tuple[svg.DrawnChart, ...]
    plan: tuple[svg.DrawnChart, ...]
    progress: tuple[svg.DrawnChart, ...] = ()
    peers: tuple[svg.DrawnChart, ...] = ()
    outcomes: tuple[svg.DrawnChart, ...] = ()


def draw(report: Report) -> DrawnCharts:
    return DrawnCharts(
        svg.draw_all(report.charts),
        svg.draw_all(report.plan_charts),
        svg.draw_all(report.progress_charts),
        svg.draw_all(report.peers_charts),
        svg.draw_all(report.outcome_charts),
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cxmaturity.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score_text"] = score_text
    i18n_jinja.install(env)
    return env


def render_html(report: Report, drawn: DrawnCharts | None = None, paper: Paper | None = None) -> str:
    """Return the report as an HTML document; with ``paper``, laid out for printing on it (the PDF's source)."""
    drawn = drawn or draw(report)
    with use_locale(report.language):
        return (
            _environment()
            .get_template("report.html")
            .render(
                report=report,
                charts=drawn.results,
                plan_charts=drawn.plan,
                progress_charts=drawn.progress,
                peers_charts=drawn.peers,
                outcome_charts=drawn.outcomes,
                paper=paper,
            )
        )
