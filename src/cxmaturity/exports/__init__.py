"""Data exports of an assessment: anonymized answers, comments, results and the plan as CSV, XLSX and JSON.

Pure domain code: typed tables are built from a framework, the answers, the scored result and the saved plan
(``build``), then written as bytes (``files.write``). No web or database imports; ``services.exports`` gathers the
data and checks who may have it. docs/exports.md describes every table's columns.
"""

from cxmaturity.exports.build import build
from cxmaturity.exports.catalog import EXPORTS, FORMATS, MEDIA_TYPES, ExportError, Wanted, parse_filename, wanted
from cxmaturity.exports.files import write
from cxmaturity.exports.model import Cell, Column, Export, PlanSource, Source, Table

__all__ = [
    "EXPORTS",
    "FORMATS",
    "MEDIA_TYPES",
    "Cell",
    "Column",
    "Export",
    "ExportError",
    "PlanSource",
    "Source",
    "Table",
    "Wanted",
    "build",
    "parse_filename",
    "wanted",
    "write",
]
