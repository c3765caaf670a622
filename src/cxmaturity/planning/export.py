"""A plan as CSV and as an iCalendar file of milestones (no I/O: each returns text). Its JSON is in ``serialize``."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from cxmaturity.answers.formulas import guard
from cxmaturity.i18n.catalogs import N_
from cxmaturity.planning.model import Initiative, Plan

#: Months per period: plans count in quarters.
PERIOD_MONTHS = 3
CSV_COLUMNS = (
    "key",
    "title",
    "competency",
    "from_stage",
    "start",
    "end",
    "cost",
    "effort",
    "quick_win",
    "owner",
    "locked",
    "custom",
    "expected_from",
    "expected_to",
    "indicators",
    "discussion_items",
    "measure",
    "reason",
)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, tuple | list):
        text = " ".join(str(v) for v in value)
    else:
        text = str(value)
    return guard(text)  # a cell a spreadsheet would run as a formula gets a leading apostrophe


def plan_to_csv(plan: Plan) -> str:
    """Return one CSV row per initiative (UTF-8 text; list cells are space-separated keys).

    Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-`` or ``@``) get a leading
    apostrophe.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in plan.initiatives:
        writer.writerow([_cell(getattr(item, column)) for column in CSV_COLUMNS])
    return out.getvalue()


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months (the day of month clipped to the month's length)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(f"cannot move {day} by {months} months")  # pragma: no cover - 28 always exists


def period_start(start_date: date, period: int) -> date:
    """First day of ``period`` (counted from 1) when period 1 starts on ``start_date`` and periods are quarters."""
    return add_months(start_date, PERIOD_MONTHS * (period - 1))


def fits_calendar(start_date: date, horizon: int) -> bool:
    """Return whether ``horizon`` periods from ``start_date`` end within the calendar (before the year 10000): the
    calendar and the exports write the last day of the last period."""
    try:
        period_start(start_date, horizon + 1)
    except ValueError:
        return False
    return True


#: The calendar's words, marked for the catalogs; ``plan_to_ical`` writes them through its ``translate``.
MEASURE = N_("Measure of success: %(measure)s")
OWNER = N_("Owner: %(owner)s")
PERIODS = N_("Periods %(first)s to %(last)s; cost %(cost)s; effort %(effort)s pm.")
START = N_("Start: %(title)s")
FINISH = N_("Finish: %(title)s")


def plan_to_ical(
    plan: Plan,
    start_date: date,
    title: str,
    stamp: datetime | None = None,
    competency_names: Mapping[str, str] | None = None,
    *,
    translate: Callable[[str], str] = str,
    reason_of: Callable[[Initiative], str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> str:
    """Return an iCalendar file with two all-day milestones per initiative: its start and its end.

    Period ``p`` starts ``3 × (p − 1)`` months after ``start_date``. The start milestone falls on the first day of the
    initiative's first period; the end milestone on the last day of its last period (the day before period ``end``).
    ``stamp`` (DTSTAMP, default now in UTC) is a parameter so that exports can be reproduced. Each event's category
    is its competency's name from ``competency_names`` (a calendar is read by people; the key where none is given).

    ``translate`` gives the calendar's words in the reader's language (the caller's gettext; English without one),
    ``reason_of`` each initiative's reason in that language and ``titles`` its title there (by key); without them the
    plan's stored English sentences and titles are written.
    """
    names = competency_names or {}
    from icalendar import Calendar, Event, vText

    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", "-//cx-maturity//plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", vText(title))  # TEXT, the default type of X- properties: escaped like SUMMARY
    seed = hashlib.sha256(f"{title}|{start_date.isoformat()}".encode()).hexdigest()[:12]
    for item in plan.initiatives:
        first = period_start(start_date, item.start)
        last = period_start(start_date, item.end) - timedelta(days=1)
        details = [reason_of(item) if reason_of is not None else item.reason]
        if item.measure:
            details.append(translate(MEASURE) % {"measure": item.measure})
        if item.owner:
            details.append(translate(OWNER) % {"owner": item.owner})
        details.append(
            translate(PERIODS)
            % {"first": item.start, "last": item.end - 1, "cost": f"{item.cost:g}", "effort": f"{item.effort:g}"}
        )
        shown = (titles or {}).get(item.key, item.title)
        for kind, day in (("start", first), ("end", last)):
            event = Event()
            event.add("uid", f"{seed}-{item.key}-{kind}@cx-maturity")
            event.add("dtstamp", stamp)
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("summary", translate(START if kind == "start" else FINISH) % {"title": shown})
            event.add("description", "\n".join(details))
            event.add("categories", [names.get(item.competency, item.competency)])
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    text: bytes = cal.to_ical()
    return text.decode("utf-8")
