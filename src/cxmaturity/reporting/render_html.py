"""The report as one self-contained HTML file: inline CSS, charts as inline SVG, the logo as a data URI, no script.

It opens offline, in any browser, years from now: nothing is fetched. The PDF renders the same template with the
print stylesheet (``render_pdf``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import jinja2
from markupsafe import Markup

from cxmaturity.i18n import gettext as _
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
    """Draw every chart of ``report``: their texts were written in the report's language when the model was built
    (``report.build``); the numbers Vega formats itself (axis ticks, legends) follow that language here."""
    language = report.language
    return DrawnCharts(
        svg.draw_all(report.charts, language),
        svg.draw_all(report.plan_charts, language),
        svg.draw_all(report.progress_charts, language),
        svg.draw_all(report.peers_charts, language),
        svg.draw_all(report.outcome_charts, language),
    )


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def css_content(text: str, **values: str) -> Markup:
    """``text`` as the value of a CSS ``content`` property: its words as quoted CSS strings, each ``%(name)s`` replaced
    by the CSS in ``values`` (``counter(page)``). Markup: it goes into the ``<style>`` element, where HTML escaping
    would show; a quote, a backslash, a line break or ``<`` (``</style>``) in a translation is escaped the CSS way."""

    def quoted(words: str) -> str:
        escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>\n' else ch for ch in words)
        return f'"{escaped}"'

    parts = _PLACEHOLDER.split(text)
    # split() alternates words and placeholder names: words at even places, names at odd ones.
    css = [values[part] if n % 2 else quoted(part) for n, part in enumerate(parts)]
    return Markup(" ".join(c for c in css if c != '""'))


def _page_texts() -> dict[str, Markup]:
    """The PDF's running texts (print stylesheet), in the active locale: the page number and the SYNTHETIC header."""
    return {
        "page_number": css_content(_("Page %(n)s of %(pages)s"), n="counter(page)", pages="counter(pages)"),
        "synthetic_header": css_content(_("SYNTHETIC DATA")),
    }


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
                page_texts=_page_texts(),
                # An earlier plan's initiative's status is a key ("in progress"): the template says it in words.
            )
        )
