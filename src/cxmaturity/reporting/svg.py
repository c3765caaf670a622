"""Charts drawn on the server: the Vega-Lite specs of ``reporting.charts`` as SVG by vl-convert (no browser, no script),
and as PNG for the slides (``draw_png``), which cannot hold SVG.

The reports embed these SVGs inline, so a report needs no script and no network to show its charts, and the PDF
keeps chart text as text (searchable, and read by ``pdftotext``). The first conversion in a process starts
vl-convert's JavaScript engine (about half a second); later ones take tens of milliseconds, mostly for measuring
the text of axes and legends.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from markupsafe import Markup, escape

from cxmaturity.i18n.catalogs import LOCALES
from cxmaturity.i18n.formats import d3_number_locale, d3_time_locale
from cxmaturity.reporting.charts import Chart
from cxmaturity.reporting.xml_text import xml_safe

#: Ids inside one SVG (gradients of legends, clip paths) are made unique per chart: several SVGs share a document.
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(url\(#|href="#)([^)"]+)')
#: The roles Vega gives the groups inside a chart: the chart is one image for a screen reader, its parts have none.
_PART_ROLES = re.compile(r'\s(?:role="graphics-[a-z-]+"|aria-roledescription="[^"]*")')
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
#: Elements a chart's SVG must never contain: it is embedded in the report as markup.
_FORBIDDEN_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "object", "embed"})

_warm_lock = threading.Lock()
_warmed = False


class ChartRenderError(RuntimeError):
    """vl-convert failed on a spec, or produced markup a report must not embed."""


@dataclass(frozen=True)
class DrawnChart:
    """A chart with its SVG, ready to embed (``svg`` is markup: it is inserted as is)."""

    chart: Chart
    svg: Markup

    @property
    def id(self) -> str:
        return self.chart.id

    @property
    def title(self) -> str:
        return self.chart.title

    @property
    def description(self) -> str:
        return self.chart.description


def _locale_options(language: str | None) -> dict[str, Any]:
    """vl-convert's options that make Vega write the numbers it formats itself (axis ticks, legends: ``2,5`` in
    German) and its dates (a time axis's months: ``Dez. 2026``) as the report's own numbers and dates are written
    (``formats.d3_number_locale``, ``formats.d3_time_locale``: Babel's data, as the live charts' too), in
    ``language`` (English when None or unknown): one place for the SVG and the PNG."""
    chosen = language if language and language in LOCALES else "en"
    return {"format_locale": d3_number_locale(chosen), "time_format_locale": d3_time_locale(chosen)}


def _convert(spec: dict[str, Any], language: str | None = None) -> str:
    import vl_convert

    # No base URL is allowed: the specs carry their data inline, and a report must never fetch anything. A control
    # character in a text (a group or segment name) makes vl-convert abort the whole process: xml_safe replaces it.
    svg: str = vl_convert.vegalite_to_svg(xml_safe(spec), allowed_base_urls=[], **_locale_options(language))
    return svg


def warm() -> None:
    """Start vl-convert's engine once per process (later calls return at once)."""
    global _warmed
    if _warmed:
        return
    with _warm_lock:
        if not _warmed:
            _convert({"data": {"values": [{"x": 0}]}, "mark": "point", "encoding": {"x": {"field": "x"}}})
            _warmed = True


def _check(svg: str) -> None:
    """Refuse an SVG with anything that could run or load something: scripts, foreign content, event handlers,
    links out. Vega escapes the texts it draws; this makes sure no name or comment ever becomes markup."""
    if not svg.startswith("<svg"):
        raise ChartRenderError("not an SVG document")
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise ChartRenderError(f"not well-formed SVG: {exc}") from exc
    for element in root.iter():
        tag = str(element.tag).removeprefix(SVG_NAMESPACE).lower()
        if tag in _FORBIDDEN_ELEMENTS:
            raise ChartRenderError(f"a <{tag}> element")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or (local == "href" and not value.startswith("#")):
                raise ChartRenderError(f"a {local} attribute")


def _scoped(svg: str, prefix: str) -> str:
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return _REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def draw(chart: Chart, language: str | None = None) -> DrawnChart:
    """Return ``chart`` drawn as inline SVG, labelled for screen readers with its numbers in words.

    The chart's texts are the spec's, written in its language when it was made; ``language`` makes the numbers Vega
    formats itself (axis ticks, legends) and month names follow it too, as ``draw_png`` does (English when None)."""
    warm()
    try:
        svg = _convert(chart.spec, language)
    except Exception as exc:  # vl-convert raises plain ValueErrors with the JavaScript message
        raise ChartRenderError(f"{chart.id}: the chart could not be drawn: {exc}") from exc
    try:
        _check(svg)
    except ChartRenderError as exc:
        raise ChartRenderError(f"{chart.id}: the drawn chart is not plain SVG: {exc}") from exc
    svg = _PART_ROLES.sub("", _scoped(svg, chart.id))
    # The spec's description lists the chart's numbers: the text alternative a screen reader reads out.
    label = escape(text_alternative(chart))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" data-chart-svg="{chart.id}" ', 1)
    # Markup: vl-convert's SVG, checked above; every text in it is escaped by Vega's SVG writer.
    return DrawnChart(chart, Markup(svg))


def draw_all(charts: tuple[Chart, ...], language: str | None = None) -> tuple[DrawnChart, ...]:
    return tuple(draw(chart, language) for chart in charts)


def draw_png(chart: Chart, scale: float = 2.0, language: str | None = None) -> bytes:
    """Return ``chart`` as a PNG image, ``scale`` times its natural size: for documents that cannot hold SVG (slides).

    The same spec as the SVG, so a slide's chart is the report's; a PNG cannot carry markup, so no check is needed
    beyond vl-convert's own. The text alternative travels beside the image (``chart.spec["description"]``). The
    chart's texts are the spec's, written in its language when it was made; ``language`` makes the numbers Vega
    formats itself (axis ticks, legends: ``2,5`` in German) and month names follow it too (d3's locale).
    """
    import vl_convert

    warm()
    try:
        options = _locale_options(language)
        png: bytes = vl_convert.vegalite_to_png(xml_safe(chart.spec), scale=scale, allowed_base_urls=[], **options)
    except Exception as exc:  # vl-convert raises plain ValueErrors with the JavaScript message
        raise ChartRenderError(f"{chart.id}: the chart could not be drawn: {exc}") from exc
    return png


def text_alternative(chart: Chart) -> str:
    """The chart's numbers in words (the spec's description) or, failing that, its one-sentence description."""
    return str(chart.spec.get("description") or chart.description)
