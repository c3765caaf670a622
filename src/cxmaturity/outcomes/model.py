"""The language of customer outcomes: survey responses, customers, operational data points, and the column mapping
that says which column of an imported file holds what.

These are plain frozen dataclasses with no behaviour beyond checking and (de)serializing themselves, so that
storage can turn them into rows and back, and the metrics can be computed from them anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal

from cxmaturity.json_text import JsonTextError, loads

Metric = Literal["nps", "csat", "ces"]
METRICS: tuple[Metric, ...] = ("nps", "csat", "ces")

Tool = Literal["qualtrics", "surveymonkey", "google-forms", "csv", "xlsx"]
TOOLS: tuple[Tool, ...] = ("qualtrics", "surveymonkey", "google-forms", "csv", "xlsx")

#: The answer scales each metric accepts: NPS is always 0-10; CSAT and CES are asked on 1-5 or 1-7.
NPS_SCALE = (0, 10)
CSAT_SCALES = (5, 7)
CES_SCALES = (5, 7)

#: ``date_format`` value that reads ISO 8601 dates and times (``2026-03-01``, ``2026-03-01 14:05:00``,
#: ``2026-03-01T14:05:00Z``); any other value is a :func:`datetime.strptime` format such as ``%d/%m/%Y``.
ISO = "iso"


class MappingError(ValueError):
    """A column mapping that is not well formed (an unknown key, a wrong type, a scale not offered)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of a survey file holds what; saved as JSON by the web layer and reused for the next file.

    Columns are named as :func:`cxmaturity.outcomes.sources.inspect_survey` names them (``SurveyColumn.name``): the
    column id for Qualtrics (``Q1``), the question text for Google Forms and plain files, and ``question - option``
    for SurveyMonkey columns under one question. ``None`` means the file has no such column. A response id column is
    optional: without one a response is identified by a hash of all of its cells (``sources.fingerprint``), so a row
    imported again is still recognized.
    """

    response_id: str | None = None
    submitted_at: str | None = None
    #: How ``submitted_at`` is written: ``"iso"`` or a strptime format (``%m/%d/%Y %H:%M:%S`` for Google Forms).
    date_format: str = ISO
    segment: str | None = None
    nps: str | None = None
    csat: str | None = None
    #: The top of the CSAT scale: 5 (top box 4-5) or 7 (top box 6-7).
    csat_scale: int = 5
    ces: str | None = None
    #: The top of the CES scale: 5 or 7.
    ces_scale: int = 7
    #: Direction of the CES question: True when a high answer means *easy* ("The company made it easy ..."), as in
    #: the CES 2.0 wording; False when a high answer means *much effort*.
    ces_high_is_easy: bool = True
    #: Numeric driver (touchpoint rating) columns for key-driver analysis; any numeric scale.
    drivers: tuple[str, ...] = ()
    #: Qualtrics ``Finished`` column (or any column holding True/False or 1/0); responses not finished are skipped
    #: unless ``include_partial``.
    finished: str | None = None
    include_partial: bool = False

    def __post_init__(self) -> None:
        if self.csat_scale not in CSAT_SCALES:
            raise MappingError(f"csat_scale must be one of {CSAT_SCALES}, not {self.csat_scale!r}")
        if self.ces_scale not in CES_SCALES:
            raise MappingError(f"ces_scale must be one of {CES_SCALES}, not {self.ces_scale!r}")
        if not self.date_format.strip():
            raise MappingError("date_format must not be empty (use 'iso' or a strptime format)")
        if len(set(self.drivers)) != len(self.drivers):
            raise MappingError("a driver column is listed twice")

    def columns(self) -> dict[str, str]:
        """Return ``role -> column`` for every role this mapping fills (drivers as ``driver:COLUMN``)."""
        roles = ("response_id", "submitted_at", "segment", "nps", "csat", "ces", "finished")
        out = {role: getattr(self, role) for role in roles if getattr(self, role) is not None}
        out.update({f"driver:{column}": column for column in self.drivers})
        return out

    def metric_columns(self) -> dict[Metric, str]:
        """Return ``metric -> column`` for the metrics this mapping reads."""
        return {m: getattr(self, m) for m in METRICS if getattr(self, m) is not None}

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping as JSON-ready data (a list for ``drivers``)."""
        data = asdict(self)
        data["drivers"] = list(self.drivers)
        return data

    def to_json(self) -> str:
        """Return the mapping as a JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """Return the mapping ``data`` describes; raise :class:`MappingError` naming the first wrong key."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise MappingError(f"unknown key '{unknown[0]}' (a column mapping has {', '.join(known)})")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "drivers":
                if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                    raise MappingError("'drivers' must be a list of column names")
                values[key] = tuple(value)
            elif key in ("csat_scale", "ces_scale"):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise MappingError(f"'{key}' must be a whole number (5 or 7)")
                values[key] = value
            elif key in ("include_partial", "ces_high_is_easy"):
                if not isinstance(value, bool):
                    raise MappingError(f"'{key}' must be true or false")
                values[key] = value
            elif key == "date_format":
                if not isinstance(value, str):
                    raise MappingError("'date_format' must be a text")
                values[key] = value
            else:
                if value is not None and not isinstance(value, str):
                    raise MappingError(f"'{key}' must be a column name or null")
                values[key] = value
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        """Return the mapping a JSON text describes; raise :class:`MappingError` when it is not one."""
        try:
            data = loads(text)
        except JsonTextError as exc:
            where = f" (line {exc.line}, column {exc.column})" if exc.line is not None else ""
            raise MappingError(f"not valid JSON: {exc.reason}{where}") from None
        if not isinstance(data, dict):
            raise MappingError("a column mapping is a JSON object")
        return cls.from_dict(data)


@dataclass(slots=True)
class SurveyResponse:
    """One respondent's row of a survey export, with the mapped values read and checked.

    ``ces`` is stored as answered (on its own scale); the CES mean is reported in the question's direction
    (``ColumnMapping.ces_high_is_easy`` says which). ``drivers`` holds every mapped driver column, None when empty.

    Not frozen, unlike the other records here: a reader makes one per row (a million in a large import), and a
    frozen dataclass's ``__init__`` (``object.__setattr__`` per field) took five times as long. Nothing changes a
    response once read.
    """

    response_id: str
    #: 1-based line of the file where the response starts (header rows included), for messages and re-checks.
    row: int
    submitted_at: datetime | None = None
    segment: str | None = None
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    drivers: Mapping[str, float | None] = field(default_factory=dict)
    finished: bool = True

    def period(self) -> str | None:
        """Return the calendar month of the response (``2026-03``), or None without a date."""
        day = self.submitted_at
        return None if day is None else f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer of a CRM list: active from ``start`` up to (not including) ``end``; value per year."""

    customer_id: str
    start: date
    end: date | None
    value: float
    segment: str | None = None
    row: int = 0

    def active_on(self, day: date) -> bool:
        """Return whether the customer is a customer on ``day`` (``start <= day < end``)."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True, slots=True)
class ODataPoint:
    """One operational measurement: a metric's value on a day, optionally for a segment (complaints per 1,000
    orders in March for the north region)."""

    metric: str
    day: date
    value: float
    segment: str | None = None
    row: int = 0
