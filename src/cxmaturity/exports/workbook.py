"""Write an export as an XLSX workbook: one sheet per table, then ``about``; typed cells, a bold frozen header.

Numbers are numbers, truth values are booleans, dates and times are date cells; text is always a string cell, never
a formula (formula-like text is guarded with an apostrophe first, as in CSV files). An answer key that is a whole
number (a 1-5 scale's ``3``) is a number, so that it can be averaged; the answers reader turns it back into the key.

The sheets' XML is written here rather than by a spreadsheet library: openpyxl (and XlsxWriter alike) spend some
microseconds of Python on every cell, and the answers of 18,000 respondents are 1.4 million cells: 8 s of CPU for
openpyxl, well under one here. Each column's distinct values become their XML once (columns repeat few values), a
row is one join of its cells' pieces, and text goes to the shared strings table once however often it occurs. What
is written is the plain subset of SpreadsheetML (ECMA-376) that Excel, LibreOffice and openpyxl read: cells with
their references, shared strings, one bold and two date styles, a frozen first row and column widths.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from cxmaturity.answers.formulas import guard
from cxmaturity.exports.model import Cell, Export, Kind, Table
from cxmaturity.reporting.xml_text import ILLEGAL, xml_text

#: Excel's limit on a cell's text.
MAX_TEXT = 32_767
#: Excel's limit on a sheet name's length.
MAX_SHEET_NAME = 31
_WHOLE = re.compile(r"0|-?[1-9][0-9]{0,14}")
_WIDTH = (8, 60)
#: Rows written to the zip at a time: the sheet is streamed, never held whole as one text.
_ROWS_PER_CHUNK = 2_000
#: Day 0 of spreadsheets' serial dates (Excel's 1900 system, as every current spreadsheet writes it).
_EPOCH = datetime(1899, 12, 30)
#: Style indexes of styles.xml: 1 bold (the header), 2 a date and time, 3 a date.
_BOLD, _DATETIME, _DATE = 1, 2, 3

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _text(value: str) -> str:
    clean = xml_text(value)
    if len(clean) > MAX_TEXT:
        clean = clean[: MAX_TEXT - 1] + "…"
    return guard(clean)


def _key(value: Cell) -> Any:
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return _value(value)


def _value(value: Cell) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # spreadsheets have no time zones
    return value


class _Strings:
    """The workbook's shared strings: each distinct text once, cells refer to it by its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def of(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    def xml(self) -> bytes:
        items = "".join(f'<si><t xml:space="preserve">{_xml_text(t)}</t></si>' for t in self.index)
        count = len(self.index)
        return f'{_HEAD}<sst xmlns="{_MAIN}" count="{count}" uniqueCount="{count}">{items}</sst>'.encode()


def _xml_text(text: str) -> str:
    # A carriage return as a character reference: an XML reader turns a literal one into a line feed.
    return escape(text).replace("\r", "&#13;")


def _piece(value: Any, strings: _Strings) -> str | None:
    """Return what follows ``<c r="A1`` for one converted value (None: an empty cell, not written; empty text is
    an empty cell too, as spreadsheets read it)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return f'" t="s"><v>{strings.of(value)}</v></c>'
    if isinstance(value, bool):
        return f'" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'"><v>{value}</v></c>'
    if isinstance(value, float):
        return f'"><v>{value!r}</v></c>' if math.isfinite(value) else None
    if isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86_400
        return f'" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'" s="{_DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    return f'" t="s"><v>{strings.of(_text(str(value)))}</v></c>'


def _pieces(values: Sequence[Cell], kind: Kind, strings: _Strings) -> list[str | None]:
    """Return a column's cells as XML pieces, converting each distinct value once where that is safe."""
    convert: Callable[[Cell], Any] = _key if kind == "key" else _value
    types = set(map(type, values))
    # A dictionary takes True for 1 and 1.0 for 1: only columns of one such type share the work by value.
    if len(types - {type(None)}) <= 1 or types <= {str, type(None)}:
        distinct = {v: _piece(convert(v), strings) for v in dict.fromkeys(values)}
        return [distinct[v] for v in values]
    return [_piece(convert(v), strings) for v in values]


def _column_name(n: int) -> str:
    """The letters of the ``n``-th column (1: A, 27: AA)."""
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def _sheet(stream: IO[bytes], table: Table, strings: _Strings) -> None:
    letters = [_column_name(n) for n in range(1, len(table.columns) + 1)]
    widths = "".join(
        f'<col min="{n}" max="{n}" width="{min(max(len(c.name) + 2, _WIDTH[0]), _WIDTH[1])}" customWidth="1"/>'
        for n, c in enumerate(table.columns, start=1)
    )
    header = "".join(
        f'<c r="{letter}1" s="{_BOLD}" t="s"><v>{strings.of(_text(name))}</v></c>'
        for letter, name in zip(letters, table.header, strict=True)
    )
    stream.write(
        (
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
            f'<sheetData><row r="1">{header}</row>'
        ).encode()
    )
    if table.rows:
        columns = list(zip(*table.rows, strict=True))
        pieces = [_pieces(values, column.kind, strings) for values, column in zip(columns, table.columns, strict=True)]
        starts = [f'<c r="{letter}' for letter in letters]
        rows = zip(*pieces, strict=True)
        number = 1
        while chunk := [row for _, row in zip(range(_ROWS_PER_CHUNK), rows, strict=False)]:
            lines = []
            for row in chunk:
                number += 1
                r = str(number)
                cells = "".join([start + r + piece for start, piece in zip(starts, row, strict=True) if piece])
                lines.append(f'<row r="{r}">{cells}</row>')
            stream.write("".join(lines).encode())
    stream.write(b"</sheetData></worksheet>")


def _sheet_names(tables: Iterable[Table]) -> list[str]:
    """Sheet names as Excel allows them: at most 31 characters, none of ``[]:*?/\\``, each once."""
    names: list[str] = []
    for table in tables:
        base = re.sub(r"[\[\]:*?/\\]", "_", ILLEGAL.sub("_", table.name))[:MAX_SHEET_NAME] or "sheet"
        name, n = base, 1
        while name.casefold() in (m.casefold() for m in names):
            n += 1
            name = f"{base[: MAX_SHEET_NAME - len(str(n)) - 1]}_{n}"
        names.append(name)
    return names


def _stamp(export: Export) -> tuple[int, int, int, int, int, int]:
    """The zip entries' time: when the export was made (a workbook's bytes depend on its data alone)."""
    for field, value in export.about.rows:
        if field == "exported_at_utc" and isinstance(value, datetime) and value.year >= 1980:
            return _stamp_of(value)
    return (1980, 1, 1, 0, 0, 0)


def _stamp_of(value: datetime) -> tuple[int, int, int, int, int, int]:
    return (value.year, value.month, value.day, value.hour, value.minute, value.second)


def export_xlsx(export: Export, made: datetime | None = None) -> bytes:
    """Return the export as the bytes of an XLSX workbook; ``made`` dates the zip entries (by default the about
    table's ``exported_at_utc``, which a translated about table names in its language)."""
    tables = (*export.tables, export.about)
    names = _sheet_names(tables)
    strings = _Strings()
    stamp = _stamp(export) if made is None or made.year < 1980 else _stamp_of(made)
    out = io.BytesIO()

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    sheets = range(1, len(tables) + 1)
    # Level 1: the sheets' XML is repetitive enough that it shrinks nearly as well, in a third of the time.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_SHEET_TYPE}"/>' for n in sheets
        )
        archive.writestr(
            entry("[Content_Types].xml"),
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            entry("_rels/.rels"),
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        for n, table in zip(sheets, tables, strict=True):
            with archive.open(entry(f"xl/worksheets/sheet{n}.xml"), "w") as stream:
                _sheet(stream, table, strings)
        archive.writestr(entry("xl/sharedStrings.xml"), strings.xml())
        archive.writestr(entry("xl/styles.xml"), _STYLES)
        listed = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
            for n, name in zip(sheets, names, strict=True)
        )
        archive.writestr(
            entry("xl/workbook.xml"),
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{listed}</sheets></workbook>",
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>' for n in sheets
        )
        extra = len(tables)
        archive.writestr(
            entry("xl/_rels/workbook.xml.rels"),
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{relations}'
            f'<Relationship Id="rId{extra + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{extra + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
    return out.getvalue()
