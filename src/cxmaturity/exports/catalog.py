"""Which exports and file formats there are, and how a download's file name (``answers.csv``) names them."""

from __future__ import annotations

from dataclasses import dataclass

#: Export name -> its tables, in the order files and sheets are written. ``plan`` is left out of ``all`` while the
#: assessment has no saved plan.
EXPORTS: dict[str, tuple[str, ...]] = {
    "answers": ("answers",),
    "comments": ("comments",),
    "results": ("overall", "competencies", "tracks", "indicators", "distributions", "groups"),
    "plan": ("plan",),
    "all": (
        "answers",
        "comments",
        "overall",
        "competencies",
        "tracks",
        "indicators",
        "distributions",
        "groups",
        "plan",
    ),
}
#: ``csv`` is one table; ``zip`` holds one CSV file per table; ``xlsx`` one sheet per table; ``json`` one document.
FORMATS = ("csv", "zip", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


class ExportError(ValueError):
    """An export or a format that does not exist, or a format that cannot hold the export."""


@dataclass(frozen=True)
class Wanted:
    name: str
    format: str

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.format}"


def wanted(name: str, fmt: str) -> Wanted:
    """Return the export and format asked for; raise :class:`ExportError` with a message that says what exists."""
    if name not in EXPORTS:
        raise ExportError(f"there is no export named '{_shown(name)}'; the exports are {', '.join(EXPORTS)}")
    if fmt not in FORMATS:
        raise ExportError(f"there is no format '{_shown(fmt)}'; the formats are {', '.join(FORMATS)}")
    if fmt == "csv" and len(EXPORTS[name]) > 1:
        raise ExportError(
            f"the {name} export has {len(EXPORTS[name])} tables and a CSV file holds one: "
            f"ask for {name}.zip (a CSV file per table), {name}.xlsx or {name}.json"
        )
    return Wanted(name, fmt)


def parse_filename(filename: str) -> Wanted:
    """Return what a download name such as ``answers.csv`` or ``all.xlsx`` asks for."""
    name, dot, fmt = filename.rpartition(".")
    if not dot or not name:
        raise ExportError(
            f"'{_shown(filename)}' is not an export file name: name an export and a format, "
            "e.g. answers.csv, results.xlsx or all.zip"
        )
    return wanted(name, fmt)


def _shown(text: str) -> str:
    """Return user input shortened for an error message."""
    return text if len(text) <= 60 else text[:57] + "..."
